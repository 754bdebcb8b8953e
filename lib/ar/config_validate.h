// Internal to lib/ar: the semantic checks of ard.conf, the rules between
// fields (RFC 4861 §6.2.1, RFC 6275 §7.5, RFC 5380, 4140bis) once a block's
// statements are read, each reported at the statement that set the field.
#pragma once

#include <span>

#include "ard_reader.h"

namespace hmip::ar::detail {

/// A prefix block `s` read into `p`.
void validate_prefix(const PrefixConfig& p, const Seen& seen, const Statement& s, Diagnostics& d);
/// A map block `s` read into `m`.
void validate_map(const MapConfig& m, const Seen& seen, const Statement& s, Diagnostics& d);
/// An interface block, its sub-blocks included.
void validate_interface(const InterfaceConfig& ic, const InterfaceState& st, Diagnostics& d);
/// Rules across interfaces; `states` parallel to `cfg.interfaces`.
void validate_global(const ArdConfig& cfg, std::span<const InterfaceState> states, Diagnostics& d);

}  // namespace hmip::ar::detail
