// The kernel's XFRM error counters (/proc/net/xfrm_stat, per network
// namespace): where binding updates without the right ESP SA are counted
// when the IN policy of an RCoA's CHILD_SA drops them (XfrmInTmplMismatch,
// XfrmInNoStates, ...). Empty when the kernel has no XFRM statistics.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hmip::io {

/// Parses the text of /proc/net/xfrm_stat ("XfrmInError   0" lines).
std::map<std::string, std::uint64_t> parse_xfrm_stat(std::string_view text);
/// Reads this namespace's counters.
std::map<std::string, std::uint64_t> read_xfrm_stat();

}  // namespace hmip::io
