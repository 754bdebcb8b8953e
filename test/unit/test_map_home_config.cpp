// mapd.conf's HomeAgent block (issue 14: the home agent role; man
// mapd.conf(5)): reading, defaults, the rules between it and the MAP role,
// reload-relevant round trip.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "conf_test_util.h"
#include "hmip/map/config_parse.h"

using namespace hmip;
using namespace hmip::map;
using core::milliseconds;
using namespace hmip::test_conf;

namespace {

// Insecure testbed mode (lines 1-2), then `body` from line 3 on.
std::string testbed(std::initializer_list<std::string_view> body) {
  std::string out = lines({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8::/32;"});
  for (auto l : body) {
    out += l;
    out += '\n';
  }
  return out;
}

constexpr std::string_view kMapRole =
    "MapAddress 2001:db8:100::1; RcoaPrefix 2001:db8:100::/64 { Interface eth1; }; LcoaPrefix 2001:db8:10::/48;";

}  // namespace

TEST_CASE("home: every HomeAgent keyword is read into its field", "[mapconf][home]") {
  const auto r = parse_mapd_config(testbed({
      "HomeAgent {",                                                             // 3
      "    Address 2001:db8:200::1;",                                            // 4
      "    HomePrefix 2001:db8:200::/64 { Interface eth2; ValidLifetime 86400; };",  // 5
      "    HomePrefix 2001:db8:201::/64;",                                       // 6
      "    MaxBindingLifetime 300;",                                             // 7
      "    HomeDad off;",                                                        // 8
      "    Preference -5;",                                                      // 9
      "};",                                                                      // 10
  }));
  REQUIRE_OK(r);
  const auto& c = *r.config;
  CHECK_FALSE(c.map_role());  // a home agent only: no MapAddress, RcoaPrefix or LcoaPrefix needed
  REQUIRE(c.home_agent);
  const auto& ha = *c.home_agent;
  CHECK(ha.address == Ip6Addr::must("2001:db8:200::1"));
  CHECK(ha.line == 3);
  REQUIRE(ha.prefixes.size() == 2);
  CHECK(ha.prefixes[0].prefix == *Ip6Prefix::parse("2001:db8:200::/64"));
  CHECK(ha.prefixes[0].interface == "eth2");
  CHECK(ha.prefixes[0].valid_lifetime == 86400);
  CHECK(ha.prefixes[0].line == 5);
  CHECK(ha.prefixes[1].interface.empty());
  CHECK(ha.prefixes[1].valid_lifetime == 0xffffffffU);
  CHECK(ha.max_binding_lifetime == 300);
  CHECK_FALSE(ha.dad);
  CHECK(ha.preference == -5);
  CHECK(config_summary(c).find("home agent 2001:db8:200::1, 2 home prefixes") != std::string::npos);
  CHECK(config_summary(c).find("MAP ") == std::string::npos);

  // Round trip: to_conf_text writes the block, the parse reads it back.
  const auto back = parse_mapd_config(to_conf_text(c));
  REQUIRE_OK(back);
  REQUIRE(back.config->home_agent);
  auto a = *back.config->home_agent;
  auto b = ha;
  a.line = b.line = 0;
  for (auto& p : a.prefixes) p.line = 0;
  for (auto& p : b.prefixes) p.line = 0;
  CHECK(a == b);
  CHECK_FALSE(back.config->map_role());
}

TEST_CASE("home: defaults; MaxBindingLifetime defaults to the top-level one, wherever it is", "[mapconf][home]") {
  const auto r = parse_mapd_config(testbed({
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64 { Interface eth2; }; };",  // 3
      "MaxBindingLifetime 1200;",                                                                  // 4: after the block
      std::string(kMapRole),
  }));
  REQUIRE_OK(r);
  const auto& ha = *r.config->home_agent;
  CHECK(ha.max_binding_lifetime == 1200);
  CHECK(ha.dad);
  CHECK(ha.dad_timeout == milliseconds(1000));
  CHECK(ha.preference == 0);
  CHECK(r.config->map_role());  // both roles
  CHECK(config_summary(*r.config).find("MAP 2001:db8:100::1") != std::string::npos);
  CHECK(config_summary(*r.config).find("home agent 2001:db8:200::1") != std::string::npos);
}

TEST_CASE("home: secure mode refuses the HomeAgent block (no RFC 4877 protection yet)", "[mapconf][home]") {
  const auto r = parse_mapd_config(lines({
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64 { Interface eth2; }; };",  // 1
  }));
  check_errors(r, {{1, "home registration needs InsecureTestbedSignalling until RFC 4877 protection exists"}});
  // A home agent alone is not also told to add an Ike block or MAP statements.
  CHECK_FALSE(has(r.errors, 0, "no Ike block"));
  CHECK_FALSE(has(r.errors, 0, "no MapAddress"));
  CHECK(r.errors.size() == 1);
}

TEST_CASE("home: at least one role; a MAP role once begun must be complete", "[mapconf][home]") {
  check_errors(parse_mapd_config(testbed({})), {{0, "no MapAddress"}, {0, "no RcoaPrefix"}, {0, "no LcoaPrefix"}});
  const auto half = parse_mapd_config(testbed({
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; };",  // 3
      "MapAddress 2001:db8:100::1;",                                           // 4
  }));
  check_errors(half, {{0, "no RcoaPrefix"}, {0, "no LcoaPrefix"}});
  CHECK(has(half.errors, 0, "for a home agent only"));
  CHECK_FALSE(has(half.errors, 0, "no MapAddress"));
}

