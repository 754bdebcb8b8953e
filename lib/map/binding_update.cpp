// MapAgent: Binding Update processing (RFC 6275 §9.5.1, §10.3.1, §10.3.2 as
// RFC 5380 §6.2 applies them to a MAP). The order of the checks and every
// choice the RFCs leave open are listed in hmip/map/map_agent.h.
#include <algorithm>
#include <chrono>
#include <string>
#include <variant>

#include "hmip/map/binding_rules.h"
#include "hmip/map/map_agent.h"
#include "hmip/wire/options.h"
#include "roles.h"

namespace hmip::map {

namespace {

bool any_contains(const std::vector<Ip6Prefix>& prefixes, const Ip6Addr& a) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const Ip6Prefix& p) { return p.contains(a); });
}

}  // namespace

void MapAgent::handle_mh(TimePoint now, const ReceivedMh& mh) {
  service(now);
  if (const auto* bu = std::get_if<wire::BindingUpdate>(&mh.msg)) {
    handle_bu(now, mh, *bu);
    return;
  }
  ++counters_.unexpected_mh;
  log(LogLevel::debug, "ignored MH type " + std::to_string(wire::mh_type_of(mh.msg)) + " from " + mh.src.str() +
                           ": a MAP only processes Binding Updates");
}

// RFC 6275 §9.5.1: a BU that fails the IPsec check is silently discarded.
// Secure mode (the default): the kernel has already dropped a cleartext MH
// from an RCoA prefix or a HomePrefix (mapd's prefix-wide policies) and a
// BU for an address some CHILD_SA protects unless that SA carried it
// (charon's IN policy); mapd accepts a BU only if an installed CHILD_SA of
// the one identity holding the address protects it (the holder table,
// map_agent.h), and a home registration only if that identity owns the
// home address (HomeAddress, RFC 4877 §4.3). Insecure testbed mode: a
// care-of address (the packet's and the one bound) inside TrustedPrefix.
bool MapAgent::bu_protected(TimePoint now, const ReceivedMh& mh, const Ip6Addr& coa, bool home) {
  const Ip6Addr packet_coa = mh.lcoa.value_or(mh.src);
  if (!cfg_.insecure.enabled) {
    const std::string word(roles::address_word(home ? BindingRole::home : BindingRole::map));
    const auto v = ike_.check(mh.src, coa);
    switch (v) {
      case ike::RcoaHolders::Verdict::held:
      case ike::RcoaHolders::Verdict::coa_moving:
        if (home && !held_by_owner(mh.src)) {
          ++counters_.bu_home_not_owner;
          const auto holder = ike_.holder(mh.src);
          log_limited(log_owner_, now, LogLevel::warning,
                      "dropped home registration from " + packet_coa.str() + " for home address " + mh.src.str() +
                          ": its CHILD_SA is held by " + holder.value_or("?") + ", " + owner_text(mh.src) +
                          " (RFC 4877 §4.3)");
          return false;
        }
        if (v == ike::RcoaHolders::Verdict::held) return true;
        ++counters_.bu_ike_coa_moving;
        log(LogLevel::debug, "BU for " + word + " " + mh.src.str() + " from " + coa.str() +
                                 ": accepted, its CHILD_SA is installed; the holder's IKE SA still comes from "
                                 "another care-of address");
        return true;
      case ike::RcoaHolders::Verdict::contested: ++counters_.bu_ike_contested; break;
      case ike::RcoaHolders::Verdict::lease_only: ++counters_.bu_ike_lease_only; break;
      case ike::RcoaHolders::Verdict::no_ike_sa: ++counters_.bu_no_ike_sa; break;
    }
    log_limited(log_unprotected_, now, LogLevel::warning,
                "dropped BU from " + packet_coa.str() + " for " + word + " " + mh.src.str() + ": " +
                    std::string(ike::to_string(v)) + ", so IPsec did not protect it (" +
                    (home ? "RFC 4877 §4" : "RFC 5380 §12.1") + ", RFC 6275 §9.5.1)");
    return false;
  }
  if (!any_contains(cfg_.insecure.trusted_prefixes, packet_coa) || !any_contains(cfg_.insecure.trusted_prefixes, coa)) {
    ++counters_.bu_unprotected_dropped;
    log_limited(log_unprotected_, now, LogLevel::warning,
                "dropped unprotected BU from " + packet_coa.str() + " (CoA " + coa.str() + ") for RCoA " +
                    mh.src.str() + ": care-of address outside TrustedPrefix");
    return false;
  }
  return true;
}

