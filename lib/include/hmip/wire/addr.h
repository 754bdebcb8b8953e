// IPv6 and IPv4 address value types used by the wire layer.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hmip {

struct Ip6Addr {
  std::array<std::uint8_t, 16> b{};

  /// Parses textual IPv6 ("2001:db8::1"); nullopt if it is not one.
  static std::optional<Ip6Addr> parse(std::string_view text);
  /// Parses or aborts; for constants in tests and examples only.
  static Ip6Addr must(std::string_view text);

  [[nodiscard]] std::string str() const;
  [[nodiscard]] bool is_unspecified() const noexcept;
  [[nodiscard]] bool is_multicast() const noexcept { return b[0] == 0xff; }
  [[nodiscard]] bool is_link_local() const noexcept { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
  [[nodiscard]] bool is_loopback() const noexcept;

  // clang-tidy 14 flags the `0` of the defaulted <=>'s synthesized
  // comparison as a null pointer constant (false positive) when a caller
  // instantiates it, e.g. std::sort over a struct holding an Ip6Addr.
  friend auto operator<=>(const Ip6Addr&, const Ip6Addr&) = default;  // NOLINT(modernize-use-nullptr)
  friend bool operator==(const Ip6Addr&, const Ip6Addr&) = default;
};

struct Ip4Addr {
  std::array<std::uint8_t, 4> b{};

  static std::optional<Ip4Addr> parse(std::string_view text);
  [[nodiscard]] std::string str() const;

  friend auto operator<=>(const Ip4Addr&, const Ip4Addr&) = default;  // NOLINT(modernize-use-nullptr): as above
  friend bool operator==(const Ip4Addr&, const Ip4Addr&) = default;
};

namespace wire {

/// fe80::<the interface identifier of `a`>: the low 64 bits of `a` under
/// the link-local prefix (RFC 4291 §2.5.6). The link-local address a home
/// address's L flag asks the home agent to defend (RFC 6275 §10.3.1,
/// §10.4.1), and what two addresses with the same interface identifier
/// share. In hmip::wire, not beside Ip6Addr: argument-dependent lookup
/// would otherwise make it collide with local helpers of the same name.
[[nodiscard]] Ip6Addr link_local_of(const Ip6Addr& a) noexcept;

}  // namespace wire

}  // namespace hmip
