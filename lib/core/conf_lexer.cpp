#include "hmip/core/conf_lexer.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>

namespace hmip::core::conf {

namespace {

int clamp_int(std::size_t v) { return static_cast<int>(std::min<std::size_t>(v, INT_MAX)); }

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool is_control(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f; }
bool is_word_char(unsigned char c) {
  return !is_space(c) && !is_control(c) && c != '\n' && c != '{' && c != '}' && c != ';' && c != '#' && c != '"';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(c));
  return buf;
}

// A token's text in a syntax error message.
std::string quote(std::string_view s) { return excerpt(s, 40); }

class TreeReader {
 public:
  TreeReader(const std::vector<Token>& tokens, const TreeOptions& options, std::vector<ConfigError>& errors)
      : toks_(tokens), opt_(options), errors_(errors) {}

  std::vector<Statement> top() {
    bool closed = false;
    return block(0, nullptr, nullptr, closed);
  }
  [[nodiscard]] bool unclosed() const { return unclosed_; }

 private:
  const Token& peek() const { return toks_[pos_]; }
  void advance() {
    if (toks_[pos_].kind != TokenKind::end) ++pos_;
  }

  void error(int line, int column, std::string message) {
    errors_.push_back(ConfigError{line, column, std::move(message)});
  }

  static bool in(std::span<const std::string_view> set, std::string_view w) {
    return std::find(set.begin(), set.end(), w) != set.end();
  }

  // Consumes a balanced { ... } starting at the current '{'; false when the
  // input ends first.
  bool skip_block() {
    int depth = 0;
    while (peek().kind != TokenKind::end) {
      const auto k = peek().kind;
      advance();
      if (k == TokenKind::open_brace) ++depth;
      if (k == TokenKind::close_brace && --depth <= 0) return true;
    }
    return false;
  }

  // Skips a statement that cannot be read: up to and including ';', up to a
  // '}' (left for the enclosing block), or over a block and its ';'.
  void skip_statement() {
    while (true) {
      switch (peek().kind) {
        case TokenKind::end:
        case TokenKind::close_brace:
          return;
        case TokenKind::semicolon:
          advance();
          return;
        case TokenKind::open_brace: {
          const Token& open = peek();
          if (!skip_block()) {
            unclosed_at_end(open, "{");
          } else if (peek().kind == TokenKind::semicolon) {
            advance();
          }
          return;
        }
        default:
          advance();
      }
    }
  }

  // Reads statements up to the '}' closing `open` (or to the end of input at
  // the top level, open == nullptr). `closed` tells whether the '}' was found.
  std::vector<Statement> block(int depth, const Token* open, const Token* owner, bool& closed) {
    std::vector<Statement> out;
    closed = false;
    while (true) {
      const Token& t = peek();
      switch (t.kind) {
        case TokenKind::end:
          if (open != nullptr) unclosed_at_end(*open, owner->text);
          return out;
        case TokenKind::close_brace:
          advance();
          if (open != nullptr) {
            closed = true;
            return out;
          }
          error(t.line, t.column, "unexpected '}' with no block open");
          if (peek().kind == TokenKind::semicolon) advance();
          continue;
        case TokenKind::semicolon:
          advance();  // an empty statement
          continue;
        case TokenKind::open_brace:
          error(t.line, t.column, "unexpected '{': a block follows a keyword, as in 'interface eth0 { ... };'");
          if (!skip_block()) {
            unclosed_ = true;  // reported above, at the same '{'
          } else if (peek().kind == TokenKind::semicolon) {
            advance();
          }
          continue;
        case TokenKind::string:
          error(t.line, t.column, "expected a keyword, found the string \"" + quote(t.text) + "\"");
          skip_statement();
          continue;
        case TokenKind::word:
          break;
      }
      if (depth > 0 && in(opt_.top_level, t.text)) {
        error(t.line, t.column,
              "missing '}' before '" + quote(t.text) + "': the '" + quote(owner->text) + "' block opened on line " +
                  std::to_string(open->line) + " is still open");
        unwinding_ = true;
        return out;
      }
      out.push_back(statement(depth));
      if (unwinding_) {
        if (depth > 0) return out;
        unwinding_ = false;
      }
    }
  }

  void unclosed_at_end(const Token& open, std::string_view owner) {
    error(open.line, open.column,
          "missing '}': the '" + quote(owner) + "' block opened here is not closed at the end of the file");
    unclosed_ = true;
  }

  void missing_semicolon(const Token& last, const Statement& s) {
    error(last.line, last.end_column, "missing ';' at the end of the '" + quote(s.keyword.text) + "' statement");
  }