// Secure mode: ESP covers the Alternate Care-of Address option, not the
// HAO (RFC 6275 §6.2.5, §11.7.1; RFC 4877 §4), so the ACoA is what a BU may
// bind. map_agent.h lists the choices.
std::optional<Ip6Addr> MapAgent::secure_coa(TimePoint now, const ReceivedMh& mh, const wire::BindingUpdate& bu,
                                            BindingRole role) {
  const auto* acoa = wire::find_option<wire::AlternateCareOfAddressOption>(bu.options);
  const Ip6Addr packet_coa = mh.lcoa.value_or(mh.src);
  const std::string word(roles::address_word(role));
  if (acoa == nullptr) {
    ++counters_.bu_no_acoa;
    log_limited(log_acoa_, now, LogLevel::warning,
                "dropped BU from " + packet_coa.str() + " for " + word + " " + mh.src.str() +
                    ": no Alternate Care-of Address option, so ESP does not cover its care-of address "
                    "(RFC 6275 §11.7.1, RFC 4877 §4)");
    return std::nullopt;
  }
  if (acoa->care_of_address != packet_coa) {
    ++counters_.bu_acoa_differs;
    log_limited(log_acoa_, now, LogLevel::notice,
                "BU for " + word + " " + mh.src.str() + " from " + packet_coa.str() + " names the care-of address " +
                    acoa->care_of_address.str() + ": the Alternate Care-of Address is bound (RFC 6275 §10.3.1)");
  }
  return acoa->care_of_address;
}

void MapAgent::handle_ike_event(TimePoint now, const ike::SaEvent& e) {
  service(now);
  ++counters_.ike_events;
  const bool seen = ike_.apply(e);
  if (const auto* u = std::get_if<ike::IkeUpdownEvent>(&e); u != nullptr && u->up && !u->sa.remote_vips.empty())
    check_leases(now, u->sa);
  if (seen) return;
  ++counters_.ike_missed_events;
  if (ike_resync_pending_) return;
  ike_resync_pending_ = true;
  log(LogLevel::info, "charon named an IKE or CHILD_SA mapd never saw: asking for all SAs again");
  actions_.emplace_back(ResyncIke{});
}

void MapAgent::handle_ike_sas(TimePoint now, const std::vector<ike::IkeSaView>& sas) {
  service(now);
  ++counters_.ike_resyncs;
  ike_resync_pending_ = false;
  ike_.reset(sas);
}

void MapAgent::handle_ike_lost(TimePoint now) {
  service(now);
  ike_.clear();
  ike_resync_pending_ = false;
}

