#include "hmip/core/conf_parse.h"

namespace hmip::core::conf {

std::vector<std::string> format_diagnostics(std::string_view path, std::span<const ConfigError> errors,
                                            std::span<const ConfigError> warnings) {
  std::vector<std::string> out;
  out.reserve(errors.size() + warnings.size());
  for (const auto& e : errors) out.push_back(format_diagnostic(path, e, "error"));
  for (const auto& w : warnings) out.push_back(format_diagnostic(path, w, "warning"));
  return out;
}

std::string check_verdict(const std::string& path, std::size_t errors, std::size_t warnings,
                          const std::string& summary) {
  if (errors == 0) return path + ": OK, " + summary;
  return path + ": " + std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") + std::to_string(warnings) +
         (warnings == 1 ? " warning" : " warnings");
}

}  // namespace hmip::core::conf
