// Names and numbers hmip gives its kernel objects: ip6tnl device names
// built from a tag prefix and a binding number, and the checks a Tags value
// must pass before a Dataplane uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hmip/kglue/dataplane.h"

namespace hmip::kglue {

/// Longest interface name the kernel accepts (IFNAMSIZ - 1).
inline constexpr std::size_t kMaxLinkName = 15;

/// `prefix` followed by `number` in lower-case hex, at least 4 digits
/// ("hmipm" + 1 -> "hmipm0001"). nullopt if the result would exceed
/// kMaxLinkName characters or the prefix is empty.
std::optional<std::string> tunnel_name(std::string_view prefix, std::uint32_t number);

/// The binding number of a name tunnel_name() made with `prefix`; nullopt
/// if `name` does not start with `prefix` or the rest is not 4 to 8 hex
/// digits (so "hmipmx" or another daemon's "hmipn0001" are never ours).
std::optional<std::uint32_t> tunnel_number(std::string_view prefix, std::string_view name);

/// Checks a Tags value: link prefix 1..6 characters of [a-z0-9_-], a route
/// protocol above RTPROT_STATIC (4) so it is nobody's standard tag, lo <= hi
/// in every range; a non-zero rule range must hold at least 4 priorities
/// (the MN binding's rule layout) and a table range must avoid the kernel's
/// reserved tables 0 and 252..255. Returns the first rule broken, or an
/// empty view when the tags are usable.
std::string_view check_tags(const Tags& tags);

}  // namespace hmip::kglue
