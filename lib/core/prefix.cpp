#include "hmip/core/prefix.h"

#include <charconv>

namespace hmip {

Ip6Prefix Ip6Prefix::of(const Ip6Addr& a, std::uint8_t len) {
  Ip6Prefix p{a, len > 128 ? std::uint8_t{128} : len};
  for (std::size_t i = 0; i < 16; ++i) {
    const int bits = static_cast<int>(p.len) - static_cast<int>(i) * 8;
    if (bits >= 8) continue;
    const auto mask = bits <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - bits));
    p.addr.b[i] = static_cast<std::uint8_t>(p.addr.b[i] & mask);
  }
  return p;
}

std::optional<Ip6Prefix> Ip6Prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ip6Addr::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || end != len_text.data() + len_text.size() || len_text.empty() || len > 128)
    return std::nullopt;
  return of(*addr, static_cast<std::uint8_t>(len));
}

bool Ip6Prefix::contains(const Ip6Addr& a) const noexcept {
  return of(a, len).addr == addr;
}

std::string Ip6Prefix::str() const { return addr.str() + "/" + std::to_string(len); }

}  // namespace hmip
