// The small value types of hmip/ar/access_router.h: names of RA kinds and
// drop reasons, the wire error -> drop reason mapping, counter totals.
#include "hmip/ar/access_router.h"

namespace hmip::ar {

std::string_view to_string(RaKind k) noexcept {
  switch (k) {
    case RaKind::unsolicited: return "unsolicited";
    case RaKind::solicited_multicast: return "solicited-multicast";
    case RaKind::solicited_unicast: return "solicited-unicast";
    case RaKind::final: return "final";
  }
  return "?";
}

std::string_view to_string(InvalidReason r) noexcept {
  switch (r) {
    case InvalidReason::hop_limit: return "hop-limit";
    case InvalidReason::bad_checksum: return "bad-checksum";
    case InvalidReason::bad_code: return "bad-code";
    case InvalidReason::truncated: return "truncated";
    case InvalidReason::bad_length: return "bad-length";
    case InvalidReason::bad_option: return "bad-option";
    case InvalidReason::ra_source_not_link_local: return "ra-source-not-link-local";
    case InvalidReason::rs_unspecified_with_slla: return "rs-unspecified-with-slla";
    case InvalidReason::other: return "other";
  }
  return "?";
}

InvalidReason invalid_reason(const wire::Error& e) noexcept {
  switch (e.code) {
    case wire::Errc::bad_checksum: return InvalidReason::bad_checksum;
    case wire::Errc::truncated: return InvalidReason::truncated;
    case wire::Errc::bad_length: return InvalidReason::bad_length;
    case wire::Errc::invalid_field: return e.offset == 1 ? InvalidReason::bad_code : InvalidReason::bad_option;
    default: return InvalidReason::other;
  }
}

std::uint64_t InterfaceCounters::invalid_total() const noexcept {
  std::uint64_t n = 0;
  for (auto v : invalid) n += v;
  return n;
}

}  // namespace hmip::ar
