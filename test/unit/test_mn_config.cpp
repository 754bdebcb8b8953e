// mnd.conf: parser, validation and writer (man mnd.conf(5)).
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
#include "hmip/mn/config_parse.h"

using namespace hmip;
using namespace hmip::mn;
using core::milliseconds;
using core::seconds;
using namespace hmip::test_conf;

namespace {

const std::string kExamplePath = std::string(HMIP_SOURCE_DIR) + "/daemons/mnd/mnd.conf.example";

// A complete Ike block on one line. Parsing never opens its files.
constexpr std::string_view kIke =
    "Ike { Identity \"mn1@mn.example.net\"; Certificate \"/etc/swanctl/x509/mn1.pem\"; PrivateKey "
    "\"/etc/swanctl/private/mn1.pem\"; CaCertificate \"/etc/swanctl/x509ca/ca.pem\"; };";

// `text`, then kIke on a line of its own: a secure configuration.
std::string secure(const std::string& text) { return text + std::string(kIke) + "\n"; }

// The config with every `line` field zeroed (to_conf_text moves lines).
MndConfig without_lines(MndConfig c) {
  c.insecure_line = 0;
  c.ike.line = 0;
  return c;
}

}  // namespace

TEST_CASE("every mnd.conf keyword is read into its field", "[mnconf]") {
  const auto r = parse_mnd_config(lines({
      "Interface wlan0 eth0;",                  // 1
      "Interface usb0;",                        // 2
      "MapSelection preference;",               // 3
      "BindingLifetime 1200;",                  // 4
      "PreviousMapLifetime 8;",                 // 5
      "RefreshPercent 30;",                     // 6
      "InitialBindackTimeoutFirstReg 2.5;",     // 7
      "InitialBindackTimeout 1.25;",            // 8
      "MaxBindackTimeout 16;",                  // 9
      "SolicitOnLinkChange off;",               // 10
      "DeregisterOnStop no;",                   // 11
      "ControlSocket \"/tmp/mnd test.sock\";",  // 12
      "LogLevel warning;",                      // 13
      "InsecureTestbedSignalling no;",          // 14
      "Ike {",                                  // 15
      "    ViciSocket /run/strongswan/charon.vici;",                       // 16
      "    Identity \"mn1@mn.example.net\";",                              // 17
      "    Certificate \"/etc/swanctl/x509/mn1.pem\";",                    // 18
      "    PrivateKey /etc/swanctl/private/mn1.pem;",                      // 19
      "    CaCertificate /etc/swanctl/x509ca/ca.pem \"/etc/ca 2.pem\";",   // 20
      "    CaCertificate /etc/swanctl/x509ca/ca3.pem;",                    // 21
      "    MapIdentity \"*.map.example.net\";",                            // 22
      "    DpdDelay 45;",                                                  // 23
      "    IkeTimeout 2.5;",                                               // 24
      "};",                                                                // 25
  }));
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
  const auto& c = *r.config;
  CHECK(c.interfaces == std::vector<std::string>{"wlan0", "eth0", "usb0"});
  CHECK(c.selection == MapSelection::highest_preference);
  CHECK(c.binding_lifetime == 1200);
  CHECK(c.previous_map_lifetime == 8);
  CHECK(c.refresh_percent == 30);
  CHECK(c.initial_bindack_timeout_first_reg == milliseconds(2500));
  CHECK(c.initial_bindack_timeout == milliseconds(1250));
  CHECK(c.max_bindack_timeout == seconds(16));
  CHECK_FALSE(c.solicit_on_link_change);
  CHECK_FALSE(c.deregister_on_stop);
  CHECK(c.control_socket == "/tmp/mnd test.sock");
  CHECK(c.log_level == core::LogLevel::warning);
  CHECK_FALSE(c.insecure);
  CHECK(c.insecure_line == 14);
  const auto& k = c.ike;
  CHECK(k.configured);
  CHECK(k.line == 15);
  CHECK(k.vici_socket == "unix:///run/strongswan/charon.vici");  // normalised
  CHECK(k.identity == "mn1@mn.example.net");
  CHECK(k.certificate == "/etc/swanctl/x509/mn1.pem");
  CHECK(k.private_key == "/etc/swanctl/private/mn1.pem");
  CHECK(k.ca_certificates ==
        std::vector<std::string>{"/etc/swanctl/x509ca/ca.pem", "/etc/ca 2.pem", "/etc/swanctl/x509ca/ca3.pem"});
  CHECK(k.map_identity == "*.map.example.net");
  CHECK(k.dpd_delay_s == 45);
  CHECK(k.ike_timeout == milliseconds(2500));

  const auto f = parse_mnd_config(secure("Interface eth0; MapSelection FURTHEST;\n"));
  REQUIRE_OK(f);
  CHECK(f.config->selection == MapSelection::furthest);
}

