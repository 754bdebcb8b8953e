// The entry points every configuration parser of hmip has (ard.conf,
// mapd.conf, mnd.conf: parse_*_config, load_*_config, format_diagnostics,
// check_config_text), written once over the parser's ParseResult and its
// statement translator.
//
// A ParseResult has `std::optional<Config> config`, `errors` and `warnings`
// (vectors of ConfigError) and ok(). A translator is
//   Config read(std::string_view text, ParseResult& r, std::vector<FileRef>* files)
// reporting into `r` in the order found and, when `files` is given, listing
// there the files the configuration names (for --check-config).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_reader.h"

namespace hmip::core::conf {

/// What the mapd.conf and mnd.conf translators share: the readers, the
/// configuration being built (`cfg_`) and where its values came from
/// (`src_`, a Sources with the Ike block's `ike`, IkeSources).
template <class Result, class Config, class Sources>
class ConfigTranslator : public StatementReader {
 public:
  explicit ConfigTranslator(Result& r) : StatementReader(r.errors, r.warnings) {}

  Config take() { return std::move(cfg_); }
  /// The files the Ike block names, in the file's order.
  [[nodiscard]] const std::vector<FileRef>& files() const { return src_.ike.files; }

 protected:
  Config cfg_;
  Sources src_;
};

/// A translator's read: a `T` (a ConfigTranslator with run(text)) over
/// `text`, reporting into `r`; the files the configuration names go to
/// `files` if given.
template <class T, class Result>
auto translate(std::string_view text, Result& r, std::vector<FileRef>* files) {
  T t(r);
  t.run(text);
  if (files != nullptr) *files = t.files();
  return t.take();
}

/// "path:line:col: error: ..." for each error, then the warnings.
std::vector<std::string> format_diagnostics(std::string_view path, std::span<const ConfigError> errors,
                                            std::span<const ConfigError> warnings);

/// The last line of --check-config: "PATH: OK, SUMMARY", or the counts of
/// errors and warnings.
std::string check_verdict(const std::string& path, std::size_t errors, std::size_t warnings,
                          const std::string& summary);

/// Sorts and cuts the diagnostics of `r` (finish_diagnostics); the config is
/// set only when there are no errors.
template <class Result, class Config>
void finish_parse(Result& r, Config&& cfg) {
  finish_diagnostics(r.errors, "errors");
  finish_diagnostics(r.warnings, "warnings");
  if (r.errors.empty()) r.config = std::forward<Config>(cfg);
}

/// Parses and validates `text` with `read`.
template <class Result, class Read>
Result parse_config(std::string_view text, const Read& read) {
  Result r;
  auto cfg = read(text, r, nullptr);
  finish_parse(r, std::move(cfg));
  return r;
}

/// Reads the file at `path` into `text`; a file that cannot be read (or is
/// larger than kMaxConfigFileSize) is one line-0 error in `r`: false.
template <class Result>
bool read_config(const std::string& path, std::string& text, Result& r) {
  auto e = read_config_file(path, text);
  if (!e) return true;
  r.errors.push_back(ConfigError{0, 0, std::move(*e)});
  return false;
}

/// Reads the file at `path` and parses it with `read`.
template <class Result, class Read>
Result load_config(const std::string& path, const Read& read) {
  std::string text;
  if (Result r; !read_config(path, text, r)) return r;
  return parse_config<Result>(text, read);
}

/// --check-config: loads `path` with `read`; when `files_in_effect(config)`
/// (an Ike block that is not overridden by insecure signalling) the files
/// the configuration names are checked too (check_files). Returns the
/// diagnostics and a verdict line (check_verdict, with `summary(config)`);
/// `exit_status` is 0 if the file is good, else 1.
template <class Result, class Read, class FilesInEffect, class Summary>
std::vector<std::string> check_config(const std::string& path, int& exit_status, const Read& read,
                                      const FilesInEffect& files_in_effect, const Summary& summary) {
  Result r;
  std::string text;
  if (read_config(path, text, r)) {
    std::vector<FileRef> files;
    auto cfg = read(text, r, &files);
    if (files_in_effect(cfg)) check_files(files, r.errors);
    finish_parse(r, std::move(cfg));
  }
  std::vector<std::string> out = format_diagnostics(path, r.errors, r.warnings);
  out.push_back(check_verdict(path, r.errors.size(), r.warnings.size(), r.ok() ? summary(*r.config) : std::string()));
  exit_status = r.ok() ? 0 : 1;
  return out;
}

}  // namespace hmip::core::conf