  Statement statement(int depth) {
    Statement s;
    s.keyword = peek();
    advance();
    std::size_t last = pos_ - 1;  // index of the statement's last token so far
    while (true) {
      const Token& t = peek();
      switch (t.kind) {
        case TokenKind::word:
        case TokenKind::string:
          if (t.kind == TokenKind::word && t.line != toks_[last].line && in(opt_.keywords, t.text)) {
            missing_semicolon(toks_[last], s);
            return s;
          }
          s.args.push_back(t);
          last = pos_;
          advance();
          continue;
        case TokenKind::semicolon:
          advance();
          return s;
        case TokenKind::close_brace:
        case TokenKind::end:
          missing_semicolon(toks_[last], s);
          return s;
        case TokenKind::open_brace:
          break;
      }
      // '{': the statement's block.
      s.has_block = true;
      const std::size_t open_index = pos_;
      advance();
      bool closed = false;
      if (depth + 1 > opt_.max_depth) {
        error(t.line, t.column, "blocks nested too deeply (more than " + std::to_string(opt_.max_depth) + " levels)");
        pos_ = open_index;
        closed = skip_block();
        if (!closed) unclosed_at_end(toks_[open_index], s.keyword.text);
      } else {
        s.block = block(depth + 1, &toks_[open_index], &s.keyword, closed);
      }
      if (unwinding_ || !closed) return s;
      if (peek().kind == TokenKind::semicolon) {
        advance();
      } else {
        const Token& close = toks_[pos_ - 1];
        error(close.line, close.end_column, "missing ';' after the '}' closing the '" + quote(s.keyword.text) + "' block");
      }
      return s;
    }
  }

  const std::vector<Token>& toks_;
  const TreeOptions& opt_;
  std::vector<ConfigError>& errors_;
  std::size_t pos_ = 0;
  bool unwinding_ = false;
  bool unclosed_ = false;  ///< a block was still open at the end of the input
};

}  // namespace

std::string ConfigError::str() const {
  if (line <= 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

namespace {

// The length of the well-formed UTF-8 sequence of a visible character at
// the start of `s`, or 0 (RFC 3629 §4 for well-formedness).
std::size_t visible_utf8(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0U) == 0x80U; };
  std::uint32_t cp = 0;
  std::size_t len = 0;
  const unsigned lead = b(0);
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2;
    cp = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    cp = lead & 0x0fU;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    cp = lead & 0x07U;
  } else {
    return 0;
  }
  for (std::size_t i = 1; i < len; ++i) {
    if (!cont(i)) return 0;
    cp = (cp << 6U) | (b(i) & 0x3fU);
  }
  const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  const bool invalid = cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff);
  const bool c1 = cp >= 0x80 && cp <= 0x9f;
  const bool format = (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
                      (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
  return overlong || invalid || c1 || format ? 0 : len;
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += text[i++];
      continue;
    }
    if (const std::size_t n = c >= 0x80 ? visible_utf8(text.substr(i)) : 0; n != 0) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    out += "\\x";
    out += kHex[c >> 4U];
    out += kHex[c & 0xfU];
    ++i;
  }
  return out;
}

std::string excerpt(std::string_view text, std::size_t max) {
  std::string out = printable(text.substr(0, max));
  if (text.size() > max) out += "...";
  return out;
}

std::string format_diagnostic(std::string_view file, const ConfigError& e, std::string_view severity) {
  std::string out = printable(file);
  if (e.line > 0) {
    out += ':' + std::to_string(e.line);
    if (e.column > 0) out += ':' + std::to_string(e.column);
  }
  out += ": ";
  out += severity;
  out += ": ";
  out += printable(e.message);
  return out;
}

