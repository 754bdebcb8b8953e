#include "proc_sysctl.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace hmip::kglue::detail {
namespace {

bool write_file(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  if (!f) return false;
  f << value << '\n';
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace

std::string SysctlSetter::get(const std::string& key) const {
  std::ifstream f(root_ + "/" + key);
  if (!f) return {};
  std::stringstream ss;
  ss << f.rdbuf();
  std::string v = ss.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

wire::Status SysctlSetter::set(const std::string& key, const std::string& value, std::string& detail) {
  const std::string path = root_ + "/" + key;
  std::ifstream probe(path);
  if (!probe) {
    const int e = errno != 0 ? errno : ENOENT;
    detail = "sysctl " + path + ": " + std::generic_category().message(e);
    return wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(e), "cannot read an IPv6 sysctl"};
  }
  probe.close();
  const std::string old = get(key);
  if (old == value) return wire::Ok{};
  if (!write_file(path, value)) {
    const int e = errno != 0 ? errno : EIO;
    detail = "sysctl " + path + " = " + value + ": " + std::generic_category().message(e);
    return wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(e), "cannot write an IPv6 sysctl"};
  }
  saved_.emplace(key, old);  // keeps the first old value if set twice
  return wire::Ok{};
}

void SysctlSetter::restore() {
  for (const auto& [key, old] : saved_) (void)write_file(root_ + "/" + key, old);
  saved_.clear();
}

}  // namespace hmip::kglue::detail
