// Internal to lib/map: the rules between mapd.conf's fields (RFC 5380 §6,
// §8, §10; RFC 6275 §6.1.7, §9.5, §10), checked once every statement is read,
// each reported at the statement that set the field.
#pragma once

#include <vector>

#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_reader.h"
#include "hmip/map/config_parse.h"

namespace hmip::map::config_detail {

using core::conf::Seen;
using core::conf::Token;

/// Whether prefixes `a` and `b` share an address (one holds the other).
[[nodiscard]] inline bool overlaps(const Ip6Prefix& a, const Ip6Prefix& b) noexcept {
  return a.contains(b.addr) || b.contains(a.addr);
}

/// How Ike-block messages name the MAP's side (hmip/core/conf_ike.h).
inline constexpr core::conf::IkeWording kIkeWording{"the MAP", "map1.example.net", "map1", "mobile nodes"};

/// Where each value of a MapdConfig came from: parallel to the config's
/// lists, the token of each prefix argument.
struct MapdSources {
  Seen global;                     ///< top-level keywords (the list keywords too)
  std::vector<Token> rcoa;         ///< parallel to rcoa_prefixes: the prefix argument
  std::vector<Seen> rcoa_seen;     ///< parallel to rcoa_prefixes: the block's keywords
  std::vector<Token> lcoa;         ///< parallel to lcoa_prefixes
  std::vector<Token> neighbour;    ///< parallel to neighbour_prefixes
  std::vector<Token> trusted;      ///< parallel to insecure.trusted_prefixes
  core::conf::IkeSources ike;      ///< the Ike block
  std::vector<Token> authorized;   ///< parallel to ike.authorized_identities
  Token pool;                      ///< the RcoaPool range argument (line 0: none read)
  bool map_address_set = false;
  // The HomeAgent block (config_home.cpp).
  Token home_block;                ///< the HomeAgent keyword (line 0: no block)
  Seen home_seen;                  ///< the block's keywords
  std::vector<Token> home_prefix;  ///< parallel to home_agent->prefixes: the prefix argument
  std::vector<Token> home_owner;   ///< parallel to home_agent->owners: the HomeAddress address argument
  bool home_address_set = false;
  // Multiple CoA (config_mcoa.cpp).
  std::vector<Token> flow;         ///< parallel to flow_policies: the FlowPolicy keyword
  std::vector<Seen> flow_seen;     ///< parallel to flow_policies: the block's keywords
};

/// Checks the whole file `c` read with `src`; reports to `d`. Errors: no
/// MapAddress, RcoaPrefix or LcoaPrefix; overlapping prefixes of different
/// roles; insecure signalling without TrustedPrefix; neither insecure
/// signalling nor an Ike block; an incomplete Ike block; an RcoaPool outside
/// one RcoaPrefix or holding MapAddress. Warnings: settings without effect,
/// lifetimes capped by others, the insecure mode itself.
void validate_mapd(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d);

}  // namespace hmip::map::config_detail
