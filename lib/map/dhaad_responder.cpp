// The home agent's DHAAD responder and Home Agents List (RFC 6275 §10.5,
// §10.5.1). See dhaad_responder.h.
#include "hmip/map/dhaad_responder.h"

#include <algorithm>
#include <utility>

#include "hmip/wire/options.h"

namespace hmip::map {

std::optional<Ip6Addr> home_agents_anycast(const Ip6Prefix& p) noexcept {
  return wire::home_agents_anycast(p.addr, p.len);
}

DhaadResponder::DhaadResponder(std::vector<DhaadHomePrefix> prefixes, std::uint64_t rng_seed,
                               core::SourceLimits limits)
    : prefixes_(std::move(prefixes)),
      rng_(rng_seed),
      limiter_(limits, core::HashKey{rng_seed ^ 0x6a09e667f3bcc908ULL, ~rng_seed * 0xbb67ae8584caa73bULL}) {
  for (const DhaadHomePrefix& h : prefixes_)
    if (auto any = home_agents_anycast(h.prefix)) served_.push_back(Served{h, *any});
}

std::vector<Ip6Addr> DhaadResponder::anycast_addresses() const {
  std::vector<Ip6Addr> out;
  for (const Served& s : served_)
    if (std::find(out.begin(), out.end(), s.anycast) == out.end()) out.push_back(s.anycast);
  return out;
}

const DhaadResponder::Served* DhaadResponder::served_by_anycast(const Ip6Addr& dst) const noexcept {
  for (const Served& s : served_)
    if (s.anycast == dst) return &s;
  return nullptr;
}

bool DhaadResponder::is_own_address(const Ip6Addr& a) const noexcept {
  return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const DhaadHomePrefix& h) { return h.ha_address == a; });
}

void DhaadResponder::expire(TimePoint now) {
  std::erase_if(others_, [now](const HomeAgentEntry& e) { return e.expires <= now; });
}

std::vector<HomeAgentEntry> DhaadResponder::home_agents(TimePoint now) const {
  std::vector<HomeAgentEntry> out;
  for (const HomeAgentEntry& e : others_)
    if (e.expires > now) out.push_back(e);
  return out;
}

std::optional<DhaadReplyOut> DhaadResponder::handle_request(TimePoint now, const Ip6Addr& src, const Ip6Addr& dst,
                                                            const wire::DhaadRequest& request) {
  ++counters_.requests;
  const Served* served = served_by_anycast(dst);
  if (served == nullptr) {
    ++counters_.not_anycast;
    return std::nullopt;
  }
  // A reply to ::, a multicast or a loopback address would go nowhere or to
  // everyone (RFC 4443 §2.4 (e) spirit: never answer to such a source).
  if (src.is_unspecified() || src.is_multicast() || src.is_loopback()) {
    ++counters_.bad_source;
    return std::nullopt;
  }
  if (!limiter_.allow(now, src)) {
    ++counters_.rate_limited;
    return std::nullopt;
  }
  if (request.mobile_router) {
    // RFC 3963 §4.5: R set, only HAs that support mobile routers: none
    // here (dhaad_responder.h).
    ++counters_.mobile_router;
    ++counters_.replies;
    return DhaadReplyOut{served->home.ha_address, src, wire::DhaadReply{request.identifier, true, 0, {}}};
  }
  expire(now);

  // Candidates: this HA and every listed HA with an address on the prefix.
  struct Candidate {
    Ip6Addr address;
    std::int16_t preference;
    std::uint64_t tie;
  };
  std::vector<Candidate> cand;
  cand.push_back(Candidate{served->home.ha_address, served->home.preference, rng_.u16()});
  for (const HomeAgentEntry& e : others_) {
    auto it = std::find_if(e.addresses.begin(), e.addresses.end(),
                           [&](const Ip6Addr& a) { return served->home.prefix.contains(a); });
    if (it != e.addresses.end()) cand.push_back(Candidate{*it, e.preference, rng_.u16()});
  }
  // Decreasing preference, ties in random order (RFC 6275 §10.5.1).
  std::sort(cand.begin(), cand.end(), [](const Candidate& a, const Candidate& b) {
    if (a.preference != b.preference) return a.preference > b.preference;
    return a.tie < b.tie;
  });
  DhaadReplyOut out;
  out.src = served->home.ha_address;
  out.dst = src;
  out.reply.identifier = request.identifier;
  for (const Candidate& c : cand) {
    if (out.reply.home_agents.size() == wire::kDhaadReplyMaxAddresses) break;
    out.reply.home_agents.push_back(c.address);
  }
  ++counters_.replies;
  return out;
}

void DhaadResponder::handle_router_advertisement(TimePoint now, const Ip6Addr& src,
                                                 const wire::RouterAdvertisement& ra) {
  auto listed = std::find_if(others_.begin(), others_.end(),
                             [&](const HomeAgentEntry& e) { return e.link_local == src; });
  // RFC 6275 §10.5.1: an RA without H from a listed HA removes it; without
  // H from anyone else it is none of the list's business.
  if (!ra.h_flag) {
    if (listed != others_.end()) {
      others_.erase(listed);
      ++counters_.ha_ras;
    }
    return;
  }
  std::vector<Ip6Addr> addresses;
  for (const wire::PrefixInfoOption* pi : wire::options_of<wire::PrefixInfoOption>(ra.options)) {
    if (!pi->r_flag) continue;
    const bool on_home = std::any_of(prefixes_.begin(), prefixes_.end(),
                                     [&](const DhaadHomePrefix& h) { return h.prefix.contains(pi->prefix); });
    if (on_home && !pi->prefix.is_multicast() && !pi->prefix.is_link_local() &&
        std::find(addresses.begin(), addresses.end(), pi->prefix) == addresses.end())
      addresses.push_back(pi->prefix);
  }
  // Our own RAs (looped back, or another interface of ours) are not another HA.
  if (std::any_of(addresses.begin(), addresses.end(), [&](const Ip6Addr& a) { return is_own_address(a); })) return;

  std::int16_t preference = 0;  // RFC 6275 §10.5.1: default 0 without the option
  std::uint32_t lifetime = ra.router_lifetime;  // ... and the Router Lifetime
  if (const auto* hai = wire::find_nd_option<wire::HomeAgentInfoOption>(ra.options)) {
    preference = hai->preference;
    lifetime = hai->lifetime;
  }
  ++counters_.ha_ras;
  if (lifetime == 0 || addresses.empty()) {
    // Lifetime 0: the HA is no longer one (RFC 6275 §10.5.1). No global
    // address on a home prefix: nothing a reply could list.
    if (listed != others_.end()) others_.erase(listed);
    return;
  }
  const TimePoint expires = now + core::seconds(lifetime);
  if (listed != others_.end()) {
    listed->addresses = std::move(addresses);
    listed->preference = preference;
    listed->expires = expires;
    return;
  }
  expire(now);
  if (others_.size() >= kMaxHomeAgents) {
    ++counters_.ha_list_full;
    return;
  }
  others_.push_back(HomeAgentEntry{src, std::move(addresses), preference, expires});
}

}  // namespace hmip::map
