// mapd.conf's Multiple Care-of Addresses keywords (config_mcoa.h).
#include "config_mcoa.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include "hmip/core/conf_keywords.h"
#include "hmip/map/config_parse.h"

namespace hmip::map {

std::string_view to_string(MultipleCoaMode m) noexcept {
  switch (m) {
    case MultipleCoaMode::on: return "on";
    case MultipleCoaMode::off: return "off";
    case MultipleCoaMode::ignore: return "ignore";
  }
  return "?";
}

std::string_view to_string(McoaSelection s) noexcept {
  switch (s) {
    case McoaSelection::recent: return "recent";
    case McoaSelection::priority: return "priority";
  }
  return "?";
}

}  // namespace hmip::map

namespace hmip::map::config_detail {

namespace {

using core::conf::q;
using core::conf::Statement;
using core::conf::keywords::kFlowPolicy;

constexpr std::array<std::string_view, 4> kMcoaTop{"MultipleCoa", "BulkRegistration", "MaxCareOfAddresses",
                                                   "McoaSelection"};

// Transport protocols with ports: tcp, udp, dccp (33), sctp (132).
constexpr std::array<std::uint8_t, 4> kPortProtocols{6, 17, 33, 132};

struct NamedProtocol {
  std::string_view name;
  std::uint8_t number;
};
constexpr std::array<NamedProtocol, 5> kProtocols{NamedProtocol{"tcp", 6}, NamedProtocol{"udp", 17},
                                                  NamedProtocol{"icmpv6", 58}, NamedProtocol{"dccp", 33},
                                                  NamedProtocol{"sctp", 132}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; });
  return out;
}

