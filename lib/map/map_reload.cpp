// MapAgent::reload: a new mapd.conf with the binding cache kept.
//   * A binding whose address is in none of its role's prefixes any more
//     (RcoaPrefix, HomePrefix; a HomeAgent block removed takes all home
//     bindings) is removed (its proxy link and lifetime limits are gone
//     with the prefix).
//   * A binding whose kernel settings change (MapAddress or HomeAgent
//     Address, the prefix's interface, TunnelMtu) is re-installed in place;
//     a failure removes it.
//   * Granted lifetimes stand (the MN was told them); new limits, LcoaPrefix
//     and NeighbourPrefix apply from the next BU. BRRs not yet sent are
//     rescheduled with the new BrrLead; an adopted binding keeps its BRR
//     retries (adoption stays until its node re-registers).
//   * A pending registration whose address left its role's prefixes is
//     refused (132).
//   * A pending registration whose install is not sent yet (DAD) is
//     installed with the new settings and (Multiple CoA) its rank under the
//     new McoaSelection; one already sent whose settings or rank changed is
//     re-installed in place once committed (Pending::reinstall_after).
//   * A BID of a Multiple CoA BU in flight whose binding the reload removes
//     ends in that BU's BA (132 prefix, 129 owner changed).
//   * New caps (MaxBindings...) apply to the next new RCoA: bindings and
//     pending registrations beyond a lowered cap are kept.
//   * Secure mode: a home binding whose home address changed owner
//     (HomeAddress names another identity, or no line names it any more) is
//     removed: the old owner may not use it, the new one registers afresh
//     (mapd's IkeGuard terminates the old owner's IKE SA holding it); a
//     pending registration of the former owner (in DAD, say) is refused
//     with 129.
#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "hmip/map/map_agent.h"
#include "roles.h"