std::vector<Token> tokenize(std::string_view text, std::vector<ConfigError>& errors) {
  std::vector<Token> out;
  int line = 1;
  std::size_t line_start = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (text.substr(0, 3) == "\xef\xbb\xbf") line_start = i = 3;  // a UTF-8 byte order mark
  auto col = [&](std::size_t at) { return clamp_int(at - line_start + 1); };
  auto uc = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };

  while (i < n) {
    const unsigned char c = uc(i);
    if (c == '\n') {
      if (line < INT_MAX) ++line;
      line_start = ++i;
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < n && text[i] != '\n') ++i;
      continue;
    }
    if (c == '{' || c == '}' || c == ';') {
      const auto kind = c == '{' ? TokenKind::open_brace : c == '}' ? TokenKind::close_brace : TokenKind::semicolon;
      out.push_back(Token{kind, std::string(1, static_cast<char>(c)), line, col(i), col(i + 1)});
      ++i;
      continue;
    }
    if (c == '"') {
      Token t{TokenKind::string, {}, line, col(i), 0};
      std::size_t j = i + 1;
      bool terminated = false;
      bool reported_control = false;
      while (j < n && text[j] != '\n') {
        const unsigned char d = uc(j);
        if (d == '"') {
          terminated = true;
          ++j;
          break;
        }
        if (d == '\\' && j + 1 < n && (text[j + 1] == '"' || text[j + 1] == '\\')) {
          t.text += text[j + 1];
          j += 2;
          continue;
        }
        if (is_control(d)) {
          if (!reported_control)
            errors.push_back(ConfigError{line, col(j), "control character " + hex_byte(d) + " in a string"});
          reported_control = true;
          ++j;
          continue;
        }
        t.text += static_cast<char>(d);
        ++j;
      }
      if (!terminated)
        errors.push_back(ConfigError{line, t.column, "unterminated string: a \"...\" string must end on its line"});
      t.end_column = col(j);
      out.push_back(std::move(t));
      i = j;
      continue;
    }
    if (is_control(c)) {
      errors.push_back(ConfigError{line, col(i), "unexpected control character " + hex_byte(c)});
      while (i < n && is_control(uc(i))) ++i;  // one error per run
      continue;
    }
    std::size_t j = i;
    while (j < n && is_word_char(uc(j))) ++j;
    out.push_back(Token{TokenKind::word, std::string(text.substr(i, j - i)), line, col(i), col(j)});
    i = j;
  }
  out.push_back(Token{TokenKind::end, {}, line, col(i), col(i)});
  return out;
}

std::vector<Statement> read_statements(std::string_view text, const TreeOptions& options,
                                       std::vector<ConfigError>& errors, bool* unclosed) {
  const auto tokens = tokenize(text, errors);
  TreeReader reader(tokens, options, errors);
  auto tree = reader.top();
  if (unclosed != nullptr) *unclosed = reader.unclosed();
  return tree;
}

ValueError parse_seconds(std::string_view text, Duration& out) {
  std::size_t i = 0;
  std::int64_t whole = 0;
  bool range = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (!range) {
      whole = whole * 10 + (text[i] - '0');
      if (whole > kMaxSeconds) range = true;
    }
    ++i;
  }
  if (i == 0) return ValueError::syntax;
  std::int64_t ms = 0;
  bool precision = false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t frac_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      const std::size_t k = i - frac_start;
      if (k < 3)
        ms = ms * 10 + (text[i] - '0');
      else if (text[i] != '0')
        precision = true;
      ++i;
    }
    const std::size_t digits = i - frac_start;
    if (digits == 0) return ValueError::syntax;
    for (std::size_t k = digits; k < 3; ++k) ms *= 10;
  }
  if (i != text.size()) return ValueError::syntax;
  if (range) return ValueError::range;
  if (precision) return ValueError::precision;
  out = Duration(whole * 1000 + ms);
  return ValueError::none;
}

std::optional<Duration> parse_seconds(std::string_view text) {
  Duration d{};
  if (parse_seconds(text, d) != ValueError::none) return std::nullopt;
  return d;
}

std::string format_seconds(Duration d) {
  auto ms = d.count();
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  out += std::to_string(ms / 1000);
  auto frac = ms % 1000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

ValueError parse_uint(std::string_view text, std::uint64_t max, std::uint64_t& out) {
  if (text.empty()) return ValueError::syntax;
  std::uint64_t v = 0;
  bool range = false;
  for (const char c : text) {
    if (c < '0' || c > '9') return ValueError::syntax;
    if (range) continue;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (max - digit) / 10) {
      range = true;
      continue;
    }
    v = v * 10 + digit;
  }
  if (range) return ValueError::range;
  out = v;
  return ValueError::none;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<bool> parse_flag(std::string_view text) {
  for (const std::string_view t : {"on", "yes", "true", "1"})
    if (iequals(text, t)) return true;
  for (const std::string_view f : {"off", "no", "false", "0"})
    if (iequals(text, f)) return false;
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows of the optimal-string-alignment table.
  std::vector<std::size_t> prev2(m + 1);
  std::vector<std::size_t> prev(m + 1);
  std::vector<std::size_t> cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::optional<std::string_view> closest_keyword(std::string_view word, std::span<const std::string_view> candidates) {
  const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string_view> best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t diff = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (diff > limit) continue;
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace hmip::core::conf
