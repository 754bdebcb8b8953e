// bench_map_kernel: MapAgent (lib/map) driving the REAL kernel through
// kglue::NetlinkDataplane (Tags::mapd()), for N simulated mobile nodes.
// Per N it measures, in wall-clock time, MapAgent + kernel together:
//   new/s      first BU of each MN: ip6tnl + route + proxy entry + route2
//              state + SUB policy created (InstallBinding create)
//   refresh/s  same LCoA again: no kernel change (the core installs nothing)
//   move/s     new LCoA: tunnel remote changed in place, state updated
//              (InstallBinding move)
//   dereg/s    BU with lifetime 0: everything removed (RemoveBinding)
//   flush s    N bindings created again, then NetlinkDataplane::flush()
//              (mapd's remove-everything on SIGTERM) timed: seconds for
//              all N (issue 13 item 16; systemd's TimeoutStopSec must
//              cover it: daemons/mapd/mapd.service.in)
// and the kernel memory per binding from /proc/meminfo deltas taken around
// the "new" phase (Slab, Percpu, and MemTotal - MemFree - Buffers - Cached
// minus this process's malloc growth), plus this process's malloc growth
// (mallinfo2: MapAgent + NetlinkDataplane mirror + libnl). BAs are counted,
// not sent (no MH socket: this measures the binding path, not signalling).
//
// Needs root and a kernel with ip6_tunnel and IPv6 MIP6 (the distro-kernel
// VM on this project's hosts), in a FRESH network namespace holding a link
// "map0" (up, with the MAP address 2001:db8:100::1/64; it carries the RCoA
// proxy entries): scripts/bench/map-kernel.sh sets that up with `unshare -n`
// inside scripts/vm-run.sh. Every kernel object is removed again at the end.
//
// Usage: bench_map_kernel [--routed] [--one-by-one] [--teardown-only] [N ...]   (default 1000 2000 5000)
//   --routed      RCoA prefix without interface: no proxy ND entries
//   --one-by-one  tunnels without a device group: flush() deletes them one
//                 request each (the teardown before issue 13 item 16)
//   --teardown-only  only "new" and "flush s" (refresh, move and dereg are
//                    skipped, printed as 0): the shutdown figure at a
//                    fraction of the emulated time
// Exit status: 0 when every size ran and its checks held, 1 otherwise.
#include <malloc.h>
#include <net/if.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/map/map_agent.h"
#include "map_driver.h"

namespace {

using namespace hmip;
using namespace hmip::map;
using WallClock = std::chrono::steady_clock;

const Ip6Addr kMap = Ip6Addr::must("2001:db8:100::1");
constexpr const char* kLink = "map0";

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

MapdConfig bench_config(bool routed) {
  MapdConfig c;
  c.map_address = kMap;
  RcoaPrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:100::/64");
  p.interface = routed ? "" : kLink;
  c.rcoa_prefixes.push_back(p);
  c.lcoa_prefixes = {*Ip6Prefix::parse("2001:db8:1::/48")};
  c.max_binding_lifetime = 600;
  c.dad = false;  // DAD only delays the first BA; it has no kernel cost here
  c.insecure.enabled = true;
  c.insecure.trusted_prefixes = {*Ip6Prefix::parse("2001:db8::/32")};
  return c;
}

ReceivedMh bu(std::uint32_t i, std::uint8_t ar, std::uint16_t seq, std::uint16_t lifetime) {
  wire::BindingUpdate b;
  b.sequence = seq;
  b.ack = true;
  b.map_registration = true;
  b.lifetime = lifetime;
  return ReceivedMh{rcoa_of(i), kMap, lcoa_of(i, ar), b};
}

using Driver = bench::MapDriver;

/// /proc/meminfo in bytes, by field name.
std::map<std::string, std::int64_t> meminfo() {
  std::map<std::string, std::int64_t> m;
  std::ifstream f("/proc/meminfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string key;
    std::int64_t kb = 0;
    if (in >> key >> kb && !key.empty()) m[key.substr(0, key.size() - 1)] = kb * 1024;
  }
  return m;
}
std::int64_t kernel_used(std::map<std::string, std::int64_t>& m) {
  return m["MemTotal"] - m["MemFree"] - m["Buffers"] - m["Cached"];
}
std::int64_t heap_bytes() { return static_cast<std::int64_t>(mallinfo2().uordblks); }

/// Network interfaces whose name starts with `prefix`.
std::size_t links_named(const char* prefix) {
  std::size_t n = 0;
  struct if_nameindex* all = if_nameindex();
  if (!all) return 0;
  for (const struct if_nameindex* p = all; p->if_index != 0; ++p)
    if (std::strncmp(p->if_name, prefix, std::strlen(prefix)) == 0) ++n;
  if_freenameindex(all);
  return n;
}

/// This process's user and system CPU time, in microseconds. System time
/// includes the kernel's work done in our netlink sendmsg/recvmsg calls;
/// waits (RCU grace periods, locks) count as neither.
struct CpuTime {
  double user_us = 0, sys_us = 0;
};
CpuTime cpu_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  return {us(u.ru_utime), us(u.ru_stime)};
}

