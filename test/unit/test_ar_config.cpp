// ard.conf: lexer, statement tree, parser and validation (man ard.conf(5)).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>

#include "conf_test_util.h"
#include "hmip/ar/config_parse.h"
#include "hmip/core/conf_lexer.h"

using namespace hmip;
using namespace hmip::ar;
namespace conf = hmip::core::conf;
using core::milliseconds;
using core::seconds;
using namespace hmip::test_conf;

namespace {

#define CHECK_ERROR(r, line, needle)                         \
  do {                                                       \
    INFO("errors:\n" << dump((r).errors));                   \
    CHECK(has((r).errors, (line), (needle)));                \
  } while (0)
#define CHECK_WARNING(r, line, needle)                       \
  do {                                                       \
    INFO("warnings:\n" << dump((r).warnings));               \
    CHECK(has((r).warnings, (line), (needle)));              \
  } while (0)

// One interface block around `body` lines; body line i is file line i + 1.
std::string iface(std::initializer_list<std::string_view> body) {
  std::string out = "interface eth0 {\n";
  for (auto l : body) {
    out += l;
    out += '\n';
  }
  out += "};\n";
  return out;
}

const std::string kExamplePath = std::string(HMIP_SOURCE_DIR) + "/daemons/ard/ard.conf.example";

}  // namespace

// ---- values ---------------------------------------------------------------------

TEST_CASE("parse_seconds is exact to the millisecond", "[arconf]") {
  CHECK(conf::parse_seconds("0.07") == milliseconds(70));
  CHECK(conf::parse_seconds("0.03") == milliseconds(30));
  CHECK(conf::parse_seconds("0.1") == milliseconds(100));
  CHECK(conf::parse_seconds("1.5") == milliseconds(1500));
  CHECK(conf::parse_seconds("1800") == seconds(1800));
  CHECK(conf::parse_seconds("0") == milliseconds(0));
  CHECK(conf::parse_seconds("0.001") == milliseconds(1));
  CHECK(conf::parse_seconds("2.250000") == milliseconds(2250));  // trailing zeros are fine
  CHECK(conf::parse_seconds("007.5") == milliseconds(7500));
  // 0.07 * 1000 in double is 70.00000000000001: no floating point here.
  for (int ms = 0; ms < 3000; ++ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d.%03d", ms / 1000, ms % 1000);
    REQUIRE(conf::parse_seconds(buf) == milliseconds(ms));
    REQUIRE(conf::format_seconds(milliseconds(ms)) == conf::format_seconds(*conf::parse_seconds(buf)));
  }

  core::Duration d{};
  CHECK(conf::parse_seconds("0.0705", d) == conf::ValueError::precision);
  CHECK(conf::parse_seconds("", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds(".5", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("5.", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("-1", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("+1", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("1e3", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("1.2.3", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("10s", d) == conf::ValueError::syntax);
  CHECK(conf::parse_seconds("99999999999999999999999999", d) == conf::ValueError::range);
  CHECK(conf::parse_seconds("1000000000", d) == conf::ValueError::none);
  CHECK(conf::parse_seconds("1000000001", d) == conf::ValueError::range);

  CHECK(conf::format_seconds(milliseconds(70)) == "0.07");
  CHECK(conf::format_seconds(milliseconds(1500)) == "1.5");
  CHECK(conf::format_seconds(seconds(1800)) == "1800");
  CHECK(conf::format_seconds(milliseconds(1001)) == "1.001");
}

TEST_CASE("flags, numbers and keyword suggestions", "[arconf]") {
  for (auto t : {"on", "ON", "yes", "true", "1", "True"}) CHECK(conf::parse_flag(t) == true);
  for (auto f : {"off", "no", "false", "0", "OFF"}) CHECK(conf::parse_flag(f) == false);
  CHECK_FALSE(conf::parse_flag("2").has_value());
  CHECK_FALSE(conf::parse_flag("").has_value());

  std::uint64_t v = 0;
  CHECK(conf::parse_uint("255", 255, v) == conf::ValueError::none);
  CHECK(v == 255);
  CHECK(conf::parse_uint("256", 255, v) == conf::ValueError::range);
  CHECK(conf::parse_uint("18446744073709551616", UINT64_MAX, v) == conf::ValueError::range);
  CHECK(conf::parse_uint("18446744073709551615", UINT64_MAX, v) == conf::ValueError::none);
  CHECK(conf::parse_uint("-1", 255, v) == conf::ValueError::syntax);
  CHECK(conf::parse_uint("", 255, v) == conf::ValueError::syntax);

  CHECK(conf::edit_distance("AdvSendAdvrt", "AdvSendAdvert") == 1);
  CHECK(conf::edit_distance("Dsit", "Dist") == 1);  // transposition
  CHECK(conf::edit_distance("advsendadvert", "AdvSendAdvert") == 0);
  const std::string_view kws[] = {"AdvSendAdvert", "AdvOnLink", "Dist"};
  CHECK(conf::closest_keyword("AdvSendAdvrt", kws) == "AdvSendAdvert");
  CHECK(conf::closest_keyword("Dsit", kws) == "Dist");
  CHECK_FALSE(conf::closest_keyword("Frobnicate", kws).has_value());
}

// ---- lexer and tree -------------------------------------------------------------

TEST_CASE("the lexer splits words, strings and punctuation with positions", "[arconf]") {
  std::vector<ConfigError> errs;
  const auto toks = conf::tokenize("a b;# comment { }\n  \"x \\\"y\\\\\" {}\r\n\tfe80::1%eth0/64;", errs);
  CHECK(errs.empty());
  REQUIRE(toks.size() == 9);
  CHECK(toks[0].text == "a");
  CHECK(toks[0].line == 1);
  CHECK(toks[0].column == 1);
  CHECK(toks[1].column == 3);
  CHECK(toks[2].kind == conf::TokenKind::semicolon);
  CHECK(toks[3].kind == conf::TokenKind::string);
  CHECK(toks[3].text == "x \"y\\");
  CHECK(toks[3].line == 2);
  CHECK(toks[3].column == 3);
  CHECK(toks[4].kind == conf::TokenKind::open_brace);
  CHECK(toks[5].kind == conf::TokenKind::close_brace);
  CHECK(toks[6].text == "fe80::1%eth0/64");
  CHECK(toks[6].line == 3);
  CHECK(toks[6].column == 2);
  CHECK(toks[8].kind == conf::TokenKind::end);

  errs.clear();
  const auto bom = conf::tokenize("\xef\xbb\xbfinterface", errs);
  CHECK(errs.empty());
  CHECK(bom[0].text == "interface");
  CHECK(bom[0].column == 1);

  const auto bad = conf::tokenize("a \"open\nb \x01\x02 c", errs);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].line == 1);
  CHECK(errs[0].message.find("unterminated string") != std::string::npos);
  CHECK(errs[1].line == 2);
  CHECK(errs[1].column == 3);
  CHECK(errs[1].message.find("control character 0x01") != std::string::npos);
  CHECK(bad.back().kind == conf::TokenKind::end);
}

TEST_CASE("the statement reader builds a tree and recovers from syntax errors", "[arconf]") {
  static constexpr std::string_view kw[] = {"interface", "a", "b", "blk"};
  static constexpr std::string_view top[] = {"interface"};
  conf::TreeOptions opt{kw, top, 3};
  std::vector<ConfigError> errs;

  auto tree = conf::read_statements("interface x { a 1 2; blk y { b; }; };\n", opt, errs);
  CHECK(errs.empty());
  REQUIRE(tree.size() == 1);
  CHECK(tree[0].has_block);
  REQUIRE(tree[0].block.size() == 2);
  CHECK(tree[0].block[0].args.size() == 2);
  CHECK(tree[0].block[1].block.size() == 1);

  errs.clear();
  tree = conf::read_statements("interface x {\n a 1\n b 2;\n}\ninterface y { };\n", opt, errs);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].line == 2);  // missing ';' after "a 1"
  CHECK(errs[0].column == 5);
  CHECK(errs[1].line == 4);  // missing ';' after '}'
  REQUIRE(tree.size() == 2);
  CHECK(tree[0].block.size() == 2);

  errs.clear();
  tree = conf::read_statements("interface x {\n a 1;\ninterface y {\n b;\n};\n}\n", opt, errs);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].line == 3);  // missing '}' before interface
  CHECK(errs[0].message.find("opened on line 1") != std::string::npos);
  CHECK(errs[1].line == 6);  // the stray '}'
  CHECK(tree.size() == 2);

  errs.clear();
  tree = conf::read_statements("blk {\n blk {\n  blk {\n   blk { a; };\n  };\n };\n};\nb;\n", opt, errs);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].line == 4);
  CHECK(errs[0].message.find("nested too deeply") != std::string::npos);
  CHECK(tree.size() == 2);

  errs.clear();
  tree = conf::read_statements("interface x {\n a;\n", opt, errs);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].line == 1);
  CHECK(errs[0].message.find("not closed") != std::string::npos);
}

