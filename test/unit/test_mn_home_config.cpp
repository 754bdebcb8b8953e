// mnd.conf's Home block (issue 14; man mnd.conf(5)): parsed, checked,
// written back; in secure mode (RFC 4877) with HomeAgentIdentity and
// ProtectTraffic.
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
  if (c.home) c.home->line = 0;
  return c;
}

}  // namespace

TEST_CASE("the Home block is read into MndConfig::home", "[home][mnconf]") {
  const auto r = parse_mnd_config(lines({
      "Interface wlan0;",                // 1
      "InsecureTestbedSignalling yes;",  // 2
      "Home {",                          // 3
      "    Address 2001:db8:200::10/64;",
      "    HomeAgent 2001:db8:200::1;",
      "    BindingLifetime 400;",
      "    Hmipv6 off;",
      "};",
  }));
  REQUIRE_OK(r);
  REQUIRE(r.config->home);
  const HomeConfig& h = *r.config->home;
  CHECK(h.address == Ip6Addr::must("2001:db8:200::10"));
  CHECK(h.prefix_len == 64);
  CHECK(h.prefix() == Ip6Prefix::of(Ip6Addr::must("2001:db8:200::"), 64));
  CHECK(h.home_agent == Ip6Addr::must("2001:db8:200::1"));
  CHECK(h.binding_lifetime == 400);
  CHECK_FALSE(h.hmipv6);
  CHECK(h.line == 3);
  INFO(dump(r.warnings));
  CHECK(r.warnings.size() == 1);  // only the testbed mode's
  CHECK(config_summary(*r.config).find("home address 2001:db8:200::10/64 with home agent 2001:db8:200::1 from "
                                       "the LCoA (plain Mobile IPv6)") != std::string::npos);

  // Defaults, discover, round trip.
  const auto d = parse_mnd_config(lines({"Interface wlan0;", "InsecureTestbedSignalling yes;",
                                         "Home { Address 2001:db8:200::10/48; HomeAgent discover; };"}));
  REQUIRE_OK(d);
  CHECK_FALSE(d.config->home->home_agent);
  CHECK(d.config->home->binding_lifetime == 600);
  CHECK(d.config->home->hmipv6);
  CHECK(d.config->home->prefix_len == 48);
  CHECK(config_summary(*d.config).find("(discovered by DHAAD) through the MAP (HMIPv6)") != std::string::npos);
  for (const auto* c : {&*r.config, &*d.config}) {
    const auto text = to_conf_text(*c);
    INFO(text);
    const auto back = parse_mnd_config(text);
    REQUIRE_OK(back);
    CHECK(without_lines(*back.config) == without_lines(*c));
  }
  // No Home block: local mobility mode.
  const auto none = parse_mnd_config(lines({"Interface wlan0;", "InsecureTestbedSignalling yes;"}));
  REQUIRE_OK(none);
  CHECK_FALSE(none.config->home);
  CHECK(to_conf_text(*none.config).find("Home") == std::string::npos);
}

TEST_CASE("a Home block in secure mode: protected per RFC 4877 with the Ike block's credentials", "[home][mnconf]") {
  const std::string ike =
      "Ike { Identity \"mn1@mn.example.net\"; Certificate \"/etc/swanctl/x509/mn1.pem\"; PrivateKey "
      "\"/etc/swanctl/private/mn1.pem\"; CaCertificate \"/etc/swanctl/x509ca/ca.pem\"; };";
  const auto r = parse_mnd_config(lines({
      "Interface wlan0;",
      ike,
      "Home {",  // 3
      "    Address 2001:db8:200::10/64;",
      "    HomeAgent 2001:db8:200::1;",
      "    HomeAgentIdentity \"ha.hmip.test\";",
      "    ProtectTraffic on;",
      "};",
  }));
  REQUIRE_OK(r);
  INFO(dump(r.warnings));
  CHECK(r.warnings.empty());
  REQUIRE(r.config->home);
  CHECK(r.config->home->home_agent_identity == "ha.hmip.test");
  CHECK(r.config->home->protect_traffic);
  CHECK(config_summary(*r.config).find("protected by IKEv2/ESP (RFC 4877) with its payload") != std::string::npos);
  const auto back = parse_mnd_config(to_conf_text(*r.config));
  REQUIRE_OK(back);
  CHECK(without_lines(*back.config) == without_lines(*r.config));

  // Defaults: any identity the CA certified, MH protected only.
  const auto d = parse_mnd_config(lines({"Interface wlan0;", ike, "Home { Address 2001:db8:200::10/64; HomeAgent discover; };"}));
  REQUIRE_OK(d);
  CHECK(d.config->home->home_agent_identity.empty());
  CHECK_FALSE(d.config->home->protect_traffic);
  CHECK(to_conf_text(*d.config).find("HomeAgentIdentity") == std::string::npos);
  CHECK(to_conf_text(*d.config).find("ProtectTraffic off;") != std::string::npos);
  // ... which a warning points out (another mobile node's certificate
  // would do if the CA certifies mobile nodes too).
  check_warnings(d, {{3, "no HomeAgentIdentity: any identity a trusted CA certified is accepted"}});

  // Secure mode needs the Ike block, for the MAPs and the home agent alike.
  check_errors(parse_mnd_config(lines({"Interface wlan0;", "Home { Address 2001:db8:200::10/64; HomeAgent discover; };"})),
               {{0, "no Ike block: binding updates must be protected by IPsec"}});
  // Mistakes.
  check_errors(parse_mnd_config(lines({"Interface wlan0;", ike,
                                       "Home { Address 2001:db8:200::10/64; HomeAgent discover; ProtectTraffic maybe; };"})),
               {{3, "ProtectTraffic"}});
  check_errors(parse_mnd_config(lines({"Interface wlan0;", ike,
                                       "Home { Address 2001:db8:200::10/64; HomeAgent discover; HomeAgentIdentity; };"})),
               {{3, "HomeAgentIdentity"}});
}

