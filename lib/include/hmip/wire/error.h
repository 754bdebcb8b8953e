// Decoding errors: which rule the input broke, and where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hmip::wire {

/// The class of rule a malformed input broke.
enum class Errc : std::uint8_t {
  truncated,      ///< the input ends before a field or a declared length does
  bad_length,     ///< a length field disagrees with its type or with the input
  bad_alignment,  ///< an option does not sit at its required alignment
  invalid_field,  ///< a field holds a value the specification forbids
  unknown_type,   ///< a message or header type this decoder does not handle
  bad_checksum,   ///< the checksum does not verify
  too_long,       ///< an encoder was asked to produce more than the format can carry
};

std::string_view to_string(Errc e) noexcept;

/// A precise decoding (or encoding) error. `rule` is a static, human-readable
/// description of the rule that was broken (never owned, never freed);
/// `offset` is the byte offset in the input where the problem was found.
struct Error {
  Errc code{};
  std::size_t offset{};
  std::string_view rule{};

  friend bool operator==(const Error&, const Error&) = default;
};

/// "truncated at offset 7: Binding Update needs 6 octets of message data"
std::string to_string(const Error& e);

}  // namespace hmip::wire
