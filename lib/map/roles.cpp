// What differs between mapd's roles (roles.h).
#include "roles.h"


namespace hmip::map::roles {

namespace {

const Ip6Addr kNoAddress{};
const std::string kNoInterface;

}  // namespace

const Ip6Addr& own_address(const MapdConfig& c, BindingRole r) noexcept {
  if (r == BindingRole::home) return c.home_agent ? c.home_agent->address : kNoAddress;
  return c.map_role() ? c.map_address : kNoAddress;
}

bool is_own_address(const MapdConfig& c, const Ip6Addr& a) noexcept {
  if (a.is_unspecified()) return false;
  return a == own_address(c, BindingRole::map) || a == own_address(c, BindingRole::home);
}

bool serves(const MapdConfig& c, BindingRole r, const Ip6Addr& a) noexcept {
  const bool configured = r == BindingRole::home ? c.home_agent.has_value() : c.map_role();
  return configured && a == own_address(c, r);
}

std::optional<std::uint16_t> prefix_of(const MapdConfig& c, BindingRole r, const Ip6Addr& a) noexcept {
  const auto find = [&](const auto& list) -> std::optional<std::uint16_t> {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i].prefix.contains(a)) return static_cast<std::uint16_t>(i);
    return std::nullopt;
  };
  if (r == BindingRole::map) return find(c.rcoa_prefixes);
  return c.home_agent ? find(c.home_agent->prefixes) : std::nullopt;
}

const std::string& interface_of(const MapdConfig& c, BindingRole r, std::uint16_t prefix) noexcept {
  if (r == BindingRole::map) return prefix < c.rcoa_prefixes.size() ? c.rcoa_prefixes[prefix].interface : kNoInterface;
  if (!c.home_agent || prefix >= c.home_agent->prefixes.size()) return kNoInterface;
  return c.home_agent->prefixes[prefix].interface;
}

LifetimeLimits limits_of(const MapdConfig& c, BindingRole r, std::uint16_t prefix) noexcept {
  if (r == BindingRole::map) {
    const std::uint32_t valid = prefix < c.rcoa_prefixes.size() ? c.rcoa_prefixes[prefix].valid_lifetime : 0;
    return LifetimeLimits{c.max_binding_lifetime, valid, c.advertised_valid_lifetime};
  }
  // RFC 6275 §10.3.1: no longer than the home address stays valid. No MAP
  // option advertises the home prefix: its own ValidLifetime is the third cap.
  if (!c.home_agent || prefix >= c.home_agent->prefixes.size()) return LifetimeLimits{};
  const std::uint32_t valid = c.home_agent->prefixes[prefix].valid_lifetime;
  return LifetimeLimits{c.home_agent->max_binding_lifetime, valid, valid};
}

bool needs_dad(const MapdConfig& c, BindingRole r, std::uint16_t prefix) noexcept {
  const bool on = r == BindingRole::home ? c.home_agent && c.home_agent->dad : c.dad;
  return on && !interface_of(c, r, prefix).empty();
}

Duration dad_timeout(const MapdConfig& c, BindingRole r) noexcept {
  return r == BindingRole::home && c.home_agent ? c.home_agent->dad_timeout : c.dad_timeout;
}

std::string_view address_word(BindingRole r) noexcept { return r == BindingRole::home ? "home address" : "RCoA"; }

}  // namespace hmip::map::roles
