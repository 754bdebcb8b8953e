// The home agent's side of Dynamic Home Agent Address Discovery (RFC 6275
// §10.5, §11.4.1), sans-IO: decoded requests and Router Advertisements and
// the current time in, the reply to send out. No sockets, no clock.
//
// Decisions:
// - Configuration: one DhaadHomePrefix per home prefix this home agent
//   serves ({prefix, the HA's own address on it, its Home Agent Preference}),
//   a plain struct so the responder does not depend on mapd.conf's shape;
//   the daemon builds it from its HomeAgent block.
// - A request is answered only when it was sent to the Home-Agents anycast
//   address of a configured home prefix (RFC 2526 §2, RFC 6275 §10.5: "to
//   the Mobile IPv6 Home-Agents anycast address for its home subnet prefix").
//   Anything else (another destination, e.g. the HA's unicast address, or
//   :: when the socket could not tell) is dropped and counted: we never
//   guess the prefix a request is about.
// - Source of the reply: the HA's own address on that prefix (RFC 6275
//   §10.5: a global unicast address of the HA, not the anycast address);
//   destination: the request's source (the mobile node's care-of address).
//   The Identifier is copied.
// - A request with R (RFC 3963 §4.4: the sender is a mobile router) asks
//   for home agents that support mobile routers, and its reply must have R
//   set and list only those (§4.5). This HA refuses R-flag BUs (140), and
//   the Home Agents List does not record whether the others support mobile
//   routers, so such a request is answered with R set and NO addresses
//   (the same checks and rate limit first; counted, mobile_router): the
//   router learns at once that none is known here, instead of
//   retransmitting into silence (RFC 6275 §11.4.1's backoff) or, were R
//   ignored, registering with an HA that refuses it.
// - The list (RFC 6275 §10.5): the home agents on the home link in order of
//   decreasing preference, those of equal preference in random order
//   (seeded, so tests repeat), this HA included with its configured
//   preference, at most kDhaadReplyMaxAddresses so the reply fits the IPv6
//   minimum MTU. Other home agents come from the Home Agents List
//   (RFC 6275 §10.5.1), fed by Router Advertisements with the H flag heard
//   on the home link (handle_router_advertisement): keyed by the sender's
//   link-local address; its global addresses are the Prefix Information
//   options with the R flag (RFC 6275 §7.2) inside a home prefix; lifetime
//   and preference from the Home Agent Information option (RFC 6275 §7.4)
//   or, without one, the Router Lifetime and preference 0. A lifetime of 0
//   (or an RA with H clear from a listed HA) removes the entry; expired
//   entries are dropped when the list is read. Our own RAs (a sender whose
//   global address is one of ours) are ignored. The list is bounded
//   (kMaxHomeAgents entries; a new HA beyond it is counted and not added).
// - Rate limit: a core::SourceRateLimiter per request source (kDhaadLimits);
//   a refused request gets no reply and is counted. The limiter's hash key
//   comes from the seed (random in the daemon).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/core/rate_limit.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/dhaad.h"
#include "hmip/wire/nd.h"

