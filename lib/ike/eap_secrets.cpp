// EAP secrets files and their charon requests (hmip/ike/eap_secrets.h).
#include "hmip/ike/eap_secrets.h"

#include <algorithm>
#include <optional>

namespace hmip::ike {

namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// One word of `s` (consumed): a quoted string (no escapes) or up to white
// space. nullopt with `err` set for an unterminated quote.
std::optional<std::string> word(std::string_view& s, std::string& err) {
  s = trim(s);
  if (s.empty()) return std::string();
  if (s.front() == '"') {
    const auto end = s.find('"', 1);
    if (end == std::string_view::npos) {
      err = "unterminated '\"'";
      return std::nullopt;
    }
    std::string w(s.substr(1, end - 1));
    s.remove_prefix(end + 1);
    return w;
  }
  std::size_t n = 0;
  while (n < s.size() && !space(s[n])) ++n;
  std::string w(s.substr(0, n));
  s.remove_prefix(n);
  return w;
}

// The lines of `text` with comments cut, each with its number; blank ones
// left out. A '#' inside a quoted word does not start a comment.
template <class F>
std::optional<EapSecretsError> each_line(std::string_view text, bool inline_comments, F&& f) {
  int number = 0;
  while (!text.empty()) {
    ++number;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    bool quoted = false;
    if (!inline_comments && !trim(line).empty() && trim(line).front() == '#') line = {};
    for (std::size_t i = 0; i < line.size() && inline_comments; ++i) {
      if (line[i] == '"') quoted = !quoted;
      if (line[i] == '#' && !quoted) {
        line = line.substr(0, i);
        break;
      }
    }
    line = trim(line);
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) return EapSecretsError{number, "contains a NUL byte"};
    if (auto e = f(number, line)) return e;
  }
  return std::nullopt;
}

}  // namespace

std::variant<std::vector<EapSecret>, EapSecretsError> parse_eap_secrets(std::string_view text) {
  std::vector<EapSecret> out;
  std::vector<int> lines;
  auto e = each_line(text, true, [&](int n, std::string_view line) -> std::optional<EapSecretsError> {
    std::string err;
    auto id = word(line, err);
    auto secret = id ? word(line, err) : std::nullopt;
    if (!secret) return EapSecretsError{n, err};
    if (!trim(line).empty())
      return EapSecretsError{n, "expected 'IDENTITY SECRET'; quote a secret that holds white space"};
    if (id->empty()) return EapSecretsError{n, "the identity is empty"};
    // Not naming the word: a line holding only a secret would print it.
    if (secret->empty()) return EapSecretsError{n, "one word only: expected 'IDENTITY SECRET'"};
    const auto dup = std::find_if(out.begin(), out.end(), [&](const EapSecret& s) { return s.identity == *id; });
    if (dup != out.end())
      return EapSecretsError{n, *id + " already has a secret on line " +
                                    std::to_string(lines[static_cast<std::size_t>(dup - out.begin())])};
    out.push_back(EapSecret{std::move(*id), std::move(*secret)});
    lines.push_back(n);
    return std::nullopt;
  });
  if (e) return *e;
  if (out.empty()) return EapSecretsError{0, "holds no 'IDENTITY SECRET' line"};
  return out;
}

std::variant<std::string, EapSecretsError> parse_eap_secret(std::string_view text) {
  std::optional<std::string> secret;
  auto e = each_line(text, false, [&](int n, std::string_view line) -> std::optional<EapSecretsError> {
    if (secret) return EapSecretsError{n, "a second secret: the file holds the mobile node's one EAP secret"};
    if (line.front() == '"') {
      std::string err;
      auto w = word(line, err);
      if (!w) return EapSecretsError{n, err};
      if (!trim(line).empty()) return EapSecretsError{n, "text after the quoted secret"};
      secret = std::move(*w);
    } else {
      secret = std::string(line);
    }
    if (secret->empty()) return EapSecretsError{n, "the secret is empty"};
    return std::nullopt;
  });
  if (e) return *e;
  if (!secret) return EapSecretsError{0, "holds no secret"};
  return *secret;
}

vici::Section eap_shared(std::string_view id, const EapSecret& s) {
  return vici::Section{}
      .set("id", std::string(id))
      .set("type", "EAP")
      .set("data", s.secret)
      .set("owners", vici::List{s.identity});
}

}  // namespace hmip::ike