TEST_CASE("mnd.conf defaults are the model's", "[mnconf]") {
  const auto r = parse_mnd_config(secure("Interface eth0;\n"));
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
  MndConfig want;
  want.interfaces = {"eth0"};
  want.ike.configured = true;
  want.ike.identity = "mn1@mn.example.net";
  want.ike.certificate = "/etc/swanctl/x509/mn1.pem";
  want.ike.private_key = "/etc/swanctl/private/mn1.pem";
  want.ike.ca_certificates = {"/etc/swanctl/x509ca/ca.pem"};
  want.ike.line = 2;
  CHECK(*r.config == want);
  // Secure signalling is the default; the Ike block's own defaults.
  CHECK_FALSE(r.config->insecure);
  CHECK(r.config->ike.vici_socket == "unix:///run/charon.vici");
  CHECK(r.config->ike.map_identity.empty());
  CHECK(r.config->ike.dpd_delay_s == 30);
  CHECK(r.config->ike.ike_timeout == seconds(10));
}

TEST_CASE("the example mnd.conf is secure, parses without errors or warnings and round-trips", "[mnconf]") {
  const auto r = load_mnd_config(kExamplePath);
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
  CHECK(r.config->interfaces.size() == 2);
  CHECK_FALSE(r.config->insecure);
  CHECK(r.config->ike.configured);
  CHECK_FALSE(r.config->ike.map_identity.empty());
  CHECK(config_summary(*r.config).find("2 interfaces (wlan0 eth0)") != std::string::npos);
  const std::string text = to_conf_text(*r.config);
  const auto back = parse_mnd_config(text);
  INFO(text);
  REQUIRE_OK(back);
  CHECK(without_lines(*back.config) == without_lines(*r.config));

  MndConfig odd;
  odd.interfaces = {"a", "b"};
  odd.selection = MapSelection::highest_preference;
  odd.control_socket = "/run/with \"quote\" and \\ backslash";
  odd.initial_bindack_timeout_first_reg = milliseconds(1001);
  odd.solicit_on_link_change = false;
  odd.log_level = core::LogLevel::error;
  odd.insecure = true;
  const auto o = parse_mnd_config(to_conf_text(odd));
  REQUIRE_OK(o);
  CHECK(without_lines(*o.config) == odd);
  // Secure, with quotes in the values.
  MndConfig sec = *r.config;
  sec.ike.identity = "CN=\"mn\\1\"";
  sec.ike.map_identity.clear();
  sec.ike.ike_timeout = milliseconds(1001);
  const auto s2 = parse_mnd_config(to_conf_text(sec));
  INFO(to_conf_text(sec));
  REQUIRE_OK(s2);
  CHECK(without_lines(*s2.config) == without_lines(sec));
}

