// The public entry points of hmip/map/config_parse.h. The parser itself:
//   config_translate.cpp  statements -> MapdConfig
//   config_validate.cpp   the rules between fields
//   config_text.cpp       MapdConfig -> mapd.conf text
// on the shared readers of hmip/core/conf_reader.h.
#include "hmip/map/config_parse.h"

#include <utility>
#include <vector>

#include "config_translate.h"
#include "hmip/core/conf_reader.h"

namespace hmip::map {

namespace {

std::string count(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

void finish(ParseResult& r, MapdConfig&& cfg) {
  core::conf::finish_diagnostics(r.errors, "errors");
  core::conf::finish_diagnostics(r.warnings, "warnings");
  if (r.errors.empty()) r.config = std::move(cfg);
}

// load_mapd_config(), and the files the Ike block names checked when it is
// in effect (the parse itself never opens them).
ParseResult load_and_check_files(const std::string& path) {
  ParseResult r;
  std::string text;
  if (auto e = core::conf::read_config_file(path, text)) {
    r.errors.push_back(ConfigError{0, 0, std::move(*e)});
    return r;
  }
  std::vector<core::conf::FileRef> files;
  MapdConfig cfg = config_detail::read_mapd_config(text, r, &files);
  if (cfg.ike.configured && !cfg.insecure.enabled) core::conf::check_files(files, r.errors);
  finish(r, std::move(cfg));
  return r;
}

std::string signalling_summary(const MapdConfig& c) {
  if (c.insecure.enabled)
    return "INSECURE testbed mode, accepted without IPsec from " +
           count(c.insecure.trusted_prefixes.size(), "trusted prefix", "trusted prefixes");
  std::string s = "IPsec through charon at " + c.ike.vici_socket + ", identity " + c.ike.identity;
  if (c.ike.pool) s += ", RCoA pool " + c.ike.pool->first.str() + "-" + c.ike.pool->last.str();
  return s;
}

}  // namespace

ParseResult parse_mapd_config(std::string_view text) {
  ParseResult r;
  MapdConfig cfg = config_detail::read_mapd_config(text, r);
  finish(r, std::move(cfg));
  return r;
}

ParseResult load_mapd_config(const std::string& path) {
  std::string text;
  if (auto e = core::conf::read_config_file(path, text)) {
    ParseResult r;
    r.errors.push_back(ConfigError{0, 0, std::move(*e)});
    return r;
  }
  return parse_mapd_config(text);
}

std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  std::vector<std::string> out;
  out.reserve(r.errors.size() + r.warnings.size());
  for (const auto& e : r.errors) out.push_back(core::conf::format_diagnostic(path, e, "error"));
  for (const auto& w : r.warnings) out.push_back(core::conf::format_diagnostic(path, w, "warning"));
  return out;
}

std::vector<std::string> check_config_text(const std::string& path, int& exit_status) {
  const ParseResult r = load_and_check_files(path);
  std::vector<std::string> out = format_diagnostics(path, r);
  if (r.ok()) {
    out.push_back(path + ": OK, " + config_summary(*r.config));
    exit_status = 0;
  } else {
    out.push_back(path + ": " + std::to_string(r.errors.size()) + (r.errors.size() == 1 ? " error, " : " errors, ") +
                  std::to_string(r.warnings.size()) + (r.warnings.size() == 1 ? " warning" : " warnings"));
    exit_status = 1;
  }
  return out;
}

std::string config_summary(const MapdConfig& c) {
  return "MAP " + c.map_address.str() + ", " + count(c.rcoa_prefixes.size(), "RCoA prefix", "RCoA prefixes") +
         ", " + count(c.lcoa_prefixes.size(), "LCoA prefix", "LCoA prefixes") + ", " +
         count(c.neighbour_prefixes.size(), "neighbour prefix", "neighbour prefixes") + ", binding updates: " +
         signalling_summary(c);
}

}  // namespace hmip::map
