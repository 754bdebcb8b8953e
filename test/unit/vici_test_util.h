// What the unit tests' fake charons share: a listening UNIX stream socket
// (charon.vici) in a temporary directory of its own, removed at the end.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <string>

#include "hmip/io/fd.h"

namespace hmip::test_vici {

class ViciSocketDir {
 public:
  ViciSocketDir(const std::string& tag, int backlog) {
    dir_ = std::filesystem::temp_directory_path() /
           ("hmip-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "charon.vici").string();
    listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path_.c_str(), sizeof(sa.sun_path) - 1);
    REQUIRE(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    REQUIRE(::listen(listen_.get(), backlog) == 0);
  }
  ~ViciSocketDir() { std::filesystem::remove_all(dir_); }
  ViciSocketDir(const ViciSocketDir&) = delete;
  ViciSocketDir& operator=(const ViciSocketDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] int listen_fd() const { return listen_.get(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string path_;
  io::UniqueFd listen_;
};

}  // namespace hmip::test_vici
