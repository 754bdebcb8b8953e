// The link watcher's cost per netlink notification (issue 13 item 10):
// N links appear (RTM_NEWLINK) and get a link-local and a global address
// (2 RTM_NEWADDR each), as when N per-binding tunnels are created.
//   incremental: LinkState::apply_message, what LinkWatcher does now;
//   re-read:     what it did before: after every notification, a snapshot
//                of every link (a copy of the table here, cheaper than the
//                libnl cache walk it stands for) and diff_links against the
//                previous one.
// Prints microseconds per notification; no asserts on time.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hmip/io/link_state.h"
#include "nl_test_util.h"

using namespace hmip;

namespace {

std::vector<wire::Bytes> messages(int n) {
  std::vector<wire::Bytes> out;
  for (int i = 0; i < n; ++i) {
    const int idx = 10 + i;
    out.push_back(nltest::link_msg({.ifindex = idx, .name = "hmip" + std::to_string(i)}));
    Ip6Addr ll = Ip6Addr::must("fe80::");
    Ip6Addr g = Ip6Addr::must("2001:db8::");
    ll.b[14] = g.b[14] = static_cast<std::uint8_t>(i >> 8);
    ll.b[15] = g.b[15] = static_cast<std::uint8_t>(i);
    out.push_back(nltest::addr_msg({.ifindex = idx, .addr = ll}));
    out.push_back(nltest::addr_msg({.ifindex = idx, .addr = g}));
  }
  return out;
}

double us_per_msg(std::chrono::steady_clock::duration d, std::size_t n) {
  return std::chrono::duration<double, std::micro>(d).count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {100, 1000, 2000, 10000};
  std::printf("%8s %12s %16s %16s\n", "links", "messages", "incremental us", "re-read us");
  for (int n : sizes) {
    const auto msgs = messages(n);
    io::LinkState s;
    std::size_t changes = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& m : msgs) {
      bool bad = false;
      changes += s.apply_message(m, bad) ? 1 : 0;
    }
    const auto inc = std::chrono::steady_clock::now() - t0;
    if (changes != msgs.size() || s.links().size() != static_cast<std::size_t>(n)) {
      std::fprintf(stderr, "inconsistent: %zu changes, %zu links\n", changes, s.links().size());
      return 1;
    }
    std::string reread = "(skipped)";
    if (n <= 2000) {
      io::LinkState live;
      io::LinkTable before;
      std::size_t reported = 0;
      t0 = std::chrono::steady_clock::now();
      for (const auto& m : msgs) {
        bool bad = false;
        (void)live.apply_message(m, bad);
        io::LinkTable now = live.links();  // the snapshot
        reported += io::diff_links(before, now).size();
        before = std::move(now);
      }
      const auto old = std::chrono::steady_clock::now() - t0;
      if (reported != msgs.size()) return 1;
      reread = std::to_string(us_per_msg(old, msgs.size()));
    }
    std::printf("%8d %12zu %16.3f %16s\n", n, msgs.size(), us_per_msg(inc, msgs.size()), reread.c_str());
  }
  return 0;
}
