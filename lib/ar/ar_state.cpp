// AccessRouter::state(): the introspection view (hmipctl, the control
// socket) of the interfaces and of the configured and learned MAPs.
#include <algorithm>

#include "hmip/ar/access_router.h"

namespace hmip::ar {

ArdState AccessRouter::state(TimePoint now) const {
  using core::Duration;
  ArdState st{.started = started_,
              .shutting_down = shutdown_,
              .interfaces = {},
              .maps = {},
              .ignored_unconfigured = ignored_unconfigured_,
              .echo_unmatched = echo_unmatched_,
              .learned_table_full = learned_table_full_};
  for (const auto& i : ifaces_) {
    InterfaceView v;
    v.name = i.cfg.name;
    const LinkState* l = link_of(i);
    if (l) {
      v.ifindex = l->ifindex;
      v.up = l->up;
      v.link_local = l->link_local;
    }
    v.send_advert = i.cfg.send_advert;
    v.advertising = i.advertising;
    v.map_listen = i.cfg.map_listen;
    v.map_relay = i.cfg.map_relay;
    v.fast_ras_remaining = i.fast_remaining;
    if (const auto next = i.next_multicast())
      v.next_ra_in = std::max(Duration(0), std::chrono::duration_cast<Duration>(*next - now));
    if (i.last_ra) v.since_last_ra = std::chrono::duration_cast<Duration>(now - *i.last_ra);
    v.pending_unicast = i.unicast.size();
    if (i.advertising && l) v.next_ra = build_ra(i, *l, false, now);
    v.counters = i.counters;
    st.interfaces.push_back(std::move(v));
  }

  for (const auto& ic : cfg_.interfaces) {
    for (const auto& mc : ic.maps) {
      if (std::any_of(st.maps.begin(), st.maps.end(), [&](const MapView& x) { return x.address == mc.address; }))
        continue;
      MapView v;
      v.address = mc.address;
      v.origin = MapOrigin::configured;
      v.dist = mc.dist;
      v.pref = mc.pref;
      v.r_flag = mc.r_flag;
      if (const Monitor* m = monitor(mc.address)) {
        v.health = m->advertised_health();
        v.admin_override = m->admin != MapAdmin::automatic;
        v.probed = m->probing;
        v.probe_id = m->prober.id();
        v.probes_sent = m->prober.probes_sent();
        v.probe_replies = m->prober.replies();
        v.probe_misses = m->prober.misses();
        v.probe_stale = m->prober.stale_replies();
        v.consecutive_replies = m->health.consecutive_answers();
        v.failures = m->health.failures();
        v.restores = m->health.restores();
        v.last_rtt = m->prober.last_rtt();
        if (m->prober.last_reply())
          v.since_last_reply = std::chrono::duration_cast<Duration>(now - *m->prober.last_reply());
        if (m->health.failed_since())
          v.failed_for = std::chrono::duration_cast<Duration>(now - *m->health.failed_since());
      }
      v.lifetime = v.health == MapHealthState::failed ? 0 : mc.valid_lifetime;
      for (const auto& i : ifaces_)
        if (i.advertising && i.configures_map(mc.address)) v.advertised_on.push_back(i.cfg.name);
      v.shadowed = learned_.count(mc.address) > 0;
      st.maps.push_back(std::move(v));
    }
  }

  for (const auto& [addr, srcs] : learned_) {
    const LearnedSource* best = best_learned(addr);
    if (!best) continue;
    MapView v;
    v.address = addr;
    v.origin = MapOrigin::learned;
    v.dist = best->opt.dist;
    v.pref = best->opt.pref;
    v.r_flag = best->opt.r_flag;
    v.health = best->opt.valid_lifetime == 0 ? MapHealthState::failed : MapHealthState::up;
    v.lifetime = best->lifetime_at(now);
    v.remaining = std::max(Duration(0), std::chrono::duration_cast<Duration>(best->expires - now));
    v.learned_on = best->iface;
    v.learned_from = best->router;
    v.sources = srcs.size();
    for (const auto& i : ifaces_) {
      const bool own = i.configures_map(addr);
      if (own) v.shadowed = true;
      if (i.advertising && !own && relays_on(addr, *best, i)) v.advertised_on.push_back(i.cfg.name);
    }
    st.maps.push_back(std::move(v));
  }
  return st;
}

}  // namespace hmip::ar
