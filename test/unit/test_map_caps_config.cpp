// mapd.conf's caps (issue 13 item 14): MaxBindings, MaxBindingsPerIdentity,
// MaxBindingsPerTrustedPrefix, MaxPendingRegistrations, MaxConcurrentDad:
// parsed, defaulted, range-checked, warned about where they have no effect,
// written back by to_conf_text.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>

#include "conf_test_util.h"
#include "hmip/map/config_parse.h"

using namespace hmip;
using namespace hmip::map;
using namespace hmip::test_conf;

namespace {

constexpr std::string_view kIke =
    "Ike { Identity \"map1.example.net\"; Certificate \"/etc/swanctl/x509/map1.pem\"; PrivateKey "
    "\"/etc/swanctl/private/map1.pem\"; CaCertificate \"/etc/swanctl/x509ca/ca.pem\"; RcoaPool "
    "2001:db8:100::1000-2001:db8:100::1fff; };";

// Lines 1-3 the required statements, line 4 the Ike block (secure mode), `body` from line 5.
std::string secure(std::initializer_list<std::string_view> body) {
  std::string out = lines({"MapAddress 2001:db8:100::1;", "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",
                           "LcoaPrefix 2001:db8:10::/48;", kIke});
  for (auto l : body) (out += l) += '\n';
  return out;
}

// Lines 1-5 an insecure testbed configuration, `body` from line 6.
std::string testbed(std::initializer_list<std::string_view> body) {
  std::string out = lines({"MapAddress 2001:db8:100::1;", "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",
                           "LcoaPrefix 2001:db8:10::/48;", "InsecureTestbedSignalling yes;",
                           "TrustedPrefix 2001:db8:10::/48;"});
  for (auto l : body) (out += l) += '\n';
  return out;
}

}  // namespace

TEST_CASE("mapd.conf caps: defaults bound memory, keywords read into their fields", "[mapconf][caps]") {
  const auto d = parse_mapd_config(secure({}));
  REQUIRE(d.ok());
  CHECK(d.config->max_bindings == 16384);
  CHECK(d.config->max_bindings_per_identity == 16);
  CHECK_FALSE(d.config->max_bindings_per_trusted_prefix.has_value());
  CHECK(d.config->max_pending_registrations == 1024);
  CHECK(d.config->max_concurrent_dad == 256);
  CHECK(d.warnings.empty());

  const auto r = parse_mapd_config(
      secure({"MaxBindings 5000;", "MaxBindingsPerIdentity 4;", "MaxPendingRegistrations 300;", "MaxConcurrentDad 64;"}));
  REQUIRE(r.ok());
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
  CHECK(r.config->max_bindings == 5000);
  CHECK(r.config->max_bindings_per_identity == 4);
  CHECK(r.config->max_pending_registrations == 300);
  CHECK(r.config->max_concurrent_dad == 64);

  const auto t = parse_mapd_config(testbed({"MaxBindingsPerTrustedPrefix 100;"}));
  REQUIRE(t.ok());
  CHECK(t.config->max_bindings_per_trusted_prefix == 100U);

  // Round trip, the optional one set and unset.
  for (const auto* c : {&*r.config, &*t.config}) {
    const auto back = parse_mapd_config(to_conf_text(*c));
    REQUIRE(back.ok());
    CHECK(back.config->max_bindings == c->max_bindings);
    CHECK(back.config->max_bindings_per_identity == c->max_bindings_per_identity);
    CHECK(back.config->max_bindings_per_trusted_prefix == c->max_bindings_per_trusted_prefix);
    CHECK(back.config->max_pending_registrations == c->max_pending_registrations);
    CHECK(back.config->max_concurrent_dad == c->max_concurrent_dad);
  }
}

TEST_CASE("mapd.conf caps: values out of range and repeated, each with its line", "[mapconf][caps]") {
  const auto r = parse_mapd_config(secure({
      "MaxBindings 0;",                     // 5
      "MaxBindingsPerIdentity 16777217;",   // 6
      "MaxPendingRegistrations 65537;",     // 7
      "MaxConcurrentDad 4097;",             // 8
      "MaxBindingsPerTrustedPrefix -1;",    // 9
      "MaxConcurrentDad 0;",                // 10
      "MaxBindings many;",                  // 11
  }));
  check_errors(r, {{5, "out of range 1..16777216"},
                   {6, "out of range 1..16777216"},
                   {7, "out of range 1..65536"},
                   {8, "out of range 1..4096"},
                   {9, "MaxBindingsPerTrustedPrefix"},
                   {10, "out of range 1..4096"},
                   {11, "expects a number"}});
  check_warnings(r, {{10, "MaxConcurrentDad is already set on line 8"}, {11, "MaxBindings is already set on line 5"}});
}

TEST_CASE("mapd.conf caps: warnings where a cap has no effect", "[mapconf][caps]") {
  // Above the global cap.
  check_warnings(parse_mapd_config(secure({"MaxBindings 10;", "MaxBindingsPerIdentity 11;",
                                           "MaxPendingRegistrations 20;"})),
                 {{6, "MaxBindingsPerIdentity 11 is above MaxBindings 10"},
                  {7, "MaxPendingRegistrations 20 is above MaxBindings 10"}});
  check_warnings(parse_mapd_config(testbed({"MaxBindings 10;", "MaxBindingsPerTrustedPrefix 11;"})),
                 {{7, "MaxBindingsPerTrustedPrefix 11 is above MaxBindings 10"}});
  // The other signalling mode's per-node cap.
  check_warnings(parse_mapd_config(secure({"MaxBindingsPerTrustedPrefix 5;"})),
                 {{5, "no effect while InsecureTestbedSignalling is off"}});
  check_warnings(parse_mapd_config(testbed({"MaxBindingsPerIdentity 5;"})),
                 {{6, "no effect while InsecureTestbedSignalling is on"}});
  check_warnings(parse_mapd_config(secure({"MaxBindingsPerIdentity 1;"})),
                 {{5, "also caps each identity's RCoA leases at 1"}});
  // DAD.
  check_warnings(parse_mapd_config(secure({"RcoaDad off;", "MaxConcurrentDad 5;"})),
                 {{6, "MaxConcurrentDad has no effect while RcoaDad is off"}});
  check_warnings(parse_mapd_config(secure({"MaxPendingRegistrations 10;", "MaxConcurrentDad 11;"})),
                 {{6, "MaxConcurrentDad 11 is above MaxPendingRegistrations 10"}});
  // Below the global cap: no warning.
  const auto ok = parse_mapd_config(secure({"MaxBindings 10;", "MaxBindingsPerIdentity 10;"}));
  REQUIRE(ok.ok());
  CHECK(ok.warnings.empty());
}
