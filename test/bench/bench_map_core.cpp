// bench_map_core: MapAgent (lib/map) binding rate and memory for N simulated
// mobile nodes, in virtual time, through kernel-glue's RecordingDataplane
// (call log off: it keeps what is installed, as the netlink dataplane's
// mirror does), driven as mapd does (map_driver.h). Prints new bindings/s, refreshes/s, moves/s, expiries/s (wall
// clock) and heap bytes per binding (a counting global operator new, this
// executable only). Usage: bench_map_core [N ...] (default 1000 10000 100000).
#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <variant>
#include <vector>

#include "hmip/kglue/recording_dataplane.h"
#include "hmip/map/map_agent.h"
#include "map_driver.h"

namespace {

// Live heap bytes (malloc_usable_size of every block operator new handed out).
std::int64_t g_live_bytes = 0;  // NOLINT: bench-only global, single-threaded

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  g_live_bytes += static_cast<std::int64_t>(malloc_usable_size(p));
  return p;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  g_live_bytes -= static_cast<std::int64_t>(malloc_usable_size(p));
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace {

using namespace hmip;
using namespace hmip::map;
using WallClock = std::chrono::steady_clock;

const Ip6Addr kMap = Ip6Addr::must("2001:db8:100::1");

Ip6Addr rcoa_of(std::uint32_t i) {
  Ip6Addr a = Ip6Addr::must("2001:db8:100:0:1::");
  a.b[12] = static_cast<std::uint8_t>(i >> 24);
  a.b[13] = static_cast<std::uint8_t>(i >> 16);
  a.b[14] = static_cast<std::uint8_t>(i >> 8);
  a.b[15] = static_cast<std::uint8_t>(i);
  return a;
}
Ip6Addr lcoa_of(std::uint32_t i, std::uint8_t ar) {
  Ip6Addr a = rcoa_of(i);
  a.b[4] = 0;
  a.b[5] = 1;
  a.b[7] = ar;  // 2001:db8:1:AR::...
  return a;
}

MapdConfig bench_config() {
  MapdConfig c;
  c.map_address = kMap;
  RcoaPrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:100::/64");
  p.interface = "map0";
  c.rcoa_prefixes.push_back(p);
  c.lcoa_prefixes = {*Ip6Prefix::parse("2001:db8:1::/48")};
  c.max_binding_lifetime = 600;
  c.dad = false;  // DAD only delays the first BA by dad_timeout of virtual time
  c.insecure.enabled = true;
  c.insecure.trusted_prefixes = {*Ip6Prefix::parse("2001:db8::/32")};
  return c;
}

ReceivedMh bu(std::uint32_t i, std::uint8_t ar, std::uint16_t seq) {
  wire::BindingUpdate b;
  b.sequence = seq;
  b.ack = true;
  b.map_registration = true;
  b.lifetime = 150;
  return ReceivedMh{rcoa_of(i), kMap, lcoa_of(i, ar), b};
}

double per_second(std::uint64_t n, WallClock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

struct Row {
  std::uint32_t n = 0;
  double new_per_s = 0, refresh_per_s = 0, move_per_s = 0, expire_per_s = 0;
  double bytes_per_binding = 0;
  bool consistent = false;
};

Row run(std::uint32_t n) {
  Row r;
  r.n = n;
  kglue::RecordingDataplane rec;
  rec.set_recording(false);
  bench::MapDriver dp(rec, 7);
  std::vector<ReceivedMh> first, refresh, move;
  first.reserve(n);
  refresh.reserve(n);
  move.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    first.push_back(bu(i, 1, 1));
    refresh.push_back(bu(i, 1, 2));
    move.push_back(bu(i, 2, 3));
  }
  MapAgent agent(bench_config(), 1);
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  const auto step = std::chrono::microseconds(100);  // virtual time between BUs

  const std::int64_t heap0 = g_live_bytes;
  auto t = WallClock::now();
  for (const auto& m : first) {
    now += step;
    agent.handle_mh(now, m);
    dp.run(agent, now);
  }
  r.new_per_s = per_second(n, WallClock::now() - t);
  r.bytes_per_binding = static_cast<double>(g_live_bytes - heap0) / n;

  now += std::chrono::seconds(100);
  t = WallClock::now();
  for (const auto& m : refresh) {
    now += step;
    agent.handle_mh(now, m);
    dp.run(agent, now);
  }
  r.refresh_per_s = per_second(n, WallClock::now() - t);

  t = WallClock::now();
  for (const auto& m : move) {
    now += step;
    agent.handle_mh(now, m);
    dp.run(agent, now);
  }
  r.move_per_s = per_second(n, WallClock::now() - t);

  bool all_moved = agent.binding_count() == n && rec.map_bindings().size() == n;
  for (const auto& [key, b] : rec.map_bindings()) all_moved = all_moved && b.settings.lcoa.b[7] == 2;

  // Let every binding run through its BRRs and expire, one timer call per deadline.
  t = WallClock::now();
  while (auto next = agent.poll_timeout()) {
    now = *next;
    agent.handle_timeout(now);
    dp.run(agent, now);
  }
  r.expire_per_s = per_second(n, WallClock::now() - t);
  r.consistent = all_moved && agent.binding_count() == 0 && rec.map_bindings().empty() && dp.removes == n &&
                 dp.bas == 3ULL * n && dp.failures == 0 && agent.counters().bu_accepted == 3ULL * n;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint32_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10)));
  if (sizes.empty()) sizes = {1000, 10000, 100000};
  std::printf("MapAgent core, virtual time, RecordingDataplane (wall-clock rates; bytes include its mirror)\n");
  std::printf("%8s %12s %12s %12s %14s %14s %s\n", "MNs", "new/s", "refresh/s", "move/s", "expire+BRR/s",
              "bytes/binding", "check");
  for (auto n : sizes) {
    if (n == 0) continue;
    const Row r = run(n);
    std::printf("%8u %12.0f %12.0f %12.0f %14.0f %14.1f %s\n", r.n, r.new_per_s, r.refresh_per_s, r.move_per_s,
                r.expire_per_s, r.bytes_per_binding, r.consistent ? "ok" : "MISMATCH");
  }
  return 0;
}
