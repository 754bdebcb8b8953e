#include "hmip/io/mn_view.h"

#include <string>

namespace hmip::io {

namespace {

Json opt_ms(const std::optional<core::Duration>& d) { return d ? Json(d->count()) : Json(); }
Json opt_addr(const std::optional<Ip6Addr>& a) { return a ? Json(a->str()) : Json(); }

}  // namespace

mn::LinkState to_mn_link_state(const LinkInfo& l) {
  mn::LinkState s;
  s.ifindex = static_cast<unsigned>(l.ifindex);
  s.name = l.name;
  s.up = l.up && l.running;
  s.mtu = l.mtu;
  for (const auto& a : l.addresses)
    s.addresses.push_back({a.addr, a.prefix_len, a.tentative, a.optimistic, a.dadfailed, a.deprecated});
  return s;
}

Json mn_status_json(const mn::MnState& s) {
  Json j;
  j["status"] = s.status;
  j["hmipv6_active"] = s.hmipv6_active;
  j["chosen_map"] = opt_addr(s.chosen_map);
  j["selection"] = s.selection == mn::MapSelection::furthest ? "furthest" : "preference";
  j["stopping"] = s.stopping;
  j["multiple_coa"] = s.multiple_coa;
  j["flow_policies"] = mn_flows_json(s);
  return j;
}

// Multiple CoA (issue 15): the FlowPolicy blocks, each with its interface
// and whether its BID is registered now (then its flows use that tunnel).
Json mn_flows_json(const mn::MnState& s) {
  Json a = Json::array();
  for (const auto& f : s.flow_policies) {
    Json j;
    j["bid"] = f.bid;
    j["interface"] = f.interface;
    j["active"] = f.active;
    j["protocol"] = f.match.ip_proto == 0 ? Json() : Json(f.match.ip_proto);
    j["source_port"] = f.match.sport_lo == 0 ? Json() : Json(Json::array({f.match.sport_lo, f.match.sport_hi}));
    j["destination_port"] = f.match.dport_lo == 0 ? Json() : Json(Json::array({f.match.dport_lo, f.match.dport_hi}));
    j["dscp"] = f.match.dscp ? Json(*f.match.dscp) : Json();
    j["from"] = f.match.from ? Json(f.match.from->str()) : Json();
    j["to"] = f.match.to ? Json(f.match.to->str()) : Json();
    a.push_back(std::move(j));
  }
  return a;
}

Json mn_maps_json(const mn::MnState& s) {
  Json a = Json::array();
  for (const auto& i : s.interfaces)
    for (const auto& m : i.maps) {
      Json j;
      j["interface"] = i.name;
      j["address"] = m.address.str();
      j["dist"] = m.dist;
      j["pref"] = m.pref;
      j["r"] = m.r_flag;
      j["lifetime"] = m.lifetime;
      j["router"] = m.router.str();
      j["age_ms"] = m.age.count();
      j["status"] = std::string(mn::to_string(m.status));
      a.push_back(std::move(j));
    }
  return a;
}

Json mn_interfaces_json(const mn::MnState& s) {
  Json a = Json::array();
  for (const auto& i : s.interfaces) {
    Json j;
    j["name"] = i.name;
    j["ifindex"] = i.ifindex ? Json(*i.ifindex) : Json();
    j["up"] = i.up;
    j["ra_seen"] = i.ra_seen;
    j["rs_remaining"] = i.rs_remaining;
    j["lcoa"] = opt_addr(i.lcoa);
    Json p = Json::array();
    for (const auto& x : i.prefixes) p.push_back(x.prefix.str() + "/" + std::to_string(x.length));
    j["prefixes"] = p;
    a.push_back(std::move(j));
  }
  return a;
}

Json mn_bul_json(const mn::MnState& s) {
  Json a = Json::array();
  for (const auto& b : s.bul) {
    Json j;
    j["map"] = b.map.str();
    j["rcoa"] = b.rcoa.str();
    j["lcoa"] = b.lcoa.str();
    j["interface"] = b.interface;
    j["router"] = b.router.str();
    j["role"] = std::string(mn::to_string(b.role));
    j["registered"] = b.registered;
    j["primary"] = b.primary;
    j["sequence"] = b.last_sequence;
    j["requested_lifetime"] = b.requested_lifetime;
    j["granted_lifetime"] = b.granted_lifetime;
    j["expires_ms"] = opt_ms(b.expires_in);
    j["refresh_ms"] = opt_ms(b.refresh_in);
    j["retransmit_ms"] = opt_ms(b.retransmit_in);
    j["backoff_ms"] = opt_ms(b.backoff);
    j["bu_sent"] = b.bu_sent;
    j["last_status"] = b.last_status ? Json(*b.last_status) : Json();
    j["bid"] = b.bid;
    j["multiple_coa"] = b.multiple_coa;
    Json bids = Json::array();
    for (const auto& v : b.bids) {
      Json e;
      e["bid"] = v.bid;
      e["interface"] = v.interface;
      e["lcoa"] = v.lcoa.str();
      e["priority"] = v.priority;
      e["registered"] = v.registered;
      e["primary"] = v.primary;
      e["pending"] = v.pending;
      e["status"] = v.last_status ? Json(*v.last_status) : Json();
      e["expires_ms"] = opt_ms(v.expires_in);
      Json fp = Json::array();
      for (auto k : v.flow_policies) fp.push_back(k);
      e["flow_policies"] = std::move(fp);
      bids.push_back(std::move(e));
    }
    j["bids"] = std::move(bids);
    Json leaving = Json::array();
    for (auto x : b.leaving) leaving.push_back(x);
    j["leaving"] = std::move(leaving);
    Json receiving = Json::array();
    for (auto x : b.receiving) receiving.push_back(x);
    j["receiving"] = std::move(receiving);
    a.push_back(std::move(j));
  }
  return a;
}

Json mn_tunnel_json(const mn::MnState& s) {
  if (!s.tunnel) return Json();
  Json j;
  j["interface"] = s.tunnel->interface;
  j["local"] = s.tunnel->local.str();
  j["remote"] = s.tunnel->remote.str();
  j["rcoa"] = s.tunnel->rcoa.str();
  j["mtu"] = s.tunnel->mtu;
  return j;
}

Json mn_held_json(const mn::MnState& s) {
  Json a = Json::array();
  for (const auto& h : s.held_down) {
    Json j;
    j["map"] = h.map.str();
    j["reason"] = h.reason;
    j["remaining_ms"] = h.remaining.count();
    a.push_back(std::move(j));
  }
  return a;
}

Json mn_ike_json(const mn::MnState& s) {
  Json j;
  j["secure"] = s.secure;
  Json a = Json::array();
  for (const auto& v : s.ike) {
    Json e;
    e["map"] = v.map.str();
    e["lcoa"] = v.lcoa.str();
    e["state"] = v.rcoa ? "protected" : "establishing";
    if (v.rcoa) e["rcoa"] = v.rcoa->str();
    if (v.timeout_in) e["timeout_ms"] = v.timeout_in->count();
    a.push_back(std::move(e));
  }
  j["maps"] = std::move(a);
  return j;
}

Json mn_home_json(const mn::MnState& s) {
  if (!s.home) return Json();
  const auto& h = *s.home;
  Json j;
  j["home_address"] = h.home_address.str() + "/" + std::to_string(h.prefix_len);
  j["home_agent"] = opt_addr(h.home_agent);
  j["discover"] = h.discover;
  j["hmipv6"] = h.hmipv6;
  j["status"] = std::string(mn::to_string(h.status));
  j["mode"] = h.at_home ? "at-home" : h.plain_mode ? "plain" : h.via_map ? "hmipv6" : "none";
  j["coa"] = opt_addr(h.coa);
  j["via_map"] = opt_addr(h.via_map);
  j["tunnel_mtu"] = h.tunnel_mtu;
  j["sequence"] = h.last_sequence;
  j["requested_lifetime"] = h.requested_lifetime;
  j["granted_lifetime"] = h.granted_lifetime;
  j["expires_ms"] = opt_ms(h.expires_in);
  j["refresh_ms"] = opt_ms(h.refresh_in);
  j["retransmit_ms"] = opt_ms(h.retransmit_in);
  j["held_down_ms"] = opt_ms(h.held_down_for);
  j["held_down_reason"] = h.held_down_reason;
  j["bu_sent"] = h.bu_sent;
  j["last_status"] = h.last_status ? Json(*h.last_status) : Json();
  // Secure mode (RFC 4877): none, setting-up from ike_coa, up from ike_coa
  // (re-established from ike_moving_to after a move).
  j["protection"] = std::string(mn::to_string(h.protection));
  j["ike_coa"] = opt_addr(h.ike_coa);
  j["ike_moving_to"] = opt_addr(h.ike_moving_to);
  j["ike_timeout_ms"] = opt_ms(h.ike_timeout_in);
  return j;
}

Json mn_counters_json(const mn::MnCounters& c, const Json& daemon) {
  Json j;
  j["rs_sent"] = c.rs_sent;
  j["ra_received"] = c.ra_received;
  j["ra_ignored"] = c.ra_ignored;
  j["map_options_received"] = c.map_options_received;
  j["map_r_flag_skipped"] = c.map_r_flag_skipped;
  j["map_failures_untrusted"] = c.map_failures_untrusted;
  j["ra_routers_refused"] = c.ra_routers_refused;
  j["prefixes_refused"] = c.prefixes_refused;
  j["maps_refused"] = c.maps_refused;
  j["map_failures"] = c.map_failures;
  j["link_changes"] = c.link_changes;
  j["known_link_returns"] = c.known_link_returns;
  j["bu_sent"] = c.bu_sent;
  j["bu_retransmitted"] = c.bu_retransmitted;
  j["ba_received"] = c.ba_received;
  j["ba_accepted"] = c.ba_accepted;
  j["ba_refused"] = c.ba_refused;
  j["ba_no_rh2"] = c.ba_no_rh2;
  j["ba_wrong_rh2"] = c.ba_wrong_rh2;
  j["ba_wrong_source"] = c.ba_wrong_source;
  j["ba_unexpected"] = c.ba_unexpected;
  j["ba_wrong_sequence"] = c.ba_wrong_sequence;
  j["sequence_resyncs"] = c.sequence_resyncs;
  j["dad_retries"] = c.dad_retries;
  j["brr_received"] = c.brr_received;
  j["brr_answered"] = c.brr_answered;
  j["brr_ignored"] = c.brr_ignored;
  j["be_received"] = c.be_received;
  j["mh_ignored"] = c.mh_ignored;
  j["intra_map_moves"] = c.intra_map_moves;
  j["inter_map_moves"] = c.inter_map_moves;
  j["bindings_expired"] = c.bindings_expired;
  j["no_map_events"] = c.no_map_events;
  j["ike_requested"] = c.ike_requested;
  j["ike_established"] = c.ike_established;
  j["ike_failed"] = c.ike_failed;
  j["ike_lost"] = c.ike_lost;
  j["ike_reestablished"] = c.ike_reestablished;
  j["home_bu_sent"] = c.home_bu_sent;
  j["home_bu_retransmitted"] = c.home_bu_retransmitted;
  j["home_ba_accepted"] = c.home_ba_accepted;
  j["home_ba_refused"] = c.home_ba_refused;
  j["home_ba_ignored"] = c.home_ba_ignored;
  j["home_sequence_resyncs"] = c.home_sequence_resyncs;
  j["home_dad_failures"] = c.home_dad_failures;
  j["home_be_received"] = c.home_be_received;
  j["home_be_ignored"] = c.home_be_ignored;
  j["home_brr_answered"] = c.home_brr_answered;
  j["home_coa_changes"] = c.home_coa_changes;
  j["home_deregistrations"] = c.home_deregistrations;
  j["home_expired"] = c.home_expired;
  j["returns_home"] = c.returns_home;
  j["dhaad_requests_sent"] = c.dhaad_requests_sent;
  j["dhaad_replies_accepted"] = c.dhaad_replies_accepted;
  j["dhaad_replies_ignored"] = c.dhaad_replies_ignored;
  j["home_ike_requested"] = c.home_ike_requested;
  j["home_ike_established"] = c.home_ike_established;
  j["home_ike_reestablished"] = c.home_ike_reestablished;
  j["home_ike_failed"] = c.home_ike_failed;
  j["home_ike_lost"] = c.home_ike_lost;
  j["mcoa_bu_sent"] = c.mcoa_bu_sent;
  j["mcoa_bulk_bu_sent"] = c.mcoa_bulk_bu_sent;
  j["mcoa_bids_registered"] = c.mcoa_bids_registered;
  j["mcoa_bids_refused"] = c.mcoa_bids_refused;
  j["mcoa_bids_deregistered"] = c.mcoa_bids_deregistered;
  j["mcoa_bid_unexpected"] = c.mcoa_bid_unexpected;
  j["mcoa_ba_malformed"] = c.mcoa_ba_malformed;
  j["mcoa_interface_losses"] = c.mcoa_interface_losses;
  j["mcoa_interfaces_joined"] = c.mcoa_interfaces_joined;
  j["mcoa_primary_changes"] = c.mcoa_primary_changes;
  j["mcoa_fallbacks"] = c.mcoa_fallbacks;
  j["mcoa_clearings"] = c.mcoa_clearings;
  if (daemon.is_object())
    for (const auto& [k, v] : daemon.items()) j[k] = v;
  return j;
}

Json mnd_show_json(std::string_view what, const mn::MnState& s, const Json& daemon) {
  if (what == "status") return mn_status_json(s);
  if (what == "maps") return mn_maps_json(s);
  if (what == "interfaces") return mn_interfaces_json(s);
  if (what == "bul" || what == "bindings") return mn_bul_json(s);
  if (what == "tunnel") return mn_tunnel_json(s);
  if (what == "held") return mn_held_json(s);
  if (what == "counters") return mn_counters_json(s.counters, daemon);
  if (what == "ike") return mn_ike_json(s);
  if (what == "home") return mn_home_json(s);
  if (what == "flows") return mn_flows_json(s);
  throw ControlError("unknown \"what\" \"" + std::string(what) +
                     "\": status, maps, interfaces, bul, tunnel, held, ike, home, flows or counters");
}

}  // namespace hmip::io
