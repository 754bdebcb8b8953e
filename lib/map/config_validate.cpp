#include "config_validate.h"

#include <algorithm>

#include <string>

#include "config_home.h"
#include "config_mcoa.h"

namespace hmip::map::config_detail {

namespace {

using core::conf::format_seconds;
using core::conf::kInfinity;

// "is inside", "contains" or "is the same as" `b`, for messages about `a`.
std::string relation(const Ip6Prefix& a, const Ip6Prefix& b) {
  if (a == b) return "is the same prefix as";
  return a.len > b.len ? "is inside" : "contains";
}

std::string lifetime_str(std::uint32_t v) { return v == kInfinity ? "infinity" : std::to_string(v); }

// Errors (or warnings) for each prefix of `list` overlapping one of `other`:
// "LcoaPrefix X is inside RcoaPrefix Y (line N): <why>".
void cross_check(const std::vector<Ip6Prefix>& list, const std::vector<Token>& at, std::string_view kw,
                 const std::vector<Ip6Prefix>& other, const std::vector<Token>& other_at, std::string_view other_kw,
                 const std::string& why, bool error, core::conf::Diagnostics& d) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    for (std::size_t j = 0; j < other.size(); ++j) {
      if (!overlaps(list[i], other[j])) continue;
      std::string m = std::string(kw) + " " + list[i].str() + " " + relation(list[i], other[j]) + " " +
                      std::string(other_kw) + " " + other[j].str() + " (line " + std::to_string(other_at[j].line) +
                      "): " + why;
      if (error)
        d.err(at[i], std::move(m));
      else
        d.warn(at[i], std::move(m));
    }
  }
}

// Later prefixes of one list overlapping earlier ones.
void self_check(const std::vector<Ip6Prefix>& list, const std::vector<Token>& at, std::string_view kw,
                const std::string& why, bool error, core::conf::Diagnostics& d) {
  for (std::size_t i = 1; i < list.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!overlaps(list[i], list[j])) continue;
      std::string m = std::string(kw) + " " + list[i].str() + " " + relation(list[i], list[j]) + " " +
                      std::string(kw) + " " + list[j].str() + " (line " + std::to_string(at[j].line) + "): " + why;
      if (error)
        d.err(at[i], std::move(m));
      else
        d.warn(at[i], std::move(m));
      break;
    }
  }
}

// Whether the file asks for the MAP role: always without a HomeAgent block.
bool map_role_wanted(const MapdSources& src) {
  return src.home_block.line == 0 || src.global.find("MapAddress") != nullptr ||
         src.global.find("RcoaPrefix") != nullptr || src.global.find("LcoaPrefix") != nullptr;
}

void check_prefixes(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  std::vector<Ip6Prefix> rcoa;
  for (const auto& r : c.rcoa_prefixes) rcoa.push_back(r.prefix);
  self_check(rcoa, src.rcoa, "RcoaPrefix", "an RCoA must belong to one prefix, on one link", true, d);
  cross_check(c.lcoa_prefixes, src.lcoa, "LcoaPrefix", rcoa, src.rcoa, "RcoaPrefix",
              "an address cannot be both a regional and an on-link care-of address", true, d);
  cross_check(c.neighbour_prefixes, src.neighbour, "NeighbourPrefix", rcoa, src.rcoa, "RcoaPrefix",
              "an address cannot be both a regional care-of address and in a neighbouring domain", true, d);
  cross_check(c.neighbour_prefixes, src.neighbour, "NeighbourPrefix", c.lcoa_prefixes, src.lcoa, "LcoaPrefix",
              "an on-link care-of address is either in this MAP's domain or in a neighbouring one (RFC 5380 §8)",
              true, d);
  self_check(c.lcoa_prefixes, src.lcoa, "LcoaPrefix", "one of them is redundant", false, d);
  self_check(c.neighbour_prefixes, src.neighbour, "NeighbourPrefix", "one of them is redundant", false, d);

  // Mobile nodes form their RCoA from the MAP address's /64 (RFC 5380 §6).
  if (src.map_address_set && !c.rcoa_prefixes.empty()) {
    const Ip6Prefix own = Ip6Prefix::of(c.map_address, 64);
    bool covered = false;
    for (const auto& p : rcoa) covered = covered || (p.len <= 64 && p.contains(own.addr));
    if (!covered)
      d.warn(src.global.at("MapAddress", src.rcoa.front()),
             "MapAddress " + c.map_address.str() + ": its /64 " + own.str() +
                 " is inside no RcoaPrefix, but mobile nodes form their RCoA from it (RFC 5380 §6): their "
                 "binding updates would be refused with status 132");
  }
  for (std::size_t i = 0; i < c.rcoa_prefixes.size(); ++i)
    if (rcoa[i].len > 64)
      d.warn(src.rcoa[i], "RcoaPrefix " + rcoa[i].str() +
                              " is longer than /64: mobile nodes form RCoAs from a /64 and an interface identifier "
                              "(RFC 5380 §6)");
}