TEST_CASE("check_config_text is what mnd --check-config prints", "[mnconf]") {
  // The example names the usual /etc/swanctl files: with them in place (a
  // copy pointing at existing files) the check passes without a word...
  const PemDir pem("mnd", "mn1.pem");
  const std::string example = read_text(kExamplePath);
  const auto copy = (std::filesystem::temp_directory_path() / "hmip_test_mnd_example.conf").string();
  std::string text = replace_all(example, "/etc/swanctl/x509/mn1.pem", pem.path("mn1.pem"));
  text = replace_all(text, "/etc/swanctl/private/mn1.pem", pem.path("key.pem"));
  text = replace_all(text, "/etc/swanctl/x509ca/ca.pem", pem.path("ca.pem"));
  REQUIRE(text.find("/etc/swanctl/") == std::string::npos);
  write_file(copy, text);
  int status = -1;
  const auto ok = check_config_text(copy, status);
  std::filesystem::remove(copy);
  CHECK(status == 0);
  REQUIRE(ok.size() == 1);
  CHECK(ok[0] == copy + ": OK, 2 interfaces (wlan0 eth0), Multiple CoA (RFC 5648), MAP selection furthest (RFC 5380 §9.1), binding "
                        "lifetime 600 s, binding updates: IPsec through charon at unix:///run/charon.vici, identity "
                        "mn1@mn.example.net");
  // Its Home block, uncommented, is valid in secure mode (RFC 4877).
  {
    const auto at = text.find("#Home {");
    REQUIRE(at != std::string::npos);
    std::string home = text.substr(0, at);
    std::istringstream rest(text.substr(at));
    for (std::string line; std::getline(rest, line);) home += (line.rfind('#', 0) == 0 ? line.substr(1) : line) + "\n";
    const auto r = parse_mnd_config(home);
    INFO(dump(r.errors) << dump(r.warnings));
    REQUIRE_OK(r);
    CHECK(r.warnings.empty());
    REQUIRE(r.config->home);
    CHECK(r.config->home->home_agent_identity == "ha.example.net");
    CHECK_FALSE(r.config->home->protect_traffic);
  }
  // ... and without them (this machine is no MN) each is an error.
  if (!std::filesystem::exists("/etc/swanctl/x509/mn1.pem")) {
    const auto bad = check_config_text(kExamplePath, status);
    CHECK(status == 1);
    REQUIRE(bad.size() == 4);
    CHECK(bad[0].find(": error: Certificate /etc/swanctl/x509/mn1.pem: cannot open it: No such file or directory") !=
          std::string::npos);
    CHECK(bad[1].find(": error: PrivateKey /etc/swanctl/private/mn1.pem: cannot open it") != std::string::npos);
    CHECK(bad[2].find(": error: CaCertificate /etc/swanctl/x509ca/ca.pem: cannot open it") != std::string::npos);
    CHECK(bad[3] == kExamplePath + ": 3 errors, 0 warnings");
  }
  const auto missing = check_config_text("/nonexistent/mnd.conf", status);
  CHECK(status == 1);
  REQUIRE(missing.size() == 2);
  CHECK(missing[1] == "/nonexistent/mnd.conf: 1 error, 0 warnings");
}

