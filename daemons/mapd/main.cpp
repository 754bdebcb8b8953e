// mapd: the HMIPv6 Mobility Anchor Point daemon (mapd(8)). Runs mapd::Daemon
// with the netlink dataplane under io::daemon_main (command line,
// configuration, logger, run loop).
#include <memory>

#include "hmip/io/daemon_main.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/map/config_parse.h"
#include "mapd_daemon.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  // --check-config: the unit-tested check_config_text() of config_parse.h
  // (diagnostics, then the summary line; exit status 0 or 1).
  const hmip::io::DaemonSpec spec{"mapd", hmip::map::kDefaultConfigPath, HMIP_VERSION,
                                  hmip::io::check_config_printer(hmip::map::check_config_text)};
  return hmip::io::daemon_main(
      spec, argc, argv, hmip::map::load_mapd_config,
      [](const hmip::io::DaemonContext& ctx, const hmip::map::MapdConfig& cfg) {
        hmip::kglue::NetlinkDataplane::Options dp;
        dp.tags = hmip::kglue::Tags::mapd();
        for (const auto& p : cfg.rcoa_prefixes) dp.rcoa_prefixes.push_back(p.prefix);
        return std::make_unique<hmip::mapd::Daemon>(ctx.io, ctx.options(), cfg,
                                                    ctx.log, std::make_unique<hmip::kglue::NetlinkDataplane>(dp));
      });
}