// ---- full configurations ----------------------------------------------------------

TEST_CASE("a full configuration is parsed field by field", "[arconf]") {
  const auto text = lines({
      "ControlSocket \"/run/ard-test.sock\";",  // 1
      "LogLevel debug;",                        // 2
      "interface eth1 {",                       // 3
      "  AdvSendAdvert yes;",                   // 4
      "  MaxRtrAdvInterval 0.07;",              // 5
      "  MinRtrAdvInterval 0.03;",              // 6
      "  MinDelayBetweenRAs 0.03;",             // 7
      "  MaxRADelay 0;",                        // 8
      "  AdvManagedFlag on;",                   // 9
      "  AdvOtherConfigFlag true;",             // 10
      "  AdvLinkMTU 1480;",                     // 11
      "  AdvReachableTime 30000;",              // 12
      "  AdvRetransTimer 1000;",                // 13
      "  AdvCurHopLimit 255;",                  // 14
      "  AdvDefaultLifetime 1800;",             // 15
      "  AdvDefaultPreference high;",           // 16
      "  AdvSourceLLAddress off;",              // 17
      "  AdvIntervalOpt on;",                   // 18
      "  AdvRASolicitedUnicast off;",           // 19
      "  prefix 2001:db8:1::/64 {",             // 20
      "    AdvOnLink off; AdvAutonomous on; AdvRouterAddr on;",
      "    AdvValidLifetime infinity; AdvPreferredLifetime 3600;",
      "  };",
      "  prefix 2001:db8:2::/64;",  // 24: radvd allows no block
      "  route 2001:db8:f::/48 { AdvRoutePreference low; AdvRouteLifetime 600; };",  // 25
      "  RDNSS 2001:db8::53 2001:db8::54 { AdvRDNSSLifetime 30; };",                // 26
      "  DNSSL example.net mobile.example.net. { AdvDNSSLLifetime infinity; };",    // 27
      "  map 2001:db8:100::1 {",                                                    // 28
      "    Dist 2; Pref 15; RFlag on; ValidLifetime 7200;",
      "    Probe on; ProbeInterval 1.5; ProbeRetryInterval 0.5; ProbeFailAfter 2;",
      "    ProbeTimeout 0.25; ProbeRestoreAfter 5; ProbeFailMisses 4; ProbeRestoreHoldDown 7.5;",
      "  };",
      "  map 2001:db8:200::1 { Probe off; Pref 0; };",  // 33
      "  MapRelay on;",                                  // 34
      "};",
      "interface \"eth0\" {",  // 36
      "  AdvSendAdvert off;",
      "  MapListen on;",
      "  MapUpstream fe80::1 fe80::2;",
      "  MapUpstream fe80::3;",
      "};",
  });
  const auto r = parse_ard_config(text);
  REQUIRE_OK(r);
  const ArdConfig& c = *r.config;
  CHECK(c.control_socket == "/run/ard-test.sock");
  CHECK(c.log_level == LogLevel::debug);
  REQUIRE(c.interfaces.size() == 2);

  const InterfaceConfig& i = c.interfaces[0];
  CHECK(i.name == "eth1");
  CHECK(i.line == 3);
  CHECK(i.send_advert);
  CHECK(i.max_interval == milliseconds(70));
  CHECK(i.min_interval == milliseconds(30));
  CHECK(i.min_delay_between_ras == milliseconds(30));
  CHECK(i.max_ra_delay == milliseconds(0));
  CHECK(i.managed);
  CHECK(i.other_config);
  CHECK(i.link_mtu == 1480);
  CHECK(i.reachable_time == 30000);
  CHECK(i.retrans_timer == 1000);
  CHECK(i.cur_hop_limit == 255);
  CHECK(i.default_lifetime == std::optional<std::uint16_t>(1800));
  CHECK(i.default_preference == wire::RouterPreference::high);
  CHECK_FALSE(i.source_lla);
  CHECK(i.adv_interval_option);
  CHECK_FALSE(i.unicast_solicited);
  CHECK(i.map_relay);
  CHECK_FALSE(i.map_listen);

  REQUIRE(i.prefixes.size() == 2);
  CHECK(i.prefixes[0].prefix == *Ip6Prefix::parse("2001:db8:1::/64"));
  CHECK_FALSE(i.prefixes[0].on_link);
  CHECK(i.prefixes[0].autonomous);
  CHECK(i.prefixes[0].router_address);
  CHECK(i.prefixes[0].valid_lifetime == 0xffffffffU);
  CHECK(i.prefixes[0].preferred_lifetime == 3600);
  CHECK(i.prefixes[0].line == 20);
  CHECK(i.prefixes[1] == PrefixConfig{*Ip6Prefix::parse("2001:db8:2::/64"), true, true, false, 2592000, 604800, 24});

  REQUIRE(i.routes.size() == 1);
  CHECK(i.routes[0].prefix == *Ip6Prefix::parse("2001:db8:f::/48"));
  CHECK(i.routes[0].preference == wire::RouterPreference::low);
  CHECK(i.routes[0].lifetime == std::optional<std::uint32_t>(600));
  CHECK(i.routes[0].line == 25);

  REQUIRE(i.rdnss.size() == 1);
  CHECK(i.rdnss[0].servers == std::vector{Ip6Addr::must("2001:db8::53"), Ip6Addr::must("2001:db8::54")});
  CHECK(i.rdnss[0].lifetime == std::optional<std::uint32_t>(30));
  REQUIRE(i.dnssl.size() == 1);
  CHECK(i.dnssl[0].domains == std::vector<std::string>{"example.net", "mobile.example.net."});
  CHECK(i.dnssl[0].lifetime == std::optional<std::uint32_t>(0xffffffffU));

  REQUIRE(i.maps.size() == 2);
  const MapConfig& m = i.maps[0];
  CHECK(m.address == Ip6Addr::must("2001:db8:100::1"));
  CHECK(m.dist == 2);
  CHECK(m.pref == 15);
  CHECK(m.r_flag);
  CHECK(m.valid_lifetime == 7200);
  CHECK(m.probe.enabled);
  CHECK(m.probe.interval == milliseconds(1500));
  CHECK(m.probe.retry_interval == milliseconds(500));
  CHECK(m.probe.fail_after == seconds(2));
  CHECK(m.probe.reply_timeout == milliseconds(250));
  CHECK(m.probe.restore_after == 5);
  CHECK(m.probe.fail_misses == 4);
  CHECK(m.probe.restore_hold_down == milliseconds(7500));
  CHECK(m.line == 28);
  CHECK_FALSE(i.maps[1].probe.enabled);
  CHECK(i.maps[1].pref == 0);
  CHECK(i.maps[1].probe.fail_misses == 3);                  // the damping defaults (issue 13 item 17)
  CHECK(i.maps[1].probe.restore_hold_down == seconds(30));
  CHECK_WARNING(r, 33, "Pref 0");

  const InterfaceConfig& up = c.interfaces[1];
  CHECK(up.name == "eth0");
  CHECK_FALSE(up.send_advert);
  CHECK(up.map_listen);
  CHECK(up.map_upstream ==
        std::vector{Ip6Addr::must("fe80::1"), Ip6Addr::must("fe80::2"), Ip6Addr::must("fe80::3")});
}

