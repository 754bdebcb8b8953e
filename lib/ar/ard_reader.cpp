#include "ard_reader.h"

#include <string>
#include <utility>

namespace hmip::ar::detail {

namespace {

using core::conf::closest_keyword;
using core::conf::iequals;

std::optional<wire::RouterPreference> parse_preference(std::string_view t) {
  if (iequals(t, "low")) return wire::RouterPreference::low;
  if (iequals(t, "medium")) return wire::RouterPreference::medium;
  if (iequals(t, "high")) return wire::RouterPreference::high;
  return std::nullopt;
}

}  // namespace

bool valid_domain(std::string_view d) {
  if (d.size() > 1 && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > 253) return false;
  std::size_t label = 0;
  for (const char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

void StatementReader::unknown(const Statement& s, Ctx ctx) {
  const std::string& k = s.keyword.text;
  if (contains(radvd_only_keywords(), k)) {
    err(s.keyword, "'" + k + "' is a radvd option that ard does not support");
    return;
  }
  for (const Ctx other : kAllCtx) {
    if (other == ctx || !contains(keywords_of(other), k)) continue;
    if (other == Ctx::global)
      err(s.keyword, "'" + k + "' is a global statement: it goes outside the interface blocks");
    else
      err(s.keyword, "'" + k + "' is not valid in " + std::string(ctx_name(ctx)) + "; it belongs in " +
                         std::string(ctx_name(other)));
    return;
  }
  std::string m = "unknown keyword '" + q(k) + "' in " + std::string(ctx_name(ctx));
  auto hint = closest_keyword(k, keywords_of(ctx));
  if (!hint) hint = closest_keyword(k, all_keywords());
  if (hint) m += "; did you mean '" + std::string(*hint) + "'?";
  err(s.keyword, std::move(m));
}

std::optional<std::uint32_t> StatementReader::lifetime(const Statement& s) {
  auto v = number(s, 0, kInfinity, " seconds", true);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

std::optional<wire::RouterPreference> StatementReader::preference(const Statement& s) {
  const Token* a = one_arg(s, "low, medium or high");
  if (a == nullptr) return std::nullopt;
  auto p = parse_preference(a->text);
  if (!p) err(*a, s.keyword.text + " expects low, medium or high, got '" + q(a->text) + "'");
  return p;
}

std::optional<Ip6Prefix> StatementReader::prefix_arg(const Statement& s) {
  const Token* a = one_arg(s, "an IPv6 prefix such as 2001:db8:1::/64");
  if (a == nullptr) return std::nullopt;
  return prefix(*a, s.keyword.text, "hosts ignore it (RFC 4861 §6.3.4)");
}

}  // namespace hmip::ar::detail
