// A small tokenizer and statement-tree reader for hmip's radvd-style
// configuration files (ard.conf(5); mapd.conf and mnd.conf reuse it).
//
// Lexical structure:
//   word     a run of bytes that are not whitespace, control characters or
//            one of  { } ; # "   (keywords, numbers, addresses, prefixes,
//            interface names, domain names, "on", "infinity", ...)
//   string   "..." on one line; \" and \\ escape; no control characters
//   { } ;    punctuation
//   # ...    comment to the end of the line (not inside a string)
// Lines and columns count from 1; columns count bytes (a tab is one column).
//
// Statement structure (read_statements):
//   statement := WORD arg* ';'
//              | WORD arg* '{' statement* '}' ';'
//   arg       := WORD | STRING
// The reader knows nothing about what the keywords mean; it only builds the
// tree and reports syntax errors, recovering so that one pass reports every
// error it can find (see TreeOptions for the two recovery heuristics).
//
// Value helpers: on/off flags, unsigned numbers, seconds with up to three
// decimals as an exact millisecond Duration ("0.07" -> 70 ms, no floating
// point), and a closest-keyword suggestion for unknown words.
//
// Nothing here throws on bad input or recurses without bound: any byte
// string is a valid input (fuzz-friendly).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/time.h"

namespace hmip::core::conf {

/// One error or warning about a configuration file. line/column 0 = not
/// about a position (for example: the file cannot be read).
struct ConfigError {
  int line = 0;
  int column = 0;
  std::string message;

  /// "line 12: MaxRtrAdvInterval 2000 is out of range 0.07..1800 seconds"
  [[nodiscard]] std::string str() const;
  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

/// "/etc/hmip/ard.conf:12:5: error: message", the compiler style editors
/// understand; severity is "error" or "warning". The file name and the
/// message go through printable(): whatever a message quotes from the file,
/// the line is safe for a terminal and the journal.
std::string format_diagnostic(std::string_view file, const ConfigError& e, std::string_view severity);

/// `text` safe to print: each byte that is not printable ASCII and not part
/// of a well-formed UTF-8 sequence for a visible character becomes "\xNN"
/// (control characters, DEL, stray or overlong UTF-8 bytes, surrogates,
/// C1 controls, and the Unicode format characters that reorder or hide text:
/// U+200B-U+200F, U+2028-U+202E, U+2066-U+2069, U+FEFF). A backslash stays a
/// backslash: the result is for reading, not for parsing back.
std::string printable(std::string_view text);

/// `text` as it may appear inside a message: at most `max` bytes of it,
/// through printable(), then "..." when longer (fuzzed input can be
/// megabytes long).
std::string excerpt(std::string_view text, std::size_t max);

enum class TokenKind : std::uint8_t { word, string, open_brace, close_brace, semicolon, end };

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;  ///< the word, the unescaped string, or the punctuation
  int line = 0;
  int column = 0;
  int end_column = 0;  ///< column just past the token's last byte
};

/// Splits `text` into tokens. The result always ends with one `end` token.
/// Lexical errors (an unterminated string, a control character) go to
/// `errors`; the lexer skips the offending bytes and goes on.
std::vector<Token> tokenize(std::string_view text, std::vector<ConfigError>& errors);

/// One statement of the tree: `keyword args... ;` or `keyword args... { block };`
struct Statement {
  Token keyword;
  std::vector<Token> args;
  bool has_block = false;
  std::vector<Statement> block;

  [[nodiscard]] int line() const { return keyword.line; }
};

struct TreeOptions {
  /// Every keyword of the format. A known keyword at the start of a new line
  /// while a statement is still open means the previous statement lacks its
  /// ';' (reported there, and the statement ends).
  std::span<const std::string_view> keywords;
  /// Keywords only valid at the top level (e.g. "interface"). Met inside a
  /// block, they mean a '}' is missing: reported, and every open block closes.
  std::span<const std::string_view> top_level;
  /// Deeper blocks are reported and skipped (keeps recursion bounded).
  int max_depth = 8;
};

/// Reads the statement tree of `text`. Syntax errors go to `errors`; the
/// tree holds every statement that could be delimited. `unclosed`, if
/// given, is set when a block was still open at the end of the file: the
/// rest of the file was read into that block, so checks across the whole
/// file would only report consequences of the missing '}' (the parsers
/// skip them then, and the missing '}' is what the operator reads first).
std::vector<Statement> read_statements(std::string_view text, const TreeOptions& options,
                                       std::vector<ConfigError>& errors, bool* unclosed = nullptr);

// ---- values ----------------------------------------------------------------

enum class ValueError : std::uint8_t { none, syntax, range, precision };

/// Decimal seconds, "30", "0.07", "1.5", "1800.000": an exact millisecond
/// count (digits past the third decimal must be zeros, else `precision`).
/// Accepts at most kMaxSeconds (else `range`); no sign, no exponent.
inline constexpr std::int64_t kMaxSeconds = 1'000'000'000;
ValueError parse_seconds(std::string_view text, Duration& out);
std::optional<Duration> parse_seconds(std::string_view text);

/// "70 ms" -> "0.07", 1800 s -> "1800", 1500 ms -> "1.5".
std::string format_seconds(Duration d);

/// Unsigned decimal integer <= max (`range` when larger, `syntax` when not
/// only digits).
ValueError parse_uint(std::string_view text, std::uint64_t max, std::uint64_t& out);

/// on/off, yes/no, true/false, 1/0 (case-insensitive), as radvd accepts.
std::optional<bool> parse_flag(std::string_view text);

/// Case-insensitive ASCII equality.
bool iequals(std::string_view a, std::string_view b);

/// Edit distance (optimal string alignment: a transposition costs 1),
/// case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if close enough to be a likely typo
/// (case-only differences always are); candidates earlier in the list win
/// ties. nullopt when nothing is close.
std::optional<std::string_view> closest_keyword(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace hmip::core::conf