TEST_CASE("defaults are the model's", "[arconf]") {
  const auto r = parse_ard_config("interface eth0 { };\n");
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
  ArdConfig expected;
  InterfaceConfig i;
  i.name = "eth0";
  i.line = 1;
  expected.interfaces.push_back(i);
  CHECK(*r.config == expected);
  CHECK(r.config->control_socket == "/run/hmip/ard.sock");
  CHECK(r.config->log_level == LogLevel::info);
  const auto& got = r.config->interfaces[0];
  CHECK(got.max_interval == seconds(600));
  CHECK_FALSE(got.min_interval.has_value());
  CHECK(got.max_ra_delay == milliseconds(500));
  CHECK_FALSE(got.map_listen);
  CHECK_FALSE(got.map_relay);

  // Defaults inside sub-blocks.
  const auto r2 = parse_ard_config(iface({"prefix 2001:db8::/64 { };", "map 2001:db8::1 { };"}));
  REQUIRE_OK(r2);
  const auto& i2 = r2.config->interfaces[0];
  CHECK(i2.prefixes[0] == PrefixConfig{*Ip6Prefix::parse("2001:db8::/64"), true, true, false, 2592000, 604800, 2});
  MapConfig m;
  m.address = Ip6Addr::must("2001:db8::1");
  m.line = 3;
  CHECK(i2.maps[0] == m);
}

