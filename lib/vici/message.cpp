// VICI message and packet encoding (hmip/vici/message.h).
#include "hmip/vici/message.h"

#include <algorithm>
#include <cstring>

namespace hmip::vici {

namespace {

constexpr std::size_t kMaxName = 0xff;
constexpr std::size_t kMaxValue = 0xffff;

template <class T>
const T* find(const Section& s, std::string_view key) {
  for (const auto& e : s.entries) {
    if (e.key == key) return std::get_if<T>(&e.value);
  }
  return nullptr;
}

// ---- encoding --------------------------------------------------------------

struct Encoder {
  Bytes& out;
  wire::ByteWriter w{out};

  bool name(std::string_view n) {
    if (n.empty() || n.size() > kMaxName) return false;
    w.u8(static_cast<std::uint8_t>(n.size()));
    w.bytes({reinterpret_cast<const std::uint8_t*>(n.data()), n.size()});
    return true;
  }
  bool value(std::string_view v) {
    if (v.size() > kMaxValue) return false;
    w.u16(static_cast<std::uint16_t>(v.size()));
    w.bytes({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
    return true;
  }
  // Returns the failing rule, or empty on success.
  std::string_view section(const Section& s) {
    for (const auto& e : s.entries) {
      if (out.size() > kMaxPacketSize) return "VICI message larger than 512 KiB";
      if (const auto* v = std::get_if<std::string>(&e.value)) {
        w.u8(static_cast<std::uint8_t>(ElementType::key_value));
        if (!name(e.key)) return "VICI key must be 1-255 octets";
        if (!value(*v)) return "VICI value longer than 65535 octets";
      } else if (const auto* l = std::get_if<List>(&e.value)) {
        w.u8(static_cast<std::uint8_t>(ElementType::list_start));
        if (!name(e.key)) return "VICI list name must be 1-255 octets";
        for (const auto& item : *l) {
          w.u8(static_cast<std::uint8_t>(ElementType::list_item));
          if (!value(item)) return "VICI list item longer than 65535 octets";
        }
        w.u8(static_cast<std::uint8_t>(ElementType::list_end));
      } else {
        w.u8(static_cast<std::uint8_t>(ElementType::section_start));
        if (!name(e.key)) return "VICI section name must be 1-255 octets";
        if (auto r = section(std::get<Section>(e.value)); !r.empty()) return r;
        w.u8(static_cast<std::uint8_t>(ElementType::section_end));
      }
    }
    if (out.size() > kMaxPacketSize) return "VICI message larger than 512 KiB";
    return {};
  }
};

// ---- decoding --------------------------------------------------------------

struct Decoder {
  wire::ByteReader r;

  static Error err(Errc c, std::size_t off, std::string_view rule) { return Error{c, off, rule}; }

  // Reads an 8-bit-length-prefixed name; nullopt (and `e` set) on error.
  std::optional<std::string> name(Error& e) {
    const auto off = r.offset();
    const auto n = r.u8();
    if (!r) {
      e = err(Errc::truncated, off, "VICI element needs a name length");
      return std::nullopt;
    }
    if (n == 0) {
      e = err(Errc::invalid_field, off, "VICI name must not be empty");
      return std::nullopt;
    }
    const auto b = r.take(n);
    if (!r) {
      e = err(Errc::truncated, off, "VICI name runs past the end");
      return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::optional<std::string> value(Error& e) {
    const auto off = r.offset();
    const auto n = r.u16();
    if (!r) {
      e = err(Errc::truncated, off, "VICI value needs a 16-bit length");
      return std::nullopt;
    }
    const auto b = r.take(n);
    if (!r) {
      e = err(Errc::truncated, off, "VICI value runs past the end");
      return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

  // Decodes elements into `s` until SECTION_END (nested) or the end of the
  // input (top level, depth 0).
  std::optional<Error> section(Section& s, std::size_t depth) {
    for (;;) {
      if (r.at_end()) {
        if (depth == 0) return std::nullopt;
        return err(Errc::truncated, r.offset(), "VICI section not terminated by SECTION_END");
      }
      const auto off = r.offset();
      const auto type = r.u8();
      Error e{};
      switch (static_cast<ElementType>(type)) {
        case ElementType::key_value: {
          auto k = name(e);
          if (!k) return e;
          auto v = value(e);
          if (!v) return e;
          s.entries.push_back(Entry{std::move(*k), std::move(*v)});
          break;
        }
        case ElementType::list_start: {
          auto k = name(e);
          if (!k) return e;
          List items;
          for (;;) {
            const auto ioff = r.offset();
            const auto t = r.u8();
            if (!r) return err(Errc::truncated, ioff, "VICI list not terminated by LIST_END");
            if (t == static_cast<std::uint8_t>(ElementType::list_end)) break;
            if (t != static_cast<std::uint8_t>(ElementType::list_item)) {
              return err(Errc::invalid_field, ioff, "VICI list may hold only LIST_ITEM elements");
            }
            auto v = value(e);
            if (!v) return e;
            items.push_back(std::move(*v));
          }
          s.entries.push_back(Entry{std::move(*k), std::move(items)});
          break;
        }
        case ElementType::section_start: {
          if (depth + 1 > kMaxDepth) return err(Errc::invalid_field, off, "VICI sections nested too deep");
          auto k = name(e);
          if (!k) return e;
          Section sub;
          if (auto se = section(sub, depth + 1)) return se;
          s.entries.push_back(Entry{std::move(*k), std::move(sub)});
          break;
        }
        case ElementType::section_end:
          if (depth == 0) return err(Errc::invalid_field, off, "VICI SECTION_END without SECTION_START");
          return std::nullopt;
        case ElementType::list_item:
        case ElementType::list_end:
          return err(Errc::invalid_field, off, "VICI LIST_ITEM/LIST_END outside a list");
        default:
          return err(Errc::unknown_type, off, "unknown VICI element type");
      }
    }
  }
};

}  // namespace

// ---- Section ------------------------------------------------------------------

Section& Section::set(std::string key, std::string value) {
  entries.push_back(Entry{std::move(key), std::move(value)});
  return *this;
}
Section& Section::set(std::string key, List items) {
  entries.push_back(Entry{std::move(key), std::move(items)});
  return *this;
}
Section& Section::set(std::string key, Section sub) {
  entries.push_back(Entry{std::move(key), std::move(sub)});
  return *this;
}
const std::string* Section::value(std::string_view key) const { return find<std::string>(*this, key); }
const List* Section::list(std::string_view key) const { return find<List>(*this, key); }
const Section* Section::section(std::string_view key) const { return find<Section>(*this, key); }
std::string Section::str(std::string_view key, std::string_view fallback) const {
  const auto* v = value(key);
  return v != nullptr ? *v : std::string(fallback);
}
List Section::values(std::string_view key) const {
  if (const auto* v = value(key)) return List{*v};
  if (const auto* l = list(key)) return *l;
  return {};
}
bool operator==(const Section& a, const Section& b) { return a.entries == b.entries; }

// ---- messages and packets ---------------------------------------------------------

Result<Bytes> encode_message(const Section& s) {
  Bytes out;
  Encoder enc{out};
  if (auto rule = enc.section(s); !rule.empty()) return Error{Errc::too_long, out.size(), rule};
  return out;
}

Result<Section> decode_message(ByteSpan in) {
  Decoder d{wire::ByteReader(in)};
  Section s;
  if (auto e = d.section(s, 0)) return *e;
  return s;
}

std::string_view to_string(PacketType t) noexcept {
  switch (t) {
    case PacketType::cmd_request: return "CMD_REQUEST";
    case PacketType::cmd_response: return "CMD_RESPONSE";
    case PacketType::cmd_unknown: return "CMD_UNKNOWN";
    case PacketType::event_register: return "EVENT_REGISTER";
    case PacketType::event_unregister: return "EVENT_UNREGISTER";
    case PacketType::event_confirm: return "EVENT_CONFIRM";
    case PacketType::event_unknown: return "EVENT_UNKNOWN";
    case PacketType::event: return "EVENT";
  }
  return "unknown";
}

Result<Bytes> encode_packet(const Packet& p) {
  Bytes out(4, 0);
  wire::ByteWriter w(out);
  if (static_cast<std::uint8_t>(p.type) > static_cast<std::uint8_t>(PacketType::event)) {
    return Error{Errc::invalid_field, 4, "unknown VICI packet type"};
  }
  w.u8(static_cast<std::uint8_t>(p.type));
  if (has_name(p.type)) {
    if (p.name.empty() || p.name.size() > kMaxName) return Error{Errc::too_long, 5, "VICI packet name must be 1-255 octets"};
    w.u8(static_cast<std::uint8_t>(p.name.size()));
    w.bytes({reinterpret_cast<const std::uint8_t*>(p.name.data()), p.name.size()});
  } else if (!p.name.empty()) {
    return Error{Errc::invalid_field, 5, "this VICI packet type carries no name"};
  }
  if (has_message(p.type)) {
    auto m = encode_message(p.message);
    if (!m) return Error{m.error().code, m.error().offset + out.size(), m.error().rule};
    out.insert(out.end(), m->begin(), m->end());
  } else if (!p.message.empty()) {
    return Error{Errc::invalid_field, out.size(), "this VICI packet type carries no message"};
  }
  const auto body = out.size() - 4;
  if (body > kMaxPacketSize) return Error{Errc::too_long, 0, "VICI packet larger than 512 KiB"};
  w.put_u16_at(0, static_cast<std::uint16_t>(body >> 16U));
  w.put_u16_at(2, static_cast<std::uint16_t>(body & 0xffffU));
  return out;
}

Result<Packet> decode_packet(ByteSpan body) {
  wire::ByteReader r(body);
  const auto t = r.u8();
  if (!r) return Error{Errc::truncated, 0, "VICI packet needs a type octet"};
  if (t > static_cast<std::uint8_t>(PacketType::event)) return Error{Errc::unknown_type, 0, "unknown VICI packet type"};
  Packet p;
  p.type = static_cast<PacketType>(t);
  if (has_name(p.type)) {
    const auto n = r.u8();
    if (!r) return Error{Errc::truncated, 1, "VICI packet needs a name length"};
    if (n == 0) return Error{Errc::invalid_field, 1, "VICI packet name must not be empty"};
    const auto b = r.take(n);
    if (!r) return Error{Errc::truncated, 2, "VICI packet name runs past the end"};
    p.name.assign(reinterpret_cast<const char*>(b.data()), b.size());
  }
  if (has_message(p.type)) {
    const auto base = r.offset();
    auto m = decode_message(r.rest());
    if (!m) return Error{m.error().code, m.error().offset + base, m.error().rule};
    p.message = std::move(*m);
  } else if (!r.at_end()) {
    return Error{Errc::bad_length, r.offset(), "octets after a VICI packet that carries no message"};
  }
  return p;
}

void Framer::feed(ByteSpan data) {
  if (failed_) return;
  // Drop what was consumed before growing the buffer.
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > std::size_t{64} * 1024U) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

std::optional<Result<Packet>> Framer::next() {
  if (failed_) return Result<Packet>(Error{Errc::bad_length, 0, "VICI stream failed earlier"});
  if (buf_.size() - pos_ < 4) return std::nullopt;
  const std::uint32_t len = (std::uint32_t{buf_[pos_]} << 24U) | (std::uint32_t{buf_[pos_ + 1]} << 16U) |
                            (std::uint32_t{buf_[pos_ + 2]} << 8U) | std::uint32_t{buf_[pos_ + 3]};
  if (len > kMaxPacketSize) {
    failed_ = true;
    return Result<Packet>(Error{Errc::too_long, 0, "VICI packet length above 512 KiB"});
  }
  if (buf_.size() - pos_ - 4 < len) return std::nullopt;
  const ByteSpan body(buf_.data() + pos_ + 4, len);
  pos_ += 4 + len;
  return decode_packet(body);
}

}  // namespace hmip::vici
