#include "hmip/wire/addr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace hmip {

std::optional<Ip6Addr> Ip6Addr::parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  text.copy(buf, text.size());
  Ip6Addr a;
  if (inet_pton(AF_INET6, buf, a.b.data()) != 1) return std::nullopt;
  return a;
}

Ip6Addr Ip6Addr::must(std::string_view text) {
  auto a = parse(text);
  if (!a) {
    std::fprintf(stderr, "Ip6Addr::must: not an IPv6 address: %.*s\n", static_cast<int>(text.size()),
                 text.data());
    std::abort();
  }
  return *a;
}

std::string Ip6Addr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
  return buf;
}

bool Ip6Addr::is_unspecified() const noexcept {
  for (auto x : b)
    if (x != 0) return false;
  return true;
}

bool Ip6Addr::is_loopback() const noexcept {
  for (std::size_t i = 0; i < 15; ++i)
    if (b[i] != 0) return false;
  return b[15] == 1;
}

std::optional<Ip4Addr> Ip4Addr::parse(std::string_view text) {
  if (text.size() >= INET_ADDRSTRLEN) return std::nullopt;
  char buf[INET_ADDRSTRLEN] = {};
  text.copy(buf, text.size());
  Ip4Addr a;
  if (inet_pton(AF_INET, buf, a.b.data()) != 1) return std::nullopt;
  return a;
}

std::string Ip4Addr::str() const {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, b.data(), buf, sizeof buf);
  return buf;
}

Ip6Addr wire::link_local_of(const Ip6Addr& a) noexcept {
  Ip6Addr ll;
  ll.b[0] = 0xfe;
  ll.b[1] = 0x80;
  std::copy(a.b.begin() + 8, a.b.end(), ll.b.begin() + 8);
  return ll;
}

}  // namespace hmip
