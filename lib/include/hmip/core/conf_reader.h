// What the parsers of hmip's radvd-style configuration files share on top of
// the lexer (hmip/core/conf_lexer.h): diagnostics collection, per-block
// "which keyword was set where" bookkeeping, and argument readers that check
// one statement's values and report each mistake at its token.
//
// ard.conf(5), mapd.conf(5) and mnd.conf(5) are parsed with these
// (lib/ar/config_*, lib/map/config_*, lib/mn/config_*; what only ard.conf
// has is in lib/ar/ard_reader.*). The entry points the parsers share are in
// hmip/core/conf_parse.h.
//
// Nothing here throws on bad input: every reader returns nullopt/false after
// reporting the error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/conf_lexer.h"
#include "hmip/core/log_level.h"
#include "hmip/core/prefix.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"

namespace hmip::core::conf {

/// "infinity" in 32-bit lifetime fields (RFC 4861 §4.6.2, RFC 5380 §5).
inline constexpr std::uint64_t kInfinity = 0xffffffffULL;
/// IFNAMSIZ - 1.
inline constexpr std::size_t kIfNameMax = 15;
/// sizeof(sockaddr_un::sun_path) - 1.
inline constexpr std::size_t kSunPathMax = 107;
/// PATH_MAX - 1.
inline constexpr std::size_t kPathMax = 4095;
/// Each diagnostics list keeps this many entries (then one line-0 summary).
inline constexpr std::size_t kMaxDiagnostics = 1000;
/// A configuration file larger than this is refused unread.
inline constexpr std::size_t kMaxConfigFileSize = 1U << 20U;

/// User input inside a message (control characters masked, cut at 60 bytes).
std::string q(std::string_view s);

/// Sorts `v` by line, then column (stable: equal positions keep the order
/// found) and cuts it to kMaxDiagnostics entries plus one line-0 entry
/// "N more <what> not shown".
void finish_diagnostics(std::vector<ConfigError>& v, std::string_view what);

/// Reads the file at `path` into `text`. Returns nullopt on success, else the
/// message of the one line-0 error to report: the file cannot be opened
/// (with strerror), cannot be read, or is larger than kMaxConfigFileSize.
std::optional<std::string> read_config_file(const std::string& path, std::string& text);

// ---- writing configuration text (the inverse of the readers) ----

/// "error" ... "debug": the LogLevel keyword value.
std::string_view log_level_name(LogLevel l);
/// A lifetime value: "infinity" for kInfinity, else the number.
std::string lifetime_text(std::uint32_t v);
/// `s` as a "..." string the lexer reads back to `s` (\" and \\ escaped).
/// Control characters cannot be written (the lexer rejects them); they
/// become '?'.
std::string quoted(std::string_view s);

/// The errors and warnings of one parse, in the order found.
class Diagnostics {
 public:
  Diagnostics(std::vector<ConfigError>& errors, std::vector<ConfigError>& warnings)
      : errors_(errors), warnings_(warnings) {}

  void err(int line, int col, std::string m) { errors_.push_back(ConfigError{line, col, std::move(m)}); }
  void err(const Token& t, std::string m) { err(t.line, t.column, std::move(m)); }
  void warn(int line, int col, std::string m) { warnings_.push_back(ConfigError{line, col, std::move(m)}); }
  void warn(const Token& t, std::string m) { warn(t.line, t.column, std::move(m)); }
  std::vector<ConfigError>& errors() { return errors_; }
  [[nodiscard]] std::size_t error_count() const { return errors_.size(); }

 private:
  std::vector<ConfigError>& errors_;
  std::vector<ConfigError>& warnings_;
};

/// Which keywords a block set, and where: for duplicate warnings and for
/// cross-field errors reported at the statement that set the field.
class Seen {
 public:
  /// Records `s`; returns the token of an earlier statement with the same
  /// keyword (valid until the next note()), else nullptr.
  const Token* note(const Statement& s);
  /// Where `kw` was last set, else nullptr.
  [[nodiscard]] const Token* find(std::string_view kw) const;
  /// The statement that set `kw`, else `fallback`.
  [[nodiscard]] const Token& at(std::string_view kw, const Token& fallback) const;

 private:
  std::map<std::string, Token, std::less<>> map_;
  Token previous_;
};

/// Reads and checks the arguments of single statements; each reader reports
/// its own errors (at the offending token) and returns nullopt/false.
class StatementReader : public Diagnostics {
 public:
  using Diagnostics::Diagnostics;

