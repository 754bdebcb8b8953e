#include "hmip/io/xfrm_stat.h"

#include <fstream>
#include <iterator>
#include <sstream>

namespace hmip::io {

std::map<std::string, std::uint64_t> parse_xfrm_stat(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  std::istringstream in{std::string(text)};
  std::string name;
  std::string value;
  while (in >> name >> value) {
    if (name.rfind("Xfrm", 0) != 0 || value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
      continue;
    try {
      out[name] = std::stoull(value);
    } catch (const std::out_of_range&) {
      continue;
    }
  }
  return out;
}

std::map<std::string, std::uint64_t> read_xfrm_stat() {
  std::ifstream f("/proc/net/xfrm_stat");
  if (!f) return {};
  return parse_xfrm_stat(std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()));
}

}  // namespace hmip::io