TEST_CASE("the installed example parses without errors or warnings", "[arconf]") {
  const auto r = load_ard_config(kExamplePath);
  INFO("warnings:\n" << dump(r.warnings));
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
  const auto& c = *r.config;
  REQUIRE(c.interfaces.size() == 1);
  const auto& i = c.interfaces[0];
  CHECK(i.prefixes.size() == 2);
  CHECK(i.rdnss.size() == 1);
  REQUIRE(i.maps.size() == 2);
  CHECK(i.maps[0].probe.enabled);
  CHECK(i.maps[1].probe.enabled);
  CHECK(i.max_interval == milliseconds(70));

  // The commented relay section, uncommented, is valid too.
  std::string text = read_text(kExamplePath);
  REQUIRE_FALSE(text.empty());
  std::string relay;
  std::istringstream in(text);
  std::string l;
  bool in_relay = false;
  while (std::getline(in, l)) {
    if (l.rfind("#interface eth0", 0) == 0) in_relay = true;
    if (in_relay && !l.empty() && l[0] == '#') l.erase(0, 1);
    relay += l + "\n";
  }
  const auto pos = relay.find("AdvSendAdvert on;");
  REQUIRE(pos != std::string::npos);
  relay.insert(pos, "MapRelay on; ");
  const auto r2 = parse_ard_config(relay);
  REQUIRE_OK(r2);
  INFO("warnings:\n" << dump(r2.warnings));
  CHECK(r2.warnings.empty());
  REQUIRE(r2.config->interfaces.size() == 2);
  CHECK(r2.config->interfaces[0].map_relay);
  CHECK(r2.config->interfaces[1].map_listen);
  CHECK(r2.config->interfaces[1].map_upstream.size() == 2);
}

// ---- errors, each with its line ---------------------------------------------------

TEST_CASE("range errors name the value, the range and the line", "[arconf]") {
  const auto r = parse_ard_config(iface({
      "MaxRtrAdvInterval 2000;",   // 2
      "AdvCurHopLimit 256;",       // 3
      "AdvLinkMTU 1000;",          // 4
      "AdvReachableTime 3600001;", // 5
      "AdvDefaultLifetime 9001;",  // 6
      "MinDelayBetweenRAs 0.01;",  // 7
      "MaxRADelay 11;",            // 8
      "MinRtrAdvInterval 0.02;",   // 9
      "AdvSendAdvert maybe;",      // 10
      "AdvDefaultPreference top;", // 11
      "MaxRtrAdvInterval 0.0705;", // 12
      "AdvRetransTimer -1;",       // 13
  }));
  CHECK_FALSE(r.ok());
  REQUIRE(r.errors.size() == 12);
  CHECK(r.errors[0].str() == "line 2: MaxRtrAdvInterval 2000 is out of range 0.07..1800 seconds");
  CHECK(r.errors[0].column == 19);
  check_errors(r, {
      {3, "AdvCurHopLimit 256 is out of range 0..255"},
      {4, "AdvLinkMTU 1000 must be 0 (no MTU option) or at least 1280"},
      {5, "AdvReachableTime 3600001 is out of range 0..3600000 ms"},
      {6, "AdvDefaultLifetime 9001 is out of range 0..9000 seconds"},
      {7, "MinDelayBetweenRAs 0.01 is out of range 0.03..1800 seconds"},
      {8, "MaxRADelay 11 is out of range 0..10 seconds"},
      {9, "MinRtrAdvInterval 0.02 is out of range 0.03..1350 seconds"},
      {10, "AdvSendAdvert expects on or off, got 'maybe'"},
      {11, "expects low, medium or high"},
      {12, "is too precise: time is counted in milliseconds (3 decimals)"},
      {13, "AdvRetransTimer expects a number"},
  });

  const auto small = parse_ard_config(iface({"MaxRtrAdvInterval 0.05;"}));
  CHECK_ERROR(small, 2, "MaxRtrAdvInterval 0.05 is out of range 0.07..1800 seconds");
  const auto ok = parse_ard_config(iface({"MaxRtrAdvInterval 1800;", "AdvLinkMTU 0;", "AdvCurHopLimit 0;"}));
  REQUIRE_OK(ok);
}

