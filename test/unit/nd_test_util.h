// Byte helpers shared by the ND and HO wire tests (test_nd.cpp,
// test_nd_malformed.cpp, test_ho.cpp): hand-written vectors in hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hmip/wire/bytes.h"

namespace hmip::nd_test {

/// "86000000 4000 0708" -> bytes; spaces separate groups and are skipped.
inline wire::Bytes hex(std::string_view s) {
  wire::Bytes out;
  auto nib = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); };
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(nib(s[i]) << 4 | nib(s[i + 1])));
    i += 2;
  }
  return out;
}

/// `a` followed by `b`.
inline wire::Bytes cat(wire::Bytes a, const wire::Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace hmip::nd_test
