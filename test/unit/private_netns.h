// A private network namespace for the calling thread for one test's scope:
// tests that open raw sockets on loopback (MH, where every raw socket sees
// every packet of its protocol) count exactly what they sent, so they must
// not see the datagrams of another test ctest runs at the same time.
//
// unshare(CLONE_NEWNET) moves only the calling thread; the destructor moves
// it back (setns), and sockets opened meanwhile stay in the private
// namespace, which goes away with the last of them. Needs CAP_SYS_ADMIN:
// without it ok() is false and the test says so (as it does without
// CAP_NET_RAW) and checks nothing else.
#pragma once

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hmip::test {

class PrivateNetns {
 public:
  PrivateNetns() {
    home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_ < 0) {
      error_ = std::string("open /proc/thread-self/ns/net: ") + std::strerror(errno);
      return;
    }
    if (::unshare(CLONE_NEWNET) != 0) {
      error_ = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    moved_ = true;
    // A new namespace's loopback is down: ::1 needs it up.
    const int s = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    if (up) {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
      up = ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    }
    if (!up) error_ = std::string("loopback up: ") + std::strerror(errno);
    if (s >= 0) ::close(s);
  }
  ~PrivateNetns() {
    if (moved_) (void)::setns(home_, CLONE_NEWNET);
    if (home_ >= 0) ::close(home_);
  }
  PrivateNetns(const PrivateNetns&) = delete;
  PrivateNetns& operator=(const PrivateNetns&) = delete;

  [[nodiscard]] bool ok() const { return moved_ && error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  int home_ = -1;
  bool moved_ = false;
  std::string error_;
};

}  // namespace hmip::test
