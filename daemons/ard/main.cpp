// ard: the HMIPv6 access router daemon (ard(8)). Runs ard::Daemon under
// io::daemon_main (command line, configuration, logger, run loop).
#include <cstdio>
#include <memory>
#include <string>

#include "ard_daemon.h"
#include "hmip/ar/config_parse.h"
#include "hmip/io/daemon_main.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace {

int check_config(const std::string& path) {
  const auto r = hmip::ar::load_ard_config(path);
  hmip::io::print_diagnostics(hmip::ar::format_diagnostics(path, r));
  if (!r.ok()) return 1;
  std::printf("%s: OK, %zu interface(s)\n", path.c_str(), r.config->interfaces.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const hmip::io::DaemonSpec spec{"ard", hmip::ar::kDefaultConfigPath, HMIP_VERSION, check_config};
  return hmip::io::daemon_main(spec, argc, argv, hmip::ar::load_ard_config,
                               [](const hmip::io::DaemonContext& ctx, const hmip::ar::ArdConfig& cfg) {
                                 return std::make_unique<hmip::ard::Daemon>(
                                     ctx.io, ctx.options(), cfg, ctx.log);
                               });
}