TEST_CASE("mnd check_config_text: diagnostics in order, then the summary with the counts", "[mnconf]") {
  const PemDir pem("mnd", "mn1.pem");
  const auto path = (std::filesystem::temp_directory_path() / "hmip_test_mnd_check.conf").string();
  const auto ike = [&](const std::string& key) {
    return "Ike {\n"                                                  // 5
           "    Identity mn1@mn.example.net;\n"                       // 6
           "    Certificate \"" + pem.path("mn1.pem") + "\";\n"       // 7
           "    PrivateKey \"" + key + "\";\n"                        // 8
           "    CaCertificate \"" + pem.path("ca.pem") + "\";\n"      // 9
           "};\n";
  };
  write_file(path, lines({"Interface eth0;",          // 1
                          "RefreshPercent 91;",       // 2: out of range
                          "BindingLifetim 600;",      // 3: unknown keyword
                          "BindingLifetime 602;"})    // 4: rounded down (warning)
                       + ike(pem.path("missing.pem")));
  int status = -1;
  const auto bad = check_config_text(path, status);
  CHECK(status == 1);
  REQUIRE(bad.size() == 5);
  CHECK(bad[0].rfind(path + ":2:", 0) == 0);
  CHECK(bad[0].find(": error: ") != std::string::npos);
  CHECK(bad[1].rfind(path + ":3:", 0) == 0);
  CHECK(bad[1].find("did you mean 'BindingLifetime'?") != std::string::npos);
  CHECK(bad[2].rfind(path + ":8:", 0) == 0);
  CHECK(bad[2].find(": error: PrivateKey " + pem.path("missing.pem") + ": cannot open it") != std::string::npos);
  CHECK(bad[3].rfind(path + ":4:", 0) == 0);
  CHECK(bad[3].find(": warning: ") != std::string::npos);
  CHECK(bad[4] == path + ": 3 errors, 1 warning");
  CHECK(parse_mnd_config(read_text(path)).errors.size() == 2);  // the parse itself opens nothing

  write_file(path, lines({"Interface eth0;", "RefreshPercent 20;", "LogLevel info;", "BindingLifetime 602;"}) +
                       ike(pem.path("key.pem")));
  const auto warn = check_config_text(path, status);
  CHECK(status == 0);
  REQUIRE(warn.size() == 2);
  CHECK(warn[0].rfind(path + ":4:", 0) == 0);
  CHECK(warn[0].find("so 600 seconds are asked for") != std::string::npos);
  CHECK(warn[1] == path + ": OK, 1 interface (eth0), MAP selection furthest (RFC 5380 §9.1), binding lifetime 602 "
                          "s, binding updates: IPsec through charon at unix:///run/charon.vici, identity "
                          "mn1@mn.example.net");

  // In the testbed mode the Ike block has no effect: its files are not
  // looked at.
  write_file(path, lines({"Interface eth0;", "InsecureTestbedSignalling yes;"}) + ike("/nonexistent/key.pem"));
  const auto testbed = check_config_text(path, status);
  std::filesystem::remove(path);
  CHECK(status == 0);
  REQUIRE(testbed.size() == 3);
  CHECK(testbed[0] == path + ":2:1: warning: " + std::string(kInsecureWarning));
  CHECK(testbed[1].rfind(path + ":3:1: warning: the Ike block has no effect while InsecureTestbedSignalling is on",
                         0) == 0);
  CHECK(testbed[2] == path + ": OK, 1 interface (eth0), MAP selection furthest (RFC 5380 §9.1), binding lifetime "
                             "600 s, binding updates: INSECURE testbed mode, sent without IPsec");
}

TEST_CASE("mnd.conf errors, each with its line", "[mnconf]") {
  const auto r = parse_mnd_config(lines({
      "Interface;",                                   // 1
      "Interface eth0 a:b ../x waytoolonginterfacename;",  // 2
      "MapSelection nearest;",                        // 3
      "BindingLifetime 3;",                           // 4
      "PreviousMapLifetime 262144;",                  // 5
      "RefreshPercent 91;",                           // 6
      "RefreshPercent 0;",                            // 7
      "InitialBindackTimeoutFirstReg 0.001;",         // 8
      "InitialBindackTimeout 61;",                    // 9
      "MaxBindackTimeout 3601;",                      // 10
      "SolicitOnLinkChange sometimes;",               // 11
      "DeregisterOnStop on off;",                     // 12
      "ControlSocket mnd.sock;",                      // 13
      "LogLevel loud;",                               // 14
      "MapSelection;",                                // 15
      "InitialBindackTimeout 1.0001;",                // 16
  }));
  check_errors(r, {{1, "needs one or more interface names"},
                   {2, "'a:b' is not a valid interface name"},
                   {2, "'../x' is not a valid interface name"},
                   {2, "must be 1..15 characters long"},
                   {3, "MapSelection expects furthest (RFC 5380 §9.1) or preference (RFC 5380 §7.1)"},
                   {4, "out of range 4..262140 seconds"},
                   {5, "out of range 4..262140 seconds"},
                   {6, "out of range 1..90 percent"},
                   {7, "out of range 1..90 percent"},
                   {8, "out of range 0.01..60 seconds"},
                   {9, "out of range 0.01..60 seconds"},
                   {10, "out of range 0.01..3600 seconds"},
                   {11, "expects on or off"},
                   {12, "takes one value"},
                   {13, "must be an absolute path"},
                   {14, "LogLevel expects"},
                   {15, "needs a value"},
                   {16, "too precise"}});
}

