#include "config_reader.h"

#include <utility>

namespace hmip::ar::detail {

namespace {

using core::conf::closest_keyword;
using core::conf::format_seconds;
using core::conf::iequals;
using core::conf::ValueError;

std::optional<wire::RouterPreference> parse_preference(std::string_view t) {
  if (iequals(t, "low")) return wire::RouterPreference::low;
  if (iequals(t, "medium")) return wire::RouterPreference::medium;
  if (iequals(t, "high")) return wire::RouterPreference::high;
  return std::nullopt;
}

}  // namespace

std::string q(std::string_view s) { return core::conf::excerpt(s, 60); }

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

// ---- Seen ----------------------------------------------------------------------

const Token* Seen::note(const Statement& s) {
  auto [it, inserted] = map_.try_emplace(s.keyword.text, s.keyword);
  if (inserted) return nullptr;
  previous_ = it->second;
  it->second = s.keyword;
  return &previous_;
}

const Token* Seen::find(std::string_view kw) const {
  const auto it = map_.find(kw);
  return it == map_.end() ? nullptr : &it->second;
}

const Token& Seen::at(std::string_view kw, const Token& fallback) const {
  const Token* t = find(kw);
  return t != nullptr ? *t : fallback;
}

// ---- statements ----------------------------------------------------------------

void StatementReader::no_block(const Statement& s) {
  if (s.has_block) err(s.keyword, "'" + s.keyword.text + "' does not take a { ... } block");
}

void StatementReader::duplicate(Seen& seen, const Statement& s) {
  if (const Token* prev = seen.note(s))
    warn(s.keyword, s.keyword.text + " is already set on line " + std::to_string(prev->line) +
                        "; this later value replaces it");
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

// ---- arguments -----------------------------------------------------------------

const Token* StatementReader::one_arg(const Statement& s, std::string_view expects) {
  if (s.args.size() == 1) return &s.args[0];
  if (s.args.empty())
    err(s.keyword, s.keyword.text + " needs a value: " + std::string(expects));
  else
    err(s.args[1], s.keyword.text + " takes one value (" + std::string(expects) + "), got " +
                       std::to_string(s.args.size()));
  return nullptr;
}

std::optional<bool> StatementReader::flag(const Statement& s) {
  const Token* a = one_arg(s, "on or off");
  if (a == nullptr) return std::nullopt;
  auto v = core::conf::parse_flag(a->text);
  if (!v) err(*a, s.keyword.text + " expects on or off, got '" + q(a->text) + "'");
  return v;
}

std::optional<Duration> StatementReader::seconds(const Statement& s, Duration lo, Duration hi) {
  const Token* a = one_arg(s, "a number of seconds");
  if (a == nullptr) return std::nullopt;
  Duration d{};
  const std::string range = format_seconds(lo) + ".." + format_seconds(hi) + " seconds";
  switch (core::conf::parse_seconds(a->text, d)) {
    case ValueError::none:
      if (d < lo || d > hi) break;
      return d;
    case ValueError::syntax:
      err(*a, s.keyword.text + " expects a number of seconds (" + range + "), got '" + q(a->text) + "'");
      return std::nullopt;
    case ValueError::precision:
      err(*a, s.keyword.text + " " + q(a->text) + " is too precise: ard counts time in milliseconds (3 decimals)");
      return std::nullopt;
    case ValueError::range:
      break;
  }
  err(*a, s.keyword.text + " " + q(a->text) + " is out of range " + range);
  return std::nullopt;
}

std::optional<std::uint64_t> StatementReader::number(const Statement& s, std::uint64_t lo, std::uint64_t hi,
                                                     std::string_view unit, bool infinity) {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi) + std::string(unit);
  const Token* a = one_arg(s, infinity ? "a number or infinity" : "a number");
  if (a == nullptr) return std::nullopt;
  if (infinity && iequals(a->text, "infinity")) return kInfinity;
  std::uint64_t v = 0;
  switch (core::conf::parse_uint(a->text, hi, v)) {
    case ValueError::none:
      if (v < lo) break;
      return v;
    case ValueError::syntax:
    case ValueError::precision:
      err(*a, s.keyword.text + " expects a number (" + range + (infinity ? " or infinity" : "") + "), got '" +
                  q(a->text) + "'");
      return std::nullopt;
    case ValueError::range:
      break;
  }
  err(*a, s.keyword.text + " " + q(a->text) + " is out of range " + range);
  return std::nullopt;
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

std::optional<Ip6Addr> StatementReader::address(const Token& a, std::string_view what) {
  auto addr = Ip6Addr::parse(a.text);
  if (!addr) err(a, "'" + q(a.text) + "' is not an IPv6 address (" + std::string(what) + ")");
  return addr;
}

std::optional<Ip6Prefix> StatementReader::prefix_arg(const Statement& s) {
  const Token* a = one_arg(s, "an IPv6 prefix such as 2001:db8:1::/64");
  if (a == nullptr) return std::nullopt;
  auto p = Ip6Prefix::parse(a->text);
  if (!p) {
    if (Ip6Addr::parse(a->text))
      err(*a, s.keyword.text + " " + q(a->text) + " needs a prefix length, as in " + q(a->text) + "/64");
    else
      err(*a, "'" + q(a->text) + "' is not an IPv6 prefix (address/length, length 0..128)");
    return std::nullopt;
  }
  const auto slash = a->text.find('/');
  if (auto full = Ip6Addr::parse(std::string_view(a->text).substr(0, slash)); full && *full != p->addr)
    warn(*a, s.keyword.text + " " + q(a->text) + " has host bits set; they are ignored: the prefix is " + p->str());
  if (p->addr.is_link_local() && p->len >= 10) {
    err(*a, s.keyword.text + " " + p->str() + " is link-local: hosts ignore it (RFC 4861 §6.3.4)");
    return std::nullopt;
  }
  if (p->addr.is_multicast() && p->len >= 8) {
    err(*a, s.keyword.text + " " + p->str() + " is a multicast prefix");
    return std::nullopt;
  }
  return p;
}

}  // namespace hmip::ar::detail
