// An IPv6 prefix value type (address + length), for configuration and the
// cores' prefix checks.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hmip/wire/addr.h"

namespace hmip {

struct Ip6Prefix {
  Ip6Addr addr;          ///< bits past `len` are zero (parse() clears them)
  std::uint8_t len = 0;  ///< 0..128

  /// "2001:db8:1::/64"; nullopt if not a prefix. Host bits are cleared.
  static std::optional<Ip6Prefix> parse(std::string_view text);
  /// `a` with the bits past `len` cleared.
  static Ip6Prefix of(const Ip6Addr& a, std::uint8_t len);

  [[nodiscard]] bool contains(const Ip6Addr& a) const noexcept;
  [[nodiscard]] std::string str() const;

  friend auto operator<=>(const Ip6Prefix&, const Ip6Prefix&) = default;
  friend bool operator==(const Ip6Prefix&, const Ip6Prefix&) = default;
};

}  // namespace hmip