void check_lifetimes(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const Seen& g = src.global;
  const Token none;
  if (c.map_role() && c.max_binding_lifetime > c.advertised_valid_lifetime)
    d.warn(g.at("MaxBindingLifetime", g.at("AdvertisedValidLifetime", none)),
           "MaxBindingLifetime " + std::to_string(c.max_binding_lifetime) + " is longer than AdvertisedValidLifetime " +
               lifetime_str(c.advertised_valid_lifetime) + ": bindings never outlive the latter (RFC 5380 §10)");
  for (std::size_t i = 0; i < c.rcoa_prefixes.size(); ++i) {
    const auto& r = c.rcoa_prefixes[i];
    if (c.max_binding_lifetime > r.valid_lifetime)
      d.warn(src.rcoa_seen[i].at("ValidLifetime", src.rcoa[i]),
             "RcoaPrefix " + r.prefix.str() + ": ValidLifetime " + lifetime_str(r.valid_lifetime) +
                 " is shorter than MaxBindingLifetime " + std::to_string(c.max_binding_lifetime) +
                 ": bindings of its RCoAs are cut to it (RFC 5380 §6.1)");
  }

  const Duration max_lt = core::seconds(c.max_binding_lifetime);
  if (c.brr_lead > Duration::zero()) {
    if (c.brr_lead >= max_lt)
      d.warn(g.at("BrrLead", g.at("MaxBindingLifetime", none)),
             "BrrLead " + format_seconds(c.brr_lead) + " is not shorter than MaxBindingLifetime " +
                 std::to_string(c.max_binding_lifetime) +
                 ": a Binding Refresh Request would go out as soon as a binding is made (RFC 6275 §9.5.5)");
    else if (c.brr_interval > c.brr_lead)
      d.warn(g.at("BrrInterval", g.at("BrrLead", none)),
             "BrrInterval " + format_seconds(c.brr_interval) + " is longer than BrrLead " +
                 format_seconds(c.brr_lead) + ": only one Binding Refresh Request fits before a binding expires");
  } else if (const Token* t = g.find("BrrInterval")) {
    d.warn(*t, "BrrInterval has no effect while BrrLead is 0 (Binding Refresh Requests off)");
  }
}

void check_dad(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const Seen& g = src.global;
  if (!c.dad) {
    if (const Token* t = g.find("RcoaDadTimeout")) d.warn(*t, "RcoaDadTimeout has no effect while RcoaDad is off");
    if (const Token* t = g.find("MaxConcurrentDad"); t != nullptr && !(c.home_agent && c.home_agent->dad))
      d.warn(*t, "MaxConcurrentDad has no effect while RcoaDad is off");
    return;
  }
  if (const Token* t = g.find("MaxConcurrentDad"); t != nullptr && c.max_concurrent_dad > c.max_pending_registrations)
    d.warn(*t, "MaxConcurrentDad " + std::to_string(c.max_concurrent_dad) + " is above MaxPendingRegistrations " +
                   std::to_string(c.max_pending_registrations) +
                   ": a registration running DAD is a pending one, so the latter caps DADs first");
  bool any_link = false;
  for (const auto& r : c.rcoa_prefixes) any_link = any_link || !r.interface.empty();
  if (const Token* t = g.find("RcoaDad"); t != nullptr && !any_link && !c.rcoa_prefixes.empty())
    d.warn(*t, "RcoaDad is on but no RcoaPrefix names an Interface: DAD runs on an RCoA prefix's link, so none runs");
  if (c.dad_timeout > core::milliseconds(1500))
    d.warn(g.at("RcoaDadTimeout", Token{}),
           "RcoaDadTimeout " + format_seconds(c.dad_timeout) +
               " is longer than mobile nodes' InitialBindackTimeoutFirstReg (1.5 s, RFC 6275 §13): they retransmit "
               "a new binding's BU before mapd can answer it");
}