TEST_CASE("cross-field interval and lifetime rules (RFC 4861 §6.2.1, RFC 6275 §7.5)", "[arconf]") {
  auto r = parse_ard_config(iface({"MaxRtrAdvInterval 10;", "MinRtrAdvInterval 8;"}));
  CHECK_ERROR(r, 3, "MinRtrAdvInterval 8 must be at most 0.75 * MaxRtrAdvInterval (10), i.e. 7.5 seconds");
  // Order does not matter: Min first, Max after.
  r = parse_ard_config(iface({"MinRtrAdvInterval 8;", "MaxRtrAdvInterval 10;"}));
  CHECK_ERROR(r, 2, "must be at most 0.75 * MaxRtrAdvInterval");
  REQUIRE_OK(parse_ard_config(iface({"MinRtrAdvInterval 7.5;", "MaxRtrAdvInterval 10;"})));
  // Min against the default Max (600 s).
  r = parse_ard_config(iface({"MinRtrAdvInterval 451;"}));
  CHECK_ERROR(r, 2, "(600), i.e. 450 seconds");

  r = parse_ard_config(iface({"MaxRtrAdvInterval 600;", "AdvDefaultLifetime 300;"}));
  CHECK_ERROR(r, 3, "AdvDefaultLifetime 300 must be 0 or between MaxRtrAdvInterval (600) and 9000 seconds");
  REQUIRE_OK(parse_ard_config(iface({"AdvDefaultLifetime 0;"})));
  REQUIRE_OK(parse_ard_config(iface({"MaxRtrAdvInterval 0.07;", "AdvDefaultLifetime 1;", "MinDelayBetweenRAs 0.03;"})));

  // Mobility intervals without MinDelayBetweenRAs lowered: a warning.
  r = parse_ard_config(iface({"MaxRtrAdvInterval 0.07;"}));
  REQUIRE_OK(r);
  CHECK_WARNING(r, 2, "MinDelayBetweenRAs 3 is longer than MinRtrAdvInterval 0.052");
  r = parse_ard_config(iface({"MaxRtrAdvInterval 1;", "MinDelayBetweenRAs 0.03;", "AdvIntervalOpt off;"}));
  CHECK_WARNING(r, 4, "AdvIntervalOpt is off");
  r = parse_ard_config(iface({"MaxRADelay 1;"}));
  CHECK_WARNING(r, 2, "MAX_RA_DELAY_TIME");
  r = parse_ard_config(iface({"AdvDefaultLifetime 0;", "AdvDefaultPreference high;"}));
  CHECK_WARNING(r, 3, "RFC 4191");
}

TEST_CASE("prefix, route, RDNSS and DNSSL errors", "[arconf]") {
  const auto r = parse_ard_config(iface({
      "prefix 2001:db8:1::/64 { AdvValidLifetime 3600; AdvPreferredLifetime 7200; };",  // 2
      "prefix 2001:db8:2::/48 { };",                                                    // 3
      "prefix 2001:db8:1::/64;",                                                        // 4
      "prefix 2001:db8:zz::/64;",                                                       // 5
      "prefix 2001:db8:3::;",                                                           // 6
      "prefix fe80::/64;",                                                              // 7
      "prefix 2001:db8:4::/129;",                                                       // 8
      "prefix 2001:db8:5::1/64;",                                                       // 9
      "prefix 2001:db8:6::/64 { AdvValidLifetime 86400; };",                           // 10
      "route 2001:db8:f::/48 { AdvRoutePreference higher; AdvRouteLifetime forever; };",  // 11
      "route 2001:db8:f::/48;",                                                         // 12
      "RDNSS 2001:db8::53 ff02::1 nonsense { };",                                       // 13
      "RDNSS { AdvRDNSSLifetime 10; };",                                                // 14
      "DNSSL good.example bad..example { };",                                           // 15
      "prefix 2001:db8:7::/64 { AdvValidLifetime 4294967296; };",                       // 16
  }));
  check_errors(r, {
      {2, "AdvPreferredLifetime 7200 of prefix 2001:db8:1::/64 is longer than its AdvValidLifetime 3600"},
      {4, "prefix 2001:db8:1::/64 is already configured on line 2"},
      {5, "'2001:db8:zz::/64' is not an IPv6 prefix"},
      {6, "needs a prefix length"},
      {7, "is link-local: hosts ignore it (RFC 4861 §6.3.4)"},
      {8, "is not an IPv6 prefix"},
      // The default preferred lifetime (7 days) exceeds a valid lifetime of 1 day, as in radvd.
      {10, "AdvPreferredLifetime 604800 of prefix 2001:db8:6::/64 is longer"},
      {11, "expects low, medium or high, got 'higher'"},
      {11, "AdvRouteLifetime expects a number (0..4294967295 seconds or infinity), got 'forever'"},
      {12, "route 2001:db8:f::/48 is already configured on line 11"},
      {13, "RDNSS ff02::1 is not a unicast address"},
      {13, "'nonsense' is not an IPv6 address"},
      {14, "RDNSS needs at least one DNS server address"},
      {15, "'bad..example' is not a valid domain name"},
      {16, "out of range 0..4294967295 seconds"},
  });
  check_warnings(r, {
      {3, "has AdvAutonomous on but length 48"},
      {9, "host bits set"},
  });
}

