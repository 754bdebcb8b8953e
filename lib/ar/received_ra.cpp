// Router Advertisements from other routers: validity, the consistency
// checks of RFC 4861 §6.2.7, and their MAP options (learn(), map_relay.cpp).
#include <algorithm>
#include <variant>

#include "hmip/ar/access_router.h"

namespace hmip::ar {

void AccessRouter::handle_ra(unsigned ifindex, const Ip6Addr& src, const wire::RouterAdvertisement& ra,
                             TimePoint now) {
  Iface* ip = begin_receive(ifindex, now);
  if (!ip) return;
  Iface& i = *ip;
  const LinkState* l = link_of(i);
  if (l && l->link_local && *l->link_local == src) return;  // our own, looped back
  // RFC 4861 §6.1.2: an RA's source is link-local.
  if (!src.is_link_local()) {
    ++i.counters.invalid[static_cast<std::size_t>(InvalidReason::ra_source_not_link_local)];
    return;
  }
  ++i.counters.ra_received;
  i.counters.options_malformed += wire::options_of<wire::MalformedNdOption>(ra.options).size();
  if (i.advertising) check_consistency(i, src, ra);
  learn(i, src, ra, now);
  service(now);
}

// RFC 4861 §6.2.7: routers SHOULD inspect RAs from others and log the
// inconsistencies (once per router and interface here; counted always).
void AccessRouter::check_consistency(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra) {
  const InterfaceConfig& c = i.cfg;
  std::vector<std::string> diffs;
  if (ra.cur_hop_limit != 0 && c.cur_hop_limit != 0 && ra.cur_hop_limit != c.cur_hop_limit)
    diffs.emplace_back("Cur Hop Limit " + std::to_string(ra.cur_hop_limit));
  if (ra.m_flag != c.managed) diffs.emplace_back("M flag");
  if (ra.o_flag != c.other_config) diffs.emplace_back("O flag");
  if (ra.reachable_time != 0 && c.reachable_time != 0 && ra.reachable_time != c.reachable_time)
    diffs.emplace_back("Reachable Time " + std::to_string(ra.reachable_time));
  if (ra.retrans_timer != 0 && c.retrans_timer != 0 && ra.retrans_timer != c.retrans_timer)
    diffs.emplace_back("Retrans Timer " + std::to_string(ra.retrans_timer));
  if (const auto* mtu = wire::find_nd_option<wire::MtuOption>(ra.options); mtu && c.link_mtu != 0 &&
                                                                            mtu->mtu != c.link_mtu)
    diffs.emplace_back("MTU " + std::to_string(mtu->mtu));
  for (const auto& o : ra.options) {
    const auto* p = std::get_if<wire::PrefixInfoOption>(&o);
    if (!p) continue;
    for (const auto& pc : c.prefixes) {
      if (pc.prefix.len != p->prefix_length || Ip6Prefix::of(p->prefix, p->prefix_length) != pc.prefix) continue;
      if (p->valid_lifetime != pc.valid_lifetime || p->preferred_lifetime != pc.preferred_lifetime)
        diffs.emplace_back("lifetimes of " + pc.prefix.str());
    }
  }
  if (diffs.empty()) {
    std::erase(i.warned_inconsistent, src);
    return;
  }
  ++i.counters.ra_inconsistent;
  if (std::find(i.warned_inconsistent.begin(), i.warned_inconsistent.end(), src) != i.warned_inconsistent.end())
    return;
  if (i.warned_inconsistent.size() < 64) i.warned_inconsistent.push_back(src);
  std::string text = i.cfg.name + ": Router Advertisement from " + src.str() + " disagrees with ours:";
  for (std::size_t k = 0; k < diffs.size(); ++k) text += (k ? ", " : " ") + diffs[k];
  log(LogLevel::warning, std::move(text));
}

}  // namespace hmip::ar