TEST_CASE("mnd.conf rules between fields", "[mnconf]") {
  check_errors(parse_mnd_config("LogLevel info;\n"), {{0, "no Interface"}});
  CHECK_FALSE(has(parse_mnd_config("Interface a/b;\n").errors, 0, "no Interface"));
  check_errors(parse_mnd_config(lines({"Interface eth0;", "MaxBindackTimeout 1.2;", "InitialBindackTimeout 3;"})),
               {{3, "InitialBindackTimeout 3 is longer than MaxBindackTimeout 1.2"},
                {2, "InitialBindackTimeoutFirstReg 1.5 is longer than MaxBindackTimeout 1.2"}});
  const auto w = parse_mnd_config(lines({
      "Interface eth0 eth0;",                  // 1
      "BindingLifetime 10;",                   // 2
      "PreviousMapLifetime 30;",               // 3
      "InitialBindackTimeoutFirstReg 0.2;",    // 4
      "BindingLifetime 21;",                   // 5
      "Interface eth0;",                       // 6
      std::string(kIke),                       // 7
  }));
  REQUIRE_OK(w);
  check_warnings(w, {{1, "Interface eth0 is already listed on line 1"},
                     {3, "PreviousMapLifetime 30 is longer than BindingLifetime 21"},
                     {4, "shorter than a MAP's RCoA duplicate address detection"},
                     {5, "BindingLifetime is already set on line 2"},
                     {5, "not a multiple of 4"},
                     {6, "Interface eth0 is already listed on line 1"}});
  CHECK(w.config->binding_lifetime == 21);
  CHECK(w.config->interfaces.size() == 1);
}

TEST_CASE("mnd.conf structure errors and keyword suggestions", "[mnconf]") {
  const auto r = parse_mnd_config(lines({
      "interface eth0 { };",              // 1
      "BindingLifetme 600;",              // 2
      "MapAddress 2001:db8::1;",          // 3
      "Interface eth0",                   // 4: ';' missing
      "DeregisterOnStop on;",             // 5
      "Interface eth1 { MapSelection furthest; };",  // 6
      "\"Interface\" eth2;",              // 7
  }));
  check_errors(r, {{1, "did you mean 'Interface'?"},
                   {2, "did you mean 'BindingLifetime'?"},
                   {3, "'MapAddress' is a keyword of mapd.conf(5)"},
                   {4, "missing ';'"},
                   {6, "missing '}' before 'MapSelection'"},
                   {7, "expected a keyword"}});
  const auto text = format_diagnostics("x.conf", r);
  CHECK(std::any_of(text.begin(), text.end(), [](const std::string& d) { return d.rfind("x.conf:1:1: error: ", 0) == 0; }));
  // The file-level error (no Ike block, no InsecureTestbedSignalling) names no line.
  CHECK(std::any_of(text.begin(), text.end(), [](const std::string& d) { return d.rfind("x.conf: error: no Ike block", 0) == 0; }));
}

TEST_CASE("no input crashes the mnd.conf parser", "[mnconf]") {
  const std::string example = read_text(kExamplePath);
  REQUIRE(example.size() > 500);
  for (std::size_t n = 0; n <= example.size(); ++n) {
    const auto r = parse_mnd_config(std::string_view(example).substr(0, n));
    REQUIRE((r.ok() == r.errors.empty()));
  }
  std::mt19937 rng(6275);
  for (int i = 0; i < 2000; ++i) {
    std::string t(std::uniform_int_distribution<std::size_t>(0, 200)(rng), '\0');
    for (auto& c : t) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    const auto r = parse_mnd_config(t);
    REQUIRE((r.ok() == r.errors.empty()));
  }
  CHECK_FALSE(parse_mnd_config(std::string(100000, '{')).ok());
  CHECK_FALSE(load_mnd_config("/nonexistent/mnd.conf").ok());
}

