// The public entry points of hmip/mn/config_parse.h. The parser itself:
//   config_translate.cpp  statements -> MndConfig
//   config_validate.cpp   the rules between fields
// on the shared readers of hmip/core/conf_reader.h and conf_ike.h; the entry
// points are hmip/core/conf_parse.h's.
#include "hmip/mn/config_parse.h"

#include <utility>
#include <vector>

#include "config_translate.h"
#include "hmip/core/conf_parse.h"

namespace hmip::mn {

namespace {

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
  return core::conf::parse_config<ParseResult>(text, config_detail::read_mnd_config);
}

ParseResult load_mnd_config(const std::string& path) {
  return core::conf::load_config<ParseResult>(path, config_detail::read_mnd_config);
}

std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  return core::conf::format_diagnostics(path, r.errors, r.warnings);
}

std::vector<std::string> check_config_text(const std::string& path, int& exit_status) {
  // The files an Ike block names are checked when it is in effect (the parse
  // itself never opens them).
  const auto files_in_effect = [](const MndConfig& cfg) { return cfg.ike.configured && !cfg.insecure; };
  return core::conf::check_config<ParseResult>(path, exit_status, config_detail::read_mnd_config, files_in_effect, config_summary);
}

std::string config_summary(const MndConfig& c) {
  std::string names;
  for (const auto& i : c.interfaces) names += (names.empty() ? "" : " ") + i;
  return std::to_string(c.interfaces.size()) + (c.interfaces.size() == 1 ? " interface (" : " interfaces (") +
         names + ")" +
         (c.mcoa() ? ", Multiple CoA (RFC 5648)" +
                         (c.flow_policies.empty() ? std::string()
                                                  : " with " + std::to_string(c.flow_policies.size()) + " flow polic" +
                                                        (c.flow_policies.size() == 1 ? "y" : "ies"))
                   : std::string()) +
         ", MAP selection " +
         (c.selection == MapSelection::furthest ? "furthest (RFC 5380 §9.1)" : "preference (RFC 5380 §7.1)") +
         ", binding lifetime " + std::to_string(c.binding_lifetime) + " s, binding updates: " +
         (c.insecure ? std::string("INSECURE testbed mode, sent without IPsec")
                     : "IPsec through charon at " + c.ike.vici_socket + ", identity " + c.ike.identity) +
         (c.home ? ", home address " + c.home->address.str() + "/" + std::to_string(c.home->prefix_len) +
                       " with home agent " +
                       (c.home->home_agent ? c.home->home_agent->str() : std::string("(discovered by DHAAD)")) +
                       (c.home->hmipv6 ? " through the MAP (HMIPv6)" : " from the LCoA (plain Mobile IPv6)") +
                       (c.insecure ? std::string()
                                   : std::string(", protected by IKEv2/ESP (RFC 4877)") +
                                         (c.home->protect_traffic ? " with its payload" : ""))
                 : std::string());
}

std::string to_conf_text(const MndConfig& c) {
  using core::conf::format_seconds;
  std::string o;
  for (std::size_t k = 0; k < c.interfaces.size(); ++k) {
    const bool block = k < c.interface_options.size() &&
                       (c.interface_options[k].bid != 0 || c.interface_options[k].priority != 0);
    if (!block) {
      o += "Interface " + c.interfaces[k] + ";\n";
      continue;
    }
    o += "Interface " + c.interfaces[k] + " {";
    if (c.interface_options[k].bid != 0) o += " Bid " + std::to_string(c.interface_options[k].bid) + ";";
    if (c.interface_options[k].priority != 0) o += " Priority " + std::to_string(c.interface_options[k].priority) + ";";
    o += " };\n";
  }
  o += std::string("MultipleCoa ") +
       (c.multiple_coa == MultipleCoaMode::automatic ? "auto" : c.multiple_coa == MultipleCoaMode::on ? "on" : "off") +
       ";\n";
  for (const auto& f : c.flow_policies) {
    o += "FlowPolicy {\n    Bid " + std::to_string(f.bid) + ";\n";
    const auto& m = f.match;
    if (m.ip_proto != 0) o += "    Protocol " + std::to_string(m.ip_proto) + ";\n";
    const auto range = [](std::uint16_t lo, std::uint16_t hi) {
      return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
    };
    if (m.sport_lo != 0) o += "    SourcePort " + range(m.sport_lo, m.sport_hi) + ";\n";
    if (m.dport_lo != 0) o += "    DestinationPort " + range(m.dport_lo, m.dport_hi) + ";\n";
    if (m.dscp) o += "    Dscp " + std::to_string(*m.dscp) + ";\n";
    if (m.from) o += "    From " + m.from->str() + ";\n";
    if (m.to) o += "    To " + m.to->str() + ";\n";
    o += "};\n";
  }
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
  if (c.home) {
    o += "Home {\n    Address " + c.home->address.str() + "/" + std::to_string(c.home->prefix_len) + ";\n";
    o += "    HomeAgent " + (c.home->home_agent ? c.home->home_agent->str() : std::string("discover")) + ";\n";
    o += "    BindingLifetime " + std::to_string(c.home->binding_lifetime) + ";\n";
    o += std::string("    Hmipv6 ") + (c.home->hmipv6 ? "on" : "off") + ";\n";
    if (!c.home->home_agent_identity.empty())
      o += "    HomeAgentIdentity " + core::conf::quoted(c.home->home_agent_identity) + ";\n";
    o += std::string("    ProtectTraffic ") + (c.home->protect_traffic ? "on" : "off") + ";\n};\n";
  }
  return o;
}

}  // namespace hmip::mn
