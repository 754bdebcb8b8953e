// What AccessRouter's RAs carry, from the interface's configuration and
// link (RFC 4861 §4.2, RFC 4191, RFC 8106, RFC 6275 §7.2-7.3), with the MAP
// options of RFC 5380 §5: configured ones (lifetime 0 once failed) and,
// on relaying interfaces, the learned ones (4140bis §7.1.1).
#include <algorithm>
#include <variant>

#include "durations.h"
#include "hmip/ar/access_router.h"

namespace hmip::ar {

namespace {

using detail::ceil_secs;

// RFC 4191 §2.3 / RFC 8106 §5.1-5.2 default lifetimes, from MaxRtrAdvInterval.
std::uint32_t route_lifetime(const InterfaceConfig& c, const RouteConfig& r) {
  return r.lifetime ? *r.lifetime : ceil_secs(c.max_interval * 3);
}
std::uint32_t dns_lifetime(const InterfaceConfig& c, const std::optional<std::uint32_t>& l) {
  // RFC 8106 §5.1: by default at least 3 * MaxRtrAdvInterval (radvd uses
  // 2 *; ard follows the RFC, as config.h and ard.conf(5) say).
  return l ? *l : ceil_secs(c.max_interval * 3);
}

wire::PrefixInfoOption prefix_option(const PrefixConfig& p, const LinkState& l) {
  wire::PrefixInfoOption o;
  o.prefix_length = p.prefix.len;
  o.l_flag = p.on_link;
  o.a_flag = p.autonomous;
  o.valid_lifetime = p.valid_lifetime;
  o.preferred_lifetime = p.preferred_lifetime;
  o.prefix = p.prefix.addr;
  if (p.router_address) {
    // RFC 6275 §7.2: R set, the Prefix field holds the router's full address.
    const auto g = std::find_if(l.globals.begin(), l.globals.end(),
                                [&](const Ip6Addr& a) { return p.prefix.contains(a); });
    if (g != l.globals.end()) {
      o.r_flag = true;
      o.prefix = *g;
    }
  }
  return o;
}

}  // namespace

wire::RouterAdvertisement AccessRouter::build_ra(const Iface& i, const LinkState& l, bool final,
                                                 TimePoint now) const {
  const InterfaceConfig& c = i.cfg;
  wire::RouterAdvertisement ra;
  ra.cur_hop_limit = c.cur_hop_limit;
  ra.m_flag = c.managed;
  ra.o_flag = c.other_config;
  ra.router_lifetime = final ? 0 : effective_default_lifetime(c);
  // RFC 4191 §2.2: with Router Lifetime 0 the preference is sent as medium.
  ra.prf = ra.router_lifetime == 0 ? wire::RouterPreference::medium : c.default_preference;
  ra.reachable_time = c.reachable_time;
  ra.retrans_timer = c.retrans_timer;
  auto& opts = ra.options;
  if (c.source_lla && !l.lladdr.empty()) opts.emplace_back(wire::SourceLlaOption{l.lladdr});
  if (c.link_mtu != 0) opts.emplace_back(wire::MtuOption{0, c.link_mtu});
  if (c.adv_interval_option) opts.emplace_back(wire::AdvIntervalOption{0, detail::ms32(c.max_interval)});
  for (const auto& p : c.prefixes) opts.emplace_back(prefix_option(p, l));
  for (const auto& r : c.routes) {
    wire::RouteInfoOption o;
    o.prefix_length = r.prefix.len;
    o.prf = r.preference;
    o.route_lifetime = final ? 0 : route_lifetime(c, r);  // routes through a leaving router are gone
    o.prefix = r.prefix.addr;
    opts.emplace_back(o);
  }
  for (const auto& d : c.rdnss) opts.emplace_back(wire::RdnssOption{0, dns_lifetime(c, d.lifetime), d.servers});
  for (const auto& d : c.dnssl) opts.emplace_back(wire::DnsslOption{0, dns_lifetime(c, d.lifetime), d.domains});
  for (auto& m : map_options(i, now)) opts.emplace_back(m);
  return ra;
}

std::vector<wire::MapOption> AccessRouter::map_options(const Iface& i, TimePoint now) const {
  std::vector<wire::MapOption> out;
  for (const auto& m : i.cfg.maps) {
    if (std::any_of(out.begin(), out.end(), [&](const wire::MapOption& o) { return o.address == m.address; }))
      continue;
    wire::MapOption o;
    o.dist = m.dist;
    o.pref = m.pref;
    o.r_flag = m.r_flag;
    o.address = m.address;
    const Monitor* mon = monitor(m.address);
    const bool failed = mon && mon->advertised_health() == MapHealthState::failed;
    o.valid_lifetime = failed ? 0 : m.valid_lifetime;  // RFC 5380 §10: lifetime 0 = MAP failure
    out.push_back(o);
  }
  if (!i.cfg.map_relay) return out;
  for (const auto& [addr, srcs] : learned_) {
    if (i.configures_map(addr)) continue;  // our own option wins (4140bis §7.1.1)
    const LearnedSource* best = best_learned(addr);
    if (!best || !relays_on(addr, *best, i)) continue;
    wire::MapOption o = best->opt;  // "copy the option"
    o.dist = static_cast<std::uint8_t>(best->opt.dist + 1);
    o.valid_lifetime = best->lifetime_at(now);
    out.push_back(o);
  }
  return out;
}

wire::RouterAdvertisement AccessRouter::content_key(const Iface& i, const LinkState& l, TimePoint now) const {
  wire::RouterAdvertisement ra = build_ra(i, l, false, now);
  // Relayed lifetimes count down: only their being zero or not is content.
  for (auto& o : ra.options)
    if (auto* m = std::get_if<wire::MapOption>(&o)) m->valid_lifetime = m->valid_lifetime ? 1 : 0;
  return ra;
}

}  // namespace hmip::ar
