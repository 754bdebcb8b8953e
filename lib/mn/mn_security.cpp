// MobileNode: secure mode (RFC 5380 §12, RFC 4877). Every binding with a
// MAP is protected by a CHILD_SA that charon sets up on the MN's behalf
// (SecureMap): the MAP allocates the RCoA (R = 1, IKEv2 configuration
// payload, RFC 5380 §6.1) and protects MH between it and the MAP. The core
// only sequences it: no binding, no BU before the protection is up; a
// protection that fails holds the MAP down (kIkeFailureHoldDown), one that
// is lost takes its bindings with it; a move re-establishes the IKE SA from
// the new LCoA (the ESP SAs, RCoA <-> MAP, do not depend on it).
#include <algorithm>
#include <chrono>
#include <string>

#include "hmip/mn/mobile_node.h"

namespace hmip::mn {

std::optional<Ip6Addr> MobileNode::secured_rcoa(const Ip6Addr& map, const Access& a, TimePoint now) {
  release_establishing(map);
  auto it = security_.find(map);
  if (it != security_.end()) return it->second.rcoa;  // nullopt: still being set up
  Security s;
  s.lcoa = a.settings.lcoa;
  s.deadline = now + cfg_.ike.ike_timeout;
  security_.emplace(map, s);
  ++counters_.ike_requested;
  log(LogLevel::info, "protecting signalling with MAP " + map.str() + " from LCoA " + s.lcoa.str() +
                          " (IKEv2, RCoA from the MAP's pool)");
  actions_.emplace_back(SecureMap{map, s.lcoa, std::nullopt});
  return std::nullopt;
}

void MobileNode::reestablish(const Ip6Addr& map, const Ip6Addr& lcoa) {
  if (!secure()) return;
  auto it = security_.find(map);
  if (it == security_.end() || !it->second.rcoa || it->second.lcoa == lcoa) return;
  it->second.lcoa = lcoa;
  ++counters_.ike_reestablished;
  actions_.emplace_back(SecureMap{map, lcoa, it->second.rcoa});
}

void MobileNode::release_unused(const Ip6Addr& map) {
  auto it = security_.find(map);
  if (it == security_.end() || !it->second.rcoa) return;
  if (std::any_of(bul_.begin(), bul_.end(), [&](const Binding& b) { return b.key.map_address == map; })) return;
  security_.erase(it);
  actions_.emplace_back(ReleaseMap{map});
}

void MobileNode::release_establishing(const std::optional<Ip6Addr>& keep) {
  for (auto it = security_.begin(); it != security_.end();) {
    if (it->second.rcoa || (keep && it->first == *keep)) {
      ++it;
      continue;
    }
    actions_.emplace_back(ReleaseMap{it->first});
    it = security_.erase(it);
  }
}

void MobileNode::service_security(TimePoint now) {
  for (auto it = security_.begin(); it != security_.end();) {
    if (!it->second.deadline || *it->second.deadline > now) {
      ++it;
      continue;
    }
    const Ip6Addr map = it->first;
    it = security_.erase(it);
    ++counters_.ike_failed;
    actions_.emplace_back(ReleaseMap{map});
    const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(cfg_.ike.ike_timeout).count();
    hold_down(map, "no IKEv2 protection within IkeTimeout (" + std::to_string(s).substr(0, 4) + " s)", now,
              kIkeFailureHoldDown);
  }
}

void MobileNode::handle_security_up(TimePoint now, const Ip6Addr& map, const Ip6Addr& rcoa) {
  service(now);
  auto it = security_.find(map);
  if (it == security_.end() || stopping_) {
    actions_.emplace_back(ReleaseMap{map});
    return;
  }
  if (it->second.rcoa) {
    if (*it->second.rcoa != rcoa)
      log(LogLevel::warning, "MAP " + map.str() + " protects RCoA " + rcoa.str() + ", not " + it->second.rcoa->str() +
                                 " as before: ignored");
    return;  // a re-establishment completed
  }
  it->second.rcoa = rcoa;
  it->second.deadline.reset();
  ++counters_.ike_established;
  log(LogLevel::notice, "signalling with MAP " + map.str() + " protected by IKEv2/ESP: RCoA " + rcoa.str() +
                            " allocated by the MAP");
  reconcile(now);
}

void MobileNode::handle_security_down(TimePoint now, const Ip6Addr& map, bool lost, const std::string& why) {
  service(now);
  auto it = security_.find(map);
  if (it == security_.end()) return;
  const bool was_up = it->second.rcoa.has_value();
  security_.erase(it);
  for (std::size_t k = bul_.size(); k-- > 0;)
    if (bul_[k].key.map_address == map) remove_binding(k);
  actions_.emplace_back(ReleaseMap{map});
  if (lost && was_up) {
    ++counters_.ike_lost;
    log(LogLevel::warning, "the IKEv2 protection with MAP " + map.str() + " went away (" + why +
                               "): its bindings are removed, protecting again");
  } else {
    ++counters_.ike_failed;
    hold_down(map, "IKEv2 failed: " + why, now, kIkeFailureHoldDown);
  }
  if (!stopping_) reconcile(now);
}

}  // namespace hmip::mn