  /// An error for a block after a statement that takes none.
  void no_block(const Statement& s);
  /// Notes `s` in `seen`; warns when its keyword was already set there.
  void duplicate(Seen& seen, const Statement& s);

  /// The single argument; nullptr (reported) when there are none or more.
  /// `expects` describes the value for the message ("on or off").
  const Token* one_arg(const Statement& s, std::string_view expects);
  /// on/off (yes/no, true/false, 1/0).
  std::optional<bool> flag(const Statement& s);
  /// Decimal seconds with at most 3 decimals, within lo..hi.
  std::optional<Duration> seconds(const Statement& s, Duration lo, Duration hi);
  /// An unsigned number within lo..hi; "infinity" (kInfinity) when allowed.
  /// `unit` follows the range in messages (" seconds").
  std::optional<std::uint64_t> number(const Statement& s, std::uint64_t lo, std::uint64_t hi, std::string_view unit,
                                      bool infinity = false);
  /// An IPv6 address token; `what` says what was expected.
  std::optional<Ip6Addr> address(const Token& a, std::string_view what);
  /// An IPv6 prefix token, the argument of `keyword`: a missing length, host
  /// bits (warning), link-local and multicast prefixes (errors) reported.
  /// `link_local_why` ends the link-local error: why such a prefix is refused.
  std::optional<Ip6Prefix> prefix(const Token& a, std::string_view keyword,
                                  std::string_view link_local_why = "only global prefixes make sense here");
  /// error | warning | notice | info | debug (case-insensitive).
  std::optional<LogLevel> log_level(const Statement& s);
  /// An absolute UNIX socket path of at most kSunPathMax bytes; `example`
  /// is one for the message when the value is missing.
  std::optional<std::string> socket_path(const Statement& s, std::string_view example = "/run/hmip/mapd.sock");
  /// strongSwan's VICI socket: an absolute path, with or without "unix://"
  /// before it (at most kSunPathMax bytes without it). Returned as
  /// "unix://PATH", the form io::ViciClient and swanctl take.
  std::optional<std::string> vici_socket(const Statement& s);
  /// True if `t`, an argument of `keyword`, is an absolute file path of at
  /// most kPathMax bytes; else reports. The file itself is not looked at.
  bool file_path(const Token& t, std::string_view keyword);
  /// The single argument, an absolute file path (file_path); `example` is
  /// one for the message ("/etc/swanctl/x509/map1.pem").
  std::optional<std::string> one_file(const Statement& s, std::string_view example);
  /// True if `t`, an argument of `keyword`, is a non-empty IKE identity
  /// (charon's syntax: "map1.example.net", "*@mn.example.net", a DN); else
  /// reports, with `example` in the message.
  bool identity_arg(const Token& t, std::string_view keyword, std::string_view example);
  /// True if `t` is a name the kernel accepts for a network interface
  /// (1..15 bytes, not "." or "..", no '/', ':' or white space); else reports.
  bool interface_name(const Token& t, std::string_view keyword);
};

/// Reads the statement tree of `text` (read_statements() with `options`,
/// syntax errors reported to `d`) and hands each top-level statement to
/// `statement`, in order. False when a block was still open at the end of
/// the file: checks across the whole file would then only report
/// consequences of the missing '}', so the parsers skip them.
bool read_top_level(Diagnostics& d, std::string_view text, const TreeOptions& options,
                    const std::function<void(const Statement&)>& statement);

/// A context of a configuration format: its name for messages ("an RcoaPrefix
/// block") and the keywords valid in it.
struct KeywordContext {
  std::string_view name;
  std::span<const std::string_view> keywords;
};

/// Reports `s`, whose keyword is not valid in `here`: where it belongs if it
/// is a keyword of another context of the same format (`others`); which
/// other file it belongs to if it is one of `foreign` (e.g. mnd.conf's
/// keywords in mapd.conf, named by `foreign_file`); else the closest keyword
/// as a suggestion when one is close.
void report_unknown(Diagnostics& d, const Statement& s, const KeywordContext& here,
                    std::span<const KeywordContext> others, std::span<const std::string_view> foreign,
                    std::string_view foreign_file);

}  // namespace hmip::core::conf
