// Writing the IPv6 sysctls a MAP needs, through /proc/sys (no fork of
// sysctl(8)), remembering the previous values so they can be restored.
#pragma once

#include <map>
#include <string>

#include "hmip/wire/result.h"

namespace hmip::kglue::detail {

class SysctlSetter {
 public:
  /// `root` is normally "/proc/sys" (tests point it at a directory of files).
  explicit SysctlSetter(std::string root = "/proc/sys") : root_(std::move(root)) {}
  /// Restores every value this instance changed (restore()).
  ~SysctlSetter() { restore(); }
  SysctlSetter(const SysctlSetter&) = delete;
  SysctlSetter& operator=(const SysctlSetter&) = delete;

  /// Writes `value` to root/`key` ("net/ipv6/conf/eth0/proxy_ndp"); the first
  /// time a key is set, its old value is kept for restore(). Error if the
  /// file cannot be read or written (errno in the offset, text in `detail`).
  wire::Status set(const std::string& key, const std::string& value, std::string& detail);
  /// Puts every changed key back to its old value, best effort; forgets them.
  void restore();
  /// Reads root/`key` without the trailing newline; nullopt-like empty on error.
  [[nodiscard]] std::string get(const std::string& key) const;

 private:
  std::string root_;
  std::map<std::string, std::string> saved_;
};

}  // namespace hmip::kglue::detail
