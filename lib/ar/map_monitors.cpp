// The configured MAPs' health (RFC 5380 §10, 4140bis §10): one Monitor per
// configured MAP address, probing it with ICMPv6 Echo Requests, failing
// and restoring it, and its manual override (handle_map_admin).
#include <algorithm>

#include "durations.h"
#include "hmip/ar/access_router.h"

namespace hmip::ar {

MapHealthState AccessRouter::Monitor::advertised_health() const {
  switch (admin) {
    case MapAdmin::force_failed: return MapHealthState::failed;
    case MapAdmin::force_up: return MapHealthState::up;
    case MapAdmin::automatic: break;
  }
  return health.state();
}

AccessRouter::Monitor* AccessRouter::monitor(const Ip6Addr& a) {
  for (auto& m : monitors_)
    if (m.address == a) return &m;
  return nullptr;
}

const AccessRouter::Monitor* AccessRouter::monitor(const Ip6Addr& a) const {
  for (const auto& m : monitors_)
    if (m.address == a) return &m;
  return nullptr;
}

// One monitor per configured MAP address, whatever the number of interfaces
// advertising it; the first configuration (in file order) sets its probe.
void AccessRouter::rebuild_monitors(TimePoint now) {
  std::vector<Monitor> old = std::move(monitors_);
  monitors_.clear();
  for (const auto& ic : cfg_.interfaces) {
    for (const auto& mc : ic.maps) {
      if (Monitor* m = monitor(mc.address)) {
        if (m->health.config() != mc.probe)
          log(LogLevel::warning, "MAP " + mc.address.str() + " configured on several interfaces with different probe "
                                     "settings; using the first (line " + std::to_string(mc.line) + " ignored)");
        continue;
      }
      auto it = std::find_if(old.begin(), old.end(), [&](const Monitor& o) { return o.address == mc.address; });
      if (it != old.end()) {
        Monitor m = std::move(*it);
        old.erase(it);
        m.health.reconfigure(mc.probe);
        if (m.probing && !mc.probe.enabled) {
          m.prober.reset();
          m.health.force(MapHealthState::up, now);
        }
        m.probing = mc.probe.enabled;
        monitors_.push_back(std::move(m));
        continue;
      }
      std::uint16_t id = rng_.u16();
      auto taken = [&](std::uint16_t v) {
        return std::any_of(monitors_.begin(), monitors_.end(), [&](const Monitor& o) { return o.prober.id() == v; }) ||
               std::any_of(old.begin(), old.end(), [&](const Monitor& o) { return o.prober.id() == v; });
      };
      while (taken(id)) id = rng_.u16();
      monitors_.push_back(Monitor{mc.address, MapHealth(mc.probe), EchoProber(id, rng_.u16()), MapAdmin::automatic,
                                  mc.probe.enabled});
    }
  }
}

void AccessRouter::service_maps(TimePoint now) {
  for (auto& m : monitors_) {
    if (!m.probing) continue;
    const auto report = [&](MapHealthChange c) {
      if (c == MapHealthChange::failed)
        log(LogLevel::warning, "MAP " + m.address.str() + " failed: no probe reply for " +
                                   detail::ms_str(m.health.config().fail_after) + " since the first miss (at least " +
                                   std::to_string(m.health.config().fail_misses) +
                                   " probes in a row unanswered); advertising it with lifetime 0");
    };
    for (unsigned n = m.prober.expire(now); n > 0; --n) {
      const bool was_up = m.health.state() == MapHealthState::up;
      report(m.health.missed(now));
      if (was_up && m.health.state() != MapHealthState::up)
        log(LogLevel::info, "MAP " + m.address.str() + " missed a probe; retrying every " +
                                detail::ms_str(m.health.config().retry_interval));
    }
    report(m.health.timeout(now));
    if (m.prober.due(m.health.probe_period(), now) <= now) {
      const std::uint16_t seq = m.prober.sent(now, m.health.config().reply_timeout);
      actions_.emplace_back(SendEcho{m.address, m.prober.id(), seq});
    }
  }
}

void AccessRouter::handle_echo_reply(const Ip6Addr& from, std::uint16_t id, std::uint16_t seq, TimePoint now) {
  if (shutdown_) return;
  service(now);
  Monitor* m = monitor(from);
  if (!m || !m->probing || m->prober.id() != id) {
    ++echo_unmatched_;
    return;
  }
  if (m->prober.reply(seq, now)) {
    const bool was_failed = m->health.failed();
    const unsigned run = m->health.consecutive_answers() + 1;
    const auto change = m->health.answered(now);
    if (change == MapHealthChange::restored)
      log(LogLevel::notice, "MAP " + from.str() + " restored after " + std::to_string(run) +
                                " consecutive replies (ProbeRestoreHoldDown " +
                                detail::ms_str(m->health.config().restore_hold_down) + " over)");
    else if (was_failed)
      log(LogLevel::info, "MAP " + from.str() + " answered while failed (" +
                              std::to_string(m->health.consecutive_answers()) + "/" +
                              std::to_string(m->health.config().restore_after) + ", held down " +
                              detail::ms_str(m->health.config().restore_hold_down) + " after the failure)");
  }
  service(now);
}

bool AccessRouter::handle_map_admin(const Ip6Addr& map, MapAdmin admin, TimePoint now) {
  if (shutdown_) return false;
  Monitor* m = monitor(map);
  if (!m) return false;
  service(now);
  if (m->admin != admin) {
    m->admin = admin;
    log(LogLevel::notice, "MAP " + map.str() + ": administrative state " +
                              (admin == MapAdmin::automatic      ? "automatic"
                               : admin == MapAdmin::force_failed ? "failed"
                                                                 : "up"));
  }
  service(now);
  return true;
}

}  // namespace hmip::ar
