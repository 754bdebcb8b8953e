// mapd.conf: parser, validation and writer (man mapd.conf(5)).
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>

#include "conf_test_util.h"
#include "hmip/map/config_parse.h"

using namespace hmip;
using namespace hmip::map;
using core::milliseconds;
using core::seconds;
using namespace hmip::test_conf;

namespace {

// The three required statements (lines 1-3), then `body` from line 4 on.
std::string bare(std::initializer_list<std::string_view> body) {
  std::string out = lines({"MapAddress 2001:db8:100::1;", "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",
                           "LcoaPrefix 2001:db8:10::/48;"});
  for (auto l : body) {
    out += l;
    out += '\n';
  }
  return out;
}

// A complete Ike block on one line. Parsing never opens its files.
constexpr std::string_view kIke =
    "Ike { Identity \"map1.example.net\"; Certificate \"/etc/swanctl/x509/map1.pem\"; PrivateKey "
    "\"/etc/swanctl/private/map1.pem\"; CaCertificate \"/etc/swanctl/x509ca/ca.pem\"; RcoaPool "
    "2001:db8:100::1000-2001:db8:100::1fff; };";

// bare(body), then kIke on the line after the body: a secure configuration.
std::string base(std::initializer_list<std::string_view> body) { return bare(body) + std::string(kIke) + "\n"; }

const std::string kExamplePath = std::string(HMIP_SOURCE_DIR) + "/daemons/mapd/mapd.conf.example";

// The config with every `line` field zeroed (to_conf_text moves lines).
MapdConfig without_lines(MapdConfig c) {
  for (auto& r : c.rcoa_prefixes) r.line = 0;
  c.insecure.line = 0;
  c.ike.line = 0;
  if (c.ike.pool) c.ike.pool->line = 0;
  return c;
}

// The 1-based line of `text` where `needle` first occurs (0: nowhere).
int line_of(const std::string& text, std::string_view needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
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
  want.ike.configured = true;
  want.ike.identity = "map1.example.net";
  want.ike.certificate = "/etc/swanctl/x509/map1.pem";
  want.ike.private_key = "/etc/swanctl/private/map1.pem";
  want.ike.ca_certificates = {"/etc/swanctl/x509ca/ca.pem"};
  want.ike.pool = RcoaPoolConfig{Ip6Addr::must("2001:db8:100::1000"), Ip6Addr::must("2001:db8:100::1fff"), 4};
  want.ike.line = 4;
  CHECK(*r.config == want);
  // The Ike block's own defaults.
  CHECK(r.config->ike.vici_socket == "unix:///run/charon.vici");
  CHECK(r.config->ike.dpd_delay_s == 30);
  CHECK(r.config->ike.authorized_identities.empty());
  CHECK_FALSE(r.config->insecure.enabled);
  // Secure signalling is the default and says nothing.
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
}

TEST_CASE("the example mapd.conf is secure, parses without warnings and round-trips", "[mapconf]") {
  const auto r = load_mapd_config(kExamplePath);
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
  const auto& c = *r.config;
  CHECK_FALSE(c.insecure.enabled);
  CHECK(c.ike.configured);
  REQUIRE(c.ike.pool.has_value());
  CHECK_FALSE(c.ike.authorized_identities.empty());
  CHECK(c.rcoa_prefixes.size() == 1);
  CHECK(config_summary(c).find("binding updates: IPsec through charon at unix:///run/charon.vici, identity ") !=
        std::string::npos);

  // The writer's text parses back to the same configuration.
  const std::string text = to_conf_text(c);
  const auto back = parse_mapd_config(text);
  INFO(text);
  REQUIRE_OK(back);
  CHECK(without_lines(*back.config) == without_lines(c));
  // And a default-valued config too, and an insecure one.
  for (const auto& other : {base({}), bare({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8:10::/48;"})}) {
    const auto d = parse_mapd_config(other);
    REQUIRE_OK(d);
    const auto d2 = parse_mapd_config(to_conf_text(*d.config));
    REQUIRE_OK(d2);
    CHECK(without_lines(*d2.config) == without_lines(*d.config));
  }
}

TEST_CASE("the insecure mode is loud, and needs TrustedPrefix", "[mapconf]") {
  const auto on = parse_mapd_config(bare({"InsecureTestbedSignalling on;", "TrustedPrefix 2001:db8:10::/48;"}));
  REQUIRE_OK(on);
  check_warnings(on, {{4, "binding updates are accepted without IPsec: testbed only"}});
  CHECK(on.warnings.size() == 1);
  CHECK_FALSE(on.config->ike.configured);
  CHECK(config_summary(*on.config).find("binding updates: INSECURE testbed mode") != std::string::npos);
  const auto diags = format_diagnostics("/etc/hmip/mapd.conf", on);
  CHECK(std::find(diags.begin(), diags.end(),
                  "/etc/hmip/mapd.conf:4:1: warning: " + std::string(kInsecureWarning)) != diags.end());

  check_errors(parse_mapd_config(bare({"InsecureTestbedSignalling yes;"})), {{4, "no TrustedPrefix is listed"}});
  check_warnings(parse_mapd_config(base({"TrustedPrefix 2001:db8:10::/48;"})),
                 {{4, "TrustedPrefix has no effect while InsecureTestbedSignalling is off"}});
  check_warnings(parse_mapd_config(bare({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8:99::/48 ::/0;"})),
                 {{5, "overlaps no LcoaPrefix or NeighbourPrefix"}, {5, "trusts every source address"}});
  const auto maybe = parse_mapd_config(bare({"InsecureTestbedSignalling maybe;"}));
  check_errors(maybe, {{4, "expects on or off"}});
  CHECK_FALSE(has(maybe.errors, 0, "no Ike block"));  // the wrong value is the one error about the mode
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
      "InsecureTestbedSignalling yes;",                                     // 13
      "TrustedPrefix 2001:db8:10::/48;",                                    // 14
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
  // The example names the usual /etc/swanctl files: with them in place (a
  // copy pointing at existing files) the check passes without a word...
  const PemDir pem("mapd", "map1.pem");
  const std::string example = read_text(kExamplePath);
  REQUIRE(example.find("\"/etc/swanctl/") != std::string::npos);
  const auto copy = (std::filesystem::temp_directory_path() / "hmip_test_mapd_example.conf").string();
  std::string text = replace_all(example, "/etc/swanctl/x509/map1.pem", pem.path("map1.pem"));
  text = replace_all(text, "/etc/swanctl/private/map1.pem", pem.path("key.pem"));
  text = replace_all(text, "/etc/swanctl/x509ca/ca.pem", pem.path("ca.pem"));
  REQUIRE(text.find("/etc/swanctl/") == std::string::npos);
  write_file(copy, text);
  int status = -1;
  const auto ok = check_config_text(copy, status);
  std::filesystem::remove(copy);
  CHECK(status == 0);
  REQUIRE(ok.size() == 1);
  CHECK(ok[0].rfind(copy + ": OK, MAP 2001:db8:100::1, 1 RCoA prefix", 0) == 0);
  CHECK(ok[0].find("binding updates: IPsec through charon at unix:///run/charon.vici, identity map1.example.net, "
                   "RCoA pool 2001:db8:100::1000-2001:db8:100::1fff") != std::string::npos);

  // ... and without them (this machine is no MAP) each is an error at its
  // line, which the pure parse never reports.
  if (!std::filesystem::exists("/etc/swanctl/x509/map1.pem")) {
    const auto bad = check_config_text(kExamplePath, status);
    CHECK(status == 1);
    REQUIRE(bad.size() == 4);
    for (const auto& [kw, file] : {std::pair{"Certificate", "/etc/swanctl/x509/map1.pem"},
                                   std::pair{"PrivateKey", "/etc/swanctl/private/map1.pem"},
                                   std::pair{"CaCertificate", "/etc/swanctl/x509ca/ca.pem"}}) {
      const std::string at = kExamplePath + ":" + std::to_string(line_of(example, "\"" + std::string(file) + "\"")) + ":";
      INFO(kw << " at " << at);
      // (clang 14 cannot capture structured bindings: a plain string)
      const std::string want = std::string(": error: ") + kw + " " + file + ": cannot open it: No such file or directory";
      CHECK(std::any_of(bad.begin(), bad.end(), [&](const std::string& l) {
        return l.rfind(at, 0) == 0 && l.find(want) != std::string::npos;
      }));
    }
    CHECK(bad[3] == kExamplePath + ": 3 errors, 0 warnings");
  }

  const auto missing = check_config_text("/nonexistent/mapd.conf", status);
  CHECK(status == 1);
  REQUIRE(missing.size() == 2);
  CHECK(missing[0].rfind("/nonexistent/mapd.conf: error: cannot open /nonexistent/mapd.conf", 0) == 0);
  CHECK(missing[1] == "/nonexistent/mapd.conf: 1 error, 0 warnings");
}

TEST_CASE("mapd check_config_text: diagnostics in order, then the summary with the counts", "[mapconf]") {
  const PemDir pem("mapd", "map1.pem");
  const auto path = (std::filesystem::temp_directory_path() / "hmip_test_mapd_check.conf").string();
  std::filesystem::create_directories(pem.dir() / "sub");
  write_file(pem.path("ca.pem"), "");  // empty: no CA in it
  const auto ike = [&](const std::string& key, const std::string& cas) {
    return std::vector<std::string>{"Ike {",                                              // 7
                                    "    Identity \"map1.example.net\";",                 // 8
                                    "    Certificate \"" + pem.path("map1.pem") + "\";",  // 9
                                    "    PrivateKey \"" + key + "\";",                    // 10
                                    "    CaCertificate " + cas + ";",                     // 11
                                    "    RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;",
                                    "};"};
  };
  const auto conf = [&](const std::vector<std::string>& tail, bool broken) {
    std::string t = lines({"MapAddress 2001:db8:100::1;",                        // 1
                           "RcoaPrefix 2001:db8:100::/64 { Interface eth1; };",  // 2
                           "LcoaPrefix 2001:db8:10::/48;"});                     // 3
    t += broken ? "MaxBindingLifetme 30;\nBrrLead 300000;\n" : "LogLevel info;\nBrrLead 5;\n";  // 4, 5
    t += "MaxBindingLifetime 602;\n";                                                         // 6: warning
    for (const auto& l : tail) t += l + "\n";
    return t;
  };
  write_file(path, conf(ike(pem.path("missing.pem"), "\"" + pem.path("ca.pem") + "\" \"" + pem.path("sub") + "\""),
                        true));
  int status = -1;
  const auto bad = check_config_text(path, status);
  CHECK(status == 1);
  INFO([&] {
    std::string all;
    for (const auto& l : bad) all += l + "\n";
    return all;
  }());
  // Errors (the files' among them, at their paths), then warnings.
  REQUIRE(bad.size() == 7);
  CHECK(bad[0].rfind(path + ":4:", 0) == 0);
  CHECK(bad[0].find("did you mean 'MaxBindingLifetime'?") != std::string::npos);
  CHECK(bad[1].rfind(path + ":5:", 0) == 0);
  CHECK(bad[1].find(": error: ") != std::string::npos);
  CHECK(bad[2].rfind(path + ":10:", 0) == 0);
  CHECK(bad[2].find(": error: PrivateKey " + pem.path("missing.pem") + ": cannot open it: No such file") !=
        std::string::npos);
  CHECK(bad[3].rfind(path + ":11:", 0) == 0);
  CHECK(bad[3].find("CaCertificate " + pem.path("ca.pem") + ": the file is empty") != std::string::npos);
  CHECK(bad[4].rfind(path + ":11:", 0) == 0);
  CHECK(bad[4].find("CaCertificate " + pem.path("sub") + ": it is a directory") != std::string::npos);
  CHECK(bad[5].rfind(path + ":6:", 0) == 0);
  CHECK(bad[5].find(": warning: ") != std::string::npos);
  CHECK(bad[6] == path + ": 5 errors, 1 warning");
  // The parse itself opens nothing: only the two errors of the text.
  const auto pure = parse_mapd_config(read_text(path));
  CHECK(pure.errors.size() == 2);

  // Warnings alone do not fail: the summary is the OK line.
  write_file(pem.path("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
  write_file(path, conf(ike(pem.path("key.pem"), "\"" + pem.path("ca.pem") + "\""), false));
  const auto warn = check_config_text(path, status);
  CHECK(status == 0);
  REQUIRE(warn.size() == 2);
  CHECK(warn[0].rfind(path + ":6:", 0) == 0);
  CHECK(warn[0].find(": warning: ") != std::string::npos);
  CHECK(warn[1] == path + ": OK, MAP 2001:db8:100::1, 1 RCoA prefix, 1 LCoA prefix, 0 neighbour prefixes, "
                          "binding updates: IPsec through charon at unix:///run/charon.vici, identity "
                          "map1.example.net, RCoA pool 2001:db8:100::1000-2001:db8:100::1fff");

  // In the testbed mode the Ike block has no effect: its files are not
  // looked at.
  write_file(path, bare({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8:10::/48;",
                         "Ike { Identity \"m\"; Certificate \"/nonexistent/c.pem\"; PrivateKey \"/nonexistent/k.pem\"; "
                         "CaCertificate \"/nonexistent/ca.pem\"; };"}));
  const auto testbed = check_config_text(path, status);
  std::filesystem::remove(path);
  CHECK(status == 0);
  REQUIRE(testbed.size() == 3);
  CHECK(testbed[0].find(":4:1: warning: " + std::string(kInsecureWarning)) != std::string::npos);
  CHECK(testbed[1].find(":6:1: warning: the Ike block has no effect while InsecureTestbedSignalling is on") !=
        std::string::npos);
  CHECK(testbed[2].find(": OK, ") != std::string::npos);
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
      "fe80::/64", "on", "yes", "0", "infinity", "262140", "\"", "#", "\n", "eth1", "99999999999999999999", "Ike",
      "Identity", "Certificate", "PrivateKey", "CaCertificate", "AuthorizedIdentity", "RcoaPool", "DpdDelay",
      "ViciSocket", "\"/a\"", "\"\"", "unix:///x", "2001:db8::1-2001:db8::9", "-"};
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
  CHECK(r.errors.back().message == "2004 more errors not shown");
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
  CHECK(r.warnings.empty());
  CHECK(r.config->ike.configured);
  CHECK_FALSE(r.config->insecure.enabled);
}

TEST_CASE("every keyword of mapd.conf's Ike block is read into its field", "[mapconf]") {
  const auto r = parse_mapd_config(bare({
      "Ike {",                                                                     // 4
      "    ViciSocket /run/strongswan/charon.vici;",                               // 5
      "    Identity \"map1.example.net\";",                                        // 6
      "    Certificate \"/etc/swanctl/x509/map1.pem\";",                           // 7
      "    PrivateKey /etc/swanctl/private/map1.pem;",                             // 8
      "    CaCertificate \"/etc/swanctl/x509ca/ca.pem\" /etc/swanctl/x509ca/ca2.pem;",  // 9
      "    CaCertificate \"/etc/swanctl/x509ca/ca3.pem\";",                        // 10
      "    AuthorizedIdentity \"*@mn.example.net\" \"C=CH, O=hmip, CN=mn7\";",     // 11
      "    AuthorizedIdentity mn9@other.example.net;",                             // 12
      "    RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;",                       // 13
      "    DpdDelay 3600;",                                                        // 14
      "};",                                                                        // 15
  }));
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
  const auto& k = r.config->ike;
  CHECK(k.configured);
  CHECK(k.line == 4);
  CHECK(k.vici_socket == "unix:///run/strongswan/charon.vici");  // normalised
  CHECK(k.identity == "map1.example.net");
  CHECK(k.certificate == "/etc/swanctl/x509/map1.pem");
  CHECK(k.private_key == "/etc/swanctl/private/map1.pem");
  CHECK(k.ca_certificates == std::vector<std::string>{"/etc/swanctl/x509ca/ca.pem", "/etc/swanctl/x509ca/ca2.pem",
                                                      "/etc/swanctl/x509ca/ca3.pem"});
  CHECK(k.authorized_identities ==
        std::vector<std::string>{"*@mn.example.net", "C=CH, O=hmip, CN=mn7", "mn9@other.example.net"});
  REQUIRE(k.pool.has_value());
  CHECK(k.pool->first == Ip6Addr::must("2001:db8:100::1000"));
  CHECK(k.pool->last == Ip6Addr::must("2001:db8:100::1fff"));
  CHECK(k.pool->line == 13);
  CHECK(k.dpd_delay_s == 3600);

  // unix:// kept as it is; a one-address pool; DpdDelay's lower end.
  const auto u = parse_mapd_config(bare({"Ike { ViciSocket \"unix:///run/charon.vici\"; Identity m; Certificate /c; "
                                         "PrivateKey /k; CaCertificate /ca; RcoaPool 2001:db8:100::9-2001:db8:100::9; "
                                         "DpdDelay 1; };"}));
  REQUIRE_OK(u);
  CHECK(u.config->ike.vici_socket == "unix:///run/charon.vici");
  CHECK(u.config->ike.pool->first == u.config->ike.pool->last);
  CHECK(u.config->ike.dpd_delay_s == 1);

  // The writer's text parses back to the same configuration, quotes and all.
  MapdConfig odd = *r.config;
  odd.ike.identity = "CN=\"map\\1\"";
  const auto back = parse_mapd_config(to_conf_text(odd));
  INFO(to_conf_text(odd));
  REQUIRE_OK(back);
  CHECK(without_lines(*back.config) == without_lines(odd));
}

TEST_CASE("mapd.conf: signalling is IPsec-protected unless the testbed mode is on", "[mapconf]") {
  // Neither: an error about the whole file, or at an explicit 'no'.
  const auto none = parse_mapd_config(bare({}));
  check_errors(none, {{0, "no Ike block: binding updates must be protected by IPsec (RFC 5380 §12.1): add an Ike "
                          "block (mapd.conf(5)) or, on a testbed only, 'InsecureTestbedSignalling yes;'"}});
  CHECK(none.errors.size() == 1);
  check_errors(parse_mapd_config(bare({"InsecureTestbedSignalling no;"})), {{4, "no Ike block"}});
  // The old warning that IPsec is missing is gone.
  for (const auto& w : parse_mapd_config(base({})).warnings)
    CHECK(w.message.find("not implemented yet") == std::string::npos);
  // The testbed mode: no Ike block needed; one given has no effect.
  const auto both = parse_mapd_config(base({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8:10::/48;"}));
  REQUIRE_OK(both);
  check_warnings(both, {{4, "binding updates are accepted without IPsec: testbed only"},
                        {6, "the Ike block has no effect while InsecureTestbedSignalling is on (line 4)"}});
  // ... and needs no RcoaPool then, but must still be complete.
  const auto testbed = parse_mapd_config(bare({"InsecureTestbedSignalling yes;", "TrustedPrefix 2001:db8:10::/48;",
                                               "Ike { Identity m; Certificate /c; PrivateKey /k; };"}));
  check_errors(testbed, {{6, "the Ike block has no CaCertificate"}});
  CHECK_FALSE(has(testbed.errors, 6, "RcoaPool"));
}

TEST_CASE("mapd.conf Ike block: required statements", "[mapconf]") {
  const auto r = parse_mapd_config(bare({"Ike {", "    DpdDelay 10;", "};"}));
  check_errors(r, {{4, "the Ike block has no Identity: the MAP's IKE identity, as its certificate's subjectAltName "
                       "names it (add 'Identity \"map1.example.net\";')"},
                   {4, "the Ike block has no Certificate: the PEM file of the MAP's certificate (add 'Certificate "
                       "\"/etc/swanctl/x509/map1.pem\";')"},
                   {4, "the Ike block has no PrivateKey: the PEM file of the MAP's private key (add 'PrivateKey "
                       "\"/etc/swanctl/private/map1.pem\";')"},
                   {4, "the Ike block has no CaCertificate: the PEM file(s) of the CA(s) that certify the mobile "
                       "nodes' certificates"},
                   {4, "the Ike block has no RcoaPool: secure mode ties each RCoA to a mobile node's IKE identity "
                       "through a lease from the MAP's pool"},
                   {4, "set RFlag yes for this MAP in ard.conf(5)"},
                   {4, "stateless RCoAs (R = 0) are for InsecureTestbedSignalling only in this version"}});
  CHECK(r.errors.size() == 5);
  // A statement present with a wrong value is reported once, at its line.
  const auto w = parse_mapd_config(bare({"Ike { Identity \"\"; Certificate x.pem; PrivateKey; CaCertificate;",
                                         "RcoaPool 2001:db8:100::1000; };"}));
  check_errors(w, {{4, "Identity is empty: it needs an IKE identity, as in 'Identity \"map1.example.net\";'"},
                   {4, "Certificate 'x.pem' must be an absolute path"},
                   {4, "PrivateKey needs a value: an absolute file path, as in 'PrivateKey "
                       "\"/etc/swanctl/private/map1.pem\";'"},
                   {4, "CaCertificate needs one or more absolute file paths"},
                   {5, "RcoaPool '2001:db8:100::1000' is not a range FIRST-LAST, as in 'RcoaPool "
                       "2001:db8:100::1000-2001:db8:100::1fff;'"}});
  CHECK_FALSE(has(w.errors, 4, "the Ike block has no"));
}

TEST_CASE("mapd.conf Ike block: values", "[mapconf]") {
  const auto r = parse_mapd_config(bare({
      "Ike {",                                                      // 4
      "    ViciSocket \"tcp://127.0.0.1:4502\";",                   // 5
      "    ViciSocket relative.vici;",                              // 6
      "    ViciSocket \"unix://run/charon.vici\";",                 // 7
      "    ViciSocket /" + std::string(107, 'v') + ";",             // 8
      "    DpdDelay 0;",                                            // 9
      "    DpdDelay 3601;",                                         // 10
      "    CaCertificate /ok.pem ca.pem \"\";",                     // 11
      "    AuthorizedIdentity;",                                    // 12
      "    AuthorizedIdentity \"\" ok;",                            // 13
      "    Identity a b;",                                          // 14
      "    PrivateKey /" + std::string(4095, 'k') + ";",            // 15
      "    RcoaPool 2001:db8:100::1000 - 2001:db8:100::1fff;",     // 16
      "};",                                                         // 17
  }));
  check_errors(r, {{5, "ViciSocket 'tcp://127.0.0.1:4502' must be a UNIX socket: an absolute path or unix:// and one"},
                   {6, "ViciSocket 'relative.vici' must be a UNIX socket"},
                   {7, "ViciSocket 'unix://run/charon.vici' must be a UNIX socket"},
                   {8, "ViciSocket path is 108 bytes long; a UNIX socket path holds at most 107"},
                   {9, "DpdDelay 0 is out of range 1..3600 seconds"},
                   {10, "DpdDelay 3601 is out of range 1..3600 seconds"},
                   {11, "CaCertificate 'ca.pem' must be an absolute path"},
                   {11, "CaCertificate '' must be an absolute path"},
                   {12, "AuthorizedIdentity needs one or more IKE identities, as in 'AuthorizedIdentity "
                        "\"*@mn.example.net\";'"},
                   {13, "AuthorizedIdentity is empty"},
                   {14, "Identity takes one value"},
                   {15, "PrivateKey path is 4096 bytes long; at most 4095 are allowed"},
                   {16, "RcoaPool takes its range as one word, FIRST-LAST without spaces"}});

  const auto pool = [](std::string_view line) {
    return parse_mapd_config(bare({"Ike { Identity m; Certificate /c; PrivateKey /k; CaCertificate /ca;",  // 4
                                   line,                                                                  // 5
                                   "};"}));
  };
  check_errors(pool("RcoaPool 2001:db8:100::1fff-2001:db8:100::1000;"),
               {{5, "RcoaPool 2001:db8:100::1fff-2001:db8:100::1000: the first address is greater than the last"}});
  check_errors(pool("RcoaPool nonsense-2001:db8:100::1;"),
               {{5, "'nonsense' is not an IPv6 address (the first address of the RcoaPool range)"}});
  check_errors(pool("RcoaPool 2001:db8:100::1-;"), {{5, "'' is not an IPv6 address (the last address"}});
  check_errors(pool("RcoaPool 2001:db8:200::1-2001:db8:200::9;"),
               {{5, "RcoaPool 2001:db8:200::1-2001:db8:200::9 does not start inside an RcoaPrefix: the pool must lie "
                    "inside one RcoaPrefix"}});
  check_errors(pool("RcoaPool 2001:db8:100::1000-2001:db8:101::1;"),
               {{5, "RcoaPool 2001:db8:100::1000-2001:db8:101::1 reaches beyond RcoaPrefix 2001:db8:100::/64 (line 2)"}});
  check_errors(pool("RcoaPool 2001:db8:100::-2001:db8:100::ff;"),
               {{5, "RcoaPool 2001:db8:100::-2001:db8:100::ff contains MapAddress 2001:db8:100::1: the MAP's own "
                    "address cannot be leased to a mobile node"}});
  REQUIRE_OK(pool("RcoaPool 2001:db8:100::2-2001:db8:100:0:ffff:ffff:ffff:ffff;"));
}

TEST_CASE("mapd.conf Ike block: structure, duplicates and misplaced keywords", "[mapconf]") {
  const auto r = parse_mapd_config(bare({
      "Ike;",                                           // 4
      "Ike extra { };",                                 // 5
      "Identity \"map1.example.net\";",                 // 6
      std::string(kIke),                                // 7
      "Ike { Identity x; };",                           // 8
      "Ike {",                                          // 9: a fourth one
      "};",                                             // 10
  }));
  check_errors(r, {{4, "Ike needs a { ... } block, as in 'Ike { Identity ...;"},
                   {5, "Ike takes no value, only a block"},
                   {6, "'Identity' is not valid in the top level; it belongs in an Ike block"},
                   {7, "an Ike block is already configured on line 5: one Ike block per file"},
                   {8, "an Ike block is already configured on line 5"},
                   {9, "an Ike block is already configured on line 5"}});

  const auto k = parse_mapd_config(bare({
      "Ike {",                                          // 4
      "    Identiy x;",                                 // 5
      "    MapIdentity \"*.map.example.net\";",         // 6
      "    IkeTimeout 5;",                              // 7
      "    Interface eth1;",                            // 8
      "    Certificate /c { };",                        // 9
      "MapAddress 2001:db8:100::1;",                    // 10: '}' missing
  }));
  check_errors(k, {{5, "unknown keyword 'Identiy' in an Ike block; did you mean 'Identity'?"},
                   {6, "'MapIdentity' is a keyword of mnd.conf(5), not of this file"},
                   {7, "'IkeTimeout' is a keyword of mnd.conf(5)"},
                   {8, "'Interface' is not valid in an Ike block; it belongs in an RcoaPrefix block"},
                   {9, "'Certificate' does not take a { ... } block"},
                   {10, "missing '}' before 'MapAddress'"}});

  const auto d = parse_mapd_config(bare({
      "Ike {",                                                          // 4
      "    Identity \"a.example.net\";",                                // 5
      "    Identity \"map1.example.net\";",                             // 6
      "    Certificate /c; PrivateKey /k;",                             // 7
      "    CaCertificate /ca.pem;",                                     // 8
      "    CaCertificate /ca2.pem /ca.pem;",                            // 9
      "    AuthorizedIdentity \"*@mn.example.net\" \"*@mn.example.net\";",  // 10
      "    RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;",            // 11
      "    DpdDelay 5; DpdDelay 6;",                                    // 12
      "};",
  }));
  REQUIRE_OK(d);
  check_warnings(d, {{6, "Identity is already set on line 5; this later value replaces it"},
                     {9, "CaCertificate '/ca.pem' is already listed on line 8"},
                     {10, "AuthorizedIdentity '*@mn.example.net' is already listed on line 10"},
                     {12, "DpdDelay is already set on line 12"}});
  CHECK(d.config->ike.identity == "map1.example.net");
  CHECK(d.config->ike.ca_certificates == std::vector<std::string>{"/ca.pem", "/ca2.pem"});
  CHECK(d.config->ike.authorized_identities.size() == 1);
  CHECK(d.config->ike.dpd_delay_s == 6);
}

TEST_CASE("mapd.conf EapSecrets: mobile nodes by EAP, CaCertificate then optional", "[mapconf][eap]") {
  const auto r = parse_mapd_config(
      bare({"Ike { Identity map1.example.net; Certificate /c.pem; PrivateKey /k.pem; "
            "RcoaPool 2001:db8:100::1000-2001:db8:100::1fff; EapSecrets \"/etc/hmip/eap.secrets\"; };"}));
  REQUIRE_OK(r);
  CHECK(r.config->ike.eap_secrets == "/etc/hmip/eap.secrets");
  CHECK(r.config->ike.ca_certificates.empty());
  // The text form reads back to the same configuration.
  const auto back = parse_mapd_config(to_conf_text(*r.config));
  REQUIRE_OK(back);
  CHECK(back.config->ike.eap_secrets == "/etc/hmip/eap.secrets");

  // Without EapSecrets the CAs of mobile nodes' certificates are needed.
  const auto no_ca = parse_mapd_config(bare({"Ike { Identity m; Certificate /c.pem; PrivateKey /k.pem; "
                                             "RcoaPool 2001:db8:100::1000-2001:db8:100::1fff; };"}));
  CHECK(std::any_of(no_ca.errors.begin(), no_ca.errors.end(),
                    [](const auto& e) { return e.message.find("has no CaCertificate") != std::string::npos; }));
  // Relative, twice, in mnd.conf's spelling.
  const auto bad = parse_mapd_config(
      bare({"Ike { Identity m; Certificate /c.pem; PrivateKey /k.pem; RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;",
            "EapSecrets eap.secrets; EapSecrets /a; EapSecrets /b; EapSecret /c; };"}));
  CHECK(std::any_of(bad.errors.begin(), bad.errors.end(), [](const auto& e) {
    return e.message.find("EapSecrets 'eap.secrets' must be an absolute path") != std::string::npos;
  }));
  CHECK(std::any_of(bad.errors.begin(), bad.errors.end(), [](const auto& e) {
    return e.message.find("'EapSecret' is a keyword of mnd.conf(5)") != std::string::npos;
  }));
  CHECK(std::any_of(bad.warnings.begin(), bad.warnings.end(), [](const auto& w) {
    return w.message.find("EapSecrets is already set") != std::string::npos;
  }));
}
