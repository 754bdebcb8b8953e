// Bounds-checked big-endian reading and writing of byte buffers.
//
// ByteReader never reads past its span: a read that does not fit returns
// zeros, consumes nothing and latches the reader into a failed state that the
// decoder checks once per group of fields (`if (!r) ...`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hmip/wire/addr.h"

namespace hmip::wire {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(ByteSpan data, std::size_t base_offset = 0) noexcept
      : data_(data), base_(base_offset) {}

  std::uint8_t u8() noexcept;
  std::uint16_t u16() noexcept;
  std::uint32_t u32() noexcept;
  Ip6Addr ip6() noexcept;
  Ip4Addr ip4() noexcept;
  /// The next n bytes as a sub-span (empty and failed if they are not there).
  ByteSpan take(std::size_t n) noexcept;
  /// Skips n bytes.
  void skip(std::size_t n) noexcept;

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == data_.size(); }
  /// Offset of the read position, counted from the start of the outermost
  /// buffer (base_offset + position), for error reports.
  [[nodiscard]] std::size_t offset() const noexcept { return base_ + pos_; }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] ByteSpan rest() const noexcept { return data_.subspan(pos_); }

 private:
  bool need(std::size_t n) noexcept;

  ByteSpan data_;
  std::size_t base_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) noexcept : out_(out) {}

  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void ip6(const Ip6Addr& a);
  void ip4(const Ip4Addr& a);
  void bytes(ByteSpan s);
  void zeros(std::size_t n);
  /// Overwrites two bytes at an absolute position already written.
  void put_u16_at(std::size_t pos, std::uint16_t v);
  void put_u8_at(std::size_t pos, std::uint8_t v);

  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

 private:
  Bytes& out_;
};

}  // namespace hmip::wire