void MapAgent::handle_bu(TimePoint now, const ReceivedMh& mh, const wire::BindingUpdate& bu) {
  ++counters_.bu_received;
  const Ip6Addr& addr = mh.src;  // the RCoA (local BU) or the home address (home registration)
  // The flags pick the role (H without M: a home registration, RFC 6275
  // §10.3.1); the destination must be an address mapd answers BUs on.
  const BindingRole role =
      bu.home_registration && !bu.map_registration ? BindingRole::home : BindingRole::map;
  const bool to_map = roles::serves(cfg_, BindingRole::map, mh.dst);
  const bool to_home = roles::serves(cfg_, BindingRole::home, mh.dst);
  if (!to_map && !to_home) {
    ++counters_.bu_wrong_destination;
    log_limited(log_wrong_dst_, now, LogLevel::notice,
                "dropped BU for " + addr.str() + " sent to " + mh.dst.str() +
                    ", an address mapd answers no binding updates on");
    return;
  }
  if (role == BindingRole::home) ++counters_.home_bu_received;
  Ip6Addr coa = mh.lcoa.value_or(mh.src);
  // Binding Identifier options (Multiple CoA, mcoa.cpp): a malformed one is
  // answered with 164 after the address-level checks (MultipleCoa on or
  // off); MultipleCoa ignore skips them as options it does not know.
  bool bid_options = false;
  for (const auto& opt : bu.options) {
    const auto* bad = std::get_if<wire::MalformedMobilityOption>(&opt);
    if (std::holds_alternative<wire::BindingIdentifierOption>(opt) ||
        (bad != nullptr && bad->type == wire::mh_opt::kBindingIdentifier)) {
      bid_options = true;
      continue;
    }
    if (bad != nullptr) {
      ++counters_.bu_malformed_option;
      log_limited(log_malformed_, now, LogLevel::notice,
                  "dropped BU for " + addr.str() + ": malformed mobility option type " +
                      std::to_string(bad->type) + ": " + wire::to_string(bad->error) + " (RFC 6275 §9.2)");
      return;
    }
  }
  if (!cfg_.insecure.enabled) {
    // Home registrations too (RFC 4877 §4: ESP covers the ACoA).
    const auto acoa = secure_coa(now, mh, bu, role);
    if (!acoa) return;
    coa = *acoa;
  } else if (const auto* acoa = wire::find_option<wire::AlternateCareOfAddressOption>(bu.options)) {
    coa = acoa->care_of_address;  // RFC 6275 §6.2.5
  }
  const bool mcoa = bid_options && cfg_.multiple_coa != MultipleCoaMode::ignore;
  bool home_link = home_link_deregistration(mh, role, to_home, coa);
  if (home_link && mcoa && !only_deregisters(bu, addr)) {
    // A BID option's care-of address could register the home address
    // elsewhere: no exemption, so dropped below unless TrustedPrefix holds
    // the source anyway.
    home_link = false;
    ++counters_.home_bu_home_link_bid;
    log_limited(log_unprotected_, now, LogLevel::warning,
                "BU from the home link for home address " + addr.str() +
                    " with Binding Identifier options that do not only deregister: not exempt from TrustedPrefix");
  }
  if (home_link) {
    ++counters_.home_bu_from_home_link;  // past TrustedPrefix: the checks below still apply
  } else if (!bu_protected(now, mh, coa, role == BindingRole::home && to_home)) {
    return;
  }

  const BindingKey key{addr, 0};
  const Ip6Addr sender = mh.lcoa.value_or(mh.src);  // the wire's care-of address, whatever the options say
  const std::string_view word = roles::address_word(role);
  // A BA answering a Multiple CoA BU carries its BID options (RFC 5648 §6.2).
  // Their status 0: the BA's status is the outcome (RFC 5648 §6.2).
  std::vector<wire::BindingIdentifierOption> echo;
  if (mcoa)
    for (const auto* b : wire::options_of<wire::BindingIdentifierOption>(bu.options)) {
      echo.push_back(*b);
      echo.back().status = 0;
    }
  const auto refuse_with = [&](std::uint8_t status, const std::string& why) {
    log_limited(log_refused_, now, LogLevel::info,
                "refused BU seq " + std::to_string(bu.sequence) + " for " + std::string(word) + " " + addr.str() +
                    " from " + coa.str() + ": status " + std::to_string(status) + ", " + why);
    refuse_bu(now, key, mh.dst, coa, sender, status, bu.sequence, role, mcoa ? &echo : nullptr);
  };
  if (auto r = flag_refusal(bu, role, role == BindingRole::home ? to_home : to_map)) return refuse_with(r->first, r->second);

  const auto prefix = prefix_of(role, addr);
  if (!prefix)
    return refuse_with(wire::ba_status::kNotHomeSubnet, std::string(word) + " outside every " +
                                                            (role == BindingRole::home ? "HomePrefix" : "RcoaPrefix"));
  if (roles::is_own_address(cfg_, addr))
    return refuse_with(wire::ba_status::kDuplicateAddressDetectionFailed, std::string(word) + " is mapd's own address");
  if (mcoa) return handle_mcoa_bu(now, bu, BuContext{addr, mh.dst, coa, sender, role, *prefix});
  if (bid_options) ++counters_.bu_bid_ignored;  // MultipleCoa ignore: a regular BU

  const auto bit = bindings_.find(key);
  // The address's bindings (a regular one, or BID bindings this BU replaces).
  const Address* entry = address_of(addr);
  const bool known = entry != nullptr && !entry->bids.empty();
  // An adopted binding's last sequence number is unknown: its first BU may
  // carry any (map_agent.h, "Restart", says why that is safe).
  if (bit != bindings_.end() && bit->second.adopted) {
    ++counters_.bu_adopted_any_sequence;
  } else if (known && !sequence_greater(bu.sequence, entry->sequence)) {
    const std::uint16_t last = entry->sequence;
    log_limited(log_refused_, now, LogLevel::info,
                "refused BU seq " + std::to_string(bu.sequence) + " for " + std::string(word) + " " + addr.str() +
                    ": status 135, last accepted " + std::to_string(last));
    refuse_bu(now, key, mh.dst, coa, sender, wire::ba_status::kSequenceNumberOutOfWindow, last, role);
    return;
  }

  Request req;
  req.src = mh.dst;
  req.lcoa = coa;
  req.sender = sender;
  req.sequence = bu.sequence;
  req.prefix = *prefix;
  req.home_flag = bu.home_registration;
  req.owner = owner_of(addr, coa);
  req.role = role;
  req.link_local = role == BindingRole::home && bu.link_local_compat;
  if (bu.lifetime == 0 || coa == addr) {
    deregister(now, key, req);
    return;
  }
  // A Multiple CoA BU of the address in flight: the node retransmits.
  if (entry != nullptr && (entry->txn || entry->dad_deadline)) {
    ++counters_.bu_absorbed;
    log(LogLevel::debug, "absorbed BU seq " + std::to_string(bu.sequence) + " for " + std::string(word) + " " +
                             addr.str() + ": a Multiple CoA BU for it is in flight");
    return;
  }
  if (auto why = coa_refusal(role, addr, coa, known, req.from_neighbour); !why.empty())
    return refuse_with(wire::ba_status::kAdministrativelyProhibited, why);

  req.lifetime_units = granted_lifetime_units(bu.lifetime, roles::limits_of(cfg_, role, *prefix));
  if (req.lifetime_units == 0)  // a cap under one 4-second unit: nothing can be granted without exceeding it
    return refuse_with(wire::ba_status::kAdministrativelyProhibited, "a lifetime cap is below 4 s (one unit)");

  // L asks for fe80::<interface id> on the home link: refused (134, RFC
  // 6275 §10.3.1) if another home address with that identifier has it
  // there. A binding that already has L keeps it (nobody else got it since).
  if (req.link_local && (bit == bindings_.end() || !bit->second.link_local)) {
    if (const auto other = link_local_holder(key, req.prefix)) {
      ++counters_.home_link_local_taken;
      return refuse_with(wire::ba_status::kDuplicateAddressDetectionFailed,
                         "its link-local address " + wire::link_local_of(addr).str() +
                             " is proxied for home address " + other->str() + " on the same link");
    }
  }

  if (const auto pit = pending_.find(key); pit != pending_.end()) {
    ++counters_.bu_absorbed;
    // During DAD the newest BU is the one answered (the MN matches the BA
    // against its latest sequence number, RFC 6275 §11.7.3).
    if (!pit->second.install_sent) {
      pit->second.req = req;
      // The newest BU asks L, the running DAD does not cover the link-local
      // address yet: it does from now until the same deadline.
      Pending& p = pit->second;
      if (req.link_local && p.dad_deadline && !p.dad_link_local) {
        p.dad_link_local = true;
        actions_.emplace_back(StartDad{wire::link_local_of(addr), interface_of(role, req.prefix),
                                       std::chrono::duration_cast<Duration>(*p.dad_deadline - now)});
      }
    }
    log(LogLevel::debug, "absorbed BU seq " + std::to_string(bu.sequence) + " for " + std::string(word) + " " +
                             addr.str() + (pit->second.install_sent ? ": install pending" : ": DAD running"));
    return;
  }
  // Only a new address grows anything: a refresh, a move or the
  // replacement of BID bindings is never capped.
  if (!known && over_cap(now, key, req, roles::needs_dad(cfg_, role, req.prefix))) return;
  register_binding(now, key, req);
}

