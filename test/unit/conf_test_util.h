// What the configuration parser tests (test_ar_config.cpp,
// test_map_config.cpp, test_mn_config.cpp) share: building a file from lines,
// finding an expected diagnostic, and the files --check-config opens.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/conf_lexer.h"

namespace hmip::test_conf {

using core::conf::ConfigError;

// Joins lines with '\n': the first string is line 1, so tests read naturally.
inline std::string lines(std::initializer_list<std::string_view> ls) {
  std::string out;
  for (auto l : ls) {
    out += l;
    out += '\n';
  }
  return out;
}

inline std::string dump(const std::vector<ConfigError>& v) {
  std::string out;
  for (const auto& e : v) out += "  " + e.str() + " (col " + std::to_string(e.column) + ")\n";
  return out;
}

// True if `v` has a diagnostic on `line` whose message contains `needle`.
inline bool has(const std::vector<ConfigError>& v, int line, std::string_view needle) {
  return std::any_of(v.begin(), v.end(), [&](const ConfigError& e) {
    return e.line == line && e.message.find(needle) != std::string::npos;
  });
}

// One diagnostic a test expects: on `line`, a message containing `needle`.
struct Expect {
  int line;
  std::string_view needle;
};

// The parse failed, with an error for each of `want`.
template <class Result>
void check_errors(const Result& r, std::initializer_list<Expect> want) {
  INFO("errors:\n" << dump(r.errors));
  CHECK_FALSE(r.ok());
  for (const auto& w : want) {
    INFO("expected an error on line " << w.line << " containing: " << w.needle);
    CHECK(has(r.errors, w.line, w.needle));
  }
}

// A warning for each of `want`.
template <class Result>
void check_warnings(const Result& r, std::initializer_list<Expect> want) {
  INFO("warnings:\n" << dump(r.warnings));
  for (const auto& w : want) {
    INFO("expected a warning on line " << w.line << " containing: " << w.needle);
    CHECK(has(r.warnings, w.line, w.needle));
  }
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// A directory with the files an Ike block names (for check_config_text,
// which opens them): `own_pem` (the node's certificate, "map1.pem"),
// key.pem and ca.pem with some PEM-ish text. `tag` names the directory
// ("mapd": hmip_test_mapd_pem.PID).
class PemDir {
 public:
  PemDir(std::string_view tag, const char* own_pem)
      : dir_(std::filesystem::temp_directory_path() /
             ("hmip_test_" + std::string(tag) + "_pem." + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    for (const char* f : {own_pem, "key.pem", "ca.pem"}) write_file(path(f), "-----BEGIN CERTIFICATE-----\n");
  }
  ~PemDir() { std::filesystem::remove_all(dir_); }
  PemDir(const PemDir&) = delete;
  PemDir& operator=(const PemDir&) = delete;
  PemDir(PemDir&&) = delete;
  PemDir& operator=(PemDir&&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::string path(const char* f) const { return (dir_ / f).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace hmip::test_conf

// The parse succeeded (else the errors are shown).
#define REQUIRE_OK(r)                      \
  do {                                     \
    INFO("errors:\n" << hmip::test_conf::dump((r).errors)); \
    REQUIRE((r).ok());                     \
  } while (0)
