#include "hmip/wire/bytes.h"

namespace hmip::wire {

bool ByteReader::need(std::size_t n) noexcept {
  if (failed_ || n > data_.size() - pos_) {
    failed_ = true;
    return false;
  }
  return true;
}

std::uint8_t ByteReader::u8() noexcept {
  if (!need(1)) return 0;
  return data_[pos_++];
}

std::uint16_t ByteReader::u16() noexcept {
  if (!need(2)) return 0;
  auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

std::uint32_t ByteReader::u32() noexcept {
  if (!need(4)) return 0;
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 4;
  return v;
}

Ip6Addr ByteReader::ip6() noexcept {
  Ip6Addr a;
  if (!need(16)) return a;
  for (std::size_t i = 0; i < 16; ++i) a.b[i] = data_[pos_ + i];
  pos_ += 16;
  return a;
}

Ip4Addr ByteReader::ip4() noexcept {
  Ip4Addr a;
  if (!need(4)) return a;
  for (std::size_t i = 0; i < 4; ++i) a.b[i] = data_[pos_ + i];
  pos_ += 4;
  return a;
}

ByteSpan ByteReader::take(std::size_t n) noexcept {
  if (!need(n)) return {};
  auto s = data_.subspan(pos_, n);
  pos_ += n;
  return s;
}

void ByteReader::skip(std::size_t n) noexcept {
  if (need(n)) pos_ += n;
}

void ByteWriter::u8(std::uint8_t v) { out_.push_back(v); }

void ByteWriter::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
}

void ByteWriter::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
}

void ByteWriter::ip6(const Ip6Addr& a) { out_.insert(out_.end(), a.b.begin(), a.b.end()); }

void ByteWriter::ip4(const Ip4Addr& a) { out_.insert(out_.end(), a.b.begin(), a.b.end()); }

void ByteWriter::bytes(ByteSpan s) { out_.insert(out_.end(), s.begin(), s.end()); }

void ByteWriter::zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }

void ByteWriter::put_u16_at(std::size_t pos, std::uint16_t v) {
  out_.at(pos) = static_cast<std::uint8_t>(v >> 8);
  out_.at(pos + 1) = static_cast<std::uint8_t>(v);
}

void ByteWriter::put_u8_at(std::size_t pos, std::uint8_t v) { out_.at(pos) = v; }

}  // namespace hmip::wire