// RFC 5380 §4: M and A set mark a MAP registration, "to distinguish this
// registration from a BU being sent to the HA"; RFC 6275 §10.3.1: H marks a
// home registration. map_agent.h lists the statuses chosen.
std::optional<std::pair<std::uint8_t, std::string>> MapAgent::flag_refusal(const wire::BindingUpdate& bu,
                                                                           BindingRole role, bool served) {
  using R = std::pair<std::uint8_t, std::string>;
  if (bu.home_registration && bu.map_registration) {
    ++counters_.bu_h_with_m;
    return R{wire::ba_status::kAdministrativelyProhibited,
             "H and M both set: a BU is a home registration or a MAP registration, not both (RFC 5380 §4)"};
  }
  if (!bu.home_registration && !bu.map_registration)
    return R{wire::ba_status::kAdministrativelyProhibited, "neither M nor H: not a local BU nor a home registration"};
  if (!served) {
    ++counters_.bu_no_role;
    if (role == BindingRole::home)
      return R{wire::ba_status::kHomeRegistrationNotSupported, "home registration, but not a home agent here"};
    return R{wire::ba_status::kAdministrativelyProhibited, "MAP registration, but not a MAP here"};
  }
  if (!bu.ack)
    return R{wire::ba_status::kAdministrativelyProhibited,
             role == BindingRole::map ? "M without A (RFC 5380 §4)" : "H without A (RFC 6275 §11.7.1)"};
  if (bu.mobile_router) return R{ba_status_ext::kMobileRouterOperationNotPermitted, "R flag (NEMO)"};
  if (bu.proxy_registration) return R{ba_status_ext::kProxyRegistrationNotEnabled, "P flag (PMIPv6)"};
  return std::nullopt;
}

