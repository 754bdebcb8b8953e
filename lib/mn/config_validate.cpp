#include "config_validate.h"

#include <string>

namespace hmip::mn::config_detail {

namespace {

using core::conf::format_seconds;
using core::conf::Token;

void check_timers(const MndConfig& c, const MndSources& src, core::conf::Diagnostics& d) {
  const auto& seen = src.global;
  const Token none;
  const auto check_initial = [&](std::string_view kw, Duration initial) {
    if (initial <= c.max_bindack_timeout) return;
    d.err(seen.at(kw, seen.at("MaxBindackTimeout", none)),
          std::string(kw) + " " + format_seconds(initial) + " is longer than MaxBindackTimeout " +
              format_seconds(c.max_bindack_timeout) + ": retransmissions back off from it up to the latter "
              "(RFC 6275 §11.8)");
  };
  check_initial("InitialBindackTimeoutFirstReg", c.initial_bindack_timeout_first_reg);
  check_initial("InitialBindackTimeout", c.initial_bindack_timeout);
  if (c.initial_bindack_timeout_first_reg < core::seconds(1))
    d.warn(seen.at("InitialBindackTimeoutFirstReg", none),
           "InitialBindackTimeoutFirstReg " + format_seconds(c.initial_bindack_timeout_first_reg) +
               " is shorter than a MAP's RCoA duplicate address detection (1 s by default, RFC 6275 §13): a new "
               "binding's BU is retransmitted before the MAP can answer (fine on a testbed with a short "
               "RcoaDadTimeout)");
  if (c.previous_map_lifetime > c.binding_lifetime)
    d.warn(seen.at("PreviousMapLifetime", seen.at("BindingLifetime", none)),
           "PreviousMapLifetime " + std::to_string(c.previous_map_lifetime) + " is longer than BindingLifetime " +
               std::to_string(c.binding_lifetime) +
               ": the previous MAP only needs to forward packets in flight (RFC 5380 §8)");
}

// Signalling protection (RFC 5380 §12.1): IPsec through an Ike block unless
// the testbed mode is on.
void check_signalling(const MndConfig& c, const MndSources& src, core::conf::Diagnostics& d) {
  const Token* on = src.global.find("InsecureTestbedSignalling");
  if (c.ike.configured) {
    const bool eap = !c.ike.eap_secret.empty();
    core::conf::check_ike_required(src.ike, d, kIkeWording, {.own_certificate = !eap, .peer_ca = true});
    if (eap)
      for (const auto* kw : {"Certificate", "PrivateKey"})
        if (const Token* t = src.ike.seen.find(kw))
          d.warn(*t, std::string(kw) + " is not used: with EapSecret the mobile node authenticates by EAP");
  }
  if (on != nullptr && c.insecure_line == 0) return;  // its value was wrong: reported
  if (c.insecure && on != nullptr) {
    d.warn(*on, std::string(kInsecureWarning));
    if (c.ike.configured)
      d.warn(src.ike.block, "the Ike block has no effect while InsecureTestbedSignalling is on (line " +
                                std::to_string(on->line) + "): binding updates go out without IPsec");
    return;
  }
  if (c.ike.configured || src.global.find("Ike") != nullptr) return;
  d.err(on != nullptr ? on->line : 0, on != nullptr ? on->column : 0,
        "no Ike block: binding updates must be protected by IPsec (RFC 5380 §12.1): add an Ike block (mnd.conf(5)) "
        "or, on a testbed only, 'InsecureTestbedSignalling yes;'");
}

// The Home block (issue 14). In secure mode home registrations are
// protected per RFC 4877 with the Ike block's credentials (check_signalling
// requires the block); the insecure mode makes the HA's identity and the
// payload child meaningless.
void check_home(const MndConfig& c, const MndSources& src, core::conf::Diagnostics& d) {
  if (src.home_block.line == 0) return;
  if (!c.home) return;
  const HomeConfig& h = *c.home;
  if (c.insecure)
    for (const auto* kw : {"HomeAgentIdentity", "ProtectTraffic"})
      if (const auto* t = src.home.find(kw))
        d.warn(*t, std::string(kw) + " has no effect while InsecureTestbedSignalling is on: home binding updates "
                                     "go out without IPsec");
  // Review of phase 2: without it any identity the CA certified may act
  // as the home agent, another mobile node's certificate included.
  if (!c.insecure && h.home_agent_identity.empty())
    d.warn(src.home_block, "no HomeAgentIdentity: any identity a trusted CA certified is accepted as the home "
                           "agent (another mobile node's too, if the CA certifies them): name the home agent's "
                           "identity, e.g. 'HomeAgentIdentity \"ha.example.net\";'");
  if (h.home_agent && *h.home_agent == h.address)
    d.err(src.home.at("HomeAgent", src.home_block), "HomeAgent " + h.home_agent->str() + " is the home address itself");
  if (h.hmipv6 && h.binding_lifetime > c.binding_lifetime)
    d.warn(src.home.at("BindingLifetime", src.home_block),
           "the Home block's BindingLifetime " + std::to_string(h.binding_lifetime) +
               " is longer than the MAP's BindingLifetime " + std::to_string(c.binding_lifetime) +
               ": a home binding never outlives the MAP binding of its RCoA (RFC 5380 §6.1), so at most " +
               std::to_string(c.binding_lifetime) + " seconds are asked for through a MAP");
}

// Multiple CoA (issue 15): BIDs unique, FlowPolicy BIDs name an
// interface, settings that have no effect warned.
void check_mcoa(const MndConfig& c, const MndSources& src, core::conf::Diagnostics& d) {
  const auto line_of = [&](std::size_t k) { return k < src.interfaces.size() ? src.interfaces[k].line : 0; };
  for (std::size_t k = 0; k < c.interfaces.size(); ++k)
    for (std::size_t j = 0; j < k; ++j)
      if (c.bid_of(j) == c.bid_of(k))
        d.err(line_of(k), 0,
              "Interface " + c.interfaces[k] + " has BID " + std::to_string(c.bid_of(k)) + ", as Interface " +
                  c.interfaces[j] + " (line " + std::to_string(line_of(j)) +
                  "): each interface needs its own BID (an unpinned one is its position in the file; pin it with "
                  "'Bid N;')");
  for (const auto& f : c.flow_policies) {
    bool known = false;
    for (std::size_t k = 0; k < c.interfaces.size(); ++k) known = known || c.bid_of(k) == f.bid;
    if (!known)
      d.err(f.line, 0, "FlowPolicy: Bid " + std::to_string(f.bid) + " is no Interface's BID (the interfaces have " +
                           [&] {
                             std::string l;
                             for (std::size_t k = 0; k < c.interfaces.size(); ++k)
                               l += (l.empty() ? "" : ", ") + c.interfaces[k] + " " + std::to_string(c.bid_of(k));
                             return l;
                           }() + ")");
  }
  if (c.mcoa()) {
    if (c.home && !c.home->hmipv6)
      d.warn(src.home.at("Hmipv6", src.home_block),
             "Multiple CoA applies to the MAP binding only: with Hmipv6 off the home agent gets one care-of address "
             "(plain-mode Multiple CoA towards the home agent is not implemented)");
    return;
  }
  const Token none;
  const Token& mc = src.global.at("MultipleCoa", none);
  for (std::size_t k = 0; k < c.interface_options.size(); ++k)
    if (c.interface_options[k].bid != 0 || c.interface_options[k].priority != 0)
      d.warn(line_of(k), 0, "Interface " + c.interfaces[k] + ": Bid and Priority have no effect while Multiple CoA is "
                            "off (" + (mc.line != 0 ? "MultipleCoa off" : std::string("MultipleCoa auto with one Interface")) + ")");
  for (const auto& f : c.flow_policies)
    d.warn(f.line, 0, "FlowPolicy has no effect while Multiple CoA is off: flows need a binding per interface");
}

}  // namespace

void validate_mnd(const MndConfig& c, const MndSources& src, core::conf::Diagnostics& d) {
  if (c.interfaces.empty() && src.global.find("Interface") == nullptr)
    d.err(0, 0, "no Interface: mnd needs the access interface(s) to watch for Router Advertisements (add "
                "'Interface wlan0;')");
  check_timers(c, src, d);
  check_signalling(c, src, d);
  check_home(c, src, d);
  check_mcoa(c, src, d);
}

}  // namespace hmip::mn::config_detail
