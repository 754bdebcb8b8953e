// Internal to lib/mn: what the Multiple CoA registrations with a MAP
// (mn_mcoa.cpp) and with the home agent (mn_home_mcoa.cpp) share about
// their members and BID lists.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace hmip::mn::detail {

inline bool has_bid(const std::vector<std::uint16_t>& v, std::uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

/// Priority order: BID-PRI 1..127 (lower preferred), none (0) last.
inline unsigned priority_rank(std::uint8_t priority) { return priority == 0 ? 128U : priority; }

/// BIDs a reload retired go to `leaving` (deregistered) once every member
/// is registered under its new BID (none dirty: make-before-break), unless
/// a member has that BID again (its registration replaced the old binding).
/// The caller holds them back while a BU is outstanding.
template <class Member>
void retire_to_leaving(std::vector<std::uint16_t>& retired, std::vector<std::uint16_t>& leaving,
                       const std::vector<Member>& members) {
  if (retired.empty() || std::any_of(members.begin(), members.end(), [](const Member& m) { return m.dirty; })) return;
  for (const auto x : retired)
    if (!has_bid(leaving, x) && std::none_of(members.begin(), members.end(), [&](const Member& m) { return m.bid == x; }))
      leaving.push_back(x);
  retired.clear();
}

}  // namespace hmip::mn::detail