TEST_CASE("the example of mnd.conf(5) parses without errors or warnings", "[mnconf]") {
  const std::string page = read_text(std::string(HMIP_SOURCE_DIR) + "/man/mnd.conf.5");
  const auto examples = page.find("\n.SH EXAMPLE");
  REQUIRE(examples != std::string::npos);
  const auto pos = page.find("\n.EX\n", examples);
  REQUIRE(pos != std::string::npos);
  const auto end = page.find("\n.EE\n", pos);
  REQUIRE(end != std::string::npos);
  std::string text = page.substr(pos + 5, end - pos - 5);
  for (auto at = text.find("\\-"); at != std::string::npos; at = text.find("\\-", at + 1)) text.replace(at, 2, "-");
  const auto r = parse_mnd_config(text);
  INFO(text);
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
}

TEST_CASE("mnd.conf: signalling is IPsec-protected unless the testbed mode is on", "[mnconf]") {
  // Neither: an error about the whole file, or at an explicit 'no'.
  const auto none = parse_mnd_config("Interface eth0;\n");
  check_errors(none, {{0, "no Ike block: binding updates must be protected by IPsec (RFC 5380 §12.1): add an Ike "
                          "block (mnd.conf(5)) or, on a testbed only, 'InsecureTestbedSignalling yes;'"}});
  CHECK(none.errors.size() == 1);
  check_errors(parse_mnd_config(lines({"Interface eth0;", "InsecureTestbedSignalling no;"})), {{2, "no Ike block"}});
  // The testbed mode: loud, no Ike block needed.
  const auto on = parse_mnd_config(lines({"Interface eth0;", "InsecureTestbedSignalling yes;"}));
  REQUIRE_OK(on);
  REQUIRE(on.warnings.size() == 1);
  CHECK(on.warnings[0].line == 2);
  CHECK(on.warnings[0].message == kInsecureWarning);
  CHECK(on.warnings[0].message.find("the RCoA is formed statelessly") != std::string::npos);
  CHECK(on.config->insecure);
  CHECK(on.config->insecure_line == 2);
  CHECK_FALSE(on.config->ike.configured);
  CHECK(config_summary(*on.config).find("binding updates: INSECURE testbed mode") != std::string::npos);
  // An Ike block then has no effect, but must still be complete.
  const auto both = parse_mnd_config(secure(lines({"Interface eth0;", "InsecureTestbedSignalling on;"})));
  REQUIRE_OK(both);
  check_warnings(both, {{2, "binding updates go out without IPsec"},
                        {3, "the Ike block has no effect while InsecureTestbedSignalling is on (line 2)"}});
  check_errors(parse_mnd_config(lines({"Interface eth0;", "InsecureTestbedSignalling yes;", "Ike { Identity x; };"})),
               {{3, "the Ike block has no Certificate"}});
  // A wrong value is the one error about the mode.
  const auto maybe = parse_mnd_config(lines({"Interface eth0;", "InsecureTestbedSignalling maybe;"}));
  check_errors(maybe, {{2, "InsecureTestbedSignalling expects on or off"}});
  CHECK(maybe.errors.size() == 1);
  check_warnings(parse_mnd_config(lines({"Interface eth0;", "InsecureTestbedSignalling yes;",
                                         "InsecureTestbedSignalling yes;"})),
                 {{3, "InsecureTestbedSignalling is already set on line 2"}});
}