std::optional<std::uint32_t> decimal(std::string_view s) {
  std::uint32_t v = 0;
  if (s.empty() || s.size() > 6) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

const core::conf::KeywordContext& context_of(std::span<const core::conf::KeywordContext> contexts,
                                             std::span<const std::string_view> list) {
  for (const auto& c : contexts)
    if (c.keywords.data() == list.data()) return c;
  return contexts.front();
}

void read_mode(core::conf::StatementReader& r, const Statement& s, MapdConfig& c) {
  const Token* a = r.one_arg(s, "on, off or ignore, as in 'MultipleCoa on;'");
  if (a == nullptr) return;
  const std::string v = lower(a->text);
  if (v == "on" || v == "yes") {
    c.multiple_coa = MultipleCoaMode::on;
  } else if (v == "off" || v == "no") {
    c.multiple_coa = MultipleCoaMode::off;
  } else if (v == "ignore") {
    c.multiple_coa = MultipleCoaMode::ignore;
  } else {
    r.err(*a, "MultipleCoa '" + q(a->text) +
                  "' is not on, off or ignore (off refuses binding updates with Binding Identifier options with "
                  "status 166; ignore treats them as regular binding updates)");
  }
}

void read_selection(core::conf::StatementReader& r, const Statement& s, MapdConfig& c) {
  const Token* a = r.one_arg(s, "recent or priority, as in 'McoaSelection recent;'");
  if (a == nullptr) return;
  const std::string v = lower(a->text);
  if (v == "recent") {
    c.mcoa_selection = McoaSelection::recent;
  } else if (v == "priority") {
    c.mcoa_selection = McoaSelection::priority;
  } else {
    r.err(*a, "McoaSelection '" + q(a->text) +
                  "' is not recent (the binding most recently created or moved carries the traffic) or priority "
                  "(the lowest BID-PRI, RFC 6089)");
  }
}

std::optional<std::uint8_t> read_protocol(core::conf::StatementReader& r, const Statement& s) {
  const Token* a = r.one_arg(s, "tcp, udp, icmpv6, sctp, dccp or a protocol number 1..255, as in 'Protocol tcp;'");
  if (a == nullptr) return std::nullopt;
  const std::string v = lower(a->text);
  for (const auto& p : kProtocols)
    if (p.name == v) return p.number;
  if (const auto n = decimal(v); n && *n >= 1 && *n <= 255) return static_cast<std::uint8_t>(*n);
  r.err(*a, "Protocol '" + q(a->text) + "' is not tcp, udp, icmpv6, sctp, dccp or a protocol number 1..255");
  return std::nullopt;
}

// P or P-Q, 1..65535, P <= Q.
std::optional<PortRange> read_ports(core::conf::StatementReader& r, const Statement& s) {
  const std::string example = "a port or a range P-Q of ports 1..65535, as in '" + s.keyword.text + " 5000-5010;'";
  const Token* a = r.one_arg(s, example);
  if (a == nullptr) return std::nullopt;
  const std::string_view t = a->text;
  const auto dash = t.find('-');
  const auto lo = decimal(t.substr(0, dash));
  const auto hi = dash == std::string_view::npos ? lo : decimal(t.substr(dash + 1));
  if (!lo || !hi || *lo < 1 || *hi < 1 || *lo > 65535 || *hi > 65535) {
    r.err(*a, s.keyword.text + " '" + q(t) + "' is not " + example);
    return std::nullopt;
  }
  if (*lo > *hi) {
    r.err(*a, s.keyword.text + " " + q(t) + ": the first port is greater than the last (P-Q, lowest first)");
    return std::nullopt;
  }
  return PortRange{static_cast<std::uint16_t>(*lo), static_cast<std::uint16_t>(*hi)};
}

void read_flow_policy(core::conf::StatementReader& r, const Statement& s, MapdConfig& c, MapdSources& src,
                      std::span<const core::conf::KeywordContext> contexts,
                      std::span<const std::string_view> foreign) {
  src.global.note(s);
  if (!s.args.empty())
    r.err(s.args[0], "FlowPolicy takes no argument: its statements go inside '{ }', as in 'FlowPolicy { Bid 2; "
                     "Protocol udp; DestinationPort 5004; };'");
  if (!s.has_block) {
    r.err(s.keyword, "FlowPolicy needs a block, as in 'FlowPolicy { Bid 2; Protocol udp; DestinationPort 5004; };'");
    return;
  }
  FlowPolicyConfig fp;
  fp.line = s.line();
  core::conf::Seen seen;
  bool bid_ok = false;
  bool bad = false;  // a statement reported an error: the policy is not checked further
  std::size_t matches = 0;
  for (const auto& st : s.block) {
    const auto& k = st.keyword.text;
    if (std::find(kFlowPolicy.begin(), kFlowPolicy.end(), k) == kFlowPolicy.end()) {
      core::conf::report_unknown(r, st, context_of(contexts, kFlowPolicy), contexts, foreign, "mnd.conf(5)");
      bad = true;
      continue;
    }
    r.no_block(st);
    r.duplicate(seen, st);
    const std::size_t errors = r.error_count();
    if (k == "Bid") {
      if (auto v = r.number(st, 1, 65535, "")) {
        fp.bid = static_cast<std::uint16_t>(*v);
        bid_ok = true;
      }
      if (r.error_count() != errors) bid_ok = true;  // reported already: no "needs a Bid" on top
      continue;
    }
    ++matches;
    if (k == "Protocol") {
      fp.protocol = read_protocol(r, st);
    } else if (k == "SourcePort") {
      fp.source_port = read_ports(r, st);
    } else if (k == "DestinationPort") {
      fp.destination_port = read_ports(r, st);
    } else if (k == "Dscp") {
      if (auto v = r.number(st, 0, 63, "")) {
        if (*v == 0)
          r.err(st.args[0], "Dscp 0 cannot be matched: the kernel's rule field 0 means any traffic class; match "
                            "the other flows with their own FlowPolicy and leave DSCP 0 to the default binding");
        else
          fp.dscp = static_cast<std::uint8_t>(*v);
      }
    } else if (const Token* a = r.one_arg(st, "an IPv6 prefix such as 2001:db8:5::/48")) {
      auto p = r.prefix(*a, k);
      (k == "From" ? fp.from : fp.to) = p;
    }
    bad = bad || r.error_count() != errors;
  }
  if (!bid_ok)
    r.err(s.keyword, "FlowPolicy needs a Bid 1..65535: the Binding ID of the binding its flows go through, as in "
                     "'Bid 2;'");
  if (matches == 0)
    r.err(s.keyword, "FlowPolicy has no match statement: give at least one of Protocol, SourcePort, "
                     "DestinationPort, Dscp, From and To (without one it would take every flow)");
  if (!bad) {
    const bool ports = fp.source_port || fp.destination_port;
    const bool port_protocol =
        fp.protocol && std::find(kPortProtocols.begin(), kPortProtocols.end(), *fp.protocol) != kPortProtocols.end();
    if (ports && !port_protocol) {
      const Token& at = seen.at(fp.source_port ? "SourcePort" : "DestinationPort", s.keyword);
      r.err(at, std::string(fp.source_port ? "SourcePort" : "DestinationPort") +
                    " needs Protocol tcp, udp, sctp or dccp in the same FlowPolicy: other protocols have no ports" +
                    (fp.protocol ? " (Protocol is " + std::to_string(*fp.protocol) + ")" : std::string()));
    }
  }
  c.flow_policies.push_back(fp);
  src.flow.push_back(s.keyword);
  src.flow_seen.push_back(std::move(seen));
}

}  // namespace

