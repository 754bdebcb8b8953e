// Carries out MapAgent's actions on a kglue::Dataplane as mapd_daemon.cpp
// does (InstallBinding answered synchronously with handle_dataplane_result;
// BAs counted, not sent), for the benchmarks: bench_map_core drives the
// recording dataplane, bench_map_kernel the netlink one.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "hmip/kglue/dataplane.h"
#include "hmip/map/map_agent.h"

namespace hmip::bench {

struct MapDriver {
  MapDriver(kglue::Dataplane& d, int proxy) : dp(d), proxy_ifindex(proxy) {}
  kglue::Dataplane& dp;
  int proxy_ifindex = 0;  ///< the ifindex every proxy interface maps to (0: none)
  std::uint64_t installs = 0, removes = 0, bas = 0, other = 0, failures = 0;
  std::string first_error;

  void run(map::MapAgent& agent, core::TimePoint now) {
    while (auto a = agent.poll_action()) {
      if (const auto* ib = std::get_if<map::InstallBinding>(&*a)) {
        kglue::MapBindingSettings s;
        s.map_address = ib->map_address;
        s.lcoa = ib->lcoa;
        s.proxy_ifindex = ib->proxy_interface.empty() ? 0 : proxy_ifindex;
        s.tunnel_mtu = ib->tunnel_mtu;
        const map::BindingKey key = ib->key;
        auto r = dp.install_map_binding({key.rcoa, key.bid}, s);
        ++installs;
        if (!r) note_failure(error_text(r.error()));
        agent.handle_dataplane_result(now, key, r.ok(), r ? std::string() : error_text(r.error()));
      } else if (const auto* rb = std::get_if<map::RemoveBinding>(&*a)) {
        if (auto s = dp.remove_map_binding({rb->key.rcoa, rb->key.bid}); !s) note_failure(error_text(s.error()));
        ++removes;
      } else if (std::holds_alternative<map::SendBa>(*a)) {
        ++bas;
      } else {
        ++other;
      }
    }
  }

 private:
  std::string error_text(const wire::Error& e) const {
    auto t = dp.last_error_text();
    return t.empty() ? wire::to_string(e) : t;
  }
  void note_failure(const std::string& e) {
    if (failures++ == 0) first_error = e;
  }
};

}  // namespace hmip::bench
