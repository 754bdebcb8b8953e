// mapd.conf's HomeAgent block (issue 14: the home agent role; man
// mapd.conf(5)): reading, defaults, the rules between it and the MAP role,
// reload-relevant round trip; secure mode's HomeAddress owners and
// ProtectTraffic (RFC 4877).
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

// ---------------------------------------------------------------------------
// Secure mode (issue 14 phase 2: RFC 4877 protection of home registrations)

namespace {

// An Ike block on one line without RcoaPool (a home agent only needs none).
constexpr std::string_view kHaIke =
    "Ike { Identity \"ha.example.net\"; Certificate \"/etc/swanctl/x509/ha.pem\"; PrivateKey "
    "\"/etc/swanctl/private/ha.pem\"; CaCertificate \"/etc/swanctl/x509ca/ca.pem\"; };";

// The MAP role's Ike block (with its RcoaPool).
constexpr std::string_view kMapIke =
    "Ike { Identity \"map1.example.net\"; Certificate \"/c.pem\"; PrivateKey \"/k.pem\"; CaCertificate "
    "\"/ca.pem\"; RcoaPool 2001:db8:100::1000-2001:db8:100::1fff; };";

std::string text(std::initializer_list<std::string_view> body) { return lines(body); }

}  // namespace

TEST_CASE("home secure: HomeAddress and ProtectTraffic are read; a home agent alone needs no RcoaPool",
          "[mapconf][home]") {
  const auto r = parse_mapd_config(text({
      std::string(kHaIke),                                          // 1
      "HomeAgent {",                                                // 2
      "    Address 2001:db8:200::1;",                               // 3
      "    HomePrefix 2001:db8:200::/64 { Interface eth2; };",      // 4
      "    HomeAddress 2001:db8:200::10 \"mn1@example.net\";",      // 5
      "    HomeAddress 2001:db8:200::11 \"mn2@example.net\";",      // 6
      "    HomeAddress 2001:db8:200::12 \"mn1@example.net\";",      // 7: a second one of mn1's
      "    ProtectTraffic on;",                                     // 8
      "};",
  }));
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
  const auto& ha = *r.config->home_agent;
  REQUIRE(ha.owners.size() == 3);
  CHECK(ha.owners[0] == HomeAddressOwner{Ip6Addr::must("2001:db8:200::10"), "mn1@example.net", 5});
  CHECK(ha.owners[1] == HomeAddressOwner{Ip6Addr::must("2001:db8:200::11"), "mn2@example.net", 6});
  CHECK(ha.owners[2] == HomeAddressOwner{Ip6Addr::must("2001:db8:200::12"), "mn1@example.net", 7});
  CHECK(ha.protect_traffic);
  CHECK_FALSE(r.config->map_role());
  CHECK_FALSE(r.config->ike.pool);
  CHECK(config_summary(*r.config).find("3 owned home addresses (payload protected)") != std::string::npos);

  // Round trip.
  const auto back = parse_mapd_config(to_conf_text(*r.config));
  REQUIRE_OK(back);
  auto a = *back.config->home_agent;
  auto b = ha;
  a.line = b.line = 0;
  for (auto* x : {&a, &b}) {
    for (auto& p : x->prefixes) p.line = 0;
    for (auto& o : x->owners) o.line = 0;
  }
  CHECK(a == b);

  // ProtectTraffic defaults to off.
  const auto off = parse_mapd_config(text({std::string(kHaIke),
                                           "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; "
                                           "HomeAddress 2001:db8:200::10 mn1@example.net; };"}));
  REQUIRE_OK(off);
  CHECK_FALSE(off.config->home_agent->protect_traffic);
}

TEST_CASE("home secure: the Ike block and a HomeAddress are required", "[mapconf][home]") {
  const auto none = parse_mapd_config(lines({
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64 { Interface eth2; }; };",  // 1
  }));
  check_errors(none, {{0, "no Ike block: home registrations must be protected by IPsec (RFC 4877"},
                      {1, "the HomeAgent block has no HomeAddress"}});
  CHECK(none.errors.size() == 2);
  CHECK_FALSE(has(none.errors, 0, "no MapAddress"));  // a home agent alone
  CHECK_FALSE(has(none.errors, 1, "InsecureTestbedSignalling until RFC 4877"));  // phase 1's refusal is gone

  // Both roles without an Ike block: one error naming both.
  const auto both = parse_mapd_config(lines({
      std::string(kMapRole),                                                                  // 1
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; HomeAddress "
      "2001:db8:200::10 \"mn1@example.net\"; };",                                             // 2
  }));
  check_errors(both, {{0, "binding updates must be protected by IPsec (RFC 5380 §12.1; home registrations too"}});
}

