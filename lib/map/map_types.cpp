// The small value types of hmip/map/map_types.h: names, key order and hash,
// the wire error -> drop reason mapping, counter totals.
#include "hmip/map/map_types.h"

#include <algorithm>

namespace hmip::map {

bool BindingKeyLess::operator()(const BindingKey& x, const BindingKey& y) const noexcept {
  if (x.rcoa.b != y.rcoa.b)
    return std::lexicographical_compare(x.rcoa.b.begin(), x.rcoa.b.end(), y.rcoa.b.begin(), y.rcoa.b.end());
  return x.bid < y.bid;
}

std::size_t BindingKeyHash::operator()(const BindingKey& k) const noexcept {
  // FNV-1a over the 18 octets: RCoAs of one prefix differ in their low
  // octets only, which FNV spreads over the whole word.
  std::uint64_t h = 1469598103934665603ULL;
  const auto mix = [&h](std::uint8_t v) {
    h ^= v;
    h *= 1099511628211ULL;
  };
  for (auto v : k.rcoa.b) mix(v);
  mix(static_cast<std::uint8_t>(k.bid >> 8));
  mix(static_cast<std::uint8_t>(k.bid & 0xff));
  return static_cast<std::size_t>(h);
}

std::string_view to_string(BindingRole r) noexcept {
  switch (r) {
    case BindingRole::map: return "map";
    case BindingRole::home: return "home";
  }
  return "?";
}

std::string_view to_string(InstallReason r) noexcept {
  switch (r) {
    case InstallReason::create: return "create";
    case InstallReason::move: return "move";
    case InstallReason::rank: return "rank";
    case InstallReason::reload: return "reload";
    case InstallReason::adopt: return "adopt";
  }
  return "?";
}

std::string_view to_string(RemoveReason r) noexcept {
  switch (r) {
    case RemoveReason::expired: return "expired";
    case RemoveReason::deregistered: return "deregistered";
    case RemoveReason::prefix_removed: return "prefix-removed";
    case RemoveReason::reload_failed: return "reload-failed";
    case RemoveReason::stale: return "stale";
    case RemoveReason::not_adopted: return "not-adopted";
    case RemoveReason::owner_changed: return "owner-changed";
    case RemoveReason::replaced: return "replaced";
  }
  return "?";
}

std::string_view to_string(AdoptVerdict v) noexcept {
  switch (v) {
    case AdoptVerdict::adopted: return "adopted";
    case AdoptVerdict::adopted_reinstall: return "adopted, re-installed with the configured settings";
    case AdoptVerdict::outside_prefixes: return "RCoA outside every RcoaPrefix";
    case AdoptVerdict::other_map_address: return "bound to another MapAddress";
    case AdoptVerdict::lcoa_not_allowed: return "LCoA outside LcoaPrefix and NeighbourPrefix (or inside an RCoA prefix)";
    case AdoptVerdict::lifetime_capped: return "a lifetime cap below 4 s";
    case AdoptVerdict::no_holder: return "no IKE identity holds the address (or two do)";
    case AdoptVerdict::not_owner: return "the IKE identity holding the home address is not its owner (HomeAddress)";
    case AdoptVerdict::already_bound: return "already bound";
  }
  return "?";
}

std::string_view to_string(InvalidMhReason r) noexcept {
  switch (r) {
    case InvalidMhReason::bad_checksum: return "bad-checksum";
    case InvalidMhReason::unknown_type: return "unknown-type";
    case InvalidMhReason::bad_payload_proto: return "bad-payload-proto";
    case InvalidMhReason::bad_length: return "bad-length";
    case InvalidMhReason::truncated: return "truncated";
    case InvalidMhReason::other: return "other";
  }
  return "?";
}

InvalidMhReason invalid_mh_reason(const wire::Error& e) noexcept {
  switch (e.code) {
    case wire::Errc::bad_checksum: return InvalidMhReason::bad_checksum;
    case wire::Errc::unknown_type: return InvalidMhReason::unknown_type;
    case wire::Errc::invalid_field: return e.offset == 0 ? InvalidMhReason::bad_payload_proto : InvalidMhReason::other;
    case wire::Errc::bad_length: return InvalidMhReason::bad_length;
    case wire::Errc::truncated: return InvalidMhReason::truncated;
    default: return InvalidMhReason::other;
  }
}

std::uint64_t MapCounters::refused_total() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [status, count] : bu_refused) n += count;
  return n;
}

std::uint64_t MapCounters::refused(std::uint8_t status) const noexcept {
  const auto it = bu_refused.find(status);
  return it == bu_refused.end() ? 0 : it->second;
}

}  // namespace hmip::map
