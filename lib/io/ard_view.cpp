#include "hmip/io/ard_view.h"

#include <algorithm>

namespace hmip::io {

ar::LinkState to_link_state(const LinkInfo& l) {
  ar::LinkState s;
  s.ifindex = static_cast<unsigned>(l.ifindex);
  s.name = l.name;
  s.up = l.up && l.running;
  s.link_local = l.usable_link_local();
  for (const auto& a : l.addresses)
    if (a.usable() && !a.deprecated && !a.addr.is_link_local() && !a.addr.is_multicast() && !a.addr.is_loopback())
      s.globals.push_back(a.addr);
  s.lladdr = l.mac;
  s.mtu = l.mtu;
  return s;
}

LogLevel to_io_level(ar::LogLevel l) noexcept {
  switch (l) {
    case ar::LogLevel::error: return LogLevel::error;
    case ar::LogLevel::warning: return LogLevel::warning;
    case ar::LogLevel::notice: return LogLevel::notice;
    case ar::LogLevel::info: return LogLevel::info;
    case ar::LogLevel::debug: return LogLevel::debug;
  }
  return LogLevel::info;
}

ar::LogLevel to_ar_level(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::error: return ar::LogLevel::error;
    case LogLevel::warning: return ar::LogLevel::warning;
    case LogLevel::notice: return ar::LogLevel::notice;
    case LogLevel::info: return ar::LogLevel::info;
    case LogLevel::debug: return ar::LogLevel::debug;
  }
  return ar::LogLevel::info;
}

namespace {

Json opt_ms(const std::optional<core::Duration>& d) { return d ? Json(d->count()) : Json(); }

Json opt_addr(const std::optional<Ip6Addr>& a) { return a ? Json(a->str()) : Json(); }

std::string_view health_name(ar::MapHealthState h) {
  switch (h) {
    case ar::MapHealthState::up: return "up";
    case ar::MapHealthState::suspect: return "suspect";
    case ar::MapHealthState::failed: return "failed";
  }
  return "?";
}

}  // namespace

Json interfaces_json(const ar::ArdState& s, const LinkTable& links) {
  Json arr = Json::array();
  for (const auto& i : s.interfaces) {
    const LinkInfo* link = nullptr;
    if (i.ifindex) {
      auto it = links.find(static_cast<int>(*i.ifindex));
      if (it != links.end()) link = &it->second;
    }
    Json o;
    o["name"] = i.name;
    o["ifindex"] = i.ifindex ? Json(*i.ifindex) : Json();
    o["up"] = i.up;
    o["link_local"] = opt_addr(i.link_local);
    o["mac"] = link != nullptr && !link->mac.empty() ? Json(format_mac(link->mac)) : Json();
    o["mtu"] = link != nullptr ? Json(link->mtu) : Json();
    o["send_advert"] = i.send_advert;
    o["advertising"] = i.advertising;
    o["map_listen"] = i.map_listen;
    o["map_relay"] = i.map_relay;
    o["fast_ras"] = i.fast_ras_remaining;
    o["next_ra_ms"] = opt_ms(i.next_ra_in);
    o["last_ra_ms"] = opt_ms(i.since_last_ra);
    o["pending_unicast"] = i.pending_unicast;
    o["router_lifetime"] = i.next_ra ? Json(i.next_ra->router_lifetime) : Json();
    arr.push_back(std::move(o));
  }
  return arr;
}

Json prefixes_json(const ar::ArdState& s, const ar::ArdConfig& cfg) {
  Json arr = Json::array();
  for (const auto& ic : cfg.interfaces) {
    bool advertising = false;
    for (const auto& v : s.interfaces)
      if (v.name == ic.name) advertising = v.advertising;
    for (const auto& p : ic.prefixes) {
      std::string flags;
      if (p.on_link) flags += 'L';
      if (p.autonomous) flags += 'A';
      if (p.router_address) flags += 'R';
      Json o;
      o["interface"] = ic.name;
      o["prefix"] = p.prefix.str();
      o["flags"] = flags;
      o["valid"] = p.valid_lifetime;
      o["preferred"] = p.preferred_lifetime;
      o["advertised"] = advertising;
      arr.push_back(std::move(o));
    }
  }
  return arr;
}