double per_second(std::uint64_t n, WallClock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

struct Row {
  std::uint32_t n = 0;
  double new_per_s = 0, refresh_per_s = 0, move_per_s = 0, dereg_per_s = 0;
  double flush_s = 0;  ///< wall seconds of flush() with N bindings
  double slab = 0, percpu = 0, used = 0, heap = 0, slab_left = 0;  // bytes per binding
  std::vector<CpuTime> cpu;  ///< per phase (new, refresh, move, dereg): CPU per BU
  std::vector<double> wall_us;  ///< per phase: wall time per BU
  bool consistent = false;
  std::string why;
};

Row run(std::uint32_t n, bool routed, bool one_by_one, bool teardown_only, int proxy_ifindex) {
  Row r;
  r.n = n;
  std::vector<ReceivedMh> first, refresh, move, dereg, again;
  for (std::uint32_t i = 0; i < n; ++i) {
    first.push_back(bu(i, 1, 1, 150));
    refresh.push_back(bu(i, 1, 2, 150));
    move.push_back(bu(i, 2, 3, 150));
    dereg.push_back(bu(i, 2, 4, 0));
    again.push_back(bu(i, 1, 5, 150));
  }
  const MapdConfig cfg = bench_config(routed);
  kglue::NetlinkDataplane::Options o;
  o.tags = kglue::Tags::mapd();
  if (one_by_one) o.tags.link_group = 0;
  o.rcoa_prefixes = {cfg.rcoa_prefixes[0].prefix};
  if (!routed) o.proxy_links = {proxy_ifindex};
  kglue::NetlinkDataplane dp(o);
  if (auto st = dp.install_map_signalling({kMap, {}}); !st) {
    r.why = "install_map_signalling: " + dp.last_error();
    return r;
  }
  MapAgent agent(cfg, 1);
  Driver drv(dp, proxy_ifindex);
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  const auto step = std::chrono::microseconds(100);  // virtual time between BUs
  auto phase = [&](const std::vector<ReceivedMh>& bus) {
    const CpuTime c0 = cpu_now();
    const auto t = WallClock::now();
    for (const auto& m : bus) {
      now += step;
      agent.handle_mh(now, m);
      drv.run(agent, now);
    }
    const auto wall = WallClock::now() - t;
    const CpuTime c1 = cpu_now();
    r.cpu.push_back({(c1.user_us - c0.user_us) / n, (c1.sys_us - c0.sys_us) / n});
    r.wall_us.push_back(std::chrono::duration<double, std::micro>(wall).count() / n);
    return per_second(n, wall);
  };

  auto m0 = meminfo();
  const std::int64_t heap0 = heap_bytes();
  r.new_per_s = phase(first);
  auto m1 = meminfo();
  const std::int64_t heap_growth = heap_bytes() - heap0;
  const auto per = [n](std::int64_t d) { return static_cast<double>(d) / n; };
  r.slab = per(m1["Slab"] - m0["Slab"]);
  r.percpu = per(m1["Percpu"] - m0["Percpu"]);
  r.used = per(kernel_used(m1) - kernel_used(m0) - heap_growth);
  r.heap = per(heap_growth);
  const std::size_t links_after_new = links_named("hmipm");

  std::uint64_t refresh_installs = 0;
  if (!teardown_only) {
    now += std::chrono::seconds(100);
    const std::uint64_t installs_before_refresh = drv.installs;
    r.refresh_per_s = phase(refresh);
    refresh_installs = drv.installs - installs_before_refresh;
    r.move_per_s = phase(move);
    r.dereg_per_s = phase(dereg);
    auto m2 = meminfo();
    r.slab_left = per(m2["Slab"] - m0["Slab"]);
    // N bindings again for the teardown.
    (void)phase(again);
    r.cpu.pop_back();
    r.wall_us.pop_back();
  }

  // Teardown: what mapd does on SIGTERM.
  const std::size_t links_before_flush = links_named("hmipm");
  const auto t_flush = WallClock::now();
  const auto flushed = dp.flush();
  r.flush_s = std::chrono::duration<double>(WallClock::now() - t_flush).count();

  const auto& c = agent.counters();
  std::ostringstream why;
  if (drv.failures) why << drv.failures << " dataplane failures, first: " << drv.first_error << "; ";
  if (links_after_new != n) why << links_after_new << " hmipm links after new, want " << n << "; ";
  if (refresh_installs != 0) why << refresh_installs << " installs on refresh; ";
  const std::uint64_t full = teardown_only ? 0 : n;  // phases skipped with --teardown-only
  if (c.bindings_created != n + full || c.bindings_moved != full || c.bindings_refreshed != full ||
      c.deregistrations != full)
    why << "counters created/moved/refreshed/dereg " << c.bindings_created << "/" << c.bindings_moved << "/"
        << c.bindings_refreshed << "/" << c.deregistrations << "; ";
  if (drv.installs != n + 2 * full || drv.removes != full || drv.bas != n + 4 * full)
    why << "installs/removes/BAs " << drv.installs << "/" << drv.removes << "/" << drv.bas << "; ";
  if (links_before_flush != n) why << links_before_flush << " hmipm links before flush, want " << n << "; ";
  if (!flushed) why << "flush: " << dp.last_error() << "; ";
  if (dp.map_binding_count() != 0 || dp.tunnel_count() != 0) why << "bindings left; ";
  if (const std::size_t left = links_named("hmipm"); left != 0) why << left << " hmipm links left; ";
  r.why = why.str();
  r.consistent = r.why.empty();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool routed = false;
  bool one_by_one = false;
  bool teardown_only = false;
  std::vector<std::uint32_t> sizes;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--routed") == 0) {
      routed = true;
      continue;
    }
    if (std::strcmp(argv[i], "--one-by-one") == 0) {
      one_by_one = true;
      continue;
    }
    if (std::strcmp(argv[i], "--teardown-only") == 0) {
      teardown_only = true;
      continue;
    }
    char* end = nullptr;
    const unsigned long v = std::strtoul(argv[i], &end, 10);
    if (!end || *end != '\0' || v == 0 || v > 0xFFFFFF) {
      std::fprintf(stderr, "usage: bench_map_kernel [--routed] [--one-by-one] [--teardown-only] [N ...]  (N in 1..16777215)\n");
      return 2;
    }
    sizes.push_back(static_cast<std::uint32_t>(v));
  }
  if (sizes.empty()) sizes = {1000, 2000, 5000};
  const int proxy_ifindex = static_cast<int>(if_nametoindex(kLink));
  if (!routed && proxy_ifindex == 0) {
    std::fprintf(stderr, "bench_map_kernel: no link %s here (scripts/bench/map-kernel.sh sets it up)\n", kLink);
    return 2;
  }
  std::printf("MapAgent + NetlinkDataplane on the real kernel (%s), wall-clock rates, %s, flush %s\n",
              routed ? "routed RCoA prefix" : "proxy ND on map0", "BAs counted, not sent",
              one_by_one ? "one device at a time" : "one group delete");
  std::printf("%6s %9s %10s %9s %9s %8s | %12s %12s %12s %12s %12s | %s\n", "MNs", "new/s", "refresh/s", "move/s",
              "dereg/s", "flush s", "slab B/bind", "percpu B/b", "kernel B/b", "heap B/b", "slab left/b", "check");
  bool all_ok = true;
  for (auto n : sizes) {
    Row r;
    try {
      r = run(n, routed, one_by_one, teardown_only, proxy_ifindex);
    } catch (const std::exception& e) {
      r.n = n;
      r.why = e.what();
    }
    all_ok = all_ok && r.consistent;
    std::printf("%6u %9.0f %10.0f %9.0f %9.0f %8.2f | %12.0f %12.0f %12.0f %12.0f %12.0f | %s\n", r.n, r.new_per_s,
                r.refresh_per_s, r.move_per_s, r.dereg_per_s, r.flush_s, r.slab, r.percpu, r.used, r.heap, r.slab_left,
                r.consistent ? "ok" : ("MISMATCH: " + r.why).c_str());
    if (r.cpu.size() == 4 && !teardown_only) {
      std::printf("%6s per BU, us wall / user / sys:", "");
      const char* names[] = {"new", "refresh", "move", "dereg"};
      for (std::size_t i = 0; i < 4; ++i)
        std::printf("  %s %.0f/%.0f/%.0f", names[i], r.wall_us[i], r.cpu[i].user_us, r.cpu[i].sys_us);
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  return all_ok ? 0 : 1;
}
