// mnd.conf for Multiple CoA (issue 15): MultipleCoa, Interface blocks (Bid,
// Priority), FlowPolicy blocks, their errors and warnings, the writer.
#include <catch2/catch.hpp>

#include "conf_test_util.h"
#include "hmip/mn/config_parse.h"

using namespace hmip;
using namespace hmip::mn;
using namespace hmip::test_conf;

namespace {

MndConfig without_lines(MndConfig c) {
  c.insecure_line = 0;
  c.ike.line = 0;
  for (auto& f : c.flow_policies) f.line = 0;
  return c;
}

}  // namespace

TEST_CASE("mnd.conf: MultipleCoa, Interface blocks and FlowPolicy blocks are read", "[mnconf][mcoa]") {
  const auto r = parse_mnd_config(lines({
      "Interface wlan0 { Bid 7; Priority 2; };",  // 1
      "Interface eth0;",                          // 2
      "Interface usb0 { Priority 1; };",          // 3
      "MultipleCoa on;",                          // 4
      "FlowPolicy {",                             // 5
      "    Bid 2;",                               // 6
      "    Protocol udp;",                        // 7
      "    DestinationPort 5060-5061;",           // 8
      "    SourcePort 4000;",                     // 9
      "    Dscp 46;",                             // 10
      "    To 2001:db8:5::/48;",                  // 11
      "};",                                       // 12
      "FlowPolicy { Bid 7; Protocol 132; From 2001:db8:100::/64; };",  // 13
      "InsecureTestbedSignalling yes;",           // 14
  }));
  REQUIRE_OK(r);
  const MndConfig& c = *r.config;
  CHECK(c.interfaces == std::vector<std::string>{"wlan0", "eth0", "usb0"});
  CHECK(c.multiple_coa == MultipleCoaMode::on);
  CHECK(c.mcoa());
  CHECK(c.bid_of(0) == 7);
  CHECK(c.priority_of(0) == 2);
  CHECK(c.bid_of(1) == 2);
  CHECK(c.priority_of(1) == 0);
  CHECK(c.bid_of(2) == 3);
  CHECK(c.priority_of(2) == 1);
  REQUIRE(c.flow_policies.size() == 2);
  const auto& f = c.flow_policies[0];
  CHECK(f.bid == 2);
  CHECK(f.line == 5);
  CHECK(f.match.ip_proto == 17);
  CHECK(f.match.dport_lo == 5060);
  CHECK(f.match.dport_hi == 5061);
  CHECK(f.match.sport_lo == 4000);
  CHECK(f.match.sport_hi == 4000);
  CHECK(f.match.dscp == std::uint8_t{46});
  CHECK(f.match.to == Ip6Prefix::parse("2001:db8:5::/48"));
  CHECK_FALSE(f.match.from);
  CHECK(c.flow_policies[1].match.ip_proto == 132);
  CHECK(c.flow_policies[1].match.from == Ip6Prefix::parse("2001:db8:100::/64"));

  // The writer round-trips it.
  const std::string text = to_conf_text(c);
  INFO(text);
  const auto back = parse_mnd_config(text);
  REQUIRE_OK(back);
  CHECK(without_lines(*back.config) == without_lines(c));
  CHECK(config_summary(c).find("Multiple CoA (RFC 5648) with 2 flow policies") != std::string::npos);
}

TEST_CASE("mnd.conf: MultipleCoa auto is the default; plain Interface lines keep working", "[mnconf][mcoa]") {
  const auto one = parse_mnd_config("Interface wlan0; InsecureTestbedSignalling yes;");
  REQUIRE_OK(one);
  CHECK(one.config->multiple_coa == MultipleCoaMode::automatic);
  CHECK(one.config->interface_options.empty());
  CHECK_FALSE(one.config->mcoa());
  const auto two = parse_mnd_config("Interface wlan0 eth0; MultipleCoa auto; InsecureTestbedSignalling yes;");
  REQUIRE_OK(two);
  CHECK(two.config->mcoa());
  CHECK(two.config->interface_options.empty());
  const auto off = parse_mnd_config("Interface wlan0 eth0; MultipleCoa off; InsecureTestbedSignalling yes;");
  REQUIRE_OK(off);
  CHECK_FALSE(off.config->mcoa());
}

TEST_CASE("mnd.conf: Multiple CoA errors", "[mnconf][mcoa]") {
  check_errors(parse_mnd_config(lines({
                   "Interface wlan0 { Bid 2; };",           // 1
                   "Interface eth0;",                       // 2: BID 2 by position
                   "MultipleCoa maybe;",                    // 3
                   "FlowPolicy { Bid 9; Protocol tcp; };",  // 4
                   "FlowPolicy { Protocol tcp; };",         // 5
                   "FlowPolicy { Bid 1; };",                // 6
                   "FlowPolicy { Bid 1; DestinationPort 80; };",        // 7
                   "FlowPolicy { Bid 1; Dscp 0; };",                    // 8
                   "FlowPolicy { Bid 1; Protocol udp; SourcePort 9-3; };",  // 9
                   "Interface usb0 { Priority 128; };",     // 10
                   "Interface lo0 { Bid 0; };",             // 11
                   "FlowPolicy { Bid 1; Colour red; };",    // 12
                   "Interface a b { Bid 5; };",             // 13
                   "FlowPolicy;",                           // 14
                   "FlowPolicy { Bid 1; From fe80::/64; };",  // 15
                   "InsecureTestbedSignalling yes;",
               })),
               {{2, "has BID 2, as Interface wlan0"},
                {3, "MultipleCoa expects auto"},
                {4, "Bid 9 is no Interface's BID"},
                {5, "needs the BID of the interface"},
                {6, "needs at least one of Protocol"},
                {7, "ports need 'Protocol tcp;'"},
                {8, "1..63"},
                {9, "P <= Q"},
                {10, "1..127"},
                {11, "1..65535"},
                {12, "Colour"},
                {13, "an Interface block names one interface"},
                {14, "FlowPolicy needs a block"},
                {15, "link-local"}});
}

TEST_CASE("mnd.conf: Multiple CoA settings without effect are warned", "[mnconf][mcoa]") {
  const auto r = parse_mnd_config(lines({
      "Interface wlan0 { Priority 3; };",    // 1
      "FlowPolicy { Bid 1; Protocol udp; };",  // 2
      "InsecureTestbedSignalling yes;",      // 3
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{1, "no effect while Multiple CoA is off"}, {2, "FlowPolicy has no effect"}});
  const auto plain = parse_mnd_config(lines({
      "Interface wlan0 eth0;",                                                    // 1
      "Home { Address 2001:db8:200::10/64; HomeAgent 2001:db8:200::1; Hmipv6 off; };",  // 2
      "InsecureTestbedSignalling yes;",                                           // 3
  }));
  REQUIRE_OK(plain);
  check_warnings(plain, {{2, "Multiple CoA applies to the MAP binding only"}});
}
