// Internal to lib/ar: what the ard.conf parser reads with beyond the shared
// readers of hmip/core/conf_reader.h (diagnostics, Seen, the argument
// readers): the values only ard.conf has (RA lifetimes and router
// preferences, DNSSL domains, an RA prefix's link-local rule) and its
// unknown-keyword report (radvd-only keywords, global statements met in a
// block).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "config_keywords.h"
#include "hmip/ar/config_parse.h"
#include "hmip/core/conf_reader.h"

namespace hmip::ar::detail {

using core::conf::Diagnostics;
using core::conf::kInfinity;
using core::conf::q;
using core::conf::Seen;
using core::conf::Statement;
using core::conf::Token;

/// A DNS domain name for DNSSL: labels of 1..63 letters, digits, '-' or '_',
/// 253 characters at most, an optional final '.'.
bool valid_domain(std::string_view d);

/// An interface block's keywords, and its own keyword (for errors about
/// settings it lacks).
struct InterfaceState {
  Seen seen;
  Token keyword;
};

class StatementReader : public core::conf::StatementReader {
 public:
  explicit StatementReader(ParseResult& r) : core::conf::StatementReader(r.errors, r.warnings) {}

  /// An error for a keyword not valid in `ctx`: a radvd option ard lacks,
  /// where it belongs, or the closest keyword.
  void unknown(const Statement& s, Ctx ctx);

  /// Seconds, 0..0xffffffff or infinity.
  std::optional<std::uint32_t> lifetime(const Statement& s);
  std::optional<wire::RouterPreference> preference(const Statement& s);
  /// The prefix argument of a prefix or route statement (link-local ones
  /// refused: hosts ignore them).
  std::optional<Ip6Prefix> prefix_arg(const Statement& s);
};

}  // namespace hmip::ar::detail
