// mapd.conf: parser, validation and writer (man mapd.conf(5)).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>

#include "hmip/map/config_parse.h"

using namespace hmip;
using namespace hmip::map;
using core::milliseconds;
using core::seconds;

namespace {

std::string lines(std::initializer_list<std::string_view> ls) {
  std::string out;
  for (auto l : ls) {
    out += l;
    out += '\n';
  }
  return out;
}

std::string dump(const std::vector<ConfigError>& v) {
  std::string out;
  for (const auto& e : v) out += "  " + e.str() + " (col " + std::to_string(e.column) + ")\n";
  return out;
}

bool has(const std::vector<ConfigError>& v, int line, std::string_view needle) {
  return std::any_of(v.begin(), v.end(), [&](const ConfigError& e) {
    return e.line == line && e.message.find(needle) != std::string::npos;
  });
}

struct Expect {
  int line;
  std::string_view needle;
};

void check_errors(const ParseResult& r, std::initializer_list<Expect> want) {
  INFO("errors:\n" << dump(r.errors));
  CHECK_FALSE(r.ok());
  for (const auto& w : want) {
    INFO("expected an error on line " << w.line << " containing: " << w.needle);
    CHECK(has(r.errors, w.line, w.needle));
  }
}
void check_warnings(const ParseResult& r, std::initializer_list<Expect> want) {
  INFO("warnings:\n" << dump(r.warnings));
  for (const auto& w : want) {
    INFO("expected a warning on line " << w.line << " containing: " << w.needle);
    CHECK(has(r.warnings, w.line, w.needle));
  }
}

#define REQUIRE_OK(r)                      \
  do {                                     \
    INFO("errors:\n" << dump((r).errors)); \
    REQUIRE((r).ok());                     \
  } while (0)

// The three required statements (lines 1-3), then `body` from line 4 on.
std::string base(std::initializer_list<std::string_view> body) {
  std::string out = lines({"MapAddress 2001:db8:100::1;", "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",
                           "LcoaPrefix 2001:db8:10::/48;"});
  for (auto l : body) {
    out += l;
    out += '\n';
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kExamplePath = std::string(HMIP_SOURCE_DIR) + "/daemons/mapd/mapd.conf.example";

// The config with every `line` field zeroed (to_conf_text moves lines).
MapdConfig without_lines(MapdConfig c) {
  for (auto& r : c.rcoa_prefixes) r.line = 0;
  c.insecure.line = 0;
  return c;
}

}  // namespace

TEST_CASE("every mapd.conf keyword is read into its field", "[mapconf]") {
  const auto r = parse_mapd_config(lines({
      "MapAddress 2001:db8:100::1;",                                    // 1
      "MaxBindingLifetime 1200;",                                       // 2
      "AdvertisedValidLifetime 7200;",                                  // 3
      "BrrLead 20.5;",                                                  // 4
      "BrrInterval 0.25;",                                              // 5
      "RcoaDad off;",                                                   // 6
      "TunnelMtu 1400;",                                                // 7
      "ControlSocket \"/run/x/mapd.sock\";",                            // 8
      "LogLevel debug;",                                                // 9
      "RcoaPrefix 2001:db8:100::/64 { Interface eth1; ValidLifetime 86400; };",  // 10
      "RcoaPrefix 2001:db8:101::/64;",                                  // 11
      "LcoaPrefix 2001:db8:10::/48 2001:db8:11::/48;",                  // 12
      "LcoaPrefix 2001:db8:12::/48;",                                   // 13
      "NeighbourPrefix 2001:db8:30::/48;",                              // 14
      "InsecureTestbedSignalling yes;",                                 // 15
      "TrustedPrefix 2001:db8:10::/47;",                                // 16
  }));
  REQUIRE_OK(r);
  const auto& c = *r.config;
  CHECK(c.map_address == Ip6Addr::must("2001:db8:100::1"));
  CHECK(c.max_binding_lifetime == 1200);
  CHECK(c.advertised_valid_lifetime == 7200);
  CHECK(c.brr_lead == milliseconds(20500));
  CHECK(c.brr_interval == milliseconds(250));
  CHECK_FALSE(c.dad);
  CHECK(c.tunnel_mtu == 1400);
  CHECK(c.control_socket == "/run/x/mapd.sock");
  CHECK(c.log_level == core::LogLevel::debug);
  REQUIRE(c.rcoa_prefixes.size() == 2);
  CHECK(c.rcoa_prefixes[0].prefix == *Ip6Prefix::parse("2001:db8:100::/64"));
  CHECK(c.rcoa_prefixes[0].interface == "eth1");
  CHECK(c.rcoa_prefixes[0].valid_lifetime == 86400);
  CHECK(c.rcoa_prefixes[0].line == 10);
  CHECK(c.rcoa_prefixes[1].interface.empty());
  CHECK(c.rcoa_prefixes[1].valid_lifetime == 0xffffffffU);
  CHECK(c.rcoa_prefixes[1].line == 11);
  REQUIRE(c.lcoa_prefixes.size() == 3);
  CHECK(c.lcoa_prefixes[2] == *Ip6Prefix::parse("2001:db8:12::/48"));
  REQUIRE(c.neighbour_prefixes.size() == 1);
  CHECK(c.insecure.enabled);
  CHECK(c.insecure.line == 15);
  REQUIRE(c.insecure.trusted_prefixes.size() == 1);
  CHECK(c.insecure.trusted_prefixes[0] == *Ip6Prefix::parse("2001:db8:10::/47"));

  // RcoaDadTimeout and infinity (RcoaDad on again).
  const auto r2 = parse_mapd_config(base({"RcoaDadTimeout 0.5;", "AdvertisedValidLifetime infinity;"}));
  REQUIRE_OK(r2);
  CHECK(r2.config->dad);
  CHECK(r2.config->dad_timeout == milliseconds(500));
  CHECK(r2.config->advertised_valid_lifetime == 0xffffffffU);
}

TEST_CASE("mapd.conf defaults are the model's", "[mapconf]") {
  const auto r = parse_mapd_config(base({}));
  REQUIRE_OK(r);
  MapdConfig want;
  want.map_address = Ip6Addr::must("2001:db8:100::1");
  RcoaPrefixConfig rc;
  rc.prefix = *Ip6Prefix::parse("2001:db8:100::/64");
  rc.interface = "eth1";
  rc.line = 2;
  want.rcoa_prefixes.push_back(rc);
  want.lcoa_prefixes.push_back(*Ip6Prefix::parse("2001:db8:10::/48"));
  CHECK(*r.config == want);
  // Insecure signalling off: every BU is refused, said as a warning.
  check_warnings(r, {{0, "mapd refuses every binding update"}});
  CHECK(r.warnings.size() == 1);
}

TEST_CASE("the example mapd.conf parses with only the insecure-mode warning and round-trips", "[mapconf]") {
  const auto r = load_mapd_config(kExamplePath);
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].message == kInsecureWarning);
  const auto& c = *r.config;
  CHECK(c.insecure.enabled);
  CHECK(c.rcoa_prefixes.size() == 1);
  CHECK(config_summary(c).find("INSECURE") != std::string::npos);

