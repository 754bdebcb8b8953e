// The public entry points of hmip/ar/config_parse.h (hmip/core/conf_parse.h's).
// The parser itself:
//   config_keywords.cpp   the keywords of each block
//   ard_reader.cpp        ard's own values and unknown keywords, on the
//                         shared readers of hmip/core/conf_reader.h
//   config_translate.cpp  statements -> ArdConfig
//   config_validate.cpp   the rules between fields
#include "hmip/ar/config_parse.h"

#include "config_translate.h"
#include "hmip/core/conf_parse.h"

namespace hmip::ar {

namespace {

// ard.conf names no files to check.
ArdConfig read(std::string_view text, ParseResult& r, std::vector<core::conf::FileRef>* /*files*/) {
  return detail::read_ard_config(text, r);
}

}  // namespace

ParseResult parse_ard_config(std::string_view text) { return core::conf::parse_config<ParseResult>(text, read); }

ParseResult load_ard_config(const std::string& path) { return core::conf::load_config<ParseResult>(path, read); }

std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  return core::conf::format_diagnostics(path, r.errors, r.warnings);
}

}  // namespace hmip::ar