Json maps_json(const ar::ArdState& s) {
  Json arr = Json::array();
  for (const auto& m : s.maps) {
    Json o;
    o["address"] = m.address.str();
    o["origin"] = m.origin == ar::MapOrigin::configured ? "configured" : "learned";
    o["state"] = health_name(m.health);
    o["admin"] = m.admin_override;
    o["dist"] = m.dist;
    o["pref"] = m.pref;
    o["r"] = m.r_flag;
    o["lifetime"] = m.lifetime;
    o["advertised_on"] = m.advertised_on;
    if (m.origin == ar::MapOrigin::configured) {
      o["probed"] = m.probed;
      o["probes"] = m.probes_sent;
      o["replies"] = m.probe_replies;
      o["misses"] = m.probe_misses;
      o["stale"] = m.probe_stale;
      o["rtt_ms"] = opt_ms(m.last_rtt);
      o["last_reply_ms"] = opt_ms(m.since_last_reply);
      o["failed_for_ms"] = opt_ms(m.failed_for);
      o["failures"] = m.failures;
      o["restores"] = m.restores;
      o["probe_id"] = m.probe_id;
      o["shadowed"] = m.shadowed;
    } else {
      o["learned_on"] = m.learned_on;
      o["learned_from"] = m.learned_from.str();
      o["sources"] = m.sources;
      o["remaining_ms"] = opt_ms(m.remaining);
      o["shadowed"] = m.shadowed;
    }
    arr.push_back(std::move(o));
  }
  return arr;
}

Json counters_json(const ar::ArdState& s, const Json& daemon) {
  Json o;
  o["ignored_unconfigured"] = s.ignored_unconfigured;
  o["echo_unmatched"] = s.echo_unmatched;
  o["learned_table_full"] = s.learned_table_full;
  if (daemon.is_object())
    for (const auto& [k, v] : daemon.items()) o[k] = v;
  Json ifs = Json::object();
  for (const auto& i : s.interfaces) {
    const auto& c = i.counters;
    Json x;
    x["ra_unsolicited"] = c.ra_unsolicited;
    x["ra_solicited_multicast"] = c.ra_solicited_multicast;
    x["ra_solicited_unicast"] = c.ra_solicited_unicast;
    x["ra_final"] = c.ra_final;
    x["rs_received"] = c.rs_received;
    x["rs_ignored"] = c.rs_ignored;
    x["rs_coalesced"] = c.rs_coalesced;
    x["ra_received"] = c.ra_received;
    x["ra_not_upstream"] = c.ra_not_upstream;
    x["ra_inconsistent"] = c.ra_inconsistent;
    x["map_options_received"] = c.map_options_received;
    x["options_malformed"] = c.options_malformed;
    x["invalid_total"] = c.invalid_total();
    for (std::size_t r = 0; r < ar::kInvalidReasonCount; ++r) {
      std::string key = "invalid_" + std::string(ar::to_string(static_cast<ar::InvalidReason>(r)));
      std::replace(key.begin(), key.end(), '-', '_');
      x[key] = c.invalid[r];
    }
    ifs[i.name] = std::move(x);
  }
  o["interfaces"] = std::move(ifs);
  return o;
}

Json show_json(std::string_view what, const ar::ArdState& s, const ar::ArdConfig& cfg, const LinkTable& links,
               const Json& daemon_counters) {
  if (what == "interfaces") return interfaces_json(s, links);
  if (what == "prefixes") return prefixes_json(s, cfg);
  if (what == "maps") return maps_json(s);
  if (what == "counters") return counters_json(s, daemon_counters);
  throw ControlError("cannot show \"" + std::string(what) + "\" (interfaces, prefixes, maps or counters)");
}

}  // namespace hmip::io
