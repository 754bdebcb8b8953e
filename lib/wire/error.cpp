#include "hmip/wire/error.h"

namespace hmip::wire {

std::string_view to_string(Errc e) noexcept {
  switch (e) {
    case Errc::truncated: return "truncated";
    case Errc::bad_length: return "bad length";
    case Errc::bad_alignment: return "bad alignment";
    case Errc::invalid_field: return "invalid field";
    case Errc::unknown_type: return "unknown type";
    case Errc::bad_checksum: return "bad checksum";
    case Errc::too_long: return "too long";
  }
  return "unknown error";
}

std::string to_string(const Error& e) {
  std::string s(to_string(e.code));
  s += " at offset ";
  s += std::to_string(e.offset);
  if (!e.rule.empty()) {
    s += ": ";
    s += e.rule;
  }
  return s;
}

}  // namespace hmip::wire