namespace hmip::map {

void MapAgent::reload(TimePoint now, MapdConfig cfg) {
  service(now);
  const MapdConfig old = std::exchange(cfg_, std::move(cfg));

  std::vector<BindingKey> removed;
  std::vector<BindingKey> disowned;
  std::unordered_set<BindingKey, BindingKeyHash> reinstalled;  // by this reload, with the new settings
  const auto owner_in = [](const MapdConfig& c, const Ip6Addr& a) -> std::optional<std::string> {
    const HomeAddressOwner* o = c.home_agent ? c.home_agent->owner_of(a) : nullptr;
    return o == nullptr ? std::nullopt : std::optional<std::string>(o->identity);
  };
  for (auto& [key, b] : bindings_) {
    const auto np = prefix_of(b.role, key.rcoa);
    if (!np) {
      removed.push_back(key);
      continue;
    }
    if (!cfg_.insecure.enabled && b.role == BindingRole::home &&
        (!owner_in(cfg_, key.rcoa) || owner_in(old, key.rcoa) != owner_in(cfg_, key.rcoa))) {
      disowned.push_back(key);
      continue;
    }
    // Multiple CoA: McoaSelection may have changed the BID bindings' ranks.
    const std::uint64_t rank = key.bid != 0 ? rank_of(key, b.stamp, b.bid_pri) : b.rank;
    const bool changed = roles::own_address(old, b.role) != own_address(b.role) ||
                         old.tunnel_mtu != cfg_.tunnel_mtu ||
                         roles::interface_of(old, b.role, b.prefix) != interface_of(b.role, *np) || rank != b.rank;
    b.prefix = *np;
    if (changed && pending_.count(key) == 0) {
      b.rank = rank;
      send_install(key, add_pending(key, reinstall_request(b), InstallReason::reload));
      reinstalled.insert(key);
    }
    if (b.adopted) {
      // Adoption's BRRs go on every BrrInterval whatever BrrLead says.
    } else if (b.brr_sent == 0) {
      b.next_brr.reset();
      if (cfg_.brr_lead > Duration::zero() && b.expires - cfg_.brr_lead > b.registered)
        b.next_brr = std::max(b.expires - cfg_.brr_lead, now);
    } else if (cfg_.brr_lead == Duration::zero()) {
      b.next_brr.reset();
    }
    schedule(key, b, now);
  }
  for (const auto& key : removed) {
    // A BU in flight answered on the way (remove_binding) may have taken
    // an adopted regular binding with it.
    const auto bit = bindings_.find(key);
    if (bit == bindings_.end()) continue;
    const bool home = bit->second.role == BindingRole::home;
    log(LogLevel::notice, "reload: " + std::string(roles::address_word(home ? BindingRole::home : BindingRole::map)) +
                              " " + key.rcoa.str() + " is outside every " + (home ? "HomePrefix" : "RcoaPrefix") +
                              " now: binding removed");
    ++counters_.removed_by_reload;
    remove_binding(key, RemoveReason::prefix_removed);
  }
  for (const auto& key : disowned) {
    if (bindings_.count(key) == 0) continue;  // went on the way (see above)
    const auto owner = owner_in(cfg_, key.rcoa);
    log(LogLevel::notice, "reload: home address " + key.rcoa.str() + " is " +
                              (owner ? "owned by " + *owner + " now" : "named by no HomeAddress line now") +
                              ": binding removed");
    ++counters_.removed_by_reload;
    remove_binding(key, RemoveReason::owner_changed);
  }

  std::vector<BindingKey> orphaned;
  std::vector<BindingKey> unowned;
  for (auto& [key, p] : pending_) {
    // Review of phase 2, item 6: a pending home registration (in DAD, say)
    // whose home address another identity owns now, or none, would
    // otherwise become a binding of its former owner.
    if (!cfg_.insecure.enabled && p.req.role == BindingRole::home && owner_in(cfg_, key.rcoa) != p.req.owner) {
      unowned.push_back(key);
      continue;
    }
    // Pending moves and re-installs of removed bindings went with them.
    if (const auto np = prefix_of(p.req.role, key.rcoa)) {
      // What its install carries under the new configuration: the rank
      // (McoaSelection), MapAddress, the Interface, TunnelMtu. Not sent
      // yet (DAD): send_install reads them then. Sent: re-installed in
      // place once committed (handle_dataplane_result).
      const std::uint64_t rank = key.bid != 0 ? rank_of(key, p.req.stamp, p.req.bid_pri) : p.req.rank;
      const bool settings = roles::own_address(old, p.req.role) != own_address(p.req.role) ||
                            old.tunnel_mtu != cfg_.tunnel_mtu ||
                            roles::interface_of(old, p.req.role, p.req.prefix) != interface_of(p.req.role, *np);
      if (reinstalled.count(key) == 0) {  // else sent just now, with the new settings
        if (p.install_sent)
          p.reinstall_after = p.reinstall_after || settings || rank != p.req.rank;
        else
          p.req.rank = rank;
      }
      p.req.prefix = *np;
      p.req.src = own_address(p.req.role);
    } else {
      orphaned.push_back(key);
    }
  }
  for (const auto& key : orphaned) {
    const auto it = pending_.find(key);
    if (it == pending_.end()) continue;  // went with another BID's refusal
    const Pending p = it->second;
    (void)drop_pending(it);  // refused below
    log(LogLevel::notice, "reload: pending registration of " + std::string(roles::address_word(p.req.role)) + " " +
                              key.rcoa.str() + " refused (prefix removed)");
    refuse_req(key, p.req, wire::ba_status::kNotHomeSubnet);
  }
  for (const auto& key : unowned) {
    const auto it = pending_.find(key);
    if (it == pending_.end()) continue;  // went with another BID's refusal
    const Pending p = it->second;
    (void)drop_pending(it);  // refused below
    ++counters_.removed_by_reload;
    log(LogLevel::notice, "reload: pending registration of home address " + key.rcoa.str() + " by " + p.req.owner +
                              " refused (its owner changed)");
    refuse_req(key, p.req, wire::ba_status::kAdministrativelyProhibited);
  }
  log(LogLevel::info, "reloaded: " + std::to_string(bindings_.size()) + " bindings kept, " +
                          std::to_string(removed.size() + disowned.size()) + " removed, " +
                          std::to_string(reinstalled.size()) +
                          " re-installed");
}

}  // namespace hmip::map
