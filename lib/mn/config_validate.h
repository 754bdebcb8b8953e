// Internal to lib/mn: the rules between mnd.conf's fields (RFC 5380 §8,
// §12.1; RFC 6275 §11.8, §13), checked once every statement is read, each
// reported at the statement that set the field.
#pragma once

#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_reader.h"
#include "hmip/mn/config_parse.h"

namespace hmip::mn::config_detail {

/// How Ike-block messages name the mobile node's side (hmip/core/conf_ike.h).
inline constexpr core::conf::IkeWording kIkeWording{"the mobile node", "mn1@mn.example.net", "mn1", "MAPs"};

/// Where the values of an MndConfig came from.
struct MndSources {
  core::conf::Seen global;      ///< top-level keywords (Interface too)
  core::conf::IkeSources ike;   ///< the Ike block
  core::conf::Seen home;        ///< the Home block's keywords
  core::conf::Token home_block; ///< the Home keyword (line 0: none)
  std::vector<core::conf::Token> interfaces;  ///< each Interface name, parallel to MndConfig::interfaces
};

/// Checks the whole file `c` read with `src`; reports to `d`. Errors: no
/// Interface; an initial BA timeout longer than MaxBindackTimeout; neither
/// InsecureTestbedSignalling nor an Ike block (home registrations need it
/// too: RFC 4877); an incomplete Ike block; a HomeAgent equal to the home
/// address. Warnings: lifetimes and timeouts that are probably not meant,
/// the insecure mode itself, an Ike block, HomeAgentIdentity or
/// ProtectTraffic it makes useless.
void validate_mnd(const MndConfig& c, const MndSources& src, core::conf::Diagnostics& d);

}  // namespace hmip::mn::config_detail