TEST_CASE("mnd.conf Ike block: required statements and values", "[mnconf]") {
  const auto r = parse_mnd_config(lines({"Interface eth0;", "Ike {", "    IkeTimeout 5;", "};"}));
  check_errors(r, {{2, "the Ike block has no Identity: the mobile node's IKE identity, as its certificate's "
                       "subjectAltName names it (add 'Identity \"mn1@mn.example.net\";')"},
                   {2, "the Ike block has no Certificate: the PEM file of the mobile node's certificate (add "
                       "'Certificate \"/etc/swanctl/x509/mn1.pem\";')"},
                   {2, "the Ike block has no PrivateKey: the PEM file of the mobile node's private key (add "
                       "'PrivateKey \"/etc/swanctl/private/mn1.pem\";')"},
                   {2, "the Ike block has no CaCertificate: the PEM file(s) of the CA(s) that certify the MAPs' "
                       "certificates"}});
  CHECK(r.errors.size() == 4);

  const auto v = parse_mnd_config(lines({
      "Interface eth0;",                              // 1
      "Ike {",                                        // 2
      "    ViciSocket tcp://charon:4502;",            // 3
      "    Identity \"\";",                           // 4
      "    Certificate mn1.pem;",                     // 5
      "    PrivateKey;",                              // 6
      "    CaCertificate ca.pem /ok.pem;",            // 7
      "    MapIdentity \"\";",                        // 8
      "    MapIdentity a b;",                         // 9
      "    DpdDelay 0;",                              // 10
      "    IkeTimeout 0.999;",                        // 11
      "    IkeTimeout 121;",                          // 12
      "    IkeTimeout 1.0001;",                       // 13
      "    DpdDelay soon;",                           // 14
      "};",                                           // 15
  }));
  check_errors(v, {{3, "ViciSocket 'tcp://charon:4502' must be a UNIX socket: an absolute path or unix:// and one"},
                   {4, "Identity is empty: it needs an IKE identity, as in 'Identity \"mn1@mn.example.net\";'"},
                   {5, "Certificate 'mn1.pem' must be an absolute path"},
                   {6, "PrivateKey needs a value: an absolute file path, as in 'PrivateKey "
                       "\"/etc/swanctl/private/mn1.pem\";'"},
                   {7, "CaCertificate 'ca.pem' must be an absolute path"},
                   {8, "MapIdentity is empty: it needs an IKE identity, as in 'MapIdentity \"*.map.example.net\";'"},
                   {9, "MapIdentity takes one value"},
                   {10, "DpdDelay 0 is out of range 1..3600 seconds"},
                   {11, "IkeTimeout 0.999 is out of range 1..120 seconds"},
                   {12, "IkeTimeout 121 is out of range 1..120 seconds"},
                   {13, "too precise"},
                   {14, "DpdDelay expects a number (1..3600 seconds)"}});
  CHECK_FALSE(has(v.errors, 2, "the Ike block has no"));

  // The ranges' ends are fine; unix:// is kept.
  const auto e = parse_mnd_config(lines({"Interface eth0;", "Ike { ViciSocket \"unix:///run/c.vici\"; Identity i;",
                                         "Certificate /c; PrivateKey /k; CaCertificate /ca;",
                                         "DpdDelay 3600; IkeTimeout 120; };"}));
  REQUIRE_OK(e);
  CHECK(e.config->ike.vici_socket == "unix:///run/c.vici");
  CHECK(e.config->ike.dpd_delay_s == 3600);
  CHECK(e.config->ike.ike_timeout == seconds(120));
  const auto lo = parse_mnd_config(secure("Interface eth0;\n").insert(0, "Ike { };\n"));
  check_errors(lo, {{3, "an Ike block is already configured on line 1: one Ike block per file"}});
}

