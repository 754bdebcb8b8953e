// Fuzzes the mapd.conf parser: any text gives either a configuration or a
// list of errors with line numbers, never a crash; a configuration is never
// returned together with errors, and a configuration written back as text
// (to_conf_text) parses again without errors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hmip/map/config_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = hmip::map::parse_mapd_config(text);
  if (r.ok() == !r.errors.empty()) std::abort();
  for (const auto& e : r.errors)
    if (e.line < 0 || e.column < 0) std::abort();
  if (r.ok() && !hmip::map::parse_mapd_config(hmip::map::to_conf_text(*r.config)).ok()) std::abort();
  return 0;
}
