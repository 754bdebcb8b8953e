#include "hmip/wire/checksum.h"

namespace hmip::wire {
namespace {

std::uint32_t add_bytes(std::uint32_t sum, ByteSpan s) noexcept {
  std::size_t i = 0;
  for (; i + 1 < s.size(); i += 2) sum += static_cast<std::uint32_t>((s[i] << 8) | s[i + 1]);
  if (i < s.size()) sum += static_cast<std::uint32_t>(s[i] << 8);
  return sum;
}

std::uint16_t fold(std::uint32_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint32_t pseudo_sum(const PseudoHeader& ph, std::uint8_t next_header, std::size_t len) noexcept {
  std::uint32_t sum = 0;
  sum = add_bytes(sum, ph.src.b);
  sum = add_bytes(sum, ph.dst.b);
  auto l = static_cast<std::uint32_t>(len);
  sum += (l >> 16) + (l & 0xffff);
  sum += next_header;
  return sum;
}

}  // namespace

std::uint16_t upper_layer_checksum(const PseudoHeader& ph, std::uint8_t next_header,
                                   ByteSpan payload) noexcept {
  std::uint32_t sum = add_bytes(pseudo_sum(ph, next_header, payload.size()), payload);
  return static_cast<std::uint16_t>(~fold(sum));
}

bool verify_upper_layer_checksum(const PseudoHeader& ph, std::uint8_t next_header,
                                 ByteSpan payload) noexcept {
  std::uint32_t sum = add_bytes(pseudo_sum(ph, next_header, payload.size()), payload);
  return fold(sum) == 0xffff;
}

}  // namespace hmip::wire
