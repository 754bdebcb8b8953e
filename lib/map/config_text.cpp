// MapdConfig -> mapd.conf text (hmip/map/config_parse.h: to_conf_text).
#include <string>

#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_reader.h"
#include "hmip/map/config_parse.h"

namespace hmip::map {

namespace {

using core::conf::format_seconds;
using core::conf::lifetime_text;

void prefix_lines(std::string& out, std::string_view kw, const std::vector<Ip6Prefix>& list) {
  for (const auto& p : list) out += std::string(kw) + " " + p.str() + ";\n";
}

void ike_block(std::string& out, const MapIkeConfig& ike) {
  out += "Ike {\n" + core::conf::ike_common_text(ike.vici_socket, ike.identity, ike.certificate, ike.private_key,
                                                 ike.ca_certificates, ike.dpd_delay_s);
  if (!ike.authorized_identities.empty()) {
    out += "    AuthorizedIdentity";
    for (const auto& a : ike.authorized_identities) out += " " + core::conf::quoted(a);
    out += ";\n";
  }
  if (ike.pool) out += "    RcoaPool " + ike.pool->first.str() + "-" + ike.pool->last.str() + ";\n";
  if (!ike.eap_secrets.empty()) out += "    EapSecrets " + core::conf::quoted(ike.eap_secrets) + ";\n";
  out += "};\n";
}

void home_agent_block(std::string& out, const HomeAgentConfig& ha) {
  out += "HomeAgent {\n    Address " + ha.address.str() + ";\n";
  for (const auto& p : ha.prefixes) {
    out += "    HomePrefix " + p.prefix.str() + " {\n";
    if (!p.interface.empty()) out += "        Interface " + p.interface + ";\n";
    out += "        ValidLifetime " + lifetime_text(p.valid_lifetime) + ";\n    };\n";
  }
  out += "    MaxBindingLifetime " + std::to_string(ha.max_binding_lifetime) + ";\n";
  out += std::string("    HomeDad ") + (ha.dad ? "on" : "off") + ";\n";
  out += "    HomeDadTimeout " + format_seconds(ha.dad_timeout) + ";\n";
  out += "    Preference " + std::to_string(ha.preference) + ";\n";
  for (const auto& o : ha.owners)
    out += "    HomeAddress " + o.address.str() + " " + core::conf::quoted(o.identity) + ";\n";
  out += std::string("    ProtectTraffic ") + (ha.protect_traffic ? "on" : "off") + ";\n};\n";
}

std::string ports_text(const PortRange& p) {
  return p.lo == p.hi ? std::to_string(p.lo) : std::to_string(p.lo) + "-" + std::to_string(p.hi);
}

void flow_policy_block(std::string& out, const FlowPolicyConfig& fp) {
  out += "FlowPolicy {\n    Bid " + std::to_string(fp.bid) + ";\n";
  if (fp.protocol) out += "    Protocol " + std::to_string(*fp.protocol) + ";\n";
  if (fp.source_port) out += "    SourcePort " + ports_text(*fp.source_port) + ";\n";
  if (fp.destination_port) out += "    DestinationPort " + ports_text(*fp.destination_port) + ";\n";
  if (fp.dscp) out += "    Dscp " + std::to_string(*fp.dscp) + ";\n";
  if (fp.from) out += "    From " + fp.from->str() + ";\n";
  if (fp.to) out += "    To " + fp.to->str() + ";\n";
  out += "};\n";
}

}  // namespace

std::string to_conf_text(const MapdConfig& c) {
  std::string o;
  if (c.map_role()) o += "MapAddress " + c.map_address.str() + ";\n";
  o += "MaxBindingLifetime " + std::to_string(c.max_binding_lifetime) + ";\n";
  o += "AdvertisedValidLifetime " + lifetime_text(c.advertised_valid_lifetime) + ";\n";
  o += "BrrLead " + format_seconds(c.brr_lead) + ";\n";
  o += "BrrInterval " + format_seconds(c.brr_interval) + ";\n";
  o += std::string("RcoaDad ") + (c.dad ? "on" : "off") + ";\n";
  o += "RcoaDadTimeout " + format_seconds(c.dad_timeout) + ";\n";
  o += "TunnelMtu " + std::to_string(c.tunnel_mtu) + ";\n";
  o += "MaxBindings " + std::to_string(c.max_bindings) + ";\n";
  o += "MaxBindingsPerIdentity " + std::to_string(c.max_bindings_per_identity) + ";\n";
  if (c.max_bindings_per_trusted_prefix)
    o += "MaxBindingsPerTrustedPrefix " + std::to_string(*c.max_bindings_per_trusted_prefix) + ";\n";
  o += "MaxPendingRegistrations " + std::to_string(c.max_pending_registrations) + ";\n";
  o += "MaxConcurrentDad " + std::to_string(c.max_concurrent_dad) + ";\n";
  o += "ControlSocket " + core::conf::quoted(c.control_socket) + ";\n";
  o += "LogLevel " + std::string(core::conf::log_level_name(c.log_level)) + ";\n";
  for (const auto& r : c.rcoa_prefixes) {
    o += "RcoaPrefix " + r.prefix.str() + " {\n";
    if (!r.interface.empty()) o += "    Interface " + r.interface + ";\n";
    o += "    ValidLifetime " + lifetime_text(r.valid_lifetime) + ";\n};\n";
  }
  prefix_lines(o, "LcoaPrefix", c.lcoa_prefixes);
  prefix_lines(o, "NeighbourPrefix", c.neighbour_prefixes);
  o += std::string("InsecureTestbedSignalling ") + (c.insecure.enabled ? "yes" : "no") + ";\n";
  prefix_lines(o, "TrustedPrefix", c.insecure.trusted_prefixes);
  if (c.ike.configured) ike_block(o, c.ike);
  if (c.home_agent) home_agent_block(o, *c.home_agent);
  o += "MultipleCoa " + std::string(to_string(c.multiple_coa)) + ";\n";
  o += std::string("BulkRegistration ") + (c.bulk_registration ? "on" : "off") + ";\n";
  o += "MaxCareOfAddresses " + std::to_string(c.max_care_of_addresses) + ";\n";
  o += "McoaSelection " + std::string(to_string(c.mcoa_selection)) + ";\n";
  for (const auto& fp : c.flow_policies) flow_policy_block(o, fp);
  return o;
}

}  // namespace hmip::map