namespace hmip::map {

using core::Duration;
using core::TimePoint;

/// One home prefix this home agent serves.
struct DhaadHomePrefix {
  Ip6Prefix prefix;
  Ip6Addr ha_address;           ///< this HA's global address on the prefix (the reply's source)
  std::int16_t preference = 0;  ///< Home Agent Preference (RFC 6275 §7.4): higher is preferred
  friend bool operator==(const DhaadHomePrefix&, const DhaadHomePrefix&) = default;
};

/// The Home-Agents anycast address of `p` (wire::home_agents_anycast);
/// nullopt for a prefix longer than 121 bits.
[[nodiscard]] std::optional<Ip6Addr> home_agents_anycast(const Ip6Prefix& p) noexcept;

/// Per-source limit on answered requests: a burst of 8, then one per second.
inline constexpr core::SourceLimits kDhaadLimits{8, core::seconds(1), 1024, 32, core::milliseconds(100)};

/// Upper bound of the Home Agents List (other HAs learned from RAs).
inline constexpr std::size_t kMaxHomeAgents = 128;

/// The reply to send: to `dst` from `src` (the HA's address on the prefix).
struct DhaadReplyOut {
  Ip6Addr src;
  Ip6Addr dst;
  wire::DhaadReply reply;
  friend bool operator==(const DhaadReplyOut&, const DhaadReplyOut&) = default;
};

/// A Home Agents List entry (RFC 6275 §10.5.1).
struct HomeAgentEntry {
  Ip6Addr link_local;              ///< the RA's source
  std::vector<Ip6Addr> addresses;  ///< global addresses (R-flag Prefix Information options on a home prefix)
  std::int16_t preference = 0;
  TimePoint expires;
  friend bool operator==(const HomeAgentEntry&, const HomeAgentEntry&) = default;
};

struct DhaadCounters {
  std::uint64_t requests = 0;          ///< requests handed in
  std::uint64_t replies = 0;           ///< replies returned
  std::uint64_t not_anycast = 0;       ///< dropped: destination not a home prefix's HA anycast address
  std::uint64_t rate_limited = 0;      ///< dropped: the source's token bucket was empty
  std::uint64_t bad_source = 0;        ///< dropped: unspecified, multicast or loopback source
  std::uint64_t mobile_router = 0;     ///< requests with R answered with R set and no addresses (also in replies)
  std::uint64_t ha_ras = 0;            ///< RAs with H (or from a listed HA) that updated the list
  std::uint64_t ha_list_full = 0;      ///< HAs not added: the list held kMaxHomeAgents
  friend bool operator==(const DhaadCounters&, const DhaadCounters&) = default;
};

class DhaadResponder {
 public:
  /// `prefixes`: one entry per home prefix (an empty list answers nothing;
  /// a prefix longer than 121 bits has no Home-Agents anycast address, RFC
  /// 2526 §2, and is not served: config validation should refuse it).
  /// `rng_seed` seeds the tie order and the rate limiter's hash key.
  DhaadResponder(std::vector<DhaadHomePrefix> prefixes, std::uint64_t rng_seed,
                 core::SourceLimits limits = kDhaadLimits);

  /// A decoded request from `src` to `dst` (the IPv6 header's addresses; dst
  /// from IPV6_PKTINFO). Returns the reply to send, or nullopt (counted).
  std::optional<DhaadReplyOut> handle_request(TimePoint now, const Ip6Addr& src, const Ip6Addr& dst,
                                              const wire::DhaadRequest& request);

  /// A decoded (and RFC 4861 §6.1.2-validated) RA heard on the home link
  /// from `src` (link-local). Updates the Home Agents List.
  void handle_router_advertisement(TimePoint now, const Ip6Addr& src, const wire::RouterAdvertisement& ra);

  /// The Home Agents List at `now`: the other home agents learned from
  /// RAs, expired entries left out (for tests and the control socket).
  [[nodiscard]] std::vector<HomeAgentEntry> home_agents(TimePoint now) const;

  /// The configured prefixes and their anycast addresses (what the daemon
  /// joins, io/dhaad_socket.h).
  [[nodiscard]] const std::vector<DhaadHomePrefix>& prefixes() const noexcept { return prefixes_; }
  [[nodiscard]] std::vector<Ip6Addr> anycast_addresses() const;

  [[nodiscard]] const DhaadCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const core::SourceLimiterCounters& limiter_counters() const noexcept { return limiter_.counters(); }

 private:
  struct Served {
    DhaadHomePrefix home;
    Ip6Addr anycast;
  };
  const Served* served_by_anycast(const Ip6Addr& dst) const noexcept;
  bool is_own_address(const Ip6Addr& a) const noexcept;
  void expire(TimePoint now);

  std::vector<DhaadHomePrefix> prefixes_;
  std::vector<Served> served_;
  std::vector<HomeAgentEntry> others_;
  core::Rng rng_;
  core::SourceRateLimiter limiter_;
  DhaadCounters counters_;
};

}  // namespace hmip::map