TEST_CASE("map and probe errors", "[arconf]") {
  const auto r = parse_ard_config(iface({
      "map 2001:db8:100::1 { Dist 0; Pref 16; };",                          // 2
      "map 2001:db8:100::1 { Dist 16; };",                                  // 3
      "map fe80::1 { };",                                                   // 4
      "map not-an-address;",                                                // 5
      "map 2001:db8:101::1 {",                                              // 6
      "  ProbeRetryInterval 5;",                                            // 7
      "  ProbeFailAfter 4;",                                                // 8
      "  ProbeInterval 2;",                                                 // 9
      "  ProbeTimeout 3;",                                                  // 10
      "  ProbeRestoreAfter 0;",                                             // 11
      "  RFlag sometimes;",                                                 // 12
      "};",
      "map 2001:db8:102::1 { ValidLifetime 0; };",                          // 14
      "map 2001:db8:103::1 { Dsit 2; };",                                   // 15
      "map 2001:db8:104::1 { ProbeFailMisses 0; ProbeRestoreHoldDown 86401; };",  // 16
  }));
  check_errors(r, {
      {2, "Dist 0 is out of range 1..15"},
      {2, "Pref 16 is out of range 0..15"},
      {3, "Dist 16 is out of range 1..15"},
      {3, "MAP 2001:db8:100::1 is already configured on line 2"},
      {4, "global addresses (RFC 5380 §5)"},
      {5, "'not-an-address' is not an IPv6 address"},
      {8, "ProbeFailAfter 4 must be at least ProbeRetryInterval 5"},
      {10, "ProbeTimeout 3 must be at most ProbeInterval 2"},
      {11, "ProbeRestoreAfter 0 is out of range 1..1000"},
      {12, "RFlag expects on or off"},
      {15, "unknown keyword 'Dsit' in a map block; did you mean 'Dist'?"},
      {16, "ProbeFailMisses 0 is out of range 1..1000"},
      {16, "ProbeRestoreHoldDown"},
  });
  CHECK_WARNING(r, 14, "ValidLifetime 0 advertises this MAP as failed");

  // Defaults interact: ProbeTimeout 20 > default ProbeInterval 10, reported at ProbeTimeout.
  const auto r2 = parse_ard_config(iface({"map 2001:db8::1 {", "  ProbeTimeout 20;", "};"}));
  CHECK_ERROR(r2, 3, "ProbeTimeout 20 must be at most ProbeInterval 10");
}

TEST_CASE("dynamic MAP discovery rules", "[arconf]") {
  auto r = parse_ard_config(lines({
      "interface eth0 {",        // 1
      "  AdvSendAdvert off;",    // 2
      "  MapListen on;",         // 3
      "};",
      "interface eth1 {",        // 5
      "  MapUpstream 2001:db8::1 fe80::1;",  // 6
      "  MapRelay on;",          // 7
      "};",
      "interface eth2 {",        // 9
      "  AdvSendAdvert off;",    // 10
      "  MapRelay on;",          // 11
      "};",
  }));
  CHECK_ERROR(r, 3, "MapListen is on for eth0 but MapUpstream is not set");
  CHECK_ERROR(r, 6, "MapUpstream 2001:db8::1 is not link-local");
  CHECK_WARNING(r, 6, "MapUpstream has no effect on eth1 while MapListen is off");
  CHECK_ERROR(r, 11, "MapRelay is on for eth2 but AdvSendAdvert is off");

  r = parse_ard_config(iface({"MapRelay on;"}));
  REQUIRE_OK(r);
  CHECK_WARNING(r, 2, "no interface has MapListen on");
  r = parse_ard_config(iface({"MapListen on;", "MapUpstream fe80::1;", "MapRelay on;"}));
  REQUIRE_OK(r);
  CHECK_WARNING(r, 4, "re-sent on the link they came from");
  r = parse_ard_config(iface({"AdvSendAdvert off;", "prefix 2001:db8::/64;"}));
  REQUIRE_OK(r);
  CHECK_WARNING(r, 2, "are not sent");
  CHECK_WARNING(r, 2, "neither advertises");
}

