// Internal to lib/ar: what the ard.conf parser builds on. Diagnostics
// collects the errors and warnings of one parse; Seen remembers where each
// keyword of a block was set; StatementReader reads and checks the
// arguments of one statement (each reader reports its own errors).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config_keywords.h"
#include "hmip/ar/config_parse.h"

namespace hmip::ar::detail {

using core::conf::Statement;
using core::conf::Token;

/// "infinity" in lifetime fields.
inline constexpr std::uint64_t kInfinity = 0xffffffffULL;

/// User input inside a message (control characters masked, cut at 60 bytes).
std::string q(std::string_view s);

/// A DNS domain name for DNSSL: labels of 1..63 letters, digits, '-' or '_',
/// 253 characters at most, an optional final '.'.
bool valid_domain(std::string_view d);

class Diagnostics {
 public:
  explicit Diagnostics(ParseResult& r) : r_(r) {}

  void err(int line, int col, std::string m) { r_.errors.push_back(ConfigError{line, col, std::move(m)}); }
  void err(const Token& t, std::string m) { err(t.line, t.column, std::move(m)); }
  void warn(int line, int col, std::string m) { r_.warnings.push_back(ConfigError{line, col, std::move(m)}); }
  void warn(const Token& t, std::string m) { warn(t.line, t.column, std::move(m)); }
  std::vector<ConfigError>& errors() { return r_.errors; }

 private:
  ParseResult& r_;
};

/// Which keywords a block set, and where: for duplicate warnings and for
/// cross-field errors reported at the statement that set the field.
class Seen {
 public:
  /// Records `s`; returns the token of an earlier statement with the same keyword.
  const Token* note(const Statement& s);
  [[nodiscard]] const Token* find(std::string_view kw) const;
  /// The statement that set `kw`, else `fallback`.
  [[nodiscard]] const Token& at(std::string_view kw, const Token& fallback) const;

 private:
  std::map<std::string, Token, std::less<>> map_;
  Token previous_;
};

/// An interface block's keywords, and its own keyword (for errors about
/// settings it lacks).
struct InterfaceState {
  Seen seen;
  Token keyword;
};

class StatementReader : public Diagnostics {
 public:
  using Diagnostics::Diagnostics;

  /// Errors for a block after a statement that takes none.
  void no_block(const Statement& s);
  /// Notes `s` in `seen`; warns when its keyword is set again.
  void duplicate(Seen& seen, const Statement& s);
  /// An error for a keyword not valid in `ctx`: where it belongs, or the
  /// closest keyword.
  void unknown(const Statement& s, Ctx ctx);

  /// The single argument; nullptr (reported) when there are none or more.
  const Token* one_arg(const Statement& s, std::string_view expects);
  std::optional<bool> flag(const Statement& s);
  std::optional<Duration> seconds(const Statement& s, Duration lo, Duration hi);
  std::optional<std::uint64_t> number(const Statement& s, std::uint64_t lo, std::uint64_t hi, std::string_view unit,
                                      bool infinity = false);
  /// Seconds, 0..0xffffffff or infinity.
  std::optional<std::uint32_t> lifetime(const Statement& s);
  std::optional<wire::RouterPreference> preference(const Statement& s);
  std::optional<Ip6Addr> address(const Token& a, std::string_view what);
  /// The prefix argument of a prefix or route statement.
  std::optional<Ip6Prefix> prefix_arg(const Statement& s);
};

}  // namespace hmip::ar::detail