bool is_mcoa_keyword(std::string_view keyword) noexcept {
  return keyword == "FlowPolicy" || std::find(kMcoaTop.begin(), kMcoaTop.end(), keyword) != kMcoaTop.end();
}

void read_mcoa_statement(core::conf::StatementReader& r, const Statement& s, MapdConfig& c, MapdSources& src,
                         std::span<const core::conf::KeywordContext> contexts,
                         std::span<const std::string_view> foreign) {
  const std::string& k = s.keyword.text;
  if (k == "FlowPolicy") return read_flow_policy(r, s, c, src, contexts, foreign);
  r.no_block(s);
  r.duplicate(src.global, s);
  if (k == "MultipleCoa") {
    read_mode(r, s, c);
  } else if (k == "BulkRegistration") {
    if (auto v = r.flag(s)) c.bulk_registration = *v;
  } else if (k == "MaxCareOfAddresses") {
    if (auto v = r.number(s, 1, kMaxCareOfAddressesCap, "")) c.max_care_of_addresses = static_cast<std::uint32_t>(*v);
  } else if (k == "McoaSelection") {
    read_selection(r, s, c);
  }
}

void check_mcoa(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d) {
  const auto& g = src.global;
  if (c.multiple_coa != MultipleCoaMode::on) {
    const std::string why = std::string(" has no effect while MultipleCoa is ") + std::string(to_string(c.multiple_coa)) +
                            " (line " + std::to_string(g.at("MultipleCoa", Token{}).line) + ")";
    for (const char* kw : {"BulkRegistration", "MaxCareOfAddresses", "McoaSelection"})
      if (const Token* t = g.find(kw)) d.warn(*t, std::string(kw) + why);
    if (!src.flow.empty()) d.warn(src.flow.front(), "FlowPolicy" + why + ": no binding has a Binding ID");
  }
  if (const Token* t = g.find("MaxCareOfAddresses"); t != nullptr && c.max_care_of_addresses == 1 &&
                                                     c.multiple_coa == MultipleCoaMode::on)
    d.warn(*t, "MaxCareOfAddresses 1 allows one Binding ID per address: a node's second care-of address is refused "
               "(status 130), so Multiple CoA gains nothing");
  for (std::size_t i = 0; i < c.flow_policies.size() && i < src.flow.size(); ++i) {
    const auto& fp = c.flow_policies[i];
    for (std::size_t j = 0; j < i; ++j) {
      FlowPolicyConfig a = fp;
      FlowPolicyConfig b = c.flow_policies[j];
      a.line = b.line = 0;
      a.bid = b.bid = 0;
      if (a != b) continue;
      d.warn(src.flow[i], "FlowPolicy matches the same flows as the FlowPolicy on line " +
                              std::to_string(src.flow[j].line) + ", which comes first: this one never applies");
      break;
    }
    if (!fp.to) continue;
    bool reachable = false;
    for (const auto& r : c.rcoa_prefixes) reachable = reachable || overlaps(r.prefix, *fp.to);
    if (c.home_agent)
      for (const auto& h : c.home_agent->prefixes) reachable = reachable || overlaps(h.prefix, *fp.to);
    if (!reachable)
      d.warn(src.flow_seen[i].at("To", src.flow[i]),
             "FlowPolicy To " + fp.to->str() + " overlaps no RcoaPrefix or HomePrefix: it matches no address mapd "
             "binds");
  }
}

}  // namespace hmip::map::config_detail