TEST_CASE("home: block errors: Address, HomePrefix, values, unknown keywords", "[mapconf][home]") {
  const auto r = parse_mapd_config(testbed({
      "HomeAgent {",                                       // 3
      "    Address fe80::1;",                              // 4
      "    HomePrefix 2001:db8:200::/64 { Mtu 1500; };",  // 5
      "    HomePrefix 2001:db8:200::/64;",                 // 6: again
      "    HomePrefix 2001:db8:200::/56;",                 // 7: overlaps line 5
      "    Preference 40000;",                             // 8
      "    HomeDadTimeout 61;",                            // 9
      "    RcoaPrefix 2001:db8:300::/64;",                 // 10: belongs at the top level
      "};",
  }));
  check_errors(r, {{4, "is not a global unicast address"},
                   {5, "Mtu"},
                   {6, "is already configured on line 5"},
                   {7, "overlaps HomePrefix 2001:db8:200::/64"},
                   {8, "is not a number from -32768 to 32767"},
                   {9, "out of range 0.01..60 seconds"},
                   {10, "RcoaPrefix"}});

  check_errors(parse_mapd_config(testbed({"HomeAgent { };"})),
               {{3, "has no Address"}, {3, "has no HomePrefix"}});
  check_errors(parse_mapd_config(testbed({"HomeAgent;"})), {{3, "HomeAgent needs a block"}});
  // A second block replaces the first, with a warning (as any repeated statement).
  check_warnings(parse_mapd_config(testbed({"HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; };",
                                            "HomeAgent { Address 2001:db8:200::2; HomePrefix 2001:db8:200::/64; };"})),
                 {{4, "HomeAgent"}});
}

TEST_CASE("home: HomePrefix must not overlap an RcoaPrefix; Address not inside one unless it is MapAddress",
          "[mapconf][home]") {
  const auto overlap = parse_mapd_config(testbed({
      std::string(kMapRole),                                                     // 3
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:100::/56; };",  // 4
  }));
  check_errors(overlap, {{4, "overlaps RcoaPrefix 2001:db8:100::/64"}});

  const auto inside = parse_mapd_config(testbed({
      std::string(kMapRole),                                                     // 3
      "HomeAgent { Address 2001:db8:100::2; HomePrefix 2001:db8:200::/64; };",  // 4
  }));
  check_errors(inside, {{4, "is inside RcoaPrefix 2001:db8:100::/64"}});

  // One address for both roles: fine (the BU's flags pick the role).
  const auto shared = parse_mapd_config(testbed({
      std::string(kMapRole),                                                     // 3
      "HomeAgent { Address 2001:db8:100::1; HomePrefix 2001:db8:200::/64; };",  // 4
  }));
  REQUIRE_OK(shared);
  CHECK(shared.config->home_agent->address == shared.config->map_address);
  // Inside its HomePrefix (the usual home link) or elsewhere: both fine.
  REQUIRE_OK(parse_mapd_config(testbed({"HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; };"})));
  REQUIRE_OK(parse_mapd_config(testbed({"HomeAgent { Address 2001:db8:900::1; HomePrefix 2001:db8:200::/64; };"})));
}

TEST_CASE("home: warnings: lifetimes, DAD without a link, a TrustedPrefix outside the MAP's prefixes",
          "[mapconf][home]") {
  const auto r = parse_mapd_config(testbed({
      "HomeAgent {",                                                  // 3
      "    Address 2001:db8:200::1;",                                 // 4
      "    HomePrefix 2001:db8:200::/64 { ValidLifetime 100; };",     // 5: shorter than 600
      "    MaxBindingLifetime 602;",                                  // 6: not a multiple of 4
      "    HomeDad on;",                                              // 7: no Interface anywhere
      "    HomeDadTimeout 2;",                                        // 8: longer than 1.5 s
      "};",
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{5, "ValidLifetime 100 is shorter than the home agent's MaxBindingLifetime 602"},
                     {6, "is not a multiple of 4"},
                     {7, "no HomePrefix names an Interface"},
                     {8, "longer than mobile nodes' InitialBindackTimeoutFirstReg"}});
  // Home registrations come from anywhere trusted: no "overlaps no LcoaPrefix" warning.
  CHECK_FALSE(has(r.warnings, 2, "overlaps no LcoaPrefix"));
  const auto off = parse_mapd_config(testbed({"HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; "
                                              "HomeDad off; HomeDadTimeout 0.5; };"}));
  check_warnings(off, {{3, "HomeDadTimeout has no effect while HomeDad is off"}});
}

TEST_CASE("home: a HomeAgent keyword in mnd's or another block's place is named", "[mapconf][home]") {
  const auto r = parse_mapd_config(testbed({std::string(kMapRole), "HomePrefix 2001:db8:200::/64;"}));
  check_errors(r, {{4, "HomePrefix"}});
}

TEST_CASE("home: the example's commented HomeAgent block parses once uncommented (with the testbed mode)",
          "[mapconf][home]") {
  const std::string text = read_text(std::string(HMIP_SOURCE_DIR) + "/daemons/mapd/mapd.conf.example");
  std::string out;
  bool in_block = false;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("#HomeAgent", 0) == 0) in_block = true;
    const bool mode = l.rfind("#InsecureTestbedSignalling", 0) == 0 || l.rfind("#TrustedPrefix", 0) == 0;
    if ((in_block || mode) && !l.empty() && l[0] == '#') l.erase(0, 1);
    if (in_block && l.rfind("};", 0) == 0) in_block = false;
    out += l + "\n";
  }
  const auto r = parse_mapd_config(out);
  REQUIRE_OK(r);
  REQUIRE(r.config->home_agent);
  CHECK(r.config->home_agent->address == Ip6Addr::must("2001:db8:200::1"));
  CHECK(r.config->home_agent->prefixes.size() == 1);
  CHECK(r.config->map_role());
}