TEST_CASE("structure errors: interfaces, keywords, braces, semicolons", "[arconf]") {
  const auto r = parse_ard_config(lines({
      "interface eth0 {",                 // 1
      "  AdvSendAdvrt on;",               // 2
      "  advsendadvert on;",              // 3
      "  AdvOnLink on;",                  // 4
      "  AdvHomeAgentFlag on;",           // 5
      "  LogLevel debug;",                // 6
      "  Frobnicate 3;",                  // 7
      "  AdvManagedFlag on",              // 8: missing ';'
      "  AdvOtherConfigFlag on;",         // 9
      "  AdvCurHopLimit 64 65;",          // 10
      "  AdvLinkMTU;",                    // 11
      "  AdvSendAdvert on { };",          // 12
      "};",                               // 13
      "interface eth0 { };",              // 14
      "interface eth1 {",                 // 15
      "  prefix 2001:db8::/64 {",         // 16
      "    AdvOnLink on;",                // 17
      "  };",                             // 18
      "interface eth2 { };",              // 19: eth1's '}' is missing
      "};",                               // 20: stray
      "interface this-name-is-far-too-long { };",  // 21
      "AdvSendAdvert on;",                // 22
      "LogLevel chatty;",                 // 23
      "ControlSocket relative.sock;",     // 24
      "interface eth3;",                  // 25
      "\"eth4\" { };",                    // 26
      "interfce eth5 { };",               // 27
  }));
  check_errors(r, {
      {2, "unknown keyword 'AdvSendAdvrt' in an interface block; did you mean 'AdvSendAdvert'?"},
      {3, "did you mean 'AdvSendAdvert'?"},
      {4, "'AdvOnLink' is not valid in an interface block; it belongs in a prefix block"},
      {5, "'AdvHomeAgentFlag' is a radvd option that ard does not support"},
      {6, "'LogLevel' is a global statement"},
      {7, "unknown keyword 'Frobnicate'"},
      {8, "missing ';' at the end of the 'AdvManagedFlag' statement"},
      {10, "AdvCurHopLimit takes one value (a number), got 2"},
      {11, "AdvLinkMTU needs a value"},
      {12, "'AdvSendAdvert' does not take a { ... } block"},
      {14, "interface eth0 is already configured on line 1"},
      {19, "missing '}' before 'interface': the 'interface' block opened on line 15 is still open"},
      {20, "unexpected '}'"},
      {21, "must be 1..15 characters long"},
      {22, "'AdvSendAdvert' is not valid in the top level; it belongs in an interface block"},
      {23, "LogLevel expects error, warning, notice, info or debug, got 'chatty'"},
      {24, "must be an absolute path"},
      {25, "interface eth3 needs a { ... } block"},
      {26, "expected a keyword, found the string \"eth4\""},
      {27, "did you mean 'interface'?"},
  });
  // Only the statements above are wrong: nothing else is reported.
  INFO(dump(r.errors));
  CHECK(r.errors.size() == 20);
  // Sorted by line.
  CHECK(std::is_sorted(r.errors.begin(), r.errors.end(),
                       [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; }));
}

TEST_CASE("unbalanced braces and missing semicolons at block ends", "[arconf]") {
  auto r = parse_ard_config(lines({"interface eth0 {", "  AdvSendAdvert on;", "}", "interface eth1 { };"}));
  CHECK_ERROR(r, 3, "missing ';' after the '}' closing the 'interface' block");
  REQUIRE(r.errors.size() == 1);

  r = parse_ard_config(lines({"interface eth0 {", "  AdvSendAdvert on;", "  prefix 2001:db8::/64 {", "};"}));
  CHECK_ERROR(r, 1, "missing '}': the 'interface' block opened here is not closed");

  r = parse_ard_config(lines({"interface eth0 {", "  AdvSendAdvert on", "};"}));
  CHECK_ERROR(r, 2, "missing ';' at the end of the 'AdvSendAdvert' statement");
  REQUIRE(r.errors.size() == 1);

  r = parse_ard_config(lines({"}", "interface eth0 { };", "{ a; };"}));
  CHECK_ERROR(r, 1, "unexpected '}'");
  CHECK_ERROR(r, 3, "unexpected '{'");
  REQUIRE(r.errors.size() == 2);

  r = parse_ard_config("");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].message.find("no interface block") != std::string::npos);
}

TEST_CASE("duplicate settings warn and the last value wins", "[arconf]") {
  const auto r = parse_ard_config(iface({"AdvLinkMTU 1400;", "AdvLinkMTU 1500;"}));
  REQUIRE_OK(r);
  CHECK(r.config->interfaces[0].link_mtu == 1500);
  CHECK_WARNING(r, 3, "AdvLinkMTU is already set on line 2");
}

TEST_CASE("every error in one pass, in file order", "[arconf]") {
  const auto r = parse_ard_config(lines({
      "LogLevel loud;",                      // 1
      "interface eth0 {",                    // 2
      "  MaxRtrAdvInterval 2000;",           // 3
      "  AdvCurHopLimit 300;",               // 4
      "  prefix 2001:db8::/64 {",            // 5
      "    AdvOnLnk on;",                    // 6
      "  };",                                // 7
      "  map 2001:db8::1 { Dist 0; };",      // 8
      "  MapListen on;",                     // 9
      "};",                                  // 10
      "interface eth0 { };",                 // 11
  }));
  REQUIRE_FALSE(r.ok());
  std::vector<int> got;
  for (const auto& e : r.errors) got.push_back(e.line);
  CHECK(got == std::vector<int>{1, 3, 4, 6, 8, 9, 11});
  CHECK_ERROR(r, 6, "did you mean 'AdvOnLink'?");

  const auto msgs = format_diagnostics("/etc/hmip/ard.conf", r);
  REQUIRE(msgs.size() == r.errors.size() + r.warnings.size());
  CHECK(msgs[1] == "/etc/hmip/ard.conf:3:21: error: MaxRtrAdvInterval 2000 is out of range 0.07..1800 seconds");
}

