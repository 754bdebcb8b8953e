// strongSwan's VICI protocol (the vici plugin's README, "Transport protocol"
// and "Message format"): the message tree and its encoding, pure: byte span
// in, value or precise error out; the encoder is the exact inverse.
//
// A message is a sequence of elements:
//   SECTION_START (1) name ... SECTION_END (2)
//   KEY_VALUE     (3) name, 16-bit length, value
//   LIST_START    (4) name, LIST_ITEM (5) 16-bit length, value ..., LIST_END (6)
// names are 8-bit-length-prefixed, values opaque bytes (UTF-8 or binary).
// A packet is a type octet, a name for the named types (command and event
// names), then a message for requests, responses and events; on the stream
// each packet is preceded by its 32-bit big-endian length.
//
// hmip talks to charon with this (mapd: identities and leases behind RCoAs,
// per-MN connections; mnd: its IKE SA and virtual IP). Decoding limits are
// strongSwan's own: 512 KiB per packet; nesting is bounded by
// kMaxDepth so a hostile peer cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hmip/wire/bytes.h"
#include "hmip/wire/result.h"

namespace hmip::vici {

using wire::ByteSpan;
using wire::Bytes;
using wire::Error;
using wire::Errc;
using wire::Result;

/// strongSwan's VICI_MESSAGE_SIZE_MAX: the largest packet either side sends.
inline constexpr std::size_t kMaxPacketSize = std::size_t{512} * 1024U;
/// Sections nested deeper than this are refused by the decoder.
inline constexpr std::size_t kMaxDepth = 32;

/// Element types of the message encoding.
enum class ElementType : std::uint8_t {
  section_start = 1,
  section_end = 2,
  key_value = 3,
  list_start = 4,
  list_item = 5,
  list_end = 6,
};

using List = std::vector<std::string>;
struct Entry;

/// A section (the message itself is the unnamed top-level section): entries
/// in wire order. Keys are not required to be unique; lookups return the
/// first match.
struct Section {
  std::vector<Entry> entries;

  /// Builders (append; return *this for chaining).
  Section& set(std::string key, std::string value);
  Section& set(std::string key, List items);
  Section& set(std::string key, Section sub);

  /// Lookups: nullptr when the key is absent or holds another kind of value.
  [[nodiscard]] const std::string* value(std::string_view key) const;
  [[nodiscard]] const List* list(std::string_view key) const;
  [[nodiscard]] const Section* section(std::string_view key) const;
  /// value(key), or `fallback` when absent.
  [[nodiscard]] std::string str(std::string_view key, std::string_view fallback = {}) const;
  /// A key-value or a list: the values of `key` as a list (a single value
  /// becomes a one-item list; absent: empty).
  [[nodiscard]] List values(std::string_view key) const;
  [[nodiscard]] bool empty() const noexcept { return entries.empty(); }

  friend bool operator==(const Section&, const Section&);
};

struct Entry {
  std::string key;
  std::variant<std::string, List, Section> value;
  friend bool operator==(const Entry&, const Entry&) = default;
};

/// The message encoding of `s` (no packet header). Errors (too_long): a key
/// longer than 255 octets, a value or list item longer than 65535, an empty
/// key, or a result larger than kMaxPacketSize.
Result<Bytes> encode_message(const Section& s);

/// Decodes a whole message. Errors: an unknown element type, a truncated
/// element, a SECTION_END or LIST_* out of place, an unterminated section or
/// list, nesting deeper than kMaxDepth, an empty name.
Result<Section> decode_message(ByteSpan in);

/// Packet types (the README's "Packet layer").
enum class PacketType : std::uint8_t {
  cmd_request = 0,
  cmd_response = 1,
  cmd_unknown = 2,
  event_register = 3,
  event_unregister = 4,
  event_confirm = 5,
  event_unknown = 6,
  event = 7,
};
std::string_view to_string(PacketType t) noexcept;

/// True for the types that carry a name (command or event name).
[[nodiscard]] constexpr bool has_name(PacketType t) noexcept {
  return t == PacketType::cmd_request || t == PacketType::event_register ||
         t == PacketType::event_unregister || t == PacketType::event;
}
/// True for the types that carry a message.
[[nodiscard]] constexpr bool has_message(PacketType t) noexcept {
  return t == PacketType::cmd_request || t == PacketType::cmd_response || t == PacketType::event;
}

struct Packet {
  PacketType type = PacketType::cmd_request;
  std::string name;  ///< for has_name types
  Section message;   ///< for has_message types
  friend bool operator==(const Packet&, const Packet&) = default;
};

/// The packet with its 32-bit length prefix, ready to write to the stream.
/// Errors: a name on a type without one (invalid_field), a name longer than
/// 255 octets or empty where required, a message that does not encode, a
/// packet larger than kMaxPacketSize.
Result<Bytes> encode_packet(const Packet& p);

/// Decodes one packet body (what follows the length prefix). Errors: an
/// unknown type, a missing or empty name, a message that does not decode,
/// trailing octets after a type without a message.
Result<Packet> decode_packet(ByteSpan body);

/// Splits a byte stream into packet bodies (sans-IO: feed what the socket
/// read, take whole packets out). A length prefix above kMaxPacketSize
/// latches an error: the stream cannot be resynchronised, close it.
class Framer {
 public:
  void feed(ByteSpan data);
  /// The next whole packet body, decoded; nullopt when more bytes are needed.
  std::optional<Result<Packet>> next();
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Octets buffered but not yet part of a whole packet.
  [[nodiscard]] std::size_t pending() const noexcept { return buf_.size() - pos_; }

 private:
  Bytes buf_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace hmip::vici
