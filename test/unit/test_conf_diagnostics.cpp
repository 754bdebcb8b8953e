// Configuration diagnostics the three daemons share: they never carry raw
// bytes from the file (what they print for a file full of binary garbage is
// safe for a terminal and the journal), and a block left open at the end of
// the file is reported first, without the whole-file checks it would make
// fail (issue 13 item 22).
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "hmip/ar/config_parse.h"
#include "hmip/core/conf_lexer.h"
#include "hmip/map/config_parse.h"
#include "hmip/mn/config_parse.h"

namespace conf = hmip::core::conf;

namespace {

// Every byte printable ASCII, or part of a UTF-8 sequence printable() keeps.
bool clean(std::string_view s) { return conf::printable(s) == s; }

// Bytes 0x00-0xff in a file the parsers must survive, with a few statements
// around them so the garbage lands in keywords, values and strings.
std::string garbage_file() {
  std::string g = "InsecureTestbedSignalling yes;\n";
  for (int i = 0; i < 256; ++i) {
    g += static_cast<char>(i);
    if (i % 16 == 15) g += " \"s\x01\xff\" x;\n";
  }
  g += "Interface \xe2\x80\xae\xc0\xaf {\n  \x1b[31m 1;\n";  // RLO, overlong '/', ESC; no '}'
  return g;
}

}  // namespace

TEST_CASE("printable keeps text and visible UTF-8, escapes everything else", "[conf]") {
  CHECK(conf::printable("MapAddress 2001:db8::1;") == "MapAddress 2001:db8::1;");
  CHECK(conf::printable("RFC 5380 \xc2\xa7" "12.1, Jos\xc3\xa9, \xf0\x9f\x98\x80") ==
        "RFC 5380 \xc2\xa7" "12.1, Jos\xc3\xa9, \xf0\x9f\x98\x80");
  CHECK(conf::printable(std::string_view("a\0b", 3)) == "a\\x00b");
  CHECK(conf::printable("\x01\x1b[31m\x7f") == "\\x01\\x1b[31m\\x7f");
  CHECK(conf::printable("\xff\xfe") == "\\xff\\xfe");
  CHECK(conf::printable("\xc0\xaf") == "\\xc0\\xaf");                 // overlong '/'
  CHECK(conf::printable("\xe0\x80\xaf") == "\\xe0\\x80\\xaf");        // overlong, 3 bytes
  CHECK(conf::printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");        // a surrogate
  CHECK(conf::printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  CHECK(conf::printable("\xc2\x85") == "\\xc2\\x85");                 // C1 NEL
  CHECK(conf::printable("\xe2\x80\xae") == "\\xe2\\x80\\xae");        // U+202E right-to-left override
  CHECK(conf::printable("\xe2\x80\x8b") == "\\xe2\\x80\\x8b");        // U+200B zero width space
  CHECK(conf::printable("\xef\xbb\xbf") == "\\xef\\xbb\\xbf");        // U+FEFF
  CHECK(conf::printable("\xe2\x82") == "\\xe2\\x82");                 // cut short
  CHECK(conf::printable("\xe2\x82\xac") == "\xe2\x82\xac");           // the euro sign stays
  CHECK(conf::printable("a\\x01") == "a\\x01");                       // already plain ASCII
}

TEST_CASE("excerpt cuts, then escapes", "[conf]") {
  CHECK(conf::excerpt("abcdef", 3) == "abc...");
  CHECK(conf::excerpt("\xff\xff\xff\xff", 2) == "\\xff\\xff...");
  CHECK(conf::excerpt("ab", 3) == "ab");
}

TEST_CASE("format_diagnostic escapes the file name and the message", "[conf]") {
  const conf::ConfigError e{3, 7, "unknown keyword '\xff\x1b[2J'"};
  CHECK(conf::format_diagnostic("/etc/\x07x.conf", e, "error") ==
        "/etc/\\x07x.conf:3:7: error: unknown keyword '\\xff\\x1b[2J'");
}

TEST_CASE("no daemon's diagnostics for a garbage file carry raw bytes", "[conf]") {
  const std::string text = garbage_file();
  const auto map = hmip::map::parse_mapd_config(text);
  const auto mn = hmip::mn::parse_mnd_config(text);
  const auto ar = hmip::ar::parse_ard_config(text);
  REQUIRE_FALSE(map.ok());
  REQUIRE_FALSE(mn.ok());
  REQUIRE_FALSE(ar.ok());
  std::size_t lines = 0;
  for (const auto& list : {hmip::map::format_diagnostics("m.conf", map), hmip::mn::format_diagnostics("n.conf", mn),
                           hmip::ar::format_diagnostics("a.conf", ar)}) {
    for (const auto& line : list) {
      INFO(line);
      CHECK(clean(line));
      ++lines;
    }
  }
  CHECK(lines > 30);
  // The raw messages themselves quote through excerpt(): clean before formatting too.
  for (const auto* errors : {&map.errors, &mn.errors, &ar.errors})
    for (const auto& e : *errors) {
      INFO(e.message);
      CHECK(clean(e.message));
    }
}

TEST_CASE("a block open at the end of the file is the first error, without follow-on whole-file errors", "[conf]") {
  // mapd: the RcoaPrefix block swallows the rest; without the fix the
  // whole-file checks listed "no LcoaPrefix" and friends (line 0) first.
  const auto map = hmip::map::parse_mapd_config(
      "InsecureTestbedSignalling yes;\nRcoaPrefix 2001:db8:1::/64 {\n  Interface up0;\n");
  REQUIRE(map.errors.size() == 1);
  CHECK(map.errors[0].line == 2);
  CHECK(map.errors[0].message.find("missing '}'") != std::string::npos);

  const auto mn = hmip::mn::parse_mnd_config("InsecureTestbedSignalling yes;\nIke {\n  Identity mn@example.net;\n");
  REQUIRE_FALSE(mn.errors.empty());
  CHECK(mn.errors[0].line == 2);
  CHECK(mn.errors[0].message.find("missing '}'") != std::string::npos);
  for (const auto& e : mn.errors) CHECK(e.line != 0);

  const auto ar = hmip::ar::parse_ard_config("interface acc0 {\n  AdvSendAdvert on;\n  prefix 2001:db8::/64 {\n");
  REQUIRE_FALSE(ar.errors.empty());
  CHECK(ar.errors[0].message.find("missing '}'") != std::string::npos);
  for (const auto& e : ar.errors) CHECK(e.line != 0);

  // A block the reader skips (nested too deep, or after a stray '{') that
  // never closes is reported too.
  std::vector<conf::ConfigError> errs;
  static constexpr std::string_view kw[] = {"a", "b"};
  conf::TreeOptions opt{kw, {}, 1};
  bool unclosed = false;
  (void)conf::read_statements("a {\n b {\n", opt, errs, &unclosed);
  CHECK(unclosed);
  bool reported = false;
  for (const auto& e : errs) reported = reported || e.message.find("not closed at the end of the file") != std::string::npos;
  CHECK(reported);
  errs.clear();
  unclosed = false;
  (void)conf::read_statements("a 1;\n", opt, errs, &unclosed);
  CHECK_FALSE(unclosed);
  CHECK(errs.empty());
}