TEST_CASE("load_ard_config reports unreadable and oversized files", "[arconf]") {
  const auto r = load_ard_config("/nonexistent/hmip/ard.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].message.find("/nonexistent/hmip/ard.conf") != std::string::npos);
  CHECK_FALSE(r.ok());

  const auto big = (std::filesystem::temp_directory_path() / "hmip_test_ard_big.conf").string();
  {
    std::ofstream out(big, std::ios::binary);
    out << std::string((1U << 20U) + 1, '#');
  }
  const auto r2 = load_ard_config(big);
  std::filesystem::remove(big);
  REQUIRE(r2.errors.size() == 1);
  CHECK(r2.errors[0].message.find("larger than 1 MiB") != std::string::npos);
}

TEST_CASE("garbage input stops at 1000 errors", "[arconf]") {
  std::string t;
  for (int i = 0; i < 3000; ++i) t += "junk;\n";
  const auto r = parse_ard_config(t);
  REQUIRE(r.errors.size() == 1001);
  CHECK(r.errors[999].line == 999);  // "no interface block" (line 0) sorts first
  CHECK(r.errors.back().message == "2001 more errors not shown");
}

// ---- robustness ----------------------------------------------------------------------

TEST_CASE("no input crashes the parser", "[arconf]") {
  const std::string example = read_text(kExamplePath);
  REQUIRE(example.size() > 1000);

  // Every truncation of a valid configuration.
  for (std::size_t n = 0; n <= example.size(); ++n) {
    const auto r = parse_ard_config(std::string_view(example).substr(0, n));
    REQUIRE((r.ok() == r.errors.empty()));
  }
  // Every single-byte deletion.
  for (std::size_t n = 0; n < example.size(); ++n) {
    std::string t = example;
    t.erase(n, 1);
    const auto r = parse_ard_config(t);
    REQUIRE((r.ok() == r.errors.empty()));
  }

  std::mt19937 rng(20240611);
  // Random bytes.
  for (int i = 0; i < 2000; ++i) {
    std::string t(std::uniform_int_distribution<std::size_t>(0, 300)(rng), '\0');
    for (auto& c : t) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    const auto r = parse_ard_config(t);
    REQUIRE_FALSE(r.ok());
  }
  // Random soup of the format's own tokens: reaches deep into the grammar.
  const std::vector<std::string> soup{
      "interface", "eth0",  "{",       "}",        ";",        ";",          "};",          "prefix",
      "route",     "RDNSS", "DNSSL",   "map",      "2001:db8::/64", "2001:db8::1", "fe80::1", "on",
      "off",       "0",     "0.07",    "1800",     "infinity", "Dist",       "Pref",        "Probe",
      "ProbeTimeout", "MaxRtrAdvInterval", "MinRtrAdvInterval", "AdvDefaultLifetime", "MapListen", "MapUpstream",
      "MapRelay",  "AdvSendAdvert", "\"", "\"x\"", "#",  "\n",         "LogLevel",    "ControlSocket",
      "AdvValidLifetime", "AdvPreferredLifetime", "99999999999999999999", "example.net", "-", "."};
  for (int i = 0; i < 3000; ++i) {
    std::string t;
    const auto n = std::uniform_int_distribution<int>(0, 80)(rng);
    for (int k = 0; k < n; ++k) {
      t += soup[std::uniform_int_distribution<std::size_t>(0, soup.size() - 1)(rng)];
      t += ' ';
    }
    const auto r = parse_ard_config(t);
    REQUIRE((r.ok() == r.errors.empty()));
  }
  // Pathological shapes.
  CHECK_FALSE(parse_ard_config(std::string(100000, '{')).ok());
  CHECK_FALSE(parse_ard_config(std::string(100000, '}')).ok());
  std::string nested;
  for (int i = 0; i < 10000; ++i) nested += "interface x { prefix y { ";
  CHECK_FALSE(parse_ard_config(nested).ok());
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "map a { ";
  CHECK_FALSE(parse_ard_config(deep).ok());
  CHECK_FALSE(parse_ard_config(std::string(1 << 20, 'A')).ok());
  CHECK_FALSE(parse_ard_config(std::string("interface eth0 { AdvSendAdvert on\0; };", 38)).ok());
}

TEST_CASE("the examples of ard.conf(5) parse without errors or warnings", "[arconf]") {
  const std::string page = read_text(std::string(HMIP_SOURCE_DIR) + "/man/ard.conf.5");
  const auto examples = page.find("\n.SH EXAMPLES");
  REQUIRE(examples != std::string::npos);
  std::size_t pos = examples;
  int found = 0;
  while ((pos = page.find("\n.EX\n", pos)) != std::string::npos) {
    const auto end = page.find("\n.EE\n", pos);
    REQUIRE(end != std::string::npos);
    std::string text = page.substr(pos + 5, end - pos - 5);
    // Undo the roff escapes the examples use.
    for (auto [from, to] : {std::pair{"\\-", "-"}, std::pair{"\\e", "\\"}}) {
      for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
        text.replace(at, 2, to);
    }
    const auto r = parse_ard_config(text);
    INFO(text);
    REQUIRE_OK(r);
    INFO("warnings:\n" << dump(r.warnings));
    CHECK(r.warnings.empty());
    ++found;
    pos = end;
  }
  CHECK(found == 2);
}