TEST_CASE("mnd.conf Ike block: structure, duplicates and misplaced keywords", "[mnconf]") {
  const auto r = parse_mnd_config(lines({
      "Interface eth0;",                          // 1
      "Ike;",                                     // 2
      "Identity x;",                              // 3
      "Ike {",                                    // 4
      "    Identiy x;",                           // 5
      "    RcoaPool 2001:db8::1-2001:db8::2;",    // 6
      "    AuthorizedIdentity x;",                // 7
      "    MapIdentity \"*.map.example.net\" { };",  // 8
      "MapSelection furthest;",                   // 9: '}' missing
  }));
  check_errors(r, {{2, "Ike needs a { ... } block"},
                   {3, "'Identity' is not valid in mnd.conf; it belongs in an Ike block"},
                   {5, "unknown keyword 'Identiy' in an Ike block; did you mean 'Identity'?"},
                   {6, "'RcoaPool' is a keyword of mapd.conf(5), not of this file"},
                   {7, "'AuthorizedIdentity' is a keyword of mapd.conf(5)"},
                   {8, "blocks nested too deeply"},
                   {9, "missing '}' before 'MapSelection'"}});

  const auto d = parse_mnd_config(lines({
      "Interface eth0;",                                  // 1
      "Ike {",                                            // 2
      "    Identity a; Identity mn1@mn.example.net;",     // 3
      "    Certificate /c; Certificate /c2;",             // 4
      "    PrivateKey /k;",                               // 5
      "    CaCertificate /ca.pem /ca.pem;",               // 6
      "    MapIdentity a; MapIdentity b;",                // 7
      "    IkeTimeout 3; IkeTimeout 4;",                  // 8
      "    ViciSocket /a; ViciSocket /b;",                // 9
      "};",
  }));
  REQUIRE_OK(d);
  check_warnings(d, {{3, "Identity is already set on line 3; this later value replaces it"},
                     {4, "Certificate is already set on line 4"},
                     {6, "CaCertificate '/ca.pem' is already listed on line 6"},
                     {7, "MapIdentity is already set on line 7"},
                     {8, "IkeTimeout is already set on line 8"},
                     {9, "ViciSocket is already set on line 9"}});
  CHECK(d.config->ike.identity == "mn1@mn.example.net");
  CHECK(d.config->ike.certificate == "/c2");
  CHECK(d.config->ike.ca_certificates.size() == 1);
  CHECK(d.config->ike.map_identity == "b");
  CHECK(d.config->ike.ike_timeout == seconds(4));
  CHECK(d.config->ike.vici_socket == "unix:///b");
}

TEST_CASE("mnd.conf EapSecret: EAP instead of a certificate", "[mnconf][eap]") {
  const auto r = parse_mnd_config(lines({"Interface eth0;", "Ike {", "    Identity mn1@mn.example.net;",
                                         "    CaCertificate /ca.pem;", "    EapSecret \"/etc/hmip/mn1.eap\";", "};"}));
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
  CHECK(r.config->ike.eap_secret == "/etc/hmip/mn1.eap");
  CHECK(r.config->ike.certificate.empty());
  const auto back = parse_mnd_config(to_conf_text(*r.config));
  REQUIRE_OK(back);
  CHECK(back.config->ike.eap_secret == "/etc/hmip/mn1.eap");

  // A certificate beside it is unused; the MAP's CA is still needed.
  const auto both = parse_mnd_config(lines({"Interface eth0;", "Ike {", "    Identity mn1@mn.example.net;",
                                            "    Certificate /c.pem;", "    EapSecret /s;", "};"}));
  check_errors(both, {{2, "the Ike block has no CaCertificate"}});
  check_warnings(both, {{4, "Certificate is not used: with EapSecret the mobile node authenticates by EAP"}});
  // Without EapSecret the certificate and key are needed.
  const auto none = parse_mnd_config(lines({"Interface eth0;", "Ike {", "    Identity mn1@mn.example.net;",
                                            "    CaCertificate /ca.pem;", "};"}));
  check_errors(none, {{2, "the Ike block has no Certificate"}, {2, "the Ike block has no PrivateKey"}});
  const auto wrong = parse_mnd_config(secure("Interface eth0;\n").insert(0, "Ike { EapSecrets /x; };\n"));
  CHECK(std::any_of(wrong.errors.begin(), wrong.errors.end(), [](const auto& e) {
    return e.message.find("'EapSecrets' is a keyword of mapd.conf(5)") != std::string::npos;
  }));
}