std::string MapAgent::coa_refusal(BindingRole role, const Ip6Addr& addr, const Ip6Addr& coa, bool existing,
                                  bool& from_neighbour) const {
  if (role == BindingRole::home) return home_coa_refusal(addr, coa);
  if (prefix_of(BindingRole::map, coa)) return "LCoA inside an RCoA prefix";
  if (any_contains(cfg_.lcoa_prefixes, coa)) return {};
  if (!any_contains(cfg_.neighbour_prefixes, coa)) return "LCoA outside LcoaPrefix and NeighbourPrefix";
  if (!existing) return "new binding from a neighbouring domain's LCoA (RFC 5380 §8)";
  from_neighbour = true;
  return {};
}

void MapAgent::deregister(TimePoint now, const BindingKey& key, const Request& req) {
  const Address* entry = address_of(key.rcoa);
  if (entry != nullptr && (has_bid_bindings(key.rcoa) || entry->txn || !entry->dad_bids.empty())) {
    // RFC 5648 §6.2: a regular deregistration deletes every binding of the
    // address; a Multiple CoA BU in flight is withdrawn (its new BIDs
    // cancelled, withdraw()), the bound BIDs removed with what is pending
    // for them.
    if (entry->txn) withdraw(*entry->txn);
    const Address* left = address_of(key.rcoa);
    // BIDs still waiting for a DAD (none once the BU is withdrawn; kept as a guard).
    const std::vector<std::uint16_t> waiting = left != nullptr ? left->dad_bids : std::vector<std::uint16_t>{};
    for (const std::uint16_t bid : waiting)
      if (const auto pit = pending_.find(BindingKey{key.rcoa, bid}); pit != pending_.end())
        erase_pending(pit, wire::ba_status::kReasonUnspecified);
    left = address_of(key.rcoa);
    const std::vector<std::uint16_t> bids = left != nullptr ? left->bids : std::vector<std::uint16_t>{};
    for (const std::uint16_t bid : bids) {
      if (bid != 0) ++counters_.mcoa_bids_deregistered;
      remove_binding(BindingKey{key.rcoa, bid}, RemoveReason::deregistered);
    }
    if (const auto pit = pending_.find(key); pit != pending_.end()) erase_pending(pit, wire::ba_status::kReasonUnspecified);
  } else if (bindings_.count(key) != 0) {
    remove_binding(key, RemoveReason::deregistered);
  } else if (const auto pit = pending_.find(key); pit != pending_.end()) {
    // An install already sent is answered as unmatched -> RemoveBinding.
    erase_pending(pit, wire::ba_status::kReasonUnspecified);
  } else {
    log_limited(log_refused_, now, LogLevel::info,
                "refused deregistration for " + std::string(roles::address_word(req.role)) + " " + key.rcoa.str() +
                    ": no binding (status 133)");
    refuse_bu(now, key, req.src, req.lcoa, req.sender, wire::ba_status::kNotHomeAgentForThisMobileNode,
              req.sequence, req.role);
    return;
  }
  ++counters_.deregistrations;
  ++counters_.bu_accepted;
  if (req.role == BindingRole::home) {
    ++counters_.home_deregistrations;
    ++counters_.home_bu_accepted;
  }
  log(LogLevel::info, "deregistered " + std::string(roles::address_word(req.role)) + " " + key.rcoa.str() +
                          " (seq " + std::to_string(req.sequence) + ")");
  send_ba(key, req.src, req.lcoa, wire::ba_status::kAccepted, req.sequence, 0, true);
}

