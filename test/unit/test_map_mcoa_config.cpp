// mapd.conf's Multiple CoA keywords (issue 15; mapd.conf(5)): MultipleCoa,
// BulkRegistration, MaxCareOfAddresses, McoaSelection and FlowPolicy blocks:
// values, defaults, line-numbered errors and warnings, the writer.
#include <catch2/catch.hpp>

#include <string>

#include "conf_test_util.h"
#include "hmip/map/config_parse.h"

using namespace hmip;
using namespace hmip::map;
using namespace hmip::test_conf;

namespace {

// A testbed configuration (lines 1-5), then `body` from line 6 on.
std::string conf(std::initializer_list<std::string_view> body) {
  std::string out = lines({"MapAddress 2001:db8:100::1;", "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",
                           "LcoaPrefix 2001:db8:10::/48;", "InsecureTestbedSignalling yes;",
                           "TrustedPrefix 2001:db8:10::/48;"});
  for (auto l : body) {
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace

TEST_CASE("mapd.conf Multiple CoA: defaults and every keyword read into its field", "[mapconf][mcoa]") {
  const auto d = parse_mapd_config(conf({}));
  REQUIRE_OK(d);
  CHECK(d.config->multiple_coa == MultipleCoaMode::on);
  CHECK(d.config->bulk_registration);
  CHECK(d.config->max_care_of_addresses == 8);
  CHECK(d.config->mcoa_selection == McoaSelection::recent);
  CHECK(d.config->flow_policies.empty());

  const auto r = parse_mapd_config(conf({
      "MultipleCoa on;",                                                                    // 6
      "BulkRegistration off;",                                                              // 7
      "MaxCareOfAddresses 4;",                                                              // 8
      "McoaSelection priority;",                                                            // 9
      "FlowPolicy { Bid 2; Protocol udp; DestinationPort 5004-5005; SourcePort 7; };",      // 10
      "FlowPolicy {",                                                                       // 11
      "    Bid 65535; Protocol 132; Dscp 46; From 2001:db8:5::/48; To 2001:db8:100::/64;",  // 12
      "};",                                                                                 // 13
      "FlowPolicy { Bid 1; Protocol icmpv6; };",                                            // 14
  }));
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  const auto& c = *r.config;
  CHECK_FALSE(c.bulk_registration);
  CHECK(c.max_care_of_addresses == 4);
  CHECK(c.mcoa_selection == McoaSelection::priority);
  REQUIRE(c.flow_policies.size() == 3);
  const auto& a = c.flow_policies[0];
  CHECK(a.bid == 2);
  CHECK(a.protocol == std::uint8_t{17});
  CHECK(a.destination_port == PortRange{5004, 5005});
  CHECK(a.source_port == PortRange{7, 7});
  CHECK_FALSE(a.dscp);
  CHECK(a.line == 10);
  const auto& b = c.flow_policies[1];
  CHECK(b.bid == 65535);
  CHECK(b.protocol == std::uint8_t{132});
  CHECK(b.dscp == std::uint8_t{46});
  CHECK(b.from == Ip6Prefix::parse("2001:db8:5::/48"));
  CHECK(b.to == Ip6Prefix::parse("2001:db8:100::/64"));
  CHECK(c.flow_policies[2].protocol == std::uint8_t{58});

  // ignore and off.
  const auto i = parse_mapd_config(conf({"MultipleCoa ignore;"}));
  REQUIRE_OK(i);
  CHECK(i.config->multiple_coa == MultipleCoaMode::ignore);
  const auto o = parse_mapd_config(conf({"MultipleCoa off;"}));
  REQUIRE_OK(o);
  CHECK(o.config->multiple_coa == MultipleCoaMode::off);

  // The writer's text parses back to the same configuration.
  const auto back = parse_mapd_config(to_conf_text(c));
  INFO(to_conf_text(c));
  REQUIRE_OK(back);
  MapdConfig x = *back.config;
  MapdConfig y = c;
  for (auto* m : {&x, &y}) {
    for (auto& p : m->rcoa_prefixes) p.line = 0;
    for (auto& f : m->flow_policies) f.line = 0;
    m->insecure.line = 0;
  }
  CHECK(x == y);
}

TEST_CASE("mapd.conf Multiple CoA: errors name their line", "[mapconf][mcoa]") {
  check_errors(parse_mapd_config(conf({"MultipleCoa maybe;"})), {{6, "MultipleCoa 'maybe' is not on, off or ignore"}});
  check_errors(parse_mapd_config(conf({"McoaSelection newest;"})), {{6, "is not recent"}});
  check_errors(parse_mapd_config(conf({"MaxCareOfAddresses 0;"})), {{6, "MaxCareOfAddresses"}});
  check_errors(parse_mapd_config(conf({"MaxCareOfAddresses 257;"})), {{6, "MaxCareOfAddresses"}});
  check_errors(parse_mapd_config(conf({"BulkRegistration sometimes;"})), {{6, "BulkRegistration"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Protocol tcp; };"})), {{6, "FlowPolicy needs a Bid"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 2; };"})), {{6, "FlowPolicy has no match statement"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 0; Protocol tcp; };"})), {{6, "Bid"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1;", "  Protocol tcp;", "  Dscp 0; };"})),
               {{8, "Dscp 0 cannot be matched"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; Dscp 64; };"})), {{6, "Dscp"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy {", "  Bid 1;", "  DestinationPort 80; };"})),
               {{8, "DestinationPort needs Protocol tcp, udp, sctp or dccp"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; Protocol icmpv6; SourcePort 80; };"})),
               {{6, "SourcePort needs Protocol tcp, udp, sctp or dccp"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; Protocol tcp; SourcePort 90-80; };"})),
               {{6, "the first port is greater than the last"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; Protocol tcp; SourcePort 0; };"})),
               {{6, "is not a port or a range"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; Protocol gre; };"})), {{6, "Protocol 'gre'"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; From fe80::/64; };"})), {{6, "link-local"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy { Bid 1; Interface eth0; };"})), {{6, "Interface"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy 3 { Bid 1; Protocol tcp; };"})), {{6, "FlowPolicy takes no argument"}});
  check_errors(parse_mapd_config(conf({"FlowPolicy;"})), {{6, "FlowPolicy needs a block"}});
  // Several at once, each at its own line.
  check_errors(parse_mapd_config(conf({"MultipleCoa x;", "McoaSelection y;", "FlowPolicy { Bid 1; };"})),
               {{6, "MultipleCoa"}, {7, "McoaSelection"}, {8, "no match statement"}});
}