// The caps (issue 13 item 14): a cap above the one that binds first, or the
// per-node cap of the other signalling mode, has no effect.
void check_caps(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const Seen& g = src.global;
  const auto above_global = [&](const char* kw, std::uint32_t v, const std::string& what) {
    if (const Token* t = g.find(kw); t != nullptr && v > c.max_bindings)
      d.warn(*t, std::string(kw) + " " + std::to_string(v) + " is above MaxBindings " +
                     std::to_string(c.max_bindings) + ": " + what + " never hold more than that together");
  };
  above_global("MaxBindingsPerIdentity", c.max_bindings_per_identity, "all identities' bindings");
  if (c.max_bindings_per_trusted_prefix)
    above_global("MaxBindingsPerTrustedPrefix", *c.max_bindings_per_trusted_prefix, "all prefixes' bindings");
  above_global("MaxPendingRegistrations", c.max_pending_registrations, "bindings and pending registrations");
  const Token* on = g.find("InsecureTestbedSignalling");
  const bool insecure = c.insecure.enabled && on != nullptr;
  if (const Token* t = g.find("MaxBindingsPerIdentity"); t != nullptr && insecure)
    d.warn(*t, "MaxBindingsPerIdentity has no effect while InsecureTestbedSignalling is on: there are no IKE "
               "identities; MaxBindingsPerTrustedPrefix caps each TrustedPrefix");
  if (const Token* t = g.find("MaxBindingsPerIdentity"); t != nullptr && !insecure && c.max_bindings_per_identity < 2)
    d.warn(*t, "MaxBindingsPerIdentity 1 also caps each identity's RCoA leases at 1: a mobile node that sets up its "
               "new IKE SA after a move before the old one is gone holds two leases for a while, and its new IKE SA "
               "would be terminated");
  if (const Token* t = g.find("MaxBindingsPerTrustedPrefix"); t != nullptr && !insecure)
    d.warn(*t, "MaxBindingsPerTrustedPrefix has no effect while InsecureTestbedSignalling is off: "
               "MaxBindingsPerIdentity caps each IKE identity");
}

// InsecureTestbedSignalling on: TrustedPrefix required and useful.
void check_trusted(const MapdConfig& c, const MapdSources& src, const Token& on, core::conf::Diagnostics& d) {
  const auto& in = c.insecure;
  d.warn(on, std::string(kInsecureWarning));
  if (in.trusted_prefixes.empty())
    d.err(on, "InsecureTestbedSignalling is on but no TrustedPrefix is listed: name the prefixes whose LCoAs may "
              "send unprotected binding updates, as in 'TrustedPrefix 2001:db8:10::/48;'");
  for (std::size_t i = 0; i < in.trusted_prefixes.size(); ++i) {
    const auto& t = in.trusted_prefixes[i];
    if (t.len == 0) {
      d.warn(src.trusted[i], "TrustedPrefix ::/0 trusts every source address");
      continue;
    }
    // Home registrations come from care-of addresses anywhere (RFC 6275 §10.3.1).
    bool useful = c.home_agent.has_value();
    for (const auto& p : c.lcoa_prefixes) useful = useful || overlaps(t, p);
    for (const auto& p : c.neighbour_prefixes) useful = useful || overlaps(t, p);
    if (!useful)
      d.warn(src.trusted[i], "TrustedPrefix " + t.str() +
                                 " overlaps no LcoaPrefix or NeighbourPrefix: no binding update can come from it");
  }
  if (c.ike.configured)
    d.warn(src.ike.block, "the Ike block has no effect while InsecureTestbedSignalling is on (line " +
                              std::to_string(on.line) + "): binding updates are accepted without IPsec");
}

// Signalling protection (RFC 5380 §12.1): IPsec through an Ike block unless
// the testbed mode is on.
void check_insecure(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const auto& in = c.insecure;
  const Token* on = src.global.find("InsecureTestbedSignalling");
  if (on != nullptr && in.line == 0) return;  // its value was wrong: reported
  if (in.enabled && on != nullptr) return check_trusted(c, src, *on, d);
  if (!in.trusted_prefixes.empty())
    d.warn(src.trusted.front(), "TrustedPrefix has no effect while InsecureTestbedSignalling is off");
  if (c.ike.configured || src.global.find("Ike") != nullptr) return;
  const std::string what = map_role_wanted(src)
                               ? "binding updates must be protected by IPsec (RFC 5380 §12.1"
                               : "home registrations must be protected by IPsec (RFC 4877";
  const std::string both = map_role_wanted(src) && src.home_block.line != 0 ? "; home registrations too, RFC 4877" : "";
  d.err(on != nullptr ? on->line : 0, on != nullptr ? on->column : 0,
        "no Ike block: " + what + both + "): add an Ike block (mapd.conf(5)) or, on a testbed only, "
        "'InsecureTestbedSignalling yes;' with a TrustedPrefix");
}