TEST_CASE("HomeAgentIdentity and ProtectTraffic have no effect in the insecure testbed mode: warned", "[home][mnconf]") {
  const auto r = parse_mnd_config(lines({
      "Interface wlan0;",
      "InsecureTestbedSignalling yes;",
      "Home {",
      "    Address 2001:db8:200::10/64;",
      "    HomeAgent 2001:db8:200::1;",
      "    HomeAgentIdentity \"ha.hmip.test\";",  // 6
      "    ProtectTraffic on;",                      // 7
      "};",
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{6, "HomeAgentIdentity has no effect while InsecureTestbedSignalling is on"},
                     {7, "ProtectTraffic has no effect while InsecureTestbedSignalling is on"}});
  CHECK(config_summary(*r.config).find("RFC 4877") == std::string::npos);
}

TEST_CASE("Home block mistakes are reported where they are", "[home][mnconf]") {
  const std::string head = lines({"Interface wlan0;", "InsecureTestbedSignalling yes;"});
  // Lines 3 on.
  check_errors(parse_mnd_config(head + "Home { HomeAgent discover; };\n"), {{3, "needs the home address"}});
  check_errors(parse_mnd_config(head + "Home { Address 2001:db8:200::10/64; };\n"),
               {{3, "needs the home agent: 'HomeAgent 2001:db8:200::1;' or 'HomeAgent discover;'"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10;\nHomeAgent discover;\n};\n"),
               {{4, "needs the home prefix's length"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress fe80::10/64;\nHomeAgent discover;\n};\n"),
               {{4, "must be a global unicast address"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/124;\nHomeAgent discover;\n};\n"),
               {{4, "1..120"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::/64;\nHomeAgent discover;\n};\n"),
               {{4, "Subnet-Router anycast"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent ff02::1;\n};\n"),
               {{5, "HomeAgent ff02::1 must be a global unicast address"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent somewhere;\n};\n"),
               {{5, "not an IPv6 address"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent 2001:db8:200::10;\n};\n"),
               {{5, "is the home address itself"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent discover;\nHmipv6 maybe;\n};\n"),
               {{6, "Hmipv6"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent discover;\nBindingLifetime 2;\n};\n"),
               {{6, "out of range"}});
  check_errors(parse_mnd_config(head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent discover;\nMapSelection furthest;\n};\n"),
               {{6, "MapSelection"}});
  check_errors(parse_mnd_config(head + "Home;\n"), {{3, "Home needs a block"}});
  check_errors(parse_mnd_config(head + "Home { Address 2001:db8:200::10/64; HomeAgent discover; };\n"
                                       "Home { Address 2001:db8:200::11/64; HomeAgent discover; };\n"),
               {{4, "a second Home block"}});
  // A missing '}': the next top-level statement ends the block, BindingLifetime does not.
  const auto open = parse_mnd_config(
      head + "Home {\nAddress 2001:db8:200::10/64;\nHomeAgent discover;\nBindingLifetime 400;\nLogLevel info;\n");
  CHECK_FALSE(open.ok());
}

TEST_CASE("Home block warnings: a home lifetime longer than the MAP's, a duplicate keyword", "[home][mnconf]") {
  const auto r = parse_mnd_config(lines({
      "Interface wlan0;",
      "InsecureTestbedSignalling yes;",
      "BindingLifetime 300;",
      "Home {",
      "    Address 2001:db8:200::10/64;",
      "    HomeAgent discover;",
      "    BindingLifetime 900;",  // 7
      "    Hmipv6 on;",
      "    Hmipv6 on;",             // 9
      "};",
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{7, "never outlives the MAP binding of its RCoA (RFC 5380 §6.1)"}, {9, "Hmipv6"}});
  // Plain mode: no MAP binding to bound it, no warning.
  const auto plain = parse_mnd_config(lines({"Interface wlan0;", "InsecureTestbedSignalling yes;",
                                             "BindingLifetime 300;",
                                             "Home { Address 2001:db8:200::10/64; HomeAgent discover; "
                                             "BindingLifetime 900; Hmipv6 off; };"}));
  REQUIRE_OK(plain);
  CHECK(plain.warnings.size() == 1);
}
