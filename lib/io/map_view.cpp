#include "hmip/io/map_view.h"

#include <string>

namespace hmip::io {

namespace {

Json opt_ms(const std::optional<core::Duration>& d) { return d ? Json(d->count()) : Json(); }

Json prefixes(const std::vector<Ip6Prefix>& v) {
  Json a = Json::array();
  for (const auto& p : v) a.push_back(p.str());
  return a;
}

// RcoaPrefix and HomePrefix entries: {prefix, interface, valid_lifetime}.
template <typename PrefixConfig>
Json linked_prefixes(const std::vector<PrefixConfig>& list) {
  Json out = Json::array();
  for (const auto& p : list) {
    Json e;
    e["prefix"] = p.prefix.str();
    e["interface"] = p.interface;
    e["valid_lifetime"] = p.valid_lifetime;
    out.push_back(std::move(e));
  }
  return out;
}

Json port_range(const std::optional<map::PortRange>& p) {
  if (!p) return Json();
  Json j;
  j["lo"] = p->lo;
  j["hi"] = p->hi;
  return j;
}

Json flow_policy_json(const map::FlowPolicyConfig& fp) {
  Json j;
  j["bid"] = fp.bid;
  j["protocol"] = fp.protocol ? Json(*fp.protocol) : Json();
  j["source_port"] = port_range(fp.source_port);
  j["destination_port"] = port_range(fp.destination_port);
  j["dscp"] = fp.dscp ? Json(*fp.dscp) : Json();
  j["from"] = fp.from ? Json(fp.from->str()) : Json();
  j["to"] = fp.to ? Json(fp.to->str()) : Json();
  return j;
}

}  // namespace

Json map_flow_policies_json(const map::MapState& s) {
  Json a = Json::array();
  for (const auto& v : s.flow_policies) {
    Json j = flow_policy_json(v.policy);
    j["bindings"] = v.bindings;
    a.push_back(std::move(j));
  }
  return a;
}

Json map_bindings_json(const map::MapState& s) {
  Json a = Json::array();
  for (const auto& b : s.bindings) {
    Json j;
    j["rcoa"] = b.key.rcoa.str();  // the home address for role "home"
    j["role"] = std::string(map::to_string(b.role));
    j["bid"] = b.key.bid;
    j["lcoa"] = b.lcoa.str();
    j["sequence"] = b.sequence;
    j["lifetime_s"] = static_cast<unsigned>(b.lifetime_units) * 4U;
    j["remaining_ms"] = b.remaining.count();
    j["registered_ms_ago"] = b.since_registered.count();
    j["age_ms"] = b.age.count();
    j["next_brr_ms"] = opt_ms(b.next_brr_in);
    j["brr_sent"] = b.brr_sent;
    j["proxy_interface"] = b.proxy_interface;
    j["neighbour_domain"] = b.from_neighbour;
    j["home_flag"] = b.home_flag;
    j["install_pending"] = b.install_pending;
    j["adopted"] = b.adopted;
    j["rank"] = b.rank;
    j["active"] = b.active;
    j["bid_pri"] = b.bid_pri;
    a.push_back(std::move(j));
  }
  return a;
}

Json map_pending_json(const map::MapState& s) {
  Json a = Json::array();
  for (const auto& p : s.pending) {
    Json j;
    j["rcoa"] = p.key.rcoa.str();
    j["bid"] = p.key.bid;
    j["lcoa"] = p.lcoa.str();
    j["sequence"] = p.sequence;
    j["state"] = p.dad_running ? "dad" : "install";
    j["dad_remaining_ms"] = opt_ms(p.dad_remaining);
    a.push_back(std::move(j));
  }
  return a;
}

Json map_counters_json(const map::MapCounters& c, const Json& daemon) {
  Json j;
  j["bu_received"] = c.bu_received;
  j["bu_accepted"] = c.bu_accepted;
  j["bu_refused_total"] = c.refused_total();
  Json refused = Json::object();
  for (const auto& [status, n] : c.bu_refused) refused[std::to_string(status)] = n;
  j["bu_refused"] = refused;
  j["bu_unprotected_dropped"] = c.bu_unprotected_dropped;
  j["bu_no_ike_sa"] = c.bu_no_ike_sa;
  j["bu_ike_contested"] = c.bu_ike_contested;
  j["bu_ike_coa_moving"] = c.bu_ike_coa_moving;
  j["bu_ike_lease_only"] = c.bu_ike_lease_only;
  j["bu_no_acoa"] = c.bu_no_acoa;
  j["bu_acoa_differs"] = c.bu_acoa_differs;
  j["ike_events"] = c.ike_events;
  j["ike_resyncs"] = c.ike_resyncs;
  j["ike_missed_events"] = c.ike_missed_events;
  j["bu_malformed_option"] = c.bu_malformed_option;
  j["bu_wrong_destination"] = c.bu_wrong_destination;
  j["bu_absorbed"] = c.bu_absorbed;
  j["bu_h_with_m"] = c.bu_h_with_m;
  j["bu_bid_ignored"] = c.bu_bid_ignored;
  // Multiple CoA (RFC 5648).
  j["mcoa_bu_received"] = c.mcoa_bu_received;
  j["mcoa_bulk_bu"] = c.mcoa_bulk_bu;
  j["mcoa_bids_registered"] = c.mcoa_bids_registered;
  j["mcoa_bids_refreshed"] = c.mcoa_bids_refreshed;
  j["mcoa_bids_deregistered"] = c.mcoa_bids_deregistered;
  j["mcoa_ba_not_complete"] = c.mcoa_ba_not_complete;
  j["mcoa_regular_replaced"] = c.mcoa_regular_replaced;
  j["mcoa_adopted_replaced"] = c.mcoa_adopted_replaced;
  j["mcoa_rank_reinstalls"] = c.mcoa_rank_reinstalls;
  j["mcoa_txn_abandoned"] = c.mcoa_txn_abandoned;
  j["mcoa_bids_cancelled"] = c.mcoa_bids_cancelled;
  j["bu_no_role"] = c.bu_no_role;
  // The home agent role (a subset of the totals above).
  j["home_bu_received"] = c.home_bu_received;
  j["home_bu_accepted"] = c.home_bu_accepted;
  Json home_refused = Json::object();
  for (const auto& [status, n] : c.home_bu_refused) home_refused[std::to_string(status)] = n;
  j["home_bu_refused"] = home_refused;
  j["home_bindings_created"] = c.home_bindings_created;
  j["home_deregistrations"] = c.home_deregistrations;
  j["home_bu_from_home_link"] = c.home_bu_from_home_link;
  j["home_bu_home_link_bid"] = c.home_bu_home_link_bid;
  j["home_link_local_taken"] = c.home_link_local_taken;
  j["bu_home_not_owner"] = c.bu_home_not_owner;
  j["bindings_created"] = c.bindings_created;
  j["bindings_moved"] = c.bindings_moved;
  j["bindings_refreshed"] = c.bindings_refreshed;
  j["deregistrations"] = c.deregistrations;
  j["expired"] = c.expired;
  j["removed_by_reload"] = c.removed_by_reload;
  j["ba_sent"] = c.ba_sent;
  j["ba_refusal_rate_limited"] = c.ba_refusal_rate_limited;
  j["brr_sent"] = c.brr_sent;
  j["be_sent"] = c.be_sent;
  j["be_rate_limited"] = c.be_rate_limited;
  j["dad_started"] = c.dad_started;
  j["dad_duplicate"] = c.dad_duplicate;
  j["dad_succeeded"] = c.dad_succeeded;
  j["dad_unmatched"] = c.dad_unmatched;
  j["dataplane_failures"] = c.dataplane_failures;
  j["dataplane_unmatched"] = c.dataplane_unmatched;
  j["unexpected_mh"] = c.unexpected_mh;
  Json invalid = Json::object();
  for (std::size_t i = 0; i < c.invalid_mh.size(); ++i)
    invalid[std::string(map::to_string(static_cast<map::InvalidMhReason>(i)))] = c.invalid_mh[i];
  j["invalid_mh"] = invalid;
  j["proxies_refreshed"] = c.proxies_refreshed;
  Json caps = Json::object();  // new RCoAs refused with 130, by cap
  caps["bindings"] = c.cap_bindings;
  caps["identity"] = c.cap_identity;
  caps["pending"] = c.cap_pending;
  caps["dad"] = c.cap_dad;
  caps["care_of_addresses"] = c.cap_care_of_addresses;
  caps["dad_join_failed"] = c.dad_join_failed;
  caps["leases"] = c.cap_leases;
  j["cap_refused"] = caps;
  j["bindings_adopted"] = c.bindings_adopted;
  j["adoption_refused"] = c.adoption_refused;
  j["adopted_reinstalled"] = c.adopted_reinstalled;
  j["brr_adopted_sent"] = c.brr_adopted_sent;
  j["adopted_reregistered"] = c.adopted_reregistered;
  j["adopted_expired"] = c.adopted_expired;
  j["bu_adopted_any_sequence"] = c.bu_adopted_any_sequence;
  if (daemon.is_object())
    for (const auto& [k, v] : daemon.items()) j[k] = v;
  return j;
}

Json mapd_config_json(const map::MapdConfig& c) {
  Json j;
  j["map_address"] = c.map_address.str();
  j["rcoa_prefixes"] = linked_prefixes(c.rcoa_prefixes);
  j["lcoa_prefixes"] = prefixes(c.lcoa_prefixes);
  j["neighbour_prefixes"] = prefixes(c.neighbour_prefixes);
  j["max_binding_lifetime"] = c.max_binding_lifetime;
  j["advertised_valid_lifetime"] = c.advertised_valid_lifetime;
  j["brr_lead_ms"] = c.brr_lead.count();
  j["brr_interval_ms"] = c.brr_interval.count();
  j["dad"] = c.dad;
  j["dad_timeout_ms"] = c.dad_timeout.count();
  j["tunnel_mtu"] = c.tunnel_mtu;
  j["max_bindings"] = c.max_bindings;
  j["max_bindings_per_identity"] = c.max_bindings_per_identity;
  j["max_bindings_per_trusted_prefix"] =
      c.max_bindings_per_trusted_prefix ? Json(*c.max_bindings_per_trusted_prefix) : Json();
  j["max_pending_registrations"] = c.max_pending_registrations;
  j["max_concurrent_dad"] = c.max_concurrent_dad;
  j["multiple_coa"] = std::string(map::to_string(c.multiple_coa));
  j["bulk_registration"] = c.bulk_registration;
  j["max_care_of_addresses"] = c.max_care_of_addresses;
  j["mcoa_selection"] = std::string(map::to_string(c.mcoa_selection));
  Json fps = Json::array();
  for (const auto& fp : c.flow_policies) fps.push_back(flow_policy_json(fp));
  j["flow_policies"] = std::move(fps);
  j["insecure_testbed_signalling"] = c.insecure.enabled;
  j["trusted_prefixes"] = prefixes(c.insecure.trusted_prefixes);
  if (c.home_agent) {
    const auto& ha = *c.home_agent;
    Json h;
    h["address"] = ha.address.str();
    h["home_prefixes"] = linked_prefixes(ha.prefixes);
    h["max_binding_lifetime"] = ha.max_binding_lifetime;
    h["dad"] = ha.dad;
    h["dad_timeout_ms"] = ha.dad_timeout.count();
    h["preference"] = ha.preference;
    Json owners = Json::array();
    for (const auto& o : ha.owners) {
      Json x;
      x["home_address"] = o.address.str();
      x["identity"] = o.identity;
      owners.push_back(std::move(x));
    }
    h["home_addresses"] = std::move(owners);
    h["protect_traffic"] = ha.protect_traffic;
    j["home_agent"] = std::move(h);
  } else {
    j["home_agent"] = Json();
  }
  j["control_socket"] = c.control_socket;
  return j;
}

Json mapd_show_json(std::string_view what, const map::MapState& s, const map::MapdConfig& cfg, const Json& daemon) {
  if (what == "bindings") return map_bindings_json(s);
  if (what == "pending") return map_pending_json(s);
  if (what == "flows") return map_flow_policies_json(s);
  if (what == "counters") {
    Json j = map_counters_json(s.counters, daemon);
    Json u;  // what the caps count now (mapd.conf(5) Max*)
    u["bindings"] = s.usage.bindings;
    u["pending"] = s.usage.pending;
    u["dad_running"] = s.usage.dad_running;
    u["owners"] = s.usage.owners;
    u["max_per_owner"] = s.usage.max_owner;
    j["cap_usage"] = std::move(u);
    return j;
  }
  if (what == "config") return mapd_config_json(cfg);
  throw ControlError("unknown \"what\" \"" + std::string(what) +
                     "\": bindings, pending, flows, counters, ike or config");
}

}  // namespace hmip::io
