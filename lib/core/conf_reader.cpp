#include "hmip/core/conf_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <system_error>
#include <utility>

namespace hmip::core::conf {

namespace {

bool contains(std::span<const std::string_view> set, std::string_view w) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

}  // namespace

std::string q(std::string_view s) { return excerpt(s, 60); }

void finish_diagnostics(std::vector<ConfigError>& v, std::string_view what) {
  std::stable_sort(v.begin(), v.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  if (v.size() > kMaxDiagnostics) {
    const std::size_t more = v.size() - kMaxDiagnostics;
    v.resize(kMaxDiagnostics);
    v.push_back(ConfigError{0, 0, std::to_string(more) + " more " + std::string(what) + " not shown"});
  }
}

std::optional<std::string> read_config_file(const std::string& path, std::string& text) {
  text.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    return "cannot open " + path + ": " + (e != 0 ? std::generic_category().message(e) : std::string("unknown error"));
  }
  std::array<char, 65536> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigFileSize) {
      text.clear();
      return path + " is larger than 1 MiB; not a configuration file?";
    }
  }
  if (in.bad()) return "cannot read " + path;
  return std::nullopt;
}

// ---- writing ------------------------------------------------------------------

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::notice: return "notice";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "info";
}

std::string lifetime_text(std::uint32_t v) { return v == kInfinity ? "infinity" : std::to_string(v); }

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\';
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  out += '"';
  return out;
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
  auto v = parse_flag(a->text);
  if (!v) err(*a, s.keyword.text + " expects on or off, got '" + q(a->text) + "'");
  return v;
}