// The RcoaPool: required in secure mode, inside one RcoaPrefix, without the
// MAP's own address.
void check_pool(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const auto& pool = c.ike.pool;
  if (!pool) {
    if (!c.insecure.enabled && src.ike.seen.find("RcoaPool") == nullptr)
      d.err(src.ike.block,
            "the Ike block has no RcoaPool: secure mode ties each RCoA to a mobile node's IKE identity through a "
            "lease from the MAP's pool, so the MAP allocates the RCoAs (set RFlag yes for this MAP in ard.conf(5)); "
            "stateless RCoAs (R = 0) are for InsecureTestbedSignalling only in this version (add " +
                std::string("'RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;')"));
    return;
  }
  const std::string range = pool->first.str() + "-" + pool->last.str();
  const auto in = std::find_if(c.rcoa_prefixes.begin(), c.rcoa_prefixes.end(),
                               [&](const RcoaPrefixConfig& r) { return r.prefix.contains(pool->first); });
  if (in == c.rcoa_prefixes.end() || !in->prefix.contains(pool->last)) {
    std::string m = "RcoaPool " + range;
    if (in != c.rcoa_prefixes.end())
      m += " reaches beyond RcoaPrefix " + in->prefix.str() + " (line " + std::to_string(in->line) + ")";
    else
      m += " does not start inside an RcoaPrefix";
    d.err(src.pool, m + ": the pool must lie inside one RcoaPrefix, whose link and lifetime its RCoAs get "
                        "(RFC 5380 §6.1)");
  }
  if (src.map_address_set && pool->first <= c.map_address && c.map_address <= pool->last)
    d.err(src.pool, "RcoaPool " + range + " contains MapAddress " + c.map_address.str() +
                        ": the MAP's own address cannot be leased to a mobile node");
}

void check_ike(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  if (!c.ike.configured) return;
  core::conf::check_ike_required(src.ike, d, kIkeWording, {.own_certificate = true, .peer_ca = c.ike.eap_secrets.empty()});
  if (!c.ike.eap_secrets.empty())
    if (const auto* t = src.ike.seen.find("CaCertificate"))
      d.warn(*t, "CaCertificate is not used: with EapSecrets mobile nodes authenticate by EAP, not by certificate");
  if (map_role_wanted(src)) return check_pool(c, src, d);
  // A home agent only: its connections name each owning identity
  // (HomeAddress); there are no RCoAs to lease and no generic connection.
  if (c.insecure.enabled) return;
  for (const char* kw : {"RcoaPool", "AuthorizedIdentity"})
    if (const auto* t = src.ike.seen.find(kw))
      d.warn(*t, std::string(kw) + " has no effect without the MAP role: the home agent accepts the identities "
                                   "its HomeAddress lines name, each for its own home addresses");
}

}  // namespace

void validate_mapd(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  // The MAP role: required without a HomeAgent block, and complete once
  // any of its keywords is there (a home agent alone needs none of them).
  const std::string alone = src.home_block.line != 0 ? " (or none of MapAddress, RcoaPrefix and LcoaPrefix, for a "
                                                       "home agent only)"
                                                     : "";
  if (map_role_wanted(src)) {
    if (!src.map_address_set && src.global.find("MapAddress") == nullptr)
      d.err(0, 0, "no MapAddress: mapd needs the address mobile nodes send binding updates to (add 'MapAddress "
                  "2001:db8:100::1;')" + alone);
    if (c.rcoa_prefixes.empty() && src.global.find("RcoaPrefix") == nullptr)
      d.err(0, 0, "no RcoaPrefix: mapd needs the prefix(es) RCoAs are formed from (add 'RcoaPrefix "
                  "2001:db8:100::/64 { Interface eth1; };')" + alone);
    if (c.lcoa_prefixes.empty() && src.global.find("LcoaPrefix") == nullptr)
      d.err(0, 0, "no LcoaPrefix: mapd accepts binding updates only from on-link care-of addresses in the listed "
                  "prefixes (add 'LcoaPrefix 2001:db8:10::/48;')" + alone);
  }
  check_home_agent(c, src, d);
  check_prefixes(c, src, d);
  check_lifetimes(c, src, d);
  check_dad(c, src, d);
  check_caps(c, src, d);
  check_insecure(c, src, d);
  check_ike(c, src, d);
  check_mcoa(c, src, d);
}

}  // namespace hmip::map::config_detail
