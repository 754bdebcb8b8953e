#include "hmip/kglue/kernel_names.h"

#include <array>
#include <cstdio>

namespace hmip::kglue {

std::optional<std::string> tunnel_name(std::string_view prefix, std::uint32_t number) {
  if (prefix.empty()) return std::nullopt;
  std::array<char, 16> hex{};
  const int n = std::snprintf(hex.data(), hex.size(), "%04x", number);
  if (n < 0) return std::nullopt;
  std::string name(prefix);
  name.append(hex.data(), static_cast<std::size_t>(n));
  if (name.size() > kMaxLinkName) return std::nullopt;
  return name;
}

std::optional<std::uint32_t> tunnel_number(std::string_view prefix, std::string_view name) {
  if (prefix.empty() || name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(prefix.size());
  if (digits.size() < 4 || digits.size() > 8) return std::nullopt;
  std::uint32_t v = 0;
  for (const char c : digits) {
    std::uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    v = v * 16 + d;
  }
  return v;
}

std::string_view check_tags(const Tags& tags) {
  if (tags.link_prefix.empty() || tags.link_prefix.size() > 6) return "link prefix must be 1 to 6 characters";
  for (const char c : tags.link_prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return "link prefix may hold only a-z, 0-9, '_' and '-'";
  }
  if (tags.route_protocol <= 4) return "route protocol must be above RTPROT_STATIC (4)";
  if (tags.xfrm_priority_lo > tags.xfrm_priority_hi) return "xfrm priority range is empty (lo > hi)";
  if (tags.rule_priority_lo > tags.rule_priority_hi) return "rule priority range is empty (lo > hi)";
  if (tags.rule_priority_hi != 0 && tags.rule_priority_hi - tags.rule_priority_lo < 4) {
    return "rule priority range must hold at least 4 priorities";
  }
  if (tags.table_lo > tags.table_hi) return "table range is empty (lo > hi)";
  if (tags.table_hi != 0 && tags.table_hi == tags.table_lo) {
    return "table range must hold at least 2 tables (an MN binding uses two)";
  }
  if (tags.table_hi != 0 && (tags.table_lo == 0 || (tags.table_lo <= 255 && tags.table_hi >= 252))) {
    return "table range must avoid tables 0 and 252..255";
  }
  return {};
}

}  // namespace hmip::kglue