  // The writer's text parses back to the same configuration.
  const std::string text = to_conf_text(c);
  const auto back = parse_mapd_config(text);
  INFO(text);
  REQUIRE_OK(back);
  CHECK(without_lines(*back.config) == without_lines(c));
  // And a default-valued config too.
  const auto d = parse_mapd_config(base({}));
  REQUIRE_OK(d);
  const auto d2 = parse_mapd_config(to_conf_text(*d.config));
  REQUIRE_OK(d2);
  CHECK(without_lines(*d2.config) == without_lines(*d.config));
}

TEST_CASE("the insecure mode is loud, and needs TrustedPrefix", "[mapconf]") {
  const auto on = parse_mapd_config(base({"InsecureTestbedSignalling on;", "TrustedPrefix 2001:db8:10::/48;"}));
  REQUIRE_OK(on);
  check_warnings(on, {{4, "binding updates are accepted without IPsec: testbed only"}});
  const auto diags = format_diagnostics("/etc/hmip/mapd.conf", on);
  CHECK(std::find(diags.begin(), diags.end(),
                  "/etc/hmip/mapd.conf:4:1: warning: " + std::string(kInsecureWarning)) != diags.end());

  check_errors(parse_mapd_config(base({"InsecureTestbedSignalling yes;"})), {{4, "no TrustedPrefix is listed"}});
  check_warnings(parse_mapd_config(base({"TrustedPrefix 2001:db8:10::/48;"})),
                 {{4, "TrustedPrefix has no effect while InsecureTestbedSignalling is off"}});
  check_warnings(parse_mapd_config(base({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8:99::/48 ::/0;"})),
                 {{5, "overlaps no LcoaPrefix or NeighbourPrefix"}, {5, "trusts every source address"}});
  check_errors(parse_mapd_config(base({"InsecureTestbedSignalling maybe;"})), {{4, "expects on or off"}});
}

TEST_CASE("required statements: MapAddress, RcoaPrefix, LcoaPrefix", "[mapconf]") {
  const auto r = parse_mapd_config("LogLevel info;\n");
  check_errors(r, {{0, "no MapAddress"}, {0, "no RcoaPrefix"}, {0, "no LcoaPrefix"}});
  // A present but wrong statement is reported once, at its line.
  const auto r2 = parse_mapd_config(lines({"MapAddress fe80::1;", "RcoaPrefix 2001:db8:100::1;", "LcoaPrefix;"}));
  check_errors(r2, {{1, "is not a global unicast address"}, {2, "needs a prefix length"}, {3, "needs one or more"}});
  CHECK_FALSE(has(r2.errors, 0, "no MapAddress"));
  CHECK_FALSE(has(r2.errors, 0, "no RcoaPrefix"));
  CHECK_FALSE(has(r2.errors, 0, "no LcoaPrefix"));
}

TEST_CASE("values out of range, each with its line", "[mapconf]") {
  const auto r = parse_mapd_config(base({
      "MaxBindingLifetime 262141;",        // 4: BU lifetimes are 16 bits of 4 s
      "MaxBindingLifetime 3;",             // 5
      "AdvertisedValidLifetime 0;",        // 6
      "BrrLead 262141;",                   // 7
      "BrrInterval 0;",                    // 8
      "RcoaDadTimeout 61;",                // 9
      "RcoaDadTimeout 0.0001;",            // 10
      "TunnelMtu 1279;",                   // 11
      "TunnelMtu 65536;",                  // 12
      "ControlSocket relative.sock;",      // 13
      "LogLevel chatty;",                  // 14
      "RcoaDad perhaps;",                  // 15
      "MapAddress 2001:db8::1 2001:db8::2;",  // 16
      "RcoaPrefix 2001:db8:200::/64 { ValidLifetime 0; Interface a/b; };",  // 17
      "RcoaPrefix 2001:db8:201::/64 { Interface waytoolonginterfacename; };",  // 18
      "LcoaPrefix fe80::/64 ff02::/16 nonsense;",  // 19
      "MapAddress;",                       // 20
  }));
  check_errors(r, {{4, "out of range 4..262140 seconds"},
                   {5, "out of range 4..262140"},
                   {6, "out of range 1..4294967295"},
                   {7, "out of range 0..262140 seconds"},
                   {8, "out of range 0.01..3600 seconds"},
                   {9, "out of range 0.01..60 seconds"},
                   {10, "too precise"},
                   {11, "at least 1280"},
                   {12, "out of range 0..65535"},
                   {13, "must be an absolute path"},
                   {14, "LogLevel expects error, warning, notice, info or debug"},
                   {15, "expects on or off"},
                   {16, "takes one value"},
                   {17, "ValidLifetime 0 is out of range"},
                   {17, "not a valid interface name"},
                   {18, "must be 1..15 characters long"},
                   {19, "is link-local"},
                   {19, "is a multicast prefix"},
                   {19, "is not an IPv6 prefix"},
                   {20, "needs a value"}});
}

TEST_CASE("overlapping prefixes that make no sense are errors", "[mapconf]") {
  const auto r = parse_mapd_config(lines({
      "MapAddress 2001:db8:100::1;",               // 1
      "RcoaPrefix 2001:db8:100::/64;",             // 2
      "RcoaPrefix 2001:db8:100::/56;",             // 3: contains line 2's
      "RcoaPrefix 2001:db8:100::/64;",             // 4: the same again
      "LcoaPrefix 2001:db8:100:0:1::/80;",         // 5: inside an RcoaPrefix
      "LcoaPrefix 2001:db8:10::/48;",              // 6
      "NeighbourPrefix 2001:db8:10:5::/64;",       // 7: inside an LcoaPrefix
      "NeighbourPrefix 2001:db8::/32;",            // 8: contains everything
  }));
  check_errors(r, {{3, "RcoaPrefix 2001:db8:100::/56 contains RcoaPrefix 2001:db8:100::/64 (line 2)"},
                   {4, "RcoaPrefix 2001:db8:100::/64 is already configured on line 2"},
                   {5, "LcoaPrefix 2001:db8:100:0:1::/80 is inside RcoaPrefix 2001:db8:100::/64 (line 2)"},
                   {7, "NeighbourPrefix 2001:db8:10:5::/64 is inside LcoaPrefix 2001:db8:10::/48 (line 6)"},
                   {8, "NeighbourPrefix 2001:db8::/32 contains RcoaPrefix"},
                   {8, "contains LcoaPrefix 2001:db8:10::/48"}});
  // Redundant prefixes of one list are warnings, duplicates too.
  const auto w = parse_mapd_config(base({"LcoaPrefix 2001:db8:10:1::/64 2001:db8:10::/48;"}));
  REQUIRE_OK(w);
  check_warnings(w, {{4, "LcoaPrefix 2001:db8:10:1::/64 is inside LcoaPrefix 2001:db8:10::/48 (line 3)"},
                     {4, "LcoaPrefix 2001:db8:10::/48 is already listed on line 3"}});
}

TEST_CASE("mapd.conf warnings: lifetimes, BRR, DAD, RCoA formation", "[mapconf]") {
  const auto r = parse_mapd_config(lines({
      "MapAddress 2001:db8:100::1;",                                        // 1
      "RcoaPrefix 2001:db8:200::/64 { ValidLifetime 100; };",               // 2
      "RcoaPrefix 2001:db8:201:1::/96;",                                    // 3
      "LcoaPrefix 2001:db8:10::/48;",                                       // 4
      "MaxBindingLifetime 601;",                                            // 5
      "AdvertisedValidLifetime 300;",                                       // 6
      "BrrLead 700;",                                                       // 7
      "RcoaDad on;",                                                        // 8
      "RcoaDadTimeout 2;",                                                  // 9
      "LogLevel info;",                                                     // 10
      "LogLevel notice;",                                                   // 11
      "RcoaPrefix 2001:db8:202::1/64;",                                     // 12
  }));
  REQUIRE_OK(r);
  check_warnings(r, {{1, "is inside no RcoaPrefix"},
                     {2, "ValidLifetime 100 is shorter than MaxBindingLifetime 601"},
                     {3, "is longer than /64"},
                     {5, "not a multiple of 4"},
                     {5, "longer than AdvertisedValidLifetime 300"},
                     {7, "BrrLead 700 is not shorter than MaxBindingLifetime"},
                     {8, "no RcoaPrefix names an Interface"},
                     {9, "longer than mobile nodes' InitialBindackTimeoutFirstReg"},
                     {11, "LogLevel is already set on line 10"},
                     {12, "has host bits set"}});
  CHECK(r.config->log_level == core::LogLevel::notice);
  CHECK(r.config->rcoa_prefixes.back().prefix == *Ip6Prefix::parse("2001:db8:202::/64"));

  check_warnings(parse_mapd_config(base({"BrrLead 0;", "BrrInterval 1;"})), {{5, "no effect while BrrLead is 0"}});
  check_warnings(parse_mapd_config(base({"BrrLead 1;", "BrrInterval 3;"})), {{5, "only one Binding Refresh"}});
  check_warnings(parse_mapd_config(base({"RcoaDad off;", "RcoaDadTimeout 1;"})), {{5, "no effect while RcoaDad"}});
}

TEST_CASE("mapd.conf structure errors and keyword suggestions", "[mapconf]") {
  const auto r = parse_mapd_config(lines({
      "MapAdress 2001:db8:100::1;",                        // 1
      "NeighborPrefix 2001:db8:30::/48;",                  // 2
      "RcoaPrefix 2001:db8:100::/64 {",                    // 3
      "    Interface eth1;",                               // 4
      "    Intreface eth2;",                               // 5
      "    LcoaPrefix 2001:db8:10::/48;",                  // 6: '}' missing
      "Interface eth1;",                                   // 7
      "BindingLifetime 600;",                              // 8
      "MaxBindingLifetime 600 { };",                       // 9
      "InsecureTestbedSignalling yes",                     // 10: ';' missing
      "TrustedPrefix 2001:db8:10::/48;",                   // 11
      "ValidLifetime 5;",                                  // 12
  }));
  check_errors(r, {{1, "did you mean 'MapAddress'?"},
                   {2, "did you mean 'NeighbourPrefix'?"},
                   {5, "did you mean 'Interface'?"},
                   {6, "missing '}' before 'LcoaPrefix'"},
                   {7, "'Interface' is not valid in the top level; it belongs in an RcoaPrefix block"},
                   {8, "'BindingLifetime' is a keyword of mnd.conf(5)"},
                   {9, "does not take a { ... } block"},
                   {10, "missing ';'"},
                   {12, "belongs in an RcoaPrefix block"}});
  // Sorted by line, then column; line-0 errors first.
  for (std::size_t i = 1; i < r.errors.size(); ++i)
    CHECK(std::pair(r.errors[i - 1].line, r.errors[i - 1].column) <= std::pair(r.errors[i].line, r.errors[i].column));
  const auto d = format_diagnostics("m.conf", r);
  CHECK(std::find(d.begin(), d.end(), "m.conf:1:1: error: unknown keyword 'MapAdress' in the top level; did you mean "
                                      "'MapAddress'?") != d.end());
}

TEST_CASE("check_config_text is what mapd --check-config prints", "[mapconf]") {
  int status = -1;
  const auto ok = check_config_text(kExamplePath, status);
  CHECK(status == 0);
  REQUIRE(ok.size() == 2);
  CHECK(ok[0].find(":1: warning: " + std::string(kInsecureWarning)) != std::string::npos);
  CHECK(ok[1].rfind(kExamplePath + ": OK, MAP 2001:db8:100::1, 1 RCoA prefix", 0) == 0);
  const auto bad = check_config_text("/nonexistent/mapd.conf", status);
  CHECK(status == 1);
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].rfind("/nonexistent/mapd.conf: error: cannot open /nonexistent/mapd.conf", 0) == 0);
  CHECK(bad[1] == "/nonexistent/mapd.conf: 1 error, 0 warnings");
}

TEST_CASE("mapd check_config_text: diagnostics in order, then the summary with the counts", "[mapconf]") {
  const auto path = (std::filesystem::temp_directory_path() / "hmip_test_mapd_check.conf").string();
  const auto write = [&](const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  };
  write(lines({"MapAddress 2001:db8:100::1;",                      // 1
               "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",  // 2
               "LcoaPrefix 2001:db8:10::/48;",                      // 3
               "MaxBindingLifetme 30;",                             // 4: unknown keyword
               "BrrLead 300000;",                                   // 5: out of range
               "MaxBindingLifetime 602;"}));                        // 6: rounded down (warning)
  int status = -1;
  const auto bad = check_config_text(path, status);
  CHECK(status == 1);
  // Errors, then warnings (the signalling mode's about the whole file first).
  REQUIRE(bad.size() == 5);
  CHECK(bad[0].rfind(path + ":4:", 0) == 0);
  CHECK(bad[0].find(": error: ") != std::string::npos);
  CHECK(bad[0].find("did you mean 'MaxBindingLifetime'?") != std::string::npos);
  CHECK(bad[1].rfind(path + ":5:", 0) == 0);
  CHECK(bad[1].find(": error: ") != std::string::npos);
  CHECK(bad[2].rfind(path + ": warning: InsecureTestbedSignalling is off", 0) == 0);
  CHECK(bad[3].rfind(path + ":6:", 0) == 0);
  CHECK(bad[3].find(": warning: ") != std::string::npos);
  CHECK(bad[4] == path + ": 2 errors, 2 warnings");

  // Warnings alone do not fail: the summary is the OK line.
  write(lines({"MapAddress 2001:db8:100::1;", "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",
               "LcoaPrefix 2001:db8:10::/48;", "MaxBindingLifetime 602;"}));
  const auto warn = check_config_text(path, status);
  std::filesystem::remove(path);
  CHECK(status == 0);
  REQUIRE(warn.size() == 3);
  CHECK(warn[0].rfind(path + ": warning: InsecureTestbedSignalling is off", 0) == 0);
  CHECK(warn[1].rfind(path + ":4:", 0) == 0);
  CHECK(warn[1].find(": warning: ") != std::string::npos);
  CHECK(warn[2] == path + ": OK, MAP 2001:db8:100::1, 1 RCoA prefix, 1 LCoA prefix, 0 neighbour prefixes, "
                          "binding updates: all refused (no IPsec yet)");
}

TEST_CASE("load_mapd_config reports unreadable files", "[mapconf]") {
  const auto r = load_mapd_config("/nonexistent/hmip/mapd.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].message.find("/nonexistent/hmip/mapd.conf") != std::string::npos);
  const auto big = (std::filesystem::temp_directory_path() / "hmip_test_mapd_big.conf").string();
  {
    std::ofstream out(big, std::ios::binary);
    out << std::string((1U << 20U) + 1, '#');
  }
  const auto r2 = load_mapd_config(big);
  std::filesystem::remove(big);
  REQUIRE(r2.errors.size() == 1);
  CHECK(r2.errors[0].message.find("larger than 1 MiB") != std::string::npos);
}

TEST_CASE("no input crashes the mapd.conf parser", "[mapconf]") {
  const std::string example = read_text(kExamplePath);
  REQUIRE(example.size() > 500);
  for (std::size_t n = 0; n <= example.size(); ++n) {
    const auto r = parse_mapd_config(std::string_view(example).substr(0, n));
    REQUIRE((r.ok() == r.errors.empty()));
  }
  for (std::size_t n = 0; n < example.size(); ++n) {
    std::string t = example;
    t.erase(n, 1);
    const auto r = parse_mapd_config(t);
    REQUIRE((r.ok() == r.errors.empty()));
  }
  std::mt19937 rng(5380);
  const std::vector<std::string> soup{
      "MapAddress", "RcoaPrefix", "LcoaPrefix", "NeighbourPrefix", "TrustedPrefix", "InsecureTestbedSignalling",
      "Interface", "ValidLifetime", "BrrLead", "{", "}", ";", "};", "2001:db8::/64", "2001:db8::1", "::/0",
      "fe80::/64", "on", "yes", "0", "infinity", "262140", "\"", "#", "\n", "eth1", "99999999999999999999"};
  for (int i = 0; i < 3000; ++i) {
    std::string t;
    const auto n = std::uniform_int_distribution<int>(0, 60)(rng);
    for (int k = 0; k < n; ++k) t += soup[std::uniform_int_distribution<std::size_t>(0, soup.size() - 1)(rng)] + " ";
    const auto r = parse_mapd_config(t);
    REQUIRE((r.ok() == r.errors.empty()));
  }
  CHECK_FALSE(parse_mapd_config(std::string(100000, '{')).ok());
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "RcoaPrefix a { ";
  CHECK_FALSE(parse_mapd_config(deep).ok());
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "junk;\n";
  const auto r = parse_mapd_config(many);
  CHECK(r.errors.back().message == "2003 more errors not shown");
}

TEST_CASE("the example of mapd.conf(5) parses", "[mapconf]") {
  const std::string page = read_text(std::string(HMIP_SOURCE_DIR) + "/man/mapd.conf.5");
  const auto examples = page.find("\n.SH EXAMPLE");
  REQUIRE(examples != std::string::npos);
  const auto pos = page.find("\n.EX\n", examples);
  REQUIRE(pos != std::string::npos);
  const auto end = page.find("\n.EE\n", pos);
  REQUIRE(end != std::string::npos);
  std::string text = page.substr(pos + 5, end - pos - 5);
  for (auto at = text.find("\\-"); at != std::string::npos; at = text.find("\\-", at + 1)) text.replace(at, 2, "-");
  const auto r = parse_mapd_config(text);
  INFO(text);
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].message == kInsecureWarning);
}
