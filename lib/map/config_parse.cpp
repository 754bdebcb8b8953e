// The public entry points of hmip/map/config_parse.h. The parser itself:
//   config_translate.cpp  statements -> MapdConfig
//   config_validate.cpp   the rules between fields
//   config_text.cpp       MapdConfig -> mapd.conf text
// on the shared readers of hmip/core/conf_reader.h; the entry points are
// hmip/core/conf_parse.h's.
#include "hmip/map/config_parse.h"

#include <utility>
#include <vector>

#include "config_translate.h"
#include "hmip/core/conf_parse.h"

namespace hmip::map {

namespace {

std::string count(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
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
  return core::conf::parse_config<ParseResult>(text, config_detail::read_mapd_config);
}

ParseResult load_mapd_config(const std::string& path) {
  return core::conf::load_config<ParseResult>(path, config_detail::read_mapd_config);
}

std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  return core::conf::format_diagnostics(path, r.errors, r.warnings);
}

std::vector<std::string> check_config_text(const std::string& path, int& exit_status) {
  // The files an Ike block names are checked when it is in effect (the parse
  // itself never opens them).
  const auto files_in_effect = [](const MapdConfig& cfg) { return cfg.ike.configured && !cfg.insecure.enabled; };
  return core::conf::check_config<ParseResult>(path, exit_status, config_detail::read_mapd_config, files_in_effect, config_summary);
}

std::string config_summary(const MapdConfig& c) {
  std::string s;
  if (c.map_role())
    s = "MAP " + c.map_address.str() + ", " + count(c.rcoa_prefixes.size(), "RCoA prefix", "RCoA prefixes") + ", " +
        count(c.lcoa_prefixes.size(), "LCoA prefix", "LCoA prefixes") + ", " +
        count(c.neighbour_prefixes.size(), "neighbour prefix", "neighbour prefixes") + ", ";
  if (c.home_agent)
    s += "home agent " + c.home_agent->address.str() + ", " +
         count(c.home_agent->prefixes.size(), "home prefix", "home prefixes") + ", " +
         count(c.home_agent->owners.size(), "owned home address", "owned home addresses") +
         (c.home_agent->protect_traffic ? " (payload protected)" : "") + ", ";
  return s + "binding updates: " + signalling_summary(c);
}

}  // namespace hmip::map