TEST_CASE("mapd.conf Multiple CoA: warnings for settings without effect", "[mapconf][mcoa]") {
  const auto r = parse_mapd_config(conf({
      "MultipleCoa ignore;",                    // 6
      "BulkRegistration off;",                  // 7
      "FlowPolicy { Bid 1; Protocol tcp; };",   // 8
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{7, "BulkRegistration has no effect while MultipleCoa is ignore"},
                     {8, "FlowPolicy has no effect while MultipleCoa is ignore"}});
  const auto s = parse_mapd_config(conf({
      "FlowPolicy { Bid 1; Protocol tcp; };",                 // 6
      "FlowPolicy { Bid 2; Protocol tcp; };",                 // 7
      "FlowPolicy { Bid 3; To 2001:db8:999::/64; };",         // 8
      "MaxCareOfAddresses 1;",                                // 9
  }));
  REQUIRE_OK(s);
  check_warnings(s, {{7, "matches the same flows as the FlowPolicy on line 6"},
                     {8, "overlaps no RcoaPrefix or HomePrefix"},
                     {9, "MaxCareOfAddresses 1"}});
  // A keyword of the block outside it, and the block's in mnd.conf's place.
  check_errors(parse_mapd_config(conf({"Dscp 4;"})), {{6, "Dscp"}});
}
