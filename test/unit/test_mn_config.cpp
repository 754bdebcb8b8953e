// mnd.conf: parser, validation and writer (man mnd.conf(5)).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>

#include "hmip/mn/config_parse.h"

using namespace hmip;
using namespace hmip::mn;
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

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kExamplePath = std::string(HMIP_SOURCE_DIR) + "/daemons/mnd/mnd.conf.example";

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

  const auto f = parse_mnd_config("Interface eth0; MapSelection FURTHEST;");
  REQUIRE_OK(f);
  CHECK(f.config->selection == MapSelection::furthest);
}

TEST_CASE("mnd.conf defaults are the model's", "[mnconf]") {
  const auto r = parse_mnd_config("Interface eth0;\n");
  REQUIRE_OK(r);
  CHECK(r.warnings.empty());
  MndConfig want;
  want.interfaces = {"eth0"};
  CHECK(*r.config == want);
}

TEST_CASE("the example mnd.conf parses without errors or warnings and round-trips", "[mnconf]") {
  const auto r = load_mnd_config(kExamplePath);
  REQUIRE_OK(r);
  INFO("warnings:\n" << dump(r.warnings));
  CHECK(r.warnings.empty());
  CHECK(r.config->interfaces.size() == 2);
  CHECK(config_summary(*r.config).find("2 interfaces (wlan0 eth0)") != std::string::npos);
  const std::string text = to_conf_text(*r.config);
  const auto back = parse_mnd_config(text);
  INFO(text);
  REQUIRE_OK(back);
  CHECK(*back.config == *r.config);

  MndConfig odd;
  odd.interfaces = {"a", "b"};
  odd.selection = MapSelection::highest_preference;
  odd.control_socket = "/run/with \"quote\" and \\ backslash";
  odd.initial_bindack_timeout_first_reg = milliseconds(1001);
  odd.solicit_on_link_change = false;
  odd.log_level = core::LogLevel::error;
  const auto o = parse_mnd_config(to_conf_text(odd));
  REQUIRE_OK(o);
  CHECK(*o.config == odd);
}

TEST_CASE("check_config_text is what mnd --check-config prints", "[mnconf]") {
  int status = -1;
  const auto ok = check_config_text(kExamplePath, status);
  CHECK(status == 0);
  REQUIRE(ok.size() == 1);
  CHECK(ok[0] == kExamplePath + ": OK, 2 interfaces (wlan0 eth0), MAP selection furthest (RFC 5380 §9.1), binding "
                                "lifetime 600 s");
  const auto bad = check_config_text("/nonexistent/mnd.conf", status);
  CHECK(status == 1);
  REQUIRE(bad.size() == 2);
  CHECK(bad[1] == "/nonexistent/mnd.conf: 1 error, 0 warnings");
}

TEST_CASE("mnd check_config_text: diagnostics in order, then the summary with the counts", "[mnconf]") {
  const auto path = (std::filesystem::temp_directory_path() / "hmip_test_mnd_check.conf").string();
  const auto write = [&](const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  };
  write(lines({"Interface eth0;",         // 1
               "RefreshPercent 91;",      // 2: out of range
               "BindingLifetim 600;",     // 3: unknown keyword
               "BindingLifetime 602;"}));  // 4: rounded up (warning)
  int status = -1;
  const auto bad = check_config_text(path, status);
  CHECK(status == 1);
  REQUIRE(bad.size() == 4);
  CHECK(bad[0].rfind(path + ":2:", 0) == 0);
  CHECK(bad[0].find(": error: ") != std::string::npos);
  CHECK(bad[1].rfind(path + ":3:", 0) == 0);
  CHECK(bad[1].find("did you mean 'BindingLifetime'?") != std::string::npos);
  CHECK(bad[2].rfind(path + ":4:", 0) == 0);
  CHECK(bad[2].find(": warning: ") != std::string::npos);
  CHECK(bad[3] == path + ": 2 errors, 1 warning");

  write(lines({"Interface eth0;", "BindingLifetime 602;"}));
  const auto warn = check_config_text(path, status);
  std::filesystem::remove(path);
  CHECK(status == 0);
  REQUIRE(warn.size() == 2);
  CHECK(warn[0].rfind(path + ":2:", 0) == 0);
  CHECK(warn[0].find("so 604 seconds are asked for") != std::string::npos);
  CHECK(warn[1] == path + ": OK, 1 interface (eth0), MAP selection furthest (RFC 5380 §9.1), binding lifetime 602 s");
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
  CHECK(format_diagnostics("x.conf", r).front().rfind("x.conf:1:1: error: ", 0) == 0);
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
