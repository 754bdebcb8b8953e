// mnd: the HMIPv6 mobile node daemon (mnd(8)). Runs mnd::Daemon with the
// netlink dataplane under io::daemon_main (command line, configuration,
// logger, run loop).
#include <memory>

#include "hmip/io/daemon_main.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/mn/config_parse.h"
#include "mnd_daemon.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  // --check-config: the unit-tested check_config_text() of config_parse.h
  // (diagnostics, then the summary line; exit status 0 or 1).
  const hmip::io::DaemonSpec spec{"mnd", hmip::mn::kDefaultConfigPath, HMIP_VERSION,
                                  hmip::io::check_config_printer(hmip::mn::check_config_text)};
  return hmip::io::daemon_main(
      spec, argc, argv, hmip::mn::load_mnd_config,
      [](const hmip::io::DaemonContext& ctx, const hmip::mn::MndConfig& cfg) {
        hmip::kglue::NetlinkDataplane::Options dp;
        dp.tags = hmip::kglue::Tags::mnd();
        return std::make_unique<hmip::mnd::Daemon>(ctx.io, ctx.options(), cfg,
                                                   ctx.log, std::make_unique<hmip::kglue::NetlinkDataplane>(dp));
      });
}
