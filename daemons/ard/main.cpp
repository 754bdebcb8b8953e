// ard: the HMIPv6 access router daemon (ard(8)). Parses the command line,
// loads the configuration and runs ard::Daemon on one io_context.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

#include "ard_daemon.h"
#include "hmip/ar/config_parse.h"
#include "hmip/io/ard_view.h"
#include "hmip/io/log.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: ard [-c FILE] [-f|--foreground] [-d|--debug] [--journal]\n"
               "       ard --check-config FILE\n"
               "       ard --version\n"
               "  -c, --config FILE    configuration (default /etc/hmip/ard.conf)\n"
               "  --check-config FILE  report every error and warning in FILE, exit 1 on errors\n"
               "  -f, --foreground     do not detach (systemd, testing)\n"
               "  -d, --debug          log at level debug\n"
               "  --journal            log to the journal even when stderr is not connected to it\n");
}

int check_config(const std::string& path) {
  const auto r = hmip::ar::load_ard_config(path);
  for (const auto& line : hmip::ar::format_diagnostics(path, r)) std::fprintf(stderr, "%s\n", line.c_str());
  if (!r.ok()) return 1;
  std::printf("%s: OK, %zu interface(s)\n", path.c_str(), r.config->interfaces.size());
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  hmip::ard::Options opts;
  opts.config_path = std::string(hmip::ar::kDefaultConfigPath);
  bool foreground = false;
  bool force_journal = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&](std::string_view opt) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ard: %.*s needs a file name\n", static_cast<int>(opt.size()), opt.data());
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a == "--version" || a == "-V") {
      std::printf("ard (hmip) %s\n", HMIP_VERSION);
      return 0;
    }
    if (a == "--check-config" || a == "-C") {
      const char* f = value(a);
      return f != nullptr ? check_config(f) : 2;
    }
    if (a == "-c" || a == "--config") {
      const char* f = value(a);
      if (f == nullptr) return 2;
      opts.config_path = f;
    } else if (a == "-f" || a == "--foreground") {
      foreground = true;
    } else if (a == "-d" || a == "--debug") {
      opts.debug = true;
    } else if (a == "--journal") {
      force_journal = true;
    } else {
      std::fprintf(stderr, "ard: unknown argument %.*s\n", static_cast<int>(a.size()), a.data());
      usage(stderr);
      return 2;
    }
  }

  const auto parsed = hmip::ar::load_ard_config(opts.config_path);
  const auto diags = hmip::ar::format_diagnostics(opts.config_path, parsed);
  for (const auto& line : diags) std::fprintf(stderr, "%s\n", line.c_str());
  if (!parsed.ok()) return 1;
  // Absolute, so that SIGHUP still finds the file after daemon(3)'s chdir("/").
  std::error_code ec;
  if (auto abs = std::filesystem::absolute(opts.config_path, ec); !ec) opts.config_path = abs.lexically_normal().string();

  const bool detach = !foreground;
  hmip::io::Logger log("ard", hmip::io::Logger::detect_target(force_journal || detach),
                       opts.debug ? hmip::io::LogLevel::debug : hmip::io::to_io_level(parsed.config->log_level));
  boost::asio::io_context io;
  try {
    hmip::ard::Daemon daemon(io, opts, *parsed.config, log);
    daemon.start();
    if (detach) {
      // Detach only once everything is open, so that set-up errors reach
      // the caller's terminal and exit status.
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

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", "ard", e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: unknown error\n", "ard");
  }
  return 1;
}
