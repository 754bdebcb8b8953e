// The public entry points of hmip/mn/config_parse.h. The parser itself:
//   config_translate.cpp  statements -> MndConfig
//   config_validate.cpp   the rules between fields
// on the shared readers of hmip/core/conf_reader.h and conf_ike.h.
#include "hmip/mn/config_parse.h"

#include <utility>
#include <vector>

#include "config_translate.h"
#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_reader.h"

namespace hmip::mn {

namespace {

void finish(ParseResult& r, MndConfig&& cfg) {
  core::conf::finish_diagnostics(r.errors, "errors");
  core::conf::finish_diagnostics(r.warnings, "warnings");
  if (r.errors.empty()) r.config = std::move(cfg);
}

// load_mnd_config(), and the files the Ike block names checked when it is in
// effect (the parse itself never opens them).
ParseResult load_and_check_files(const std::string& path) {
  ParseResult r;
  std::string text;
  if (auto e = core::conf::read_config_file(path, text)) {
    r.errors.push_back(ConfigError{0, 0, std::move(*e)});
    return r;
  }
  std::vector<core::conf::FileRef> files;
  MndConfig cfg = config_detail::read_mnd_config(text, r, &files);
  if (cfg.ike.configured && !cfg.insecure) core::conf::check_files(files, r.errors);
  finish(r, std::move(cfg));
  return r;
}

void ike_block(std::string& out, const MnIkeConfig& ike) {
  out += "Ike {\n" + core::conf::ike_common_text(ike.vici_socket, ike.identity, ike.certificate, ike.private_key,
                                                 ike.ca_certificates, ike.dpd_delay_s);
  if (!ike.map_identity.empty()) out += "    MapIdentity " + core::conf::quoted(ike.map_identity) + ";\n";
  out += "    IkeTimeout " + core::conf::format_seconds(ike.ike_timeout) + ";\n";
  if (!ike.eap_secret.empty()) out += "    EapSecret " + core::conf::quoted(ike.eap_secret) + ";\n";
  out += "};\n";
}

}  // namespace

ParseResult parse_mnd_config(std::string_view text) {
  ParseResult r;
  MndConfig cfg = config_detail::read_mnd_config(text, r);
  finish(r, std::move(cfg));
  return r;
}

ParseResult load_mnd_config(const std::string& path) {
  std::string text;
  if (auto e = core::conf::read_config_file(path, text)) {
    ParseResult r;
    r.errors.push_back(ConfigError{0, 0, std::move(*e)});
    return r;
  }
  return parse_mnd_config(text);
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

std::string config_summary(const MndConfig& c) {
  std::string names;
  for (const auto& i : c.interfaces) names += (names.empty() ? "" : " ") + i;
  return std::to_string(c.interfaces.size()) + (c.interfaces.size() == 1 ? " interface (" : " interfaces (") +
         names + "), MAP selection " +
         (c.selection == MapSelection::furthest ? "furthest (RFC 5380 §9.1)" : "preference (RFC 5380 §7.1)") +
         ", binding lifetime " + std::to_string(c.binding_lifetime) + " s, binding updates: " +
         (c.insecure ? std::string("INSECURE testbed mode, sent without IPsec")
                     : "IPsec through charon at " + c.ike.vici_socket + ", identity " + c.ike.identity);
}

std::string to_conf_text(const MndConfig& c) {
  using core::conf::format_seconds;
  std::string o;
  for (const auto& i : c.interfaces) o += "Interface " + i + ";\n";
  o += std::string("MapSelection ") + (c.selection == MapSelection::furthest ? "furthest" : "preference") + ";\n";
  o += "BindingLifetime " + std::to_string(c.binding_lifetime) + ";\n";
  o += "PreviousMapLifetime " + std::to_string(c.previous_map_lifetime) + ";\n";
  o += "RefreshPercent " + std::to_string(c.refresh_percent) + ";\n";
  o += "InitialBindackTimeoutFirstReg " + format_seconds(c.initial_bindack_timeout_first_reg) + ";\n";
  o += "InitialBindackTimeout " + format_seconds(c.initial_bindack_timeout) + ";\n";
  o += "MaxBindackTimeout " + format_seconds(c.max_bindack_timeout) + ";\n";
  o += std::string("SolicitOnLinkChange ") + (c.solicit_on_link_change ? "on" : "off") + ";\n";
  o += std::string("DeregisterOnStop ") + (c.deregister_on_stop ? "on" : "off") + ";\n";
  o += "ControlSocket " + core::conf::quoted(c.control_socket) + ";\n";
  o += "LogLevel " + std::string(core::conf::log_level_name(c.log_level)) + ";\n";
  o += std::string("InsecureTestbedSignalling ") + (c.insecure ? "yes" : "no") + ";\n";
  if (c.ike.configured) ike_block(o, c.ike);
  return o;
}

}  // namespace hmip::mn