std::optional<Duration> StatementReader::seconds(const Statement& s, Duration lo, Duration hi) {
  const Token* a = one_arg(s, "a number of seconds");
  if (a == nullptr) return std::nullopt;
  Duration d{};
  const std::string range = format_seconds(lo) + ".." + format_seconds(hi) + " seconds";
  switch (parse_seconds(a->text, d)) {
    case ValueError::none:
      if (d < lo || d > hi) break;
      return d;
    case ValueError::syntax:
      err(*a, s.keyword.text + " expects a number of seconds (" + range + "), got '" + q(a->text) + "'");
      return std::nullopt;
    case ValueError::precision:
      err(*a, s.keyword.text + " " + q(a->text) + " is too precise: time is counted in milliseconds (3 decimals)");
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
  switch (parse_uint(a->text, hi, v)) {
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

std::optional<Ip6Addr> StatementReader::address(const Token& a, std::string_view what) {
  auto addr = Ip6Addr::parse(a.text);
  if (!addr) err(a, "'" + q(a.text) + "' is not an IPv6 address (" + std::string(what) + ")");
  return addr;
}

std::optional<Ip6Prefix> StatementReader::prefix(const Token& a, std::string_view keyword,
                                                 std::string_view link_local_why) {
  const std::string kw(keyword);
  auto p = Ip6Prefix::parse(a.text);
  if (!p) {
    if (Ip6Addr::parse(a.text))
      err(a, kw + " " + q(a.text) + " needs a prefix length, as in " + q(a.text) + "/64");
    else
      err(a, "'" + q(a.text) + "' is not an IPv6 prefix (address/length, length 0..128)");
    return std::nullopt;
  }
  const auto slash = a.text.find('/');
  if (auto full = Ip6Addr::parse(std::string_view(a.text).substr(0, slash)); full && *full != p->addr)
    warn(a, kw + " " + q(a.text) + " has host bits set; they are ignored: the prefix is " + p->str());
  if (p->addr.is_link_local() && p->len >= 10) {
    err(a, kw + " " + p->str() + " is link-local: " + std::string(link_local_why));
    return std::nullopt;
  }
  if (p->addr.is_multicast() && p->len >= 8) {
    err(a, kw + " " + p->str() + " is a multicast prefix");
    return std::nullopt;
  }
  return p;
}

std::optional<LogLevel> StatementReader::log_level(const Statement& s) {
  const Token* a = one_arg(s, "error, warning, notice, info or debug");
  if (a == nullptr) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLevels{{{"error", LogLevel::error},
                                                                                 {"warning", LogLevel::warning},
                                                                                 {"notice", LogLevel::notice},
                                                                                 {"info", LogLevel::info},
                                                                                 {"debug", LogLevel::debug}}};
  for (const auto& [name, level] : kLevels)
    if (iequals(a->text, name)) return level;
  err(*a, s.keyword.text + " expects error, warning, notice, info or debug, got '" + q(a->text) + "'");
  return std::nullopt;
}

std::optional<std::string> StatementReader::socket_path(const Statement& s, std::string_view example) {
  const Token* a = one_arg(s, "a socket path such as \"" + std::string(example) + "\"");
  if (a == nullptr) return std::nullopt;
  if (a->text.empty() || a->text.front() != '/') {
    err(*a, s.keyword.text + " '" + q(a->text) + "' must be an absolute path");
    return std::nullopt;
  }
  if (a->text.size() > kSunPathMax) {
    err(*a, s.keyword.text + " path is " + std::to_string(a->text.size()) +
                " bytes long; a UNIX socket path holds at most " + std::to_string(kSunPathMax));
    return std::nullopt;
  }
  return a->text;
}

std::optional<std::string> StatementReader::vici_socket(const Statement& s) {
  constexpr std::string_view kScheme = "unix://";
  const Token* a = one_arg(s, "charon's VICI socket, as in 'ViciSocket \"/run/charon.vici\";'");
  if (a == nullptr) return std::nullopt;
  std::string_view path = a->text;
  if (path.substr(0, kScheme.size()) == kScheme) path.remove_prefix(kScheme.size());
  if (path.empty() || path.front() != '/') {
    err(*a, s.keyword.text + " '" + q(a->text) +
                "' must be a UNIX socket: an absolute path or unix:// and one, as in 'ViciSocket "
                "\"/run/charon.vici\";'");
    return std::nullopt;
  }
  if (path.size() > kSunPathMax) {
    err(*a, s.keyword.text + " path is " + std::to_string(path.size()) +
                " bytes long; a UNIX socket path holds at most " + std::to_string(kSunPathMax));
    return std::nullopt;
  }
  return std::string(kScheme) + std::string(path);
}

bool StatementReader::file_path(const Token& t, std::string_view keyword) {
  if (t.text.empty() || t.text.front() != '/') {
    err(t, std::string(keyword) + " '" + q(t.text) + "' must be an absolute path");
    return false;
  }
  if (t.text.size() > kPathMax) {
    err(t, std::string(keyword) + " path is " + std::to_string(t.text.size()) + " bytes long; at most " +
               std::to_string(kPathMax) + " are allowed");
    return false;
  }
  return true;
}

std::optional<std::string> StatementReader::one_file(const Statement& s, std::string_view example) {
  const Token* a =
      one_arg(s, "an absolute file path, as in '" + s.keyword.text + " \"" + std::string(example) + "\";'");
  if (a == nullptr || !file_path(*a, s.keyword.text)) return std::nullopt;
  return a->text;
}

bool StatementReader::identity_arg(const Token& t, std::string_view keyword, std::string_view example) {
  if (!t.text.empty()) return true;
  err(t, std::string(keyword) + " is empty: it needs an IKE identity, as in '" + std::string(keyword) + " \"" +
             std::string(example) + "\";'");
  return false;
}

bool StatementReader::interface_name(const Token& t, std::string_view keyword) {
  if (t.text.empty() || t.text.size() > kIfNameMax) {
    err(t, std::string(keyword) + " name '" + q(t.text) + "' must be 1.." + std::to_string(kIfNameMax) +
               " characters long");
    return false;
  }
  if (t.text == "." || t.text == ".." || t.text.find_first_of("/: \t{};#\"\\") != std::string::npos) {
    err(t, "'" + q(t.text) + "' is not a valid interface name");
    return false;
  }
  return true;
}

bool read_top_level(Diagnostics& d, std::string_view text, const TreeOptions& options,
                    const std::function<void(const Statement&)>& statement) {
  bool unclosed = false;
  const auto tree = read_statements(text, options, d.errors(), &unclosed);
  for (const auto& s : tree) statement(s);
  return !unclosed;
}

// ---- unknown keywords ------------------------------------------------------------

void report_unknown(Diagnostics& d, const Statement& s, const KeywordContext& here,
                    std::span<const KeywordContext> others, std::span<const std::string_view> foreign,
                    std::string_view foreign_file) {
  const std::string& k = s.keyword.text;
  for (const auto& other : others) {
    if (other.name == here.name || !contains(other.keywords, k)) continue;
    d.err(s.keyword, "'" + k + "' is not valid in " + std::string(here.name) + "; it belongs in " +
                         std::string(other.name));
    return;
  }
  if (contains(foreign, k)) {
    d.err(s.keyword, "'" + k + "' is a keyword of " + std::string(foreign_file) + ", not of this file");
    return;
  }
  std::string m = "unknown keyword '" + q(k) + "' in " + std::string(here.name);
  auto hint = closest_keyword(k, here.keywords);
  for (const auto& other : others) {
    if (hint) break;
    hint = closest_keyword(k, other.keywords);
  }
  if (hint) m += "; did you mean '" + std::string(*hint) + "'?";
  d.err(s.keyword, std::move(m));
}

}  // namespace hmip::core::conf
