// Internal to lib/map: what differs between mapd's two roles (BindingRole),
// read from a MapdConfig: the role's own address, its prefixes and their
// links, the lifetime caps of its bindings. MapAgent asks these for the
// current configuration, reload() also for the previous one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hmip/map/binding_rules.h"
#include "hmip/map/config.h"
#include "hmip/map/map_types.h"

namespace hmip::map::roles {

/// MapAddress (map) or the HomeAgent Address (home); :: if the role is not configured.
[[nodiscard]] const Ip6Addr& own_address(const MapdConfig& c, BindingRole r) noexcept;
/// Whether `a` is one of mapd's own addresses: MapAddress with the MAP
/// role, the HomeAgent Address with the home agent role (never ::).
[[nodiscard]] bool is_own_address(const MapdConfig& c, const Ip6Addr& a) noexcept;
/// Whether `a` is an address the role answers BUs on.
[[nodiscard]] bool serves(const MapdConfig& c, BindingRole r, const Ip6Addr& a) noexcept;
/// Index of the RcoaPrefix (map) or HomePrefix (home) holding `a`.
[[nodiscard]] std::optional<std::uint16_t> prefix_of(const MapdConfig& c, BindingRole r, const Ip6Addr& a) noexcept;
/// The role prefix's Interface ("" for none or an index out of range).
[[nodiscard]] const std::string& interface_of(const MapdConfig& c, BindingRole r, std::uint16_t prefix) noexcept;
/// The caps of a binding on the role prefix (binding_rules.h).
[[nodiscard]] LifetimeLimits limits_of(const MapdConfig& c, BindingRole r, std::uint16_t prefix) noexcept;
/// Whether a new binding on the role prefix runs DAD first (RcoaDad / HomeDad and a link).
[[nodiscard]] bool needs_dad(const MapdConfig& c, BindingRole r, std::uint16_t prefix) noexcept;
/// RcoaDadTimeout / HomeDadTimeout.
[[nodiscard]] Duration dad_timeout(const MapdConfig& c, BindingRole r) noexcept;
/// "RCoA" or "home address", for log lines.
[[nodiscard]] std::string_view address_word(BindingRole r) noexcept;

}  // namespace hmip::map::roles
