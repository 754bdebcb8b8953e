#include "hmip/io/daemon_cli.h"

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>

namespace hmip::io {

namespace {

void usage(const DaemonSpec& s, std::FILE* out) {
  const int n = static_cast<int>(s.name.size());
  const char* name = s.name.data();
  std::fprintf(out,
               "usage: %.*s [-c FILE] [-f|--foreground] [-d|--debug] [--journal]\n"
               "       %.*s --check-config FILE\n"
               "       %.*s --version\n"
               "  -c, --config FILE    configuration (default %.*s)\n"
               "  --check-config FILE  report every error and warning in FILE, exit 1 on errors\n"
               "  -f, --foreground     do not detach (systemd, testing)\n"
               "  -d, --debug          log at level debug\n"
               "  --journal            log to the journal even when stderr is not connected to it\n",
               n, name, n, name, n, name, static_cast<int>(s.default_config.size()), s.default_config.data());
}

}  // namespace

std::variant<CommandLine, int> parse_command_line(const DaemonSpec& spec, int argc, char** argv) {
  CommandLine cl;
  cl.config_path = std::string(spec.default_config);
  const int n = static_cast<int>(spec.name.size());
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%.*s: %.*s needs a file name\n", n, spec.name.data(), static_cast<int>(a.size()),
                     a.data());
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(spec, stdout);
      return 0;
    }
    if (a == "--version" || a == "-V") {
      std::printf("%.*s (hmip) %.*s\n", n, spec.name.data(), static_cast<int>(spec.version.size()),
                  spec.version.data());
      return 0;
    }
    if (a == "--check-config" || a == "-C") {
      const char* f = value();
      return f != nullptr ? spec.check_config(f) : 2;
    }
    if (a == "-c" || a == "--config") {
      const char* f = value();
      if (f == nullptr) return 2;
      cl.config_path = f;
    } else if (a == "-f" || a == "--foreground") {
      cl.foreground = true;
    } else if (a == "-d" || a == "--debug") {
      cl.debug = true;
    } else if (a == "--journal") {
      cl.force_journal = true;
    } else {
      std::fprintf(stderr, "%.*s: unknown argument %.*s\n", n, spec.name.data(), static_cast<int>(a.size()), a.data());
      usage(spec, stderr);
      return 2;
    }
  }
  return cl;
}

int print_check_config(const std::vector<std::string>& lines, int exit_status) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    std::fprintf(i + 1 < lines.size() ? stderr : stdout, "%s\n", lines[i].c_str());
  std::fflush(stdout);
  return exit_status;
}

std::function<int(const std::string& path)> check_config_printer(CheckConfigText text) {
  return [text](const std::string& path) {
    int status = 1;
    const auto lines = text(path, status);
    return print_check_config(lines, status);
  };
}

void print_diagnostics(const std::vector<std::string>& lines) {
  for (const auto& line : lines) std::fprintf(stderr, "%s\n", line.c_str());
}

void resolve_config_path(CommandLine& cl) {
  std::error_code ec;
  if (auto abs = std::filesystem::absolute(cl.config_path, ec); !ec) cl.config_path = abs.lexically_normal().string();
}

int run_daemon(boost::asio::io_context& io, Logger& log, const CommandLine& cl, const std::function<void()>& start) {
  try {
    start();
    if (!cl.foreground) {
      io.notify_fork(boost::asio::io_context::fork_prepare);
      if (::daemon(0, 0) != 0) {
        log.error("cannot detach; use -f");
        return 1;
      }
      io.notify_fork(boost::asio::io_context::fork_child);
    }
    io.run();
  } catch (const std::exception& e) {
    log.error(e.what());
    return 1;
  }
  return 0;
}

}  // namespace hmip::io
