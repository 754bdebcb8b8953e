// mapd.conf's HomeAgent block (config_home.h): the home agent role.
#include "config_home.h"

#include <algorithm>
#include <string>

#include "hmip/core/conf_keywords.h"
#include "hmip/map/config_parse.h"

namespace hmip::map::config_detail {

namespace {

using core::conf::format_seconds;
using core::conf::kInfinity;
using core::conf::Statement;
using core::conf::keywords::kMapdHomeAgent;
using core::conf::keywords::kMapdHomePrefix;

bool known(std::span<const std::string_view> list, const std::string& k) {
  return std::find(list.begin(), list.end(), k) != list.end();
}

// The KeywordContext of `list` among `contexts` (for report_unknown).
const core::conf::KeywordContext& context_of(std::span<const core::conf::KeywordContext> contexts,
                                             std::span<const std::string_view> list) {
  for (const auto& c : contexts)
    if (c.keywords.data() == list.data()) return c;
  return contexts.front();
}

void read_address(core::conf::StatementReader& r, const Statement& s, HomeAgentConfig& ha, MapdSources& src) {
  const Token* a = r.one_arg(s, "the home agent's global address, as in 'Address 2001:db8:200::1;'");
  if (a == nullptr) return;
  auto addr = r.address(*a, "the home agent's global address");
  if (!addr) return;
  if (addr->is_link_local() || addr->is_multicast() || addr->is_unspecified() || addr->is_loopback()) {
    r.err(*a, "HomeAgent Address " + a->text +
                  " is not a global unicast address: mobile nodes send home registrations to it from other links "
                  "(RFC 6275 §10.3.1)");
    return;
  }
  ha.address = *addr;
  src.home_address_set = true;
}

void read_home_prefix(core::conf::StatementReader& r, const Statement& s, HomeAgentConfig& ha, MapdSources& src,
                      std::span<const core::conf::KeywordContext> contexts,
                      std::span<const std::string_view> foreign) {
  HomePrefixConfig hp;
  hp.line = s.line();
  std::optional<Ip6Prefix> parsed;
  if (const Token* a = r.one_arg(s, "an IPv6 prefix such as 2001:db8:200::/64")) parsed = r.prefix(*a, "HomePrefix");
  core::conf::Seen seen;
  for (const auto& c : s.block) {
    const auto& k = c.keyword.text;
    if (!known(kMapdHomePrefix, k)) {
      core::conf::report_unknown(r, c, context_of(contexts, kMapdHomePrefix), contexts, foreign, "mnd.conf(5)");
      continue;
    }
    r.no_block(c);
    r.duplicate(seen, c);
    if (k == "Interface") {
      if (const Token* a = r.one_arg(c, "the name of the home link, as in 'Interface eth2;'"))
        if (r.interface_name(*a, "Interface")) hp.interface = a->text;
    } else if (auto v = r.number(c, 1, kInfinity, " seconds", true)) {
      hp.valid_lifetime = static_cast<std::uint32_t>(*v);
    }
  }
  if (!parsed) return;
  hp.prefix = *parsed;
  for (const auto& other : ha.prefixes) {
    if (other.prefix != hp.prefix) continue;
    r.err(s.args[0], "HomePrefix " + hp.prefix.str() + " is already configured on line " + std::to_string(other.line));
    return;
  }
  ha.prefixes.push_back(std::move(hp));
  src.home_prefix.push_back(s.args[0]);
}

// HomeAddress ADDRESS "IDENTITY": repeatable, one home address each (where
// it lies, and uniqueness, are check_home_agent's).
void read_home_owner(core::conf::StatementReader& r, const Statement& s, HomeAgentConfig& ha, MapdSources& src) {
  src.home_seen.note(s);
  constexpr std::string_view kExample = "'HomeAddress 2001:db8:200::10 \"mn1@example.net\";'";
  if (s.args.size() != 2) {
    r.err(s.args.empty() ? s.keyword : s.args[0],
          "HomeAddress takes a home address and the IKE identity owning it, as in " + std::string(kExample));
    return;
  }
  auto addr = r.address(s.args[0], "a home address");
  if (!addr) return;
  if (addr->is_link_local() || addr->is_multicast() || addr->is_unspecified() || addr->is_loopback()) {
    r.err(s.args[0], "HomeAddress " + s.args[0].text + " is not a global unicast address (RFC 6275 §10.3.1)");
    return;
  }
  const Token& id = s.args[1];
  if (!r.identity_arg(id, "HomeAddress", "mn1@example.net")) return;
  // One identity, written as charon reports it: mapd compares it with the
  // identity holding the home address's CHILD_SA, so a pattern never matches.
  if (id.text.find('*') != std::string::npos || id.text.rfind("%any", 0) == 0) {
    r.err(id, "HomeAddress " + addr->str() + ": '" + core::conf::q(id.text) +
                  "' is a pattern; a home address is owned by one IKE identity, as in " + std::string(kExample));
    return;
  }
  for (std::size_t i = 0; i < ha.owners.size(); ++i) {
    if (ha.owners[i].address != *addr) continue;
    r.err(s.args[0], "HomeAddress " + addr->str() + " is already given to " + ha.owners[i].identity + " on line " +
                         std::to_string(ha.owners[i].line) + ": a home address has one owner");
    return;
  }
  ha.owners.push_back(HomeAddressOwner{*addr, id.text, s.line()});
  src.home_owner.push_back(s.args[0]);
}

}  // namespace

void read_max_binding_lifetime(core::conf::StatementReader& r, const Statement& s, std::uint32_t& out) {
  const auto v = r.number(s, 4, kMaxBindingLifetimeSeconds, " seconds");
  if (!v) return;
  out = static_cast<std::uint32_t>(*v);
  if (*v % 4 != 0)
    r.warn(s.args[0], "MaxBindingLifetime " + s.args[0].text +
                          " is not a multiple of 4: lifetimes go out in 4-second units (RFC 6275 §6.1.8), so " +
                          std::to_string(*v / 4 * 4) + " seconds are granted at most");
}

void read_home_agent(core::conf::StatementReader& r, const Statement& s, MapdConfig& c, MapdSources& src,
                     std::span<const core::conf::KeywordContext> contexts,
                     std::span<const std::string_view> foreign) {
  if (!s.args.empty()) r.err(s.args[0], "HomeAgent takes no argument, only a block: 'HomeAgent { Address ...; };'");
  if (!s.has_block) {
    r.err(s.keyword, "HomeAgent needs a block: 'HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64 "
                     "{ Interface eth2; }; };'");
    return;
  }
  HomeAgentConfig ha;
  ha.line = s.line();
  ha.max_binding_lifetime = c.max_binding_lifetime;
  src.home_block = s.keyword;
  for (const auto& st : s.block) {
    const auto& k = st.keyword.text;
    if (!known(kMapdHomeAgent, k)) {
      core::conf::report_unknown(r, st, context_of(contexts, kMapdHomeAgent), contexts, foreign, "mnd.conf(5)");
      continue;
    }
    if (k == "HomePrefix") {
      src.home_seen.note(st);
      read_home_prefix(r, st, ha, src, contexts, foreign);
      continue;
    }
    r.no_block(st);
    if (k == "HomeAddress") {
      read_home_owner(r, st, ha, src);
      continue;
    }
    r.duplicate(src.home_seen, st);
    if (k == "Address") {
      read_address(r, st, ha, src);
    } else if (k == "MaxBindingLifetime") {
      read_max_binding_lifetime(r, st, ha.max_binding_lifetime);
    } else if (k == "HomeDad") {
      if (auto v = r.flag(st)) ha.dad = *v;
    } else if (k == "ProtectTraffic") {
      if (auto v = r.flag(st)) ha.protect_traffic = *v;
    } else if (k == "HomeDadTimeout") {
      if (auto v = r.seconds(st, core::milliseconds(10), core::seconds(60))) ha.dad_timeout = *v;
    } else if (const Token* a = r.one_arg(st, "a number from -32768 to 32767, as in 'Preference 0;'")) {
      // Preference: a signed 16-bit Home Agent Preference (RFC 6275 §7.4).
      std::size_t used = 0;
      int v = 0;
      bool ok = !a->text.empty();
      try {
        v = std::stoi(a->text, &used);
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok || used != a->text.size() || v < -32768 || v > 32767)
        r.err(*a, "Preference '" + a->text + "' is not a number from -32768 to 32767 (RFC 6275 §7.4)");
      else
        ha.preference = static_cast<std::int16_t>(v);
    }
  }
  c.home_agent = std::move(ha);
}

void finish_home_agent(MapdConfig& c, const MapdSources& src) {
  if (c.home_agent && src.home_seen.find("MaxBindingLifetime") == nullptr)
    c.home_agent->max_binding_lifetime = c.max_binding_lifetime;
}

namespace {

// HomeAddress lines (RFC 4877 §4.3: the home agent knows which identity
// may use which home address): secure mode needs one at least; each on a
// HomePrefix and not one of mapd's own addresses; unused (warned) in the
// insecure testbed mode.
void check_home_owners(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const HomeAgentConfig& ha = *c.home_agent;
  const Token& block = src.home_block;
  if (!c.insecure.enabled && ha.owners.empty() && src.home_seen.find("HomeAddress") == nullptr)
    d.err(block, "the HomeAgent block has no HomeAddress: in secure mode (RFC 4877) the home agent accepts a home "
                 "registration only from the IKE identity owning the home address (add 'HomeAddress "
                 "2001:db8:200::10 \"mn1@example.net\";' for each mobile node)");
  for (std::size_t i = 0; i < ha.owners.size(); ++i) {
    const HomeAddressOwner& o = ha.owners[i];
    const Token& at = src.home_owner[i];
    const bool on_prefix = std::any_of(ha.prefixes.begin(), ha.prefixes.end(),
                                       [&](const HomePrefixConfig& p) { return p.prefix.contains(o.address); });
    if (!on_prefix && !ha.prefixes.empty())
      d.err(at, "HomeAddress " + o.address.str() + " is on no HomePrefix: the home agent serves home addresses "
                                                 "on its home prefixes only (RFC 6275 §10.3.1)");
    if ((src.home_address_set && o.address == ha.address) || (src.map_address_set && o.address == c.map_address))
      d.err(at, "HomeAddress " + o.address.str() + " is mapd's own address: no mobile node can have it");
  }
  if (!c.insecure.enabled) return;
  if (const Token* t = src.home_seen.find("HomeAddress"))
    d.warn(*t, "HomeAddress has no effect while InsecureTestbedSignalling is on: home registrations are accepted "
               "without IPsec from care-of addresses in TrustedPrefix, whoever owns the home address");
  if (const Token* t = src.home_seen.find("ProtectTraffic"); t != nullptr && ha.protect_traffic)
    d.warn(*t, "ProtectTraffic has no effect while InsecureTestbedSignalling is on: there is no IKE SA to carry "
               "the payload protection (RFC 4877 §5)");
}

}  // namespace

void check_home_agent(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  if (!c.home_agent) return;
  const HomeAgentConfig& ha = *c.home_agent;
  const Token& block = src.home_block;
  check_home_owners(c, src, d);
  if (!src.home_address_set && src.home_seen.find("Address") == nullptr)
    d.err(block, "the HomeAgent block has no Address: mobile nodes send home registrations to it (add 'Address "
                 "2001:db8:200::1;')");
  if (ha.prefixes.empty() && src.home_seen.find("HomePrefix") == nullptr)
    d.err(block, "the HomeAgent block has no HomePrefix: the home agent serves home addresses on its home prefixes "
                 "(add 'HomePrefix 2001:db8:200::/64 { Interface eth2; };')");
  for (std::size_t i = 0; i < ha.prefixes.size(); ++i) {
    const auto& p = ha.prefixes[i].prefix;
    for (std::size_t j = 0; j < i; ++j)
      if (overlaps(p, ha.prefixes[j].prefix))
        d.err(src.home_prefix[i], "HomePrefix " + p.str() + " overlaps HomePrefix " + ha.prefixes[j].prefix.str() +
                                      " (line " + std::to_string(ha.prefixes[j].line) +
                                      "): a home address must belong to one prefix, on one link");
    for (const auto& r : c.rcoa_prefixes)
      if (overlaps(p, r.prefix))
        d.err(src.home_prefix[i], "HomePrefix " + p.str() + " overlaps RcoaPrefix " + r.prefix.str() + " (line " +
                                      std::to_string(r.line) +
                                      "): an address is either a regional care-of address or a home address");
    if (c.home_agent->max_binding_lifetime > ha.prefixes[i].valid_lifetime)
      d.warn(src.home_prefix[i], "HomePrefix " + p.str() + ": ValidLifetime " +
                                     std::to_string(ha.prefixes[i].valid_lifetime) +
                                     " is shorter than the home agent's MaxBindingLifetime " +
                                     std::to_string(ha.max_binding_lifetime) +
                                     ": home bindings are cut to it (RFC 6275 §10.3.1)");
  }
  if (src.home_address_set && !c.insecure.enabled && c.map_role() && src.map_address_set &&
      ha.address == c.map_address)
    d.err(src.home_seen.at("Address", block),
          "HomeAgent Address " + ha.address.str() +
              " is MapAddress: in secure mode the home agent needs an address of its own (charon picks one "
              "connection per IKE SA by addresses and identity, and a mobile node's identity holds both an RCoA "
              "connection and a home connection: RFC 4877 protection needs them on two addresses)");
  if (src.home_address_set) {
    // Address: inside a HomePrefix (the usual home link), or elsewhere
    // (routed home prefixes, one address for both roles), never an
    // address a mobile node could take as its RCoA.
    const Token& at = src.home_seen.at("Address", block);
    for (const auto& r : c.rcoa_prefixes)
      if (r.prefix.contains(ha.address) && !(src.map_address_set && ha.address == c.map_address))
        d.err(at, "HomeAgent Address " + ha.address.str() + " is inside RcoaPrefix " + r.prefix.str() + " (line " +
                      std::to_string(r.line) +
                      "): a mobile node could form it as its RCoA; use an address outside the RCoA prefixes (or, in "
                      "the insecure testbed mode only, MapAddress itself: both roles on one address)");
  }
  bool any_link = false;
  for (const auto& p : ha.prefixes) any_link = any_link || !p.interface.empty();
  if (const Token* t = src.home_seen.find("HomeDad"); t != nullptr && ha.dad && !any_link && !ha.prefixes.empty())
    d.warn(*t, "HomeDad is on but no HomePrefix names an Interface: DAD runs on the home link, so none runs");
  if (const Token* t = src.home_seen.find("HomeDadTimeout"); t != nullptr && !ha.dad)
    d.warn(*t, "HomeDadTimeout has no effect while HomeDad is off");
  else if (t != nullptr && ha.dad_timeout > core::milliseconds(1500))
    d.warn(*t, "HomeDadTimeout " + format_seconds(ha.dad_timeout) +
                   " is longer than mobile nodes' InitialBindackTimeoutFirstReg (1.5 s, RFC 6275 §13): they "
                   "retransmit a new home registration before mapd can answer it");
}

}  // namespace hmip::map::config_detail

namespace hmip::map {

const HomeAddressOwner* HomeAgentConfig::owner_of(const Ip6Addr& home) const {
  const auto it = std::find_if(owners.begin(), owners.end(), [&](const HomeAddressOwner& o) { return o.address == home; });
  return it == owners.end() ? nullptr : &*it;
}

}  // namespace hmip::map