void MapAgent::register_binding(TimePoint now, const BindingKey& key, const Request& asked) {
  Request req = asked;
  if (const auto bit = bindings_.find(key); bit != bindings_.end()) {
    // A refresh from the same care-of address leaves the kernel state as
    // it is, unless the L flag changed what the home link proxies.
    if (bit->second.lcoa == req.lcoa && bit->second.link_local == req.link_local) {
      req.rank = bit->second.rank;
      commit(now, key, req);
      return;
    }
    req.rank = rank_of(key, 0, 0);
    send_install(key, add_pending(key, req, InstallReason::move));
    return;
  }
  // Replacing BID bindings (RFC 5648 §6.2): ranked above them, installed
  // before they go (commit removes them); the address exists: no DAD.
  const bool replace = has_bid_bindings(key.rcoa);
  req.rank = rank_of(key, 0, 0);
  const std::string& iface = interface_of(req.role, req.prefix);
  Pending& p = add_pending(key, req, InstallReason::create);
  if (!replace && roles::needs_dad(cfg_, req.role, req.prefix)) {
    const Duration timeout = roles::dad_timeout(cfg_, req.role);
    start_dad(key, p, now + timeout);
    ++counters_.dad_started;
    actions_.emplace_back(StartDad{key.rcoa, iface, timeout});
    // RFC 6275 §10.3.1: with L, DAD covers the associated link-local
    // address too (the same solicited-node group: one DAD for the caps).
    if (req.link_local) {
      p.dad_link_local = true;
      actions_.emplace_back(StartDad{wire::link_local_of(key.rcoa), iface, timeout});
    }
    log(LogLevel::debug, "DAD for " + std::string(roles::address_word(req.role)) + " " + key.rcoa.str() + " on " +
                             iface + (req.link_local ? " (and its link-local address)" : ""));
    return;
  }
  send_install(key, p);
}

void MapAgent::refuse_bu(TimePoint now, const BindingKey& key, const Ip6Addr& src, const Ip6Addr& lcoa,
                         const Ip6Addr& sender, std::uint8_t status, std::uint16_t sequence, BindingRole role,
                         const std::vector<wire::BindingIdentifierOption>* bids) {
  if (!refusal_limiter_.allow(now, sender)) {
    ++counters_.bu_refused[status];
    if (role == BindingRole::home) ++counters_.home_bu_refused[status];
    ++counters_.ba_refusal_rate_limited;
    return;
  }
  refuse(key, src, lcoa, status, sequence, role, bids);
}

void MapAgent::refuse(const BindingKey& key, const Ip6Addr& src, const Ip6Addr& lcoa, std::uint8_t status,
                      std::uint16_t sequence, BindingRole role, const std::vector<wire::BindingIdentifierOption>* bids) {
  ++counters_.bu_refused[status];
  if (role == BindingRole::home) ++counters_.home_bu_refused[status];
  // Transient unless the address's route2 state leads to `lcoa` already.
  send_ba(key, src, lcoa, status, sequence, 0, !routed_to(key.rcoa, lcoa), bids);
}

}  // namespace hmip::map