TEST_CASE("home secure: HomeAddress errors: arguments, patterns, outside HomePrefix, twice, mapd's own",
          "[mapconf][home]") {
  const auto r = parse_mapd_config(text({
      std::string(kHaIke),                                          // 1
      "HomeAgent {",                                                // 2
      "    Address 2001:db8:200::1;",                               // 3
      "    HomePrefix 2001:db8:200::/64;",                          // 4
      "    HomeAddress 2001:db8:200::10;",                          // 5: no identity
      "    HomeAddress 2001:db8:200::10 \"\";",                     // 6: empty identity
      "    HomeAddress 2001:db8:200::10 \"*@example.net\";",        // 7: a pattern
      "    HomeAddress fe80::10 \"mn1@example.net\";",              // 8: link-local
      "    HomeAddress 2001:db8:300::10 \"mn1@example.net\";",      // 9: on no HomePrefix
      "    HomeAddress 2001:db8:200::11 \"mn1@example.net\";",      // 10: fine
      "    HomeAddress 2001:db8:200::11 \"mn2@example.net\";",      // 11: again
      "    HomeAddress 2001:db8:200::1 \"mn3@example.net\";",       // 12: the HA's own
      "    HomeAddress nonsense \"mn1@example.net\";",              // 13
      "    ProtectTraffic maybe;",                                  // 14
      "};",
  }));
  check_errors(r, {{5, "HomeAddress takes a home address and the IKE identity owning it"},
                   {6, "HomeAddress is empty"},
                   {7, "is a pattern; a home address is owned by one IKE identity"},
                   {8, "is not a global unicast address"},
                   {9, "is on no HomePrefix"},
                   {11, "is already given to mn1@example.net on line 10"},
                   {12, "is mapd's own address"},
                   {13, "nonsense"},
                   {14, "maybe"}});
}

TEST_CASE("home secure: both roles need two addresses; RcoaPool and AuthorizedIdentity are the MAP's",
          "[mapconf][home]") {
  const std::string owner = "HomeAddress 2001:db8:200::10 \"mn1@example.net\";";
  const auto shared = parse_mapd_config(text({
      std::string(kMapRole),                                                                  // 1
      std::string(kMapIke),                                                                   // 2
      "HomeAgent { Address 2001:db8:100::1; HomePrefix 2001:db8:200::/64; " + owner + " };",  // 3
  }));
  check_errors(shared, {{3, "is MapAddress: in secure mode the home agent needs an address of its own"}});

  const auto two = parse_mapd_config(text({
      std::string(kMapRole),                                                                  // 1
      std::string(kMapIke),                                                                   // 2
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; " + owner + " };",  // 3
  }));
  REQUIRE_OK(two);
  CHECK(two.config->map_role());
  CHECK(two.config->home_agent->owners.size() == 1);

  // A home agent alone: the MAP's Ike statements have no effect (warned), no RcoaPool error.
  const auto alone = parse_mapd_config(text({
      "Ike { Identity ha; Certificate /c.pem; PrivateKey /k.pem; CaCertificate /ca.pem;",   // 1
      "      AuthorizedIdentity \"*@example.net\"; RcoaPool 2001:db8:100::1-2001:db8:100::2; };",  // 2
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64; " + owner + " };",  // 3
  }));
  REQUIRE_OK(alone);
  check_warnings(alone, {{2, "AuthorizedIdentity has no effect without the MAP role"},
                         {2, "RcoaPool has no effect without the MAP role"}});
}

TEST_CASE("home secure: HomeAddress and ProtectTraffic are unused in the insecure testbed mode (warned)",
          "[mapconf][home]") {
  const auto r = parse_mapd_config(testbed({
      "HomeAgent { Address 2001:db8:200::1; HomePrefix 2001:db8:200::/64;",  // 3
      "    HomeAddress 2001:db8:200::10 \"mn1@example.net\";",               // 4
      "    ProtectTraffic on; };",                                           // 5
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{4, "HomeAddress has no effect while InsecureTestbedSignalling is on"},
                     {5, "ProtectTraffic has no effect while InsecureTestbedSignalling is on"}});
  // The shared address stays allowed there.
  REQUIRE_OK(parse_mapd_config(testbed({std::string(kMapRole),
                                        "HomeAgent { Address 2001:db8:100::1; HomePrefix 2001:db8:200::/64; };"})));
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

TEST_CASE("home: the example's commented HomeAgent block parses once uncommented, in secure mode and the testbed "
          "mode",
          "[mapconf][home]") {
  const std::string text = read_text(std::string(HMIP_SOURCE_DIR) + "/daemons/mapd/mapd.conf.example");
  for (const bool testbed_mode : {false, true}) {
    INFO("testbed mode: " << testbed_mode);
    std::string out;
    bool in_block = false;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind("#HomeAgent", 0) == 0) in_block = true;
      const bool mode = testbed_mode && (l.rfind("#InsecureTestbedSignalling", 0) == 0 || l.rfind("#TrustedPrefix", 0) == 0);
      if ((in_block || mode) && !l.empty() && l[0] == '#') l.erase(0, 1);
      if (in_block && l.rfind("};", 0) == 0) in_block = false;
      out += l + "\n";
    }
    const auto r = parse_mapd_config(out);
    REQUIRE_OK(r);
    REQUIRE(r.config->home_agent);
    CHECK(r.config->home_agent->address == Ip6Addr::must("2001:db8:200::1"));
    CHECK(r.config->home_agent->prefixes.size() == 1);
    CHECK(r.config->home_agent->owners.size() == 2);
    CHECK(r.config->map_role());
    CHECK(r.config->insecure.enabled == testbed_mode);
    if (!testbed_mode) CHECK(r.warnings.empty());
  }
}
