// mnd: the HMIPv6 mobile node daemon (mnd(8)). Parses the command
// line, loads the configuration and runs mnd::Daemon on one io_context with
// the netlink dataplane.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <variant>

#include "hmip/io/daemon_cli.h"
#include "hmip/io/log.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/mn/config_parse.h"
#include "mnd_daemon.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace {

// --check-config: the unit-tested check_config_text() of config_parse.h
// (diagnostics, then the summary line; exit status 0 or 1).
int check_config(const std::string& path) {
  int status = 1;
  const auto lines = hmip::mn::check_config_text(path, status);
  return hmip::io::print_check_config(lines, status);
}

int run(int argc, char** argv) {
  const hmip::io::DaemonSpec spec{"mnd", hmip::mn::kDefaultConfigPath, HMIP_VERSION, check_config};
  auto parsed_cl = hmip::io::parse_command_line(spec, argc, argv);
  if (const int* status = std::get_if<int>(&parsed_cl)) return *status;
  auto& cl = std::get<hmip::io::CommandLine>(parsed_cl);

  const auto parsed = hmip::mn::load_mnd_config(cl.config_path);
  for (const auto& line : hmip::mn::format_diagnostics(cl.config_path, parsed))
    std::fprintf(stderr, "%s\n", line.c_str());
  if (!parsed.ok()) return 1;
  hmip::io::resolve_config_path(cl);

  hmip::io::Logger log("mnd", hmip::io::Logger::detect_target(cl.force_journal || !cl.foreground),
                       cl.debug ? hmip::io::LogLevel::debug : parsed.config->log_level);
  boost::asio::io_context io;
  std::unique_ptr<hmip::mnd::Daemon> daemon;
  return hmip::io::run_daemon(io, log, cl, [&] {
    hmip::kglue::NetlinkDataplane::Options dp;
    dp.tags = hmip::kglue::Tags::mnd();
    daemon = std::make_unique<hmip::mnd::Daemon>(io, hmip::mnd::Options{cl.config_path, cl.debug}, *parsed.config,
                                                  log, std::make_unique<hmip::kglue::NetlinkDataplane>(dp));
    daemon->start();
  });
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnd: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "mnd: unknown error\n");
  }
  return 1;
}
