// ard: the HMIPv6 access router daemon (ard(8)). Parses the command line,
// loads the configuration and runs ard::Daemon on one io_context.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <variant>

#include "ard_daemon.h"
#include "hmip/ar/config_parse.h"
#include "hmip/io/ard_view.h"
#include "hmip/io/daemon_cli.h"
#include "hmip/io/log.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace {

int check_config(const std::string& path) {
  const auto r = hmip::ar::load_ard_config(path);
  for (const auto& line : hmip::ar::format_diagnostics(path, r)) std::fprintf(stderr, "%s\n", line.c_str());
  if (!r.ok()) return 1;
  std::printf("%s: OK, %zu interface(s)\n", path.c_str(), r.config->interfaces.size());
  return 0;
}

int run(int argc, char** argv) {
  const hmip::io::DaemonSpec spec{"ard", hmip::ar::kDefaultConfigPath, HMIP_VERSION, check_config};
  auto parsed_cl = hmip::io::parse_command_line(spec, argc, argv);
  if (const int* status = std::get_if<int>(&parsed_cl)) return *status;
  auto& cl = std::get<hmip::io::CommandLine>(parsed_cl);

  const auto parsed = hmip::ar::load_ard_config(cl.config_path);
  for (const auto& line : hmip::ar::format_diagnostics(cl.config_path, parsed)) std::fprintf(stderr, "%s\n", line.c_str());
  if (!parsed.ok()) return 1;
  hmip::io::resolve_config_path(cl);

  hmip::io::Logger log("ard", hmip::io::Logger::detect_target(cl.force_journal || !cl.foreground),
                       cl.debug ? hmip::io::LogLevel::debug : parsed.config->log_level);
  boost::asio::io_context io;
  std::unique_ptr<hmip::ard::Daemon> daemon;
  return hmip::io::run_daemon(io, log, cl, [&] {
    daemon = std::make_unique<hmip::ard::Daemon>(io, hmip::ard::Options{cl.config_path, cl.debug}, *parsed.config, log);
    daemon->start();
  });
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ard: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "ard: unknown error\n");
  }
  return 1;
}
