// The public entry points of hmip/ar/config_parse.h. The parser itself:
//   config_keywords.cpp   the keywords of each block
//   config_reader.cpp     diagnostics, argument readers, unknown keywords
//   config_translate.cpp  statements -> ArdConfig
//   config_validate.cpp   the rules between fields
#include "hmip/ar/config_parse.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <system_error>
#include <utility>

#include "config_translate.h"

namespace hmip::ar {

namespace {

constexpr std::size_t kMaxFileSize = 1U << 20U;  // a real ard.conf is a few KiB
constexpr std::size_t kMaxDiagnostics = 1000;    // per list; garbage input stops here

void sort_diagnostics(std::vector<ConfigError>& v, std::string_view what) {
  std::stable_sort(v.begin(), v.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  if (v.size() > kMaxDiagnostics) {
    const std::size_t more = v.size() - kMaxDiagnostics;
    v.resize(kMaxDiagnostics);
    v.push_back(ConfigError{0, 0, std::to_string(more) + " more " + std::string(what) + " not shown"});
  }
}

ParseResult failure(std::string message) {
  ParseResult r;
  r.errors.push_back(ConfigError{0, 0, std::move(message)});
  return r;
}

}  // namespace

ParseResult parse_ard_config(std::string_view text) {
  ParseResult r;
  ArdConfig cfg = detail::read_ard_config(text, r);
  sort_diagnostics(r.errors, "errors");
  sort_diagnostics(r.warnings, "warnings");
  if (r.errors.empty()) r.config = std::move(cfg);
  return r;
}

ParseResult load_ard_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    return failure("cannot open " + path + ": " +
                   (e != 0 ? std::generic_category().message(e) : std::string("unknown error")));
  }
  std::string text;
  std::array<char, 65536> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileSize) return failure(path + " is larger than 1 MiB; not a configuration file?");
  }
  if (in.bad()) return failure("cannot read " + path);
  return parse_ard_config(text);
}

std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  std::vector<std::string> out;
  out.reserve(r.errors.size() + r.warnings.size());
  for (const auto& e : r.errors) out.push_back(core::conf::format_diagnostic(path, e, "error"));
  for (const auto& w : r.warnings) out.push_back(core::conf::format_diagnostic(path, w, "warning"));
  return out;
}

}  // namespace hmip::ar
