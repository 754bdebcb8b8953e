// MobileNode::state(): the views hmipctl shows (hmip/mn/mn_state.h).
#include <algorithm>

#include "hmip/mn/mobile_node.h"

namespace hmip::mn {

std::string_view to_string(MapStatus s) noexcept {
  switch (s) {
    case MapStatus::usable: return "usable";
    case MapStatus::refresh_only: return "refresh-only";
    case MapStatus::failed: return "failed";
    case MapStatus::r_flag: return "r-flag";
    case MapStatus::held_down: return "held-down";
  }
  return "?";
}

std::string_view to_string(BindingRole r) noexcept {
  switch (r) {
    case BindingRole::current: return "current";
    case BindingRole::previous: return "previous";
    case BindingRole::deregistering: return "deregistering";
  }
  return "?";
}

namespace {

std::optional<core::Duration> until(TimePoint now, const std::optional<TimePoint>& t) {
  if (!t || *t == TimePoint::max()) return std::nullopt;
  return *t <= now ? core::Duration{0} : std::chrono::duration_cast<core::Duration>(*t - now);
}

std::uint32_t secs_left(TimePoint now, TimePoint end) {
  if (end == TimePoint::max()) return 0xffffffffU;
  if (end <= now) return 0;
  return static_cast<std::uint32_t>(std::chrono::duration_cast<core::seconds>(end - now).count());
}

}  // namespace

MnState MobileNode::state(TimePoint now) const {
  MnState st;
  st.stopping = stopping_;
  st.finished = finished();
  st.selection = cfg_.selection;
  st.counters = counters_;
  st.status = stopping_ ? (bul_.empty() ? "stopped" : "stopping: deregistering") : status_;
  for (const auto& i : ifaces_) {
    MnInterfaceView v;
    v.name = i.name;
    v.ifindex = i.ifindex;
    v.up = i.up;
    v.ra_seen = i.ra_seen;
    v.rs_remaining = i.rs_remaining;
    v.lcoa = lcoa_of(i, std::nullopt);
    for (const auto& [addr, m] : i.maps) {
      MapSeenView mv;
      mv.address = addr;
      mv.dist = m.opt.dist;
      mv.pref = m.opt.pref;
      mv.r_flag = m.opt.r_flag;
      mv.lifetime = m.opt.valid_lifetime == 0 ? 0 : secs_left(now, m.expires);
      mv.router = m.router;
      mv.age = std::chrono::duration_cast<core::Duration>(now - m.received);
      mv.status = m.opt.valid_lifetime == 0 ? MapStatus::failed
                  : r_flag_mismatch(m.opt.r_flag) ? MapStatus::r_flag
                  : held_.count(addr)       ? MapStatus::held_down
                  : m.opt.pref == 0         ? MapStatus::refresh_only
                                            : MapStatus::usable;
      v.maps.push_back(mv);
    }
    for (const auto& p : i.prefixes) v.prefixes.push_back(PrefixView{p.prefix.addr, p.prefix.len, p.router, secs_left(now, p.expires)});
    st.interfaces.push_back(std::move(v));
  }
  for (const auto& b : bul_) {
    BulEntryView e;
    e.map = b.key.map_address;
    e.rcoa = b.key.rcoa;
    e.lcoa = b.settings.lcoa;
    e.interface = b.iface;
    e.router = b.settings.router;
    e.role = b.role;
    e.registered = b.registered;
    e.primary = b.settings.primary;
    e.last_sequence = static_cast<std::uint16_t>(b.next_seq - 1);
    e.requested_lifetime = b.requested_s;
    e.granted_lifetime = b.granted_s;
    e.expires_in = until(now, b.expires);
    if (b.role == BindingRole::current && !b.pending) e.refresh_in = until(now, b.refresh_at);
    if (b.pending) {
      e.retransmit_in = until(now, b.pending->sent + b.pending->timeout);
      e.backoff = b.pending->timeout;
    }
    e.bu_sent = b.bu_sent;
    e.last_status = b.last_status;
    e.bid = b.key.bid;
    e.multiple_coa = b.mcoa;
    e.leaving = b.leaving;
    e.receiving = b.drop_after_ba;
    for (const auto x : b.retired)  // due once the new BIDs are registered (unless a member has it again)
      if (std::find(e.leaving.begin(), e.leaving.end(), x) == e.leaving.end() &&
          std::none_of(b.members.begin(), b.members.end(), [&](const Member& m) { return m.bid == x; }))
        e.leaving.push_back(x);
    for (const auto& m : b.members) {
      BidView v;
      v.bid = m.bid;
      v.interface = m.iface;
      v.lcoa = m.settings.lcoa;
      v.priority = m.priority;
      v.registered = m.registered;
      v.primary = m.settings.signalling;
      v.pending = b.pending && std::find(b.pending->bids.begin(), b.pending->bids.end(), m.bid) != b.pending->bids.end();
      v.last_status = m.last_status;
      v.expires_in = until(now, m.expires);
      for (std::size_t k = 0; k < cfg_.flow_policies.size(); ++k)
        if (cfg_.flow_policies[k].bid == m.bid) v.flow_policies.push_back(k);
      e.bids.push_back(std::move(v));
    }
    if (b.role == BindingRole::current) {
      st.hmipv6_active = true;
      st.chosen_map = b.key.map_address;
    }
    if (b.settings.primary)
      st.tunnel = TunnelView{b.settings.lcoa, b.key.map_address, b.key.rcoa, b.settings.tunnel_mtu, b.iface};
    st.bul.push_back(std::move(e));
  }
  for (const auto& [addr, h] : held_)
    st.held_down.push_back(HoldDownView{addr, h.reason, until(now, h.until).value_or(core::Duration{0})});
  st.secure = secure();
  for (const auto& [addr, s] : security_)
    st.ike.push_back(IkeView{addr, s.lcoa, s.rcoa, s.deadline ? until(now, *s.deadline) : std::nullopt});
  st.home = home_view(now);
  st.multiple_coa = cfg_.mcoa();
  for (const auto& f : cfg_.flow_policies) {
    FlowPolicyView v;
    v.bid = f.bid;
    v.match = f.match;
    for (std::size_t k = 0; k < cfg_.interfaces.size(); ++k)
      if (cfg_.bid_of(k) == f.bid) v.interface = cfg_.interfaces[k];
    for (const auto& b : bul_)
      if (b.role == BindingRole::current && b.mcoa)
        for (const auto& m : b.members) v.active = v.active || (m.bid == f.bid && m.registered);
    st.flow_policies.push_back(std::move(v));
  }
  if (st.home && stopping_ && home_->pending) st.status = "stopping: deregistering the home address";
  return st;
}

}  // namespace hmip::mn
