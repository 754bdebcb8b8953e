// ard's sans-IO core (hmip/ar/access_router.h): RA timing (RFC 4861 §6.2.4-
// 6.2.6), RA contents, MAP probing and failure (RFC 5380 §10, 4140bis §10),
// dynamic MAP discovery and relaying (4140bis §7.1). Virtual time only: the
// simulation jumps to the earliest of the routers' poll_timeout() and its own
// queued deliveries; every Rng is seeded with a constant.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hmip/ar/access_router.h"
#include "hmip/wire/nd.h"

using namespace hmip;
using namespace hmip::ar;
using core::Duration;
using core::milliseconds;
using core::seconds;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

const TimePoint kT0 = TimePoint{} + hours(1);
const Ip6Addr kAllNodes = Ip6Addr::must("ff02::1");
const Ip6Addr kMap1 = Ip6Addr::must("2001:db8:100::1");
const Ip6Addr kMap2 = Ip6Addr::must("2001:db8:200::1");

Duration ms_between(TimePoint a, TimePoint b) { return std::chrono::duration_cast<Duration>(b - a); }

InterfaceConfig iface_cfg(std::string name) {
  InterfaceConfig c;
  c.name = std::move(name);
  c.max_interval = seconds(600);
  c.min_interval = seconds(200);
  return c;
}

MapConfig map_cfg(const Ip6Addr& a, bool probe = false) {
  MapConfig m;
  m.address = a;
  m.probe.enabled = probe;
  return m;
}

// A relaying router's interfaces: "up" only listens (no RAs of its own), to
// the upstream router fe80::1; "down" advertises `own` and relays what "up"
// learned.
ArdConfig listen_up_relay_down(std::vector<MapConfig> own = {}) {
  auto up = iface_cfg("up");
  up.send_advert = false;
  up.map_listen = true;
  up.map_upstream = {Ip6Addr::must("fe80::1")};
  auto down = iface_cfg("down");
  down.map_relay = true;
  down.maps = std::move(own);
  ArdConfig cfg;
  cfg.interfaces = {up, down};
  return cfg;
}

LinkState link(unsigned ifindex, std::string name, const std::string& ll, bool up = true) {
  LinkState l;
  l.ifindex = ifindex;
  l.name = std::move(name);
  l.up = up;
  if (!ll.empty()) l.link_local = Ip6Addr::must(ll);
  l.lladdr = {0x02, 0x00, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(ifindex)};
  l.mtu = 1500;
  return l;
}

template <class T>
const T* find_opt(const wire::RouterAdvertisement& ra) {
  return wire::find_nd_option<T>(ra.options);
}

std::vector<wire::MapOption> maps_of(const wire::RouterAdvertisement& ra) {
  std::vector<wire::MapOption> v;
  for (const auto& o : ra.options)
    if (const auto* m = std::get_if<wire::MapOption>(&o)) v.push_back(*m);
  return v;
}

std::optional<wire::MapOption> map_in(const wire::RouterAdvertisement& ra, const Ip6Addr& a) {
  for (const auto& m : maps_of(ra))
    if (m.address == a) return m;
  return std::nullopt;
}

struct SentRa {
  TimePoint at;
  SendRa ra;
};
struct SentEcho {
  TimePoint at;
  SendEcho echo;
};

// Routers wired by in-memory segments; MAPs that answer Echo Requests.
class Sim {
 public:
  struct Node {
    std::string name;
    std::unique_ptr<AccessRouter> ar;
    std::vector<SentRa> ras;
    std::vector<SentEcho> echos;
    std::vector<LogEvent> logs;
  };
  struct Attach {
    std::size_t node;
    LinkState link;
    std::string segment;
  };

  TimePoint now = kT0;
  std::vector<Node> nodes;
  std::vector<Attach> attaches;
  std::map<Ip6Addr, bool> map_alive;  // absent: does not answer
  Duration rtt = milliseconds(20);

  std::size_t add(std::string name, ArdConfig cfg, std::uint64_t seed = 1) {
    nodes.push_back({std::move(name), std::make_unique<AccessRouter>(std::move(cfg), seed), {}, {}, {}});
    return nodes.size() - 1;
  }
  void attach(std::size_t n, LinkState l, std::string segment) {
    node(n).handle_link(l, now);
    attaches.push_back({n, std::move(l), std::move(segment)});
    drain_all();
  }
  AccessRouter& node(std::size_t n) { return *nodes[n].ar; }
  void start(std::size_t n) {
    node(n).handle_start(now);
    drain_all();
  }
  void start_all() {
    for (std::size_t n = 0; n < nodes.size(); ++n) start(n);
  }

  // Runs every deadline and delivery up to t; leaves now == t.
  void run_until(TimePoint t) {
    for (int guard = 0; guard < 1000000; ++guard) {
      std::optional<TimePoint> next;
      if (!queue_.empty()) next = queue_.begin()->first;
      for (auto& n : nodes)
        if (auto d = n.ar->poll_timeout(); d && (!next || *d < *next)) next = d;
      if (!next || *next > t) break;
      now = std::max(now, *next);
      while (!queue_.empty() && queue_.begin()->first <= now) {
        auto f = std::move(queue_.begin()->second);
        queue_.erase(queue_.begin());
        f();
        drain_all();
      }
      for (auto& n : nodes)
        if (auto d = n.ar->poll_timeout(); d && *d <= now) n.ar->handle_timeout(now);
      drain_all();
    }
    now = t;
  }
  void run_for(Duration d) { run_until(now + d); }

  void drain_all() {
    for (std::size_t n = 0; n < nodes.size(); ++n) drain(n);
  }

  // RAs that node n sent on `ifname` (optionally only from `since`).
  std::vector<SentRa> ras(std::size_t n, const std::string& ifname, std::optional<TimePoint> since = {}) const {
    std::vector<SentRa> v;
    unsigned idx = 0;
    for (const auto& a : attaches)
      if (a.node == n && a.link.name == ifname) idx = a.link.ifindex;
    for (const auto& r : nodes[n].ras)
      if (r.ra.ifindex == idx && (!since || r.at >= *since)) v.push_back(r);
    return v;
  }
  const SentRa& last_ra(std::size_t n, const std::string& ifname) const {
    const auto v = ras(n, ifname);
    REQUIRE(!v.empty());
    last_ = v.back();
    return last_;
  }

 private:
  void drain(std::size_t n) {
    while (auto a = nodes[n].ar->poll_action()) {
      if (auto* ra = std::get_if<SendRa>(&*a)) {
        nodes[n].ras.push_back({now, *ra});
        const Attach* from = nullptr;
        for (const auto& at : attaches)
          if (at.node == n && at.link.ifindex == ra->ifindex) from = &at;
        if (!from) continue;
        for (const auto& at : attaches) {
          if (&at == from || at.segment != from->segment) continue;
          if (!ra->dst.is_multicast() && (!at.link.link_local || *at.link.link_local != ra->dst)) continue;
          const std::size_t to = at.node;
          const unsigned ifx = at.link.ifindex;
          const Ip6Addr src = ra->src;
          const auto msg = ra->ra;
          queue_.emplace(now, [this, to, ifx, src, msg] { node(to).handle_ra(ifx, src, msg, now); });
        }
      } else if (auto* e = std::get_if<SendEcho>(&*a)) {
        nodes[n].echos.push_back({now, *e});
        if (auto it = map_alive.find(e->dst); it != map_alive.end() && it->second) {
          const SendEcho echo = *e;
          queue_.emplace(now + rtt, [this, n, echo] { node(n).handle_echo_reply(echo.dst, echo.id, echo.seq, now); });
        }
      } else if (auto* l = std::get_if<LogEvent>(&*a)) {
        nodes[n].logs.push_back(*l);
      }
    }
  }

  std::multimap<TimePoint, std::function<void()>> queue_;
  mutable SentRa last_;
};

ArdConfig one_iface(InterfaceConfig c) {
  ArdConfig cfg;
  cfg.interfaces.push_back(std::move(c));
  return cfg;
}

// A single router on eth0 (ifindex 2, fe80::1), started at kT0.
struct One {
  Sim sim;
  std::size_t r;
  explicit One(InterfaceConfig c, std::uint64_t seed = 7) {
    r = sim.add("ar", one_iface(std::move(c)), seed);
    sim.attach(r, link(2, "eth0", "fe80::1"), "lan");
    sim.start(r);
  }
  AccessRouter& ar() { return sim.node(r); }
  std::vector<SentRa> ras(std::optional<TimePoint> since = {}) const { return sim.ras(r, "eth0", since); }
};

}  // namespace

TEST_CASE("ard: initial fast RAs, then intervals within [Min, Max]", "[ar]") {
  auto c = iface_cfg("eth0");
  One t(c);
  t.sim.run_for(hours(3));
  const auto v = t.ras();
  REQUIRE(v.size() >= 3 + 10);
  CHECK(v[0].at == kT0);  // at once when the interface starts advertising
  for (const auto& r : v) {
    CHECK(r.ra.dst == kAllNodes);
    CHECK(r.ra.kind == RaKind::unsolicited);
    CHECK(r.ra.src == Ip6Addr::must("fe80::1"));
    CHECK(r.ra.ifindex == 2U);
  }
  // MAX_INITIAL_RTR_ADVERTISEMENTS = 3 RAs, at most 16 s apart.
  CHECK(ms_between(v[0].at, v[1].at) <= seconds(16));
  CHECK(ms_between(v[1].at, v[2].at) <= seconds(16));
  CHECK(ms_between(v[0].at, v[1].at) >= c.min_delay_between_ras);
  Duration lo = hours(1), hi{0};
  for (std::size_t k = 3; k < v.size(); ++k) {
    const auto gap = ms_between(v[k - 1].at, v[k].at);
    CHECK(gap >= seconds(200));
    CHECK(gap <= seconds(600));
    lo = std::min(lo, gap);
    hi = std::max(hi, gap);
  }
  CHECK(hi - lo > seconds(60));  // really random, not a fixed period
  const auto st = t.ar().state(t.sim.now);
  CHECK(st.interfaces.at(0).counters.ra_unsolicited == v.size());
  CHECK(st.interfaces.at(0).fast_ras_remaining == 0U);
}

TEST_CASE("ard: mobility intervals (RFC 6275 §7.5) and MIN_DELAY_BETWEEN_RAS", "[ar]") {
  auto c = iface_cfg("eth0");
  c.max_interval = milliseconds(70);
  c.min_interval = milliseconds(30);
  c.min_delay_between_ras = milliseconds(30);
  One t(c);
  t.sim.run_for(seconds(10));
  const auto v = t.ras();
  REQUIRE(v.size() > 100);
  for (std::size_t k = 1; k < v.size(); ++k) {
    const auto gap = ms_between(v[k - 1].at, v[k].at);
    CHECK(gap >= milliseconds(30));
    CHECK(gap <= milliseconds(70));
  }
  // Advertisement Interval option = MaxRtrAdvInterval in ms; lifetime at least 1 s.
  REQUIRE(find_opt<wire::AdvIntervalOption>(v[0].ra.ra));
  CHECK(find_opt<wire::AdvIntervalOption>(v[0].ra.ra)->interval_ms == 70U);
  CHECK(v[0].ra.ra.router_lifetime == 1);

  // A Min below MIN_DELAY_BETWEEN_RAS: the rate limit wins.
  c.min_delay_between_ras = seconds(1);
  One u(c);
  u.sim.run_for(seconds(20));
  const auto w = u.ras();
  for (std::size_t k = 1; k < w.size(); ++k) CHECK(ms_between(w[k - 1].at, w[k].at) >= seconds(1));
}

TEST_CASE("ard: RS answered by unicast after a random delay in [0, MAX_RA_DELAY_TIME]", "[ar]") {
  auto c = iface_cfg("eth0");
  One t(c);
  t.sim.run_for(minutes(2));  // past the fast RAs
  Duration lo = seconds(1), hi{0};
  for (int k = 0; k < 40; ++k) {
    const Ip6Addr host = Ip6Addr::must("fe80::100:" + std::to_string(k + 1));
    const TimePoint sent = t.sim.now;
    wire::RouterSolicitation rs;
    rs.options.emplace_back(wire::SourceLlaOption{{2, 0, 0, 0, 0, 9}});
    t.ar().handle_rs(2, host, rs, t.sim.now);
    t.sim.drain_all();
    t.sim.run_for(seconds(1));
    const auto v = t.ras(sent);
    REQUIRE(v.size() == 1);
    CHECK(v[0].ra.kind == RaKind::solicited_unicast);
    CHECK(v[0].ra.dst == host);
    const auto d = ms_between(sent, v[0].at);
    CHECK(d >= Duration(0));
    CHECK(d <= milliseconds(500));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    t.sim.run_for(seconds(3));
  }
  CHECK(hi - lo > milliseconds(200));
  const auto ctr = t.ar().state(t.sim.now).interfaces.at(0).counters;
  CHECK(ctr.rs_received == 40U);
  CHECK(ctr.ra_solicited_unicast == 40U);
}

TEST_CASE("ard: RS from :: answered by multicast; with a Source LLA it is invalid", "[ar]") {
  One t(iface_cfg("eth0"));
  t.sim.run_for(minutes(2));
  const TimePoint sent = t.sim.now;
  t.ar().handle_rs(2, Ip6Addr{}, {}, t.sim.now);
  t.sim.run_for(seconds(1));
  auto v = t.ras(sent);
  REQUIRE(v.size() == 1);
  CHECK(v[0].ra.kind == RaKind::solicited_multicast);
  CHECK(v[0].ra.dst == kAllNodes);

  t.sim.run_for(seconds(10));
  wire::RouterSolicitation bad;
  bad.options.emplace_back(wire::SourceLlaOption{{2, 0, 0, 0, 0, 9}});
  const TimePoint sent2 = t.sim.now;
  t.ar().handle_rs(2, Ip6Addr{}, bad, t.sim.now);
  t.sim.run_for(seconds(1));
  CHECK(t.ras(sent2).empty());
  const auto ctr = t.ar().state(t.sim.now).interfaces.at(0).counters;
  CHECK(ctr.invalid[static_cast<std::size_t>(InvalidReason::rs_unspecified_with_slla)] == 1U);
  CHECK(ctr.rs_received == 1U);
}

TEST_CASE("ard: multicast RS answers are rate limited (MIN_DELAY_BETWEEN_RAS)", "[ar]") {
  auto c = iface_cfg("eth0");
  c.unicast_solicited = false;
  One t(c);
  t.sim.run_for(minutes(2));
  const TimePoint from = t.sim.now;
  // A flood: an RS every 100 ms for 30 s, from many hosts.
  for (int k = 0; k < 300; ++k) {
    t.ar().handle_rs(2, Ip6Addr::must("fe80::200:" + std::to_string(k % 50 + 1)), {}, t.sim.now);
    t.sim.drain_all();
    t.sim.run_for(milliseconds(100));
  }
  const auto v = t.ras(from);
  REQUIRE(v.size() >= 8);
  CHECK(v.size() <= 11);  // 30 s / 3 s, + 1
  for (std::size_t k = 1; k < v.size(); ++k) CHECK(ms_between(v[k - 1].at, v[k].at) >= seconds(3));
  for (const auto& r : v) CHECK(r.ra.dst == kAllNodes);
  const auto ctr = t.ar().state(t.sim.now).interfaces.at(0).counters;
  CHECK(ctr.rs_received == 300U);
  // Each RS was either folded into an RA already scheduled or scheduled one
  // (which an unsolicited RA due at the same time may have served).
  CHECK(ctr.rs_coalesced <= 300U - ctr.ra_solicited_multicast);
  CHECK(ctr.rs_coalesced + v.size() + 1 >= 300U);  // + 1: one may still be pending
}

TEST_CASE("ard: unicast RS answers are rate limited per host", "[ar]") {
  One t(iface_cfg("eth0"));
  t.sim.run_for(minutes(2));
  const Ip6Addr host = Ip6Addr::must("fe80::abc");
  const TimePoint from = t.sim.now;
  for (int k = 0; k < 100; ++k) {  // one host, an RS every 100 ms for 10 s
    t.ar().handle_rs(2, host, {}, t.sim.now);
    t.sim.drain_all();
    t.sim.run_for(milliseconds(100));
  }
  const auto v = t.ras(from);
  REQUIRE(v.size() >= 3);
  CHECK(v.size() <= 4);
  for (std::size_t k = 1; k < v.size(); ++k) CHECK(ms_between(v[k - 1].at, v[k].at) >= seconds(3));
}

TEST_CASE("ard: past kMaxPendingUnicast pending answers, one multicast RA serves the rest", "[ar]") {
  One t(iface_cfg("eth0"));
  t.sim.run_for(minutes(2));
  const TimePoint from = t.sim.now;
  for (std::size_t k = 0; k < kMaxPendingUnicast + 8; ++k)
    t.ar().handle_rs(2, Ip6Addr::must("fe80::300:" + std::to_string(k + 1)), {}, t.sim.now);
  t.sim.drain_all();
  CHECK(t.ar().state(t.sim.now).interfaces.at(0).pending_unicast == kMaxPendingUnicast);
  t.sim.run_for(seconds(1));
  const auto v = t.ras(from);
  const auto multicast = std::count_if(v.begin(), v.end(), [](const SentRa& r) { return r.ra.dst == kAllNodes; });
  CHECK(multicast == 1);
  // Unicast answers due before the multicast one went out; the rest it served.
  CHECK(v.size() <= kMaxPendingUnicast + 1);
  CHECK(t.ar().state(t.sim.now).interfaces.at(0).pending_unicast == 0U);
}

TEST_CASE("ard: an RS is not answered separately when the next multicast RA comes first", "[ar]") {
  auto c = iface_cfg("eth0");
  c.unicast_solicited = false;
  c.max_interval = seconds(3);
  c.min_interval = seconds(3);  // the next unsolicited RA is exactly 3 s after the last
  c.min_delay_between_ras = seconds(3);
  One t(c);
  t.sim.run_for(seconds(30));
  const auto last = t.ras().back().at;
  t.sim.run_until(last + milliseconds(100));
  t.ar().handle_rs(2, Ip6Addr::must("fe80::5"), {}, t.sim.now);
  t.sim.drain_all();
  // Rate limit: the answer could go at last + 3 s + delay, not before the
  // unsolicited RA at last + 3 s: that one serves.
  CHECK(t.ar().state(t.sim.now).interfaces.at(0).counters.rs_coalesced == 1U);
  t.sim.run_until(last + seconds(4));
  const auto v = t.ras(last + milliseconds(1));
  REQUIRE(v.size() == 1);
  CHECK(v[0].at == last + seconds(3));
  CHECK(v[0].ra.kind == RaKind::unsolicited);
}

TEST_CASE("ard: MaxRaDelay 0 answers an RS at once", "[ar]") {
  auto c = iface_cfg("eth0");
  c.max_ra_delay = Duration(0);
  One t(c);
  t.sim.run_for(minutes(2));
  const auto before = t.ras().size();
  t.ar().handle_rs(2, Ip6Addr::must("fe80::77"), {}, t.sim.now);
  // No timer needed: the RA is an action of handle_rs itself.
  auto a = t.ar().poll_action();
  while (a && !std::holds_alternative<SendRa>(*a)) a = t.ar().poll_action();
  REQUIRE(a);
  CHECK(std::get<SendRa>(*a).kind == RaKind::solicited_unicast);
  CHECK(std::get<SendRa>(*a).dst == Ip6Addr::must("fe80::77"));
  CHECK(t.ras().size() == before);
}

TEST_CASE("ard: shutdown sends a final RA with Router Lifetime 0 on each advertising interface", "[ar]") {
  ArdConfig cfg;
  auto a = iface_cfg("eth0");
  RouteConfig rt;
  rt.prefix = *Ip6Prefix::parse("2001:db8:f::/48");
  a.routes.push_back(rt);
  a.maps.push_back(map_cfg(kMap1));
  a.default_preference = wire::RouterPreference::high;
  cfg.interfaces.push_back(a);
  cfg.interfaces.push_back(iface_cfg("eth1"));  // link down
  cfg.interfaces.push_back(iface_cfg("eth2"));
  cfg.interfaces.back().send_advert = false;  // listens only
  Sim sim;
  const auto r = sim.add("ar", cfg);
  sim.attach(r, link(2, "eth0", "fe80::1"), "a");
  sim.attach(r, link(3, "eth1", "fe80::1", false), "b");
  sim.attach(r, link(4, "eth2", "fe80::1"), "c");
  sim.start(r);
  sim.run_for(minutes(5));
  const TimePoint at = sim.now;
  sim.node(r).handle_shutdown(at);
  sim.drain_all();
  const auto v = sim.ras(r, "eth0", at);
  REQUIRE(v.size() == 1);
  CHECK(v[0].ra.kind == RaKind::final);
  CHECK(v[0].ra.dst == kAllNodes);
  CHECK(v[0].ra.ra.router_lifetime == 0);
  CHECK(v[0].ra.ra.prf == wire::RouterPreference::medium);  // RFC 4191 §2.2
  REQUIRE(find_opt<wire::RouteInfoOption>(v[0].ra.ra));
  CHECK(find_opt<wire::RouteInfoOption>(v[0].ra.ra)->route_lifetime == 0U);
  CHECK(map_in(v[0].ra.ra, kMap1)->valid_lifetime == 3600U);  // the MAP itself is fine
  CHECK(sim.ras(r, "eth1").empty());
  CHECK(sim.ras(r, "eth2").empty());
  CHECK_FALSE(sim.node(r).poll_timeout());
  CHECK(sim.node(r).state(at).shutting_down);
  CHECK(sim.node(r).state(at).interfaces.at(0).counters.ra_final == 1U);
  sim.node(r).handle_rs(2, Ip6Addr::must("fe80::9"), {}, at);  // ignored now
  sim.node(r).handle_timeout(at + hours(1));
  sim.drain_all();
  CHECK(sim.ras(r, "eth0", at).size() == 1);
}

TEST_CASE("ard: RA contents from the configuration, valid on the wire", "[ar]") {
  auto c = iface_cfg("eth0");
  c.managed = true;
  c.other_config = true;
  c.cur_hop_limit = 42;
  c.default_lifetime = 1234;
  c.default_preference = wire::RouterPreference::low;
  c.reachable_time = 30000;
  c.retrans_timer = 1000;
  c.link_mtu = 1480;
  PrefixConfig p1;
  p1.prefix = *Ip6Prefix::parse("2001:db8:1::/64");
  p1.router_address = true;
  p1.valid_lifetime = 86400;
  p1.preferred_lifetime = 14400;
  PrefixConfig p2;
  p2.prefix = *Ip6Prefix::parse("2001:db8:2::/64");
  p2.on_link = false;
  p2.autonomous = false;
  p2.router_address = true;  // no global address in it: R stays clear
  c.prefixes = {p1, p2};
  RouteConfig rt;
  rt.prefix = *Ip6Prefix::parse("2001:db8:f::/48");
  rt.preference = wire::RouterPreference::high;
  c.routes = {rt};
  RdnssConfig dns;
  dns.servers = {Ip6Addr::must("2001:db8::53"), Ip6Addr::must("2001:db8::54")};
  dns.lifetime = 1200;
  c.rdnss = {dns};
  DnsslConfig sl;
  sl.domains = {"example.net", "corp.example.net"};
  c.dnssl = {sl};
  MapConfig m = map_cfg(kMap1);
  m.dist = 2;
  m.pref = 12;
  m.r_flag = true;
  m.valid_lifetime = 7200;
  c.maps = {m};

  Sim sim;
  const auto r = sim.add("ar", one_iface(c));
  auto l = link(2, "eth0", "fe80::1");
  l.globals = {Ip6Addr::must("2001:db8:9::1"), Ip6Addr::must("2001:db8:1::1")};
  sim.attach(r, l, "lan");
  sim.start(r);
  const SendRa sent = sim.last_ra(r, "eth0").ra;

  // Through the codec and back.
  const auto bytes = wire::encode_icmpv6(sent.ra, nullptr);
  REQUIRE(bytes.ok());
  const auto dec = wire::decode_router_advertisement(*bytes, nullptr);
  REQUIRE(dec.ok());
  const auto& ra = *dec;
  CHECK(ra.cur_hop_limit == 42);
  CHECK(ra.m_flag);
  CHECK(ra.o_flag);
  CHECK_FALSE(ra.h_flag);
  CHECK(ra.prf == wire::RouterPreference::low);
  CHECK(ra.router_lifetime == 1234);
  CHECK(ra.reachable_time == 30000U);
  CHECK(ra.retrans_timer == 1000U);
  REQUIRE(find_opt<wire::SourceLlaOption>(ra));
  CHECK(wire::Bytes(wire::link_layer_address(find_opt<wire::SourceLlaOption>(ra)->address, 6).begin(),
                    wire::link_layer_address(find_opt<wire::SourceLlaOption>(ra)->address, 6).end()) == l.lladdr);
  REQUIRE(find_opt<wire::MtuOption>(ra));
  CHECK(find_opt<wire::MtuOption>(ra)->mtu == 1480U);
  REQUIRE(find_opt<wire::AdvIntervalOption>(ra));
  CHECK(find_opt<wire::AdvIntervalOption>(ra)->interval_ms == 600000U);
  std::vector<wire::PrefixInfoOption> pios;
  for (const auto& o : ra.options)
    if (const auto* p = std::get_if<wire::PrefixInfoOption>(&o)) pios.push_back(*p);
  REQUIRE(pios.size() == 2);
  CHECK(pios[0].prefix_length == 64);
  CHECK(pios[0].l_flag);
  CHECK(pios[0].a_flag);
  CHECK(pios[0].r_flag);
  CHECK(pios[0].prefix == Ip6Addr::must("2001:db8:1::1"));  // the router's full address (RFC 6275 §7.2)
  CHECK(pios[0].valid_lifetime == 86400U);
  CHECK(pios[0].preferred_lifetime == 14400U);
  CHECK_FALSE(pios[1].l_flag);
  CHECK_FALSE(pios[1].a_flag);
  CHECK_FALSE(pios[1].r_flag);
  CHECK(pios[1].prefix == Ip6Addr::must("2001:db8:2::"));
  CHECK(pios[1].valid_lifetime == 2592000U);
  CHECK(pios[1].preferred_lifetime == 604800U);
  REQUIRE(find_opt<wire::RouteInfoOption>(ra));
  CHECK(find_opt<wire::RouteInfoOption>(ra)->prefix_length == 48);
  CHECK(find_opt<wire::RouteInfoOption>(ra)->prf == wire::RouterPreference::high);
  CHECK(find_opt<wire::RouteInfoOption>(ra)->route_lifetime == 1800U);  // 3 * Max
  CHECK(find_opt<wire::RouteInfoOption>(ra)->prefix == Ip6Addr::must("2001:db8:f::"));
  REQUIRE(find_opt<wire::RdnssOption>(ra));
  CHECK(find_opt<wire::RdnssOption>(ra)->lifetime == 1200U);  // configured
  CHECK(find_opt<wire::RdnssOption>(ra)->servers == dns.servers);
  REQUIRE(find_opt<wire::DnsslOption>(ra));
  CHECK(find_opt<wire::DnsslOption>(ra)->lifetime == 1800U);  // default 3 * Max (RFC 8106 §5.1)
  CHECK(find_opt<wire::DnsslOption>(ra)->domains == sl.domains);
  const auto mo = map_in(ra, kMap1);
  REQUIRE(mo);
  CHECK(mo->dist == 2);
  CHECK(mo->pref == 12);
  CHECK(mo->r_flag);
  CHECK(mo->valid_lifetime == 7200U);
  CHECK(maps_of(ra).size() == 1);
  // The warning about the missing router address was logged once.
  CHECK(std::count_if(sim.nodes[r].logs.begin(), sim.nodes[r].logs.end(), [](const LogEvent& e) {
          return e.level == LogLevel::warning && e.text.find("router address") != std::string::npos;
        }) == 1);
  // state() shows the same RA.
  CHECK(sim.node(r).state(sim.now).interfaces.at(0).next_ra == sent.ra);

  // Optional options off.
  c.source_lla = false;
  c.link_mtu = 0;
  c.adv_interval_option = false;
  One t(c);
  const auto ra2 = t.ras().back().ra.ra;
  CHECK_FALSE(find_opt<wire::SourceLlaOption>(ra2));
  CHECK_FALSE(find_opt<wire::MtuOption>(ra2));
  CHECK_FALSE(find_opt<wire::AdvIntervalOption>(ra2));
  CHECK(ra2.router_lifetime == 1234);
}

TEST_CASE("ard: an RA too big for the link MTU is split (RFC 4861 §6.2.3)", "[ar]") {
  auto c = iface_cfg("eth0");
  c.link_mtu = 1280;
  for (int k = 0; k < 60; ++k) {
    PrefixConfig p;
    p.prefix = *Ip6Prefix::parse("2001:db8:" + std::to_string(k + 1) + "::/64");
    c.prefixes.push_back(p);
  }
  Sim sim;
  const auto r = sim.add("ar", one_iface(c));
  auto l = link(2, "eth0", "fe80::1");
  l.mtu = 1280;
  sim.attach(r, l, "lan");
  sim.start(r);
  const auto v = sim.ras(r, "eth0");
  REQUIRE(v.size() == 2);  // 60 * 32 octets of prefixes do not fit in 1240
  std::size_t pios = 0;
  for (const auto& s : v) {
    const auto b = wire::encode_icmpv6(s.ra.ra, nullptr);
    REQUIRE(b.ok());
    CHECK(b->size() <= 1240U);
    CHECK(find_opt<wire::SourceLlaOption>(s.ra.ra));
    CHECK(find_opt<wire::MtuOption>(s.ra.ra));
    for (const auto& o : s.ra.ra.options) pios += std::holds_alternative<wire::PrefixInfoOption>(o);
  }
  CHECK(pios == 60U);
}

TEST_CASE("ard: interfaces down or without a link-local address do not advertise", "[ar]") {
  Sim sim;
  const auto r = sim.add("ar", one_iface(iface_cfg("eth0")));
  sim.start(r);
  sim.run_for(minutes(1));
  CHECK(sim.nodes[r].ras.empty());
  CHECK_FALSE(sim.node(r).poll_timeout());
  auto l = link(2, "eth0", "");  // up, link-local still tentative
  sim.attach(r, l, "lan");
  sim.run_for(minutes(1));
  CHECK(sim.nodes[r].ras.empty());
  sim.node(r).handle_rs(2, Ip6Addr::must("fe80::9"), {}, sim.now);
  CHECK(sim.node(r).state(sim.now).interfaces.at(0).counters.rs_ignored == 1U);
  l.link_local = Ip6Addr::must("fe80::1");
  sim.node(r).handle_link(l, sim.now);
  sim.drain_all();
  REQUIRE(sim.nodes[r].ras.size() == 1);  // at once
  CHECK(sim.node(r).state(sim.now).interfaces.at(0).fast_ras_remaining == 2U);
  sim.run_for(minutes(10));
  l.up = false;
  sim.node(r).handle_link(l, sim.now);
  sim.drain_all();
  const auto n = sim.nodes[r].ras.size();
  sim.run_for(hours(1));
  CHECK(sim.nodes[r].ras.size() == n);
  CHECK_FALSE(sim.node(r).state(sim.now).interfaces.at(0).advertising);
  l.up = true;
  sim.node(r).handle_link(l, sim.now);
  sim.drain_all();
  const TimePoint back = sim.now;
  sim.run_for(seconds(40));
  const auto v = sim.ras(r, "eth0", back);
  REQUIRE(v.size() == 3);  // fast again
  CHECK(v[0].at == back);
  // The link goes away altogether.
  sim.node(r).handle_link_removed(2, sim.now);
  sim.drain_all();
  CHECK_FALSE(sim.node(r).state(sim.now).interfaces.at(0).ifindex);
  CHECK_FALSE(sim.node(r).poll_timeout());
}

TEST_CASE("ard: a link-layer address change triggers fast RAs", "[ar]") {
  One t(iface_cfg("eth0"));
  t.sim.run_for(minutes(30));
  auto l = link(2, "eth0", "fe80::1");
  l.lladdr = {2, 0, 0, 0, 0, 0x55};
  const TimePoint at = t.sim.now;
  t.ar().handle_link(l, at);
  t.sim.drain_all();
  t.sim.run_for(seconds(40));
  const auto v = t.ras(at);
  REQUIRE(v.size() == 3);
  CHECK(v[0].at == at);
  CHECK(find_opt<wire::SourceLlaOption>(v[0].ra.ra)->address[5] == 0x55);
  // An MTU change alone is no advertised change.
  l.mtu = 9000;
  const TimePoint at2 = t.sim.now;
  t.ar().handle_link(l, at2);
  t.sim.drain_all();
  t.sim.run_for(seconds(100));
  CHECK(t.ras(at2).empty());
}

namespace {

// One router advertising kMap1 (probed with the 4140bis §10 example timers:
// every 10 s, retry every 5 s, fail after 15 s, 2 s reply timeout, restore
// after 3 replies) on eth0.
struct Probed {
  Sim sim;
  std::size_t r = 0;
  explicit Probed(bool alive = true) {
    auto c = iface_cfg("eth0");
    c.maps.push_back(map_cfg(kMap1, true));
    r = sim.add("ar", one_iface(c));
    sim.map_alive[kMap1] = alive;
    sim.attach(r, link(2, "eth0", "fe80::1"), "lan");
    sim.start(r);
  }
  AccessRouter& ar() { return sim.node(r); }
  MapView view() { return ar().state(sim.now).maps.at(0); }
};

}  // namespace

TEST_CASE("ard: MAP probing while it answers", "[ar]") {
  Probed p;
  p.sim.run_for(seconds(60) + milliseconds(500));
  const auto& e = p.sim.nodes[p.r].echos;
  REQUIRE(e.size() == 7);  // at 0, 10, ..., 60 s
  for (std::size_t k = 0; k < e.size(); ++k) {
    CHECK(e[k].echo.dst == kMap1);
    CHECK(e[k].at == kT0 + seconds(10) * static_cast<int>(k));
    CHECK(e[k].echo.id == e[0].echo.id);
    if (k) CHECK(e[k].echo.seq == static_cast<std::uint16_t>(e[k - 1].echo.seq + 1));
  }
  const auto v = p.view();
  CHECK(v.origin == MapOrigin::configured);
  CHECK(v.health == MapHealthState::up);
  CHECK(v.probed);
  CHECK(v.probes_sent == 7U);
  CHECK(v.probe_replies == 7U);
  CHECK(v.probe_misses == 0U);
  CHECK(v.last_rtt == milliseconds(20));
  CHECK(v.lifetime == 3600U);
  CHECK(v.advertised_on == std::vector<std::string>{"eth0"});
}

TEST_CASE("ard: a MAP unanswered for ProbeFailAfter is advertised with lifetime 0 at once", "[ar]") {
  Probed p;
  p.sim.run_for(seconds(25));  // probes at 0, 10, 20 answered
  p.sim.map_alive[kMap1] = false;
  const TimePoint dead = p.sim.now;
  // Probe at 30 s unanswered: a miss at 32 s; retries at 35, 40, 45 s; failed at 32 + 15 = 47 s.
  p.sim.run_until(kT0 + seconds(46) + milliseconds(999));
  CHECK(p.view().health == MapHealthState::suspect);
  CHECK(map_in(p.sim.ras(p.r, "eth0").back().ra.ra, kMap1)->valid_lifetime == 3600U);
  const auto before = p.sim.ras(p.r, "eth0").size();
  p.sim.run_until(kT0 + seconds(47));
  CHECK(p.view().health == MapHealthState::failed);
  auto v = p.sim.ras(p.r, "eth0");
  REQUIRE(v.size() == before + 1);
  CHECK(v.back().at == kT0 + seconds(47));  // an RA at once
  CHECK(v.back().ra.kind == RaKind::unsolicited);
  CHECK(map_in(v.back().ra.ra, kMap1)->valid_lifetime == 0U);
  std::vector<TimePoint> probes;
  for (const auto& e : p.sim.nodes[p.r].echos)
    if (e.at > dead) probes.push_back(e.at);
  REQUIRE(probes.size() >= 4);
  CHECK(probes[0] == kT0 + seconds(30));
  CHECK(probes[1] == kT0 + seconds(35));
  CHECK(probes[2] == kT0 + seconds(40));
  CHECK(probes[3] == kT0 + seconds(45));
  // Stays at lifetime 0 while failed, still probed every retry interval.
  const auto echos_then = p.sim.nodes[p.r].echos.size();
  p.sim.run_for(hours(1));
  for (const auto& r : p.sim.ras(p.r, "eth0", kT0 + seconds(47)))
    CHECK(map_in(r.ra.ra, kMap1)->valid_lifetime == 0U);
  CHECK(p.sim.nodes[p.r].echos.size() - echos_then == 720U);  // one per 5 s
  CHECK(p.view().failures == 1U);
  CHECK(p.view().lifetime == 0U);
  CHECK(std::any_of(p.sim.nodes[p.r].logs.begin(), p.sim.nodes[p.r].logs.end(), [](const LogEvent& e) {
    return e.level == LogLevel::warning && e.text.find("failed") != std::string::npos;
  }));
}

TEST_CASE("ard: a single reply does not restore a failed MAP; ProbeRestoreAfter replies do", "[ar]") {
  Probed p(false);
  p.sim.run_for(seconds(30));
  REQUIRE(p.view().health == MapHealthState::failed);
  // One reply, then silence again: still failed.
  p.sim.map_alive[kMap1] = true;
  p.sim.run_until(p.sim.nodes[p.r].echos.back().at + seconds(5) + milliseconds(100));
  CHECK(p.view().consecutive_replies == 1U);
  p.sim.map_alive[kMap1] = false;
  p.sim.run_for(seconds(30));
  CHECK(p.view().health == MapHealthState::failed);
  CHECK(p.view().consecutive_replies == 0U);
  for (const auto& r : p.sim.ras(p.r, "eth0", kT0 + seconds(20)))
    CHECK(map_in(r.ra.ra, kMap1)->valid_lifetime == 0U);
  // Three consecutive replies (5 s apart) restore it, with fast RAs.
  p.sim.map_alive[kMap1] = true;
  const TimePoint back = p.sim.nodes[p.r].echos.back().at + seconds(5);  // next probe
  p.sim.run_until(back + seconds(10) + milliseconds(19));
  CHECK(p.view().health == MapHealthState::failed);
  CHECK(p.view().consecutive_replies == 2U);
  p.sim.run_until(back + seconds(10) + milliseconds(20));
  CHECK(p.view().health == MapHealthState::up);
  CHECK(p.view().restores == 1U);
  const auto v = p.sim.ras(p.r, "eth0", back + seconds(10));
  REQUIRE(!v.empty());
  CHECK(v[0].at == back + seconds(10) + milliseconds(20));
  CHECK(map_in(v[0].ra.ra, kMap1)->valid_lifetime == 3600U);
  p.sim.run_for(seconds(40));
  CHECK(p.sim.ras(p.r, "eth0", back + seconds(10)).size() == 3);  // fast RAs
  // Probing back at the normal interval.
  const auto& e = p.sim.nodes[p.r].echos;
  CHECK(ms_between(e[e.size() - 2].at, e.back().at) == seconds(10));
}

TEST_CASE("ard: a suspect MAP that answers again never fails", "[ar]") {
  Probed p;
  p.sim.run_for(seconds(5));
  p.sim.map_alive[kMap1] = false;
  p.sim.run_until(kT0 + seconds(12) + milliseconds(1));  // probe at 10 s missed
  CHECK(p.view().health == MapHealthState::suspect);
  p.sim.map_alive[kMap1] = true;
  p.sim.run_for(seconds(60));
  CHECK(p.view().health == MapHealthState::up);
  CHECK(p.view().failures == 0U);
  for (const auto& r : p.sim.ras(p.r, "eth0")) CHECK(map_in(r.ra.ra, kMap1)->valid_lifetime == 3600U);
}

TEST_CASE("ard: Echo Replies must match the MAP, Identifier and an outstanding sequence", "[ar]") {
  Probed p(false);
  p.sim.run_for(milliseconds(100));
  const auto e0 = p.sim.nodes[p.r].echos.at(0).echo;
  auto& ar = p.ar();
  ar.handle_echo_reply(kMap2, e0.id, e0.seq, p.sim.now);                                   // wrong address
  ar.handle_echo_reply(kMap1, static_cast<std::uint16_t>(e0.id + 1), e0.seq, p.sim.now);  // wrong id
  ar.handle_echo_reply(kMap1, e0.id, static_cast<std::uint16_t>(e0.seq + 1), p.sim.now);  // never sent
  p.sim.drain_all();
  auto st = ar.state(p.sim.now);
  CHECK(st.echo_unmatched == 2U);
  CHECK(st.maps.at(0).probe_stale == 1U);
  CHECK(st.maps.at(0).probe_replies == 0U);
  p.sim.run_for(seconds(3));  // past the reply timeout: a miss
  ar.handle_echo_reply(kMap1, e0.id, e0.seq, p.sim.now);  // too late
  p.sim.drain_all();
  st = ar.state(p.sim.now);
  CHECK(st.maps.at(0).probe_stale == 2U);
  CHECK(st.maps.at(0).probe_misses == 1U);
  CHECK(st.maps.at(0).health == MapHealthState::suspect);
}

TEST_CASE("ard: a MAP advertised on several interfaces is probed once; ids differ per MAP", "[ar]") {
  ArdConfig cfg;
  for (const char* n : {"eth0", "eth1"}) {
    auto c = iface_cfg(n);
    c.maps.push_back(map_cfg(kMap1, true));
    c.maps.push_back(map_cfg(kMap2, true));
    cfg.interfaces.push_back(c);
  }
  Sim sim;
  const auto r = sim.add("ar", cfg);
  sim.map_alive[kMap1] = false;
  sim.map_alive[kMap2] = true;
  sim.attach(r, link(2, "eth0", "fe80::1"), "a");
  sim.attach(r, link(3, "eth1", "fe80::1"), "b");
  sim.start(r);
  sim.run_for(seconds(95));
  std::map<Ip6Addr, std::vector<SendEcho>> by;
  for (const auto& e : sim.nodes[r].echos) by[e.echo.dst].push_back(e.echo);
  CHECK(by[kMap2].size() == 10U);  // 0..90 s every 10 s, once
  CHECK(by[kMap1].front().id != by[kMap2].front().id);
  const auto st = sim.node(r).state(sim.now);
  REQUIRE(st.maps.size() == 2);
  CHECK(st.maps[0].health == MapHealthState::failed);
  CHECK(st.maps[0].advertised_on == std::vector<std::string>{"eth0", "eth1"});
  CHECK(st.maps[1].health == MapHealthState::up);
  for (const char* n : {"eth0", "eth1"}) {
    const auto& ra = sim.last_ra(r, n).ra.ra;
    CHECK(map_in(ra, kMap1)->valid_lifetime == 0U);
    CHECK(map_in(ra, kMap2)->valid_lifetime == 3600U);
  }
}

TEST_CASE("ard: manual MAP failure and restore (4140bis §10)", "[ar]") {
  Probed p;
  p.sim.run_for(minutes(2));
  CHECK_FALSE(p.ar().handle_map_admin(kMap2, MapAdmin::force_failed, p.sim.now));
  const TimePoint at = p.sim.now;
  REQUIRE(p.ar().handle_map_admin(kMap1, MapAdmin::force_failed, at));
  p.sim.drain_all();
  auto v = p.sim.ras(p.r, "eth0", at);
  REQUIRE(v.size() == 1);
  CHECK(map_in(v[0].ra.ra, kMap1)->valid_lifetime == 0U);
  CHECK(p.view().health == MapHealthState::failed);
  CHECK(p.view().admin_override);
  p.sim.run_for(minutes(2));  // it answers, but stays failed by hand
  CHECK(map_in(p.sim.ras(p.r, "eth0").back().ra.ra, kMap1)->valid_lifetime == 0U);
  REQUIRE(p.ar().handle_map_admin(kMap1, MapAdmin::automatic, p.sim.now));
  p.sim.drain_all();
  CHECK(map_in(p.sim.ras(p.r, "eth0").back().ra.ra, kMap1)->valid_lifetime == 3600U);
}

namespace {

// Dynamic MAP discovery: R1 (the MAP's router) -> S1 -> R2 -> S2 -> R3 -> S3.
// Optionally R3 also hears R1 directly on S1.
struct Chain {
  Sim sim;
  std::size_t r1 = 0, r2 = 0, r3 = 0;
  explicit Chain(bool shortcut = false) {
    {
      auto c = iface_cfg("down");
      c.maps.push_back(map_cfg(kMap1));
      r1 = sim.add("r1", one_iface(c), 11);
    }
    r2 = sim.add("r2", listen_up_relay_down(), 12);
    {
      ArdConfig cfg;
      auto up = iface_cfg("up");
      up.map_listen = true;
      up.map_relay = true;  // advertises too, but never relays back where it learned
      up.map_upstream = {Ip6Addr::must("fe80::2")};
      auto down = iface_cfg("down");
      down.map_relay = true;
      cfg.interfaces = {up, down};
      if (shortcut) {
        auto up2 = iface_cfg("up2");
        up2.send_advert = false;
        up2.map_listen = true;
        up2.map_upstream = {Ip6Addr::must("fe80::1")};
        cfg.interfaces.push_back(up2);
      }
      r3 = sim.add("r3", cfg, 13);
    }
    sim.attach(r1, link(1, "down", "fe80::1"), "s1");
    sim.attach(r2, link(1, "up", "fe80::2:1"), "s1");
    sim.attach(r2, link(2, "down", "fe80::2"), "s2");
    sim.attach(r3, link(1, "up", "fe80::3:1"), "s2");
    sim.attach(r3, link(2, "down", "fe80::3"), "s3");
    if (shortcut) sim.attach(r3, link(3, "up2", "fe80::3:2"), "s1");
    sim.start_all();
  }
};

}  // namespace

TEST_CASE("ard: relay chain gives Dist 1, 2, 3", "[ar]") {
  Chain ch;
  // Each router sends its first RA at once, and the one carrying what it
  // learned MIN_DELAY_BETWEEN_RAS (3 s) later: R2 and R3 both at +3 s.
  ch.sim.run_for(seconds(5));
  const auto m1 = map_in(ch.sim.last_ra(ch.r1, "down").ra.ra, kMap1);
  const auto m2 = map_in(ch.sim.last_ra(ch.r2, "down").ra.ra, kMap1);
  const auto m3 = map_in(ch.sim.last_ra(ch.r3, "down").ra.ra, kMap1);
  REQUIRE(m1);
  REQUIRE(m2);
  REQUIRE(m3);
  CHECK(m1->dist == 1);
  CHECK(m2->dist == 2);
  CHECK(m3->dist == 3);
  CHECK(m2->pref == 10);
  CHECK(m2->valid_lifetime == 3597U);  // counted down from R1's RA at +0
  CHECK(m3->valid_lifetime == 3597U);
  const auto r3 = ch.sim.ras(ch.r3, "down");
  REQUIRE(r3.size() == 2);
  CHECK_FALSE(map_in(r3[0].ra.ra, kMap1));
  CHECK(r3[1].at == kT0 + seconds(3));
  // Not relayed back on the interface it was learned on; R2's "up" does not advertise at all.
  CHECK_FALSE(map_in(ch.sim.last_ra(ch.r3, "up").ra.ra, kMap1));
  CHECK(ch.sim.ras(ch.r2, "up").empty());
  const auto st = ch.sim.node(ch.r3).state(ch.sim.now);
  REQUIRE(st.maps.size() == 1);
  CHECK(st.maps[0].origin == MapOrigin::learned);
  CHECK(st.maps[0].dist == 2);
  CHECK(st.maps[0].learned_on == "up");
  CHECK(st.maps[0].learned_from == Ip6Addr::must("fe80::2"));
  CHECK(st.maps[0].advertised_on == std::vector<std::string>{"down"});
  // Lifetimes count down along the chain.
  ch.sim.run_for(minutes(30));
  const auto late = map_in(ch.sim.last_ra(ch.r3, "down").ra.ra, kMap1);
  REQUIRE(late);
  CHECK(late->valid_lifetime < 3600U);
  CHECK(late->valid_lifetime > 3600U - 1800U - 600U - 600U - 5U);
}

TEST_CASE("ard: the same MAP heard on two paths keeps the smaller Dist", "[ar]") {
  Chain ch(true);
  ch.sim.run_for(minutes(20));
  const auto m3 = map_in(ch.sim.last_ra(ch.r3, "down").ra.ra, kMap1);
  REQUIRE(m3);
  CHECK(m3->dist == 2);  // via S1 directly (Dist 1 heard), not 3 via R2
  const auto st = ch.sim.node(ch.r3).state(ch.sim.now);
  CHECK(st.maps.at(0).sources == 2U);
  CHECK(st.maps.at(0).learned_on == "up2");
  // And on neither interface it was heard on.
  CHECK_FALSE(map_in(ch.sim.last_ra(ch.r3, "up").ra.ra, kMap1));
}

namespace {

// A relay router alone, fed hand-made RAs: listens on "up" (ifindex 1) to
// fe80::1, relays on "down" (ifindex 2).
struct Relay {
  Sim sim;
  std::size_t r = 0;
  explicit Relay(std::vector<MapConfig> own = {}) {
    r = sim.add("relay", listen_up_relay_down(std::move(own)));
    sim.attach(r, link(1, "up", "fe80::10"), "s1");
    sim.attach(r, link(2, "down", "fe80::11"), "s2");
    sim.start(r);
    sim.run_for(minutes(2));
  }
  // An RA with `maps` from `from` on ifindex `ifx`, now; returns when.
  TimePoint hear(const std::vector<wire::MapOption>& maps, const std::string& from = "fe80::1", unsigned ifx = 1) {
    const TimePoint at = sim.now;
    wire::RouterAdvertisement ra;
    ra.router_lifetime = 1800;
    for (const auto& m : maps) ra.options.emplace_back(m);
    sim.node(r).handle_ra(ifx, Ip6Addr::must(from), ra, at);
    sim.drain_all();
    return at;
  }
  std::optional<wire::MapOption> relayed(const Ip6Addr& a) { return map_in(sim.last_ra(r, "down").ra.ra, a); }
  InterfaceCounters up_counters() { return sim.node(r).state(sim.now).interfaces.at(0).counters; }
};

wire::MapOption mopt(const Ip6Addr& a, std::uint8_t dist, std::uint32_t lifetime, std::uint8_t pref = 10) {
  wire::MapOption m;
  m.address = a;
  m.dist = dist;
  m.pref = pref;
  m.valid_lifetime = lifetime;
  return m;
}

}  // namespace

TEST_CASE("ard: learned MAPs count down and expire with their lifetime", "[ar]") {
  Relay t;
  const TimePoint at = t.hear({mopt(kMap1, 1, 100)});
  REQUIRE(t.relayed(kMap1));
  CHECK(t.sim.last_ra(t.r, "down").at == at);  // a change: an RA at once
  CHECK(t.relayed(kMap1)->valid_lifetime == 100U);
  CHECK(t.relayed(kMap1)->dist == 2);
  t.sim.run_until(at + seconds(30));
  t.sim.node(t.r).handle_rs(2, Ip6Addr::must("fe80::99"), {}, t.sim.now);  // ask for a fresh RA
  t.sim.drain_all();
  t.sim.run_for(seconds(1));
  CHECK(t.relayed(kMap1)->valid_lifetime <= 70U);
  CHECK(t.relayed(kMap1)->valid_lifetime >= 69U);
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.at(0).remaining <= seconds(70));
  t.sim.run_until(at + seconds(100) - milliseconds(1));
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.size() == 1);
  t.sim.run_until(at + seconds(100));
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.empty());
  const auto v = t.sim.ras(t.r, "down", at + seconds(100));
  REQUIRE(!v.empty());  // its disappearance is a change: an RA at once
  CHECK(v[0].at == at + seconds(100));
  CHECK_FALSE(map_in(v[0].ra.ra, kMap1));
}

TEST_CASE("ard: a learned MAP refreshed by later RAs does not expire; no fast RAs for a refresh", "[ar]") {
  Relay t;
  t.hear({mopt(kMap1, 1, 100)});
  t.sim.run_for(seconds(60));
  const TimePoint at = t.hear({mopt(kMap1, 1, 100)});
  t.sim.run_for(seconds(30));
  CHECK(t.sim.ras(t.r, "down", at).empty());
  t.sim.run_for(seconds(60));
  REQUIRE(t.sim.node(t.r).state(t.sim.now).maps.size() == 1);
  // A change of Pref is a change.
  const TimePoint at2 = t.sim.now;
  t.hear({mopt(kMap1, 1, 100, 0)});
  const auto v = t.sim.ras(t.r, "down", at2);
  REQUIRE(v.size() == 1);
  CHECK(map_in(v[0].ra.ra, kMap1)->pref == 0);
}

TEST_CASE("ard: only MapUpstream routers are listened to; RA sources must be link-local", "[ar]") {
  Relay t;
  t.hear({mopt(kMap1, 1, 3600)}, "fe80::666");
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.empty());
  CHECK(t.up_counters().ra_not_upstream == 1U);
  t.hear({mopt(kMap1, 1, 3600)}, "2001:db8::1");
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.empty());
  CHECK(t.up_counters().invalid[static_cast<std::size_t>(InvalidReason::ra_source_not_link_local)] == 1U);
  // The right router, but on an interface that does not listen.
  t.hear({mopt(kMap1, 1, 3600)}, "fe80::1", 2);
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.empty());
  // An unconfigured interface.
  t.hear({mopt(kMap1, 1, 3600)}, "fe80::1", 99);
  CHECK(t.sim.node(t.r).state(t.sim.now).ignored_unconfigured == 1U);
  t.hear({mopt(kMap1, 1, 3600)});
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.size() == 1);
  CHECK(t.up_counters().map_options_received == 1U);
  CHECK(t.up_counters().ra_received == 2U);  // fe80::666 and fe80::1 on "up"
  CHECK(t.sim.node(t.r).state(t.sim.now).interfaces.at(1).counters.ra_received == 1U);
}

TEST_CASE("ard: a malformed option is counted, the rest of the RA is used", "[ar]") {
  Relay t;
  wire::RouterAdvertisement ra;
  ra.options.emplace_back(wire::MalformedNdOption{wire::nd_opt::kMap, wire::Bytes(22, 0),
                                                   wire::Error{wire::Errc::invalid_field, 18, "Dist 0"}});
  ra.options.emplace_back(mopt(kMap2, 1, 3600));
  t.sim.node(t.r).handle_ra(1, Ip6Addr::must("fe80::1"), ra, t.sim.now);
  t.sim.drain_all();
  CHECK(t.up_counters().options_malformed == 1U);
  REQUIRE(t.relayed(kMap2));
  CHECK(maps_of(t.sim.last_ra(t.r, "down").ra.ra).size() == 1);
}

TEST_CASE("ard: Dist never above 15; smallest Dist within one RA", "[ar]") {
  Relay t;
  t.hear({mopt(kMap1, 15, 3600), mopt(kMap2, 14, 3600), mopt(kMap2, 9, 3600)});
  CHECK_FALSE(t.relayed(kMap1));
  REQUIRE(t.relayed(kMap2));
  CHECK(t.relayed(kMap2)->dist == 10);
  const auto st = t.sim.node(t.r).state(t.sim.now);
  REQUIRE(st.maps.size() == 2);
  CHECK(st.maps[0].advertised_on.empty());  // kMap1 learned, not relayed
}

TEST_CASE("ard: a learned withdrawal (lifetime 0) is relayed as such for a while, then dropped", "[ar]") {
  Relay t;
  t.hear({mopt(kMap1, 1, 3600)});
  t.sim.run_for(seconds(50));
  const TimePoint at = t.hear({mopt(kMap1, 1, 0)});
  auto v = t.sim.ras(t.r, "down", at);
  REQUIRE(v.size() == 1);  // at once
  CHECK(map_in(v[0].ra.ra, kMap1)->valid_lifetime == 0U);
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.at(0).health == MapHealthState::failed);
  t.sim.run_until(at + kWithdrawnHold - milliseconds(1));
  v = t.sim.ras(t.r, "down", at);
  CHECK(v.size() == 3);  // the fast RAs all carry it
  for (const auto& r : v) CHECK(map_in(r.ra.ra, kMap1)->valid_lifetime == 0U);
  t.sim.run_until(at + kWithdrawnHold);
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.empty());
  CHECK_FALSE(t.relayed(kMap1));

  // An upstream announcing its interval keeps a repeated withdrawal alive.
  wire::RouterAdvertisement ra;
  ra.options.emplace_back(wire::AdvIntervalOption{0, 600000});
  ra.options.emplace_back(mopt(kMap2, 1, 0));
  t.sim.node(t.r).handle_ra(1, Ip6Addr::must("fe80::1"), ra, t.sim.now);
  t.sim.drain_all();
  CHECK(t.sim.node(t.r).state(t.sim.now).maps.at(0).remaining == minutes(30));
  // A later RA with a live lifetime restores it at once.
  t.sim.run_for(seconds(10));
  t.hear({mopt(kMap2, 1, 3600)});
  CHECK(t.relayed(kMap2)->valid_lifetime == 3600U);
}

TEST_CASE("ard: a MAP configured here wins over the same MAP learned", "[ar]") {
  MapConfig own = map_cfg(kMap1);
  own.dist = 1;
  own.pref = 7;
  Relay t({own});
  t.hear({mopt(kMap1, 1, 100, 15), mopt(kMap2, 3, 200)});
  const auto& ra = t.sim.last_ra(t.r, "down").ra.ra;
  REQUIRE(maps_of(ra).size() == 2);
  CHECK(map_in(ra, kMap1)->dist == 1);
  CHECK(map_in(ra, kMap1)->pref == 7);
  CHECK(map_in(ra, kMap1)->valid_lifetime == 3600U);
  CHECK(map_in(ra, kMap2)->dist == 4);  // beside ours, as 4140bis §7.1.1 asks
  const auto st = t.sim.node(t.r).state(t.sim.now);
  REQUIRE(st.maps.size() == 3);
  CHECK(st.maps[0].origin == MapOrigin::configured);
  CHECK(st.maps[1].origin == MapOrigin::learned);
  CHECK(st.maps[1].shadowed);
  CHECK(st.maps[1].advertised_on.empty());
}

TEST_CASE("ard: reload keeps learned MAPs, probe state and counters; a changed interface gets fast RAs", "[ar]") {
  ArdConfig cfg = listen_up_relay_down({map_cfg(kMap1, true)});
  cfg.interfaces.push_back(iface_cfg("other"));
  Sim sim;
  const auto r = sim.add("ar", cfg);
  sim.map_alive[kMap1] = false;
  sim.attach(r, link(1, "up", "fe80::10"), "s1");
  sim.attach(r, link(2, "down", "fe80::11"), "s2");
  sim.attach(r, link(3, "other", "fe80::12"), "s3");
  sim.start(r);
  wire::RouterAdvertisement ra;
  ra.options.emplace_back(mopt(kMap2, 2, 3600));
  sim.node(r).handle_ra(1, Ip6Addr::must("fe80::1"), ra, sim.now);
  sim.node(r).handle_rs(2, Ip6Addr::must("fe80::99"), {}, sim.now);
  sim.node(r).handle_invalid(2, InvalidReason::hop_limit);
  sim.run_for(minutes(10));
  auto st = sim.node(r).state(sim.now);
  REQUIRE(st.maps.size() == 2);
  REQUIRE(st.maps[0].health == MapHealthState::failed);
  const auto counters = st.interfaces[1].counters;
  const auto probes = st.maps[0].probes_sent;

  // Change "down" (a new prefix), drop "other", keep "up".
  ArdConfig cfg2 = cfg;
  PrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:7::/64");
  cfg2.interfaces[1].prefixes.push_back(p);
  cfg2.interfaces.pop_back();
  const TimePoint at = sim.now;
  sim.node(r).handle_reload(cfg2, at);
  sim.drain_all();
  // "other" said goodbye.
  const auto bye = sim.ras(r, "other", at);
  REQUIRE(bye.size() == 1);
  CHECK(bye[0].ra.kind == RaKind::final);
  CHECK(bye[0].ra.ra.router_lifetime == 0);
  sim.run_for(seconds(40));
  const auto v = sim.ras(r, "down", at);
  REQUIRE(v.size() == 3);
  CHECK(v[0].at == at);
  CHECK(find_opt<wire::PrefixInfoOption>(v[0].ra.ra));
  CHECK(map_in(v[0].ra.ra, kMap1)->valid_lifetime == 0U);   // still failed
  CHECK(map_in(v[0].ra.ra, kMap2)->valid_lifetime == 3000U);  // still learned, 10 min on
  st = sim.node(r).state(sim.now);
  REQUIRE(st.interfaces.size() == 2);
  CHECK(st.maps[0].health == MapHealthState::failed);
  CHECK(st.maps[0].failures == 1U);
  CHECK(st.maps[0].probes_sent > probes);
  CHECK(st.interfaces[1].counters.rs_received == counters.rs_received);
  CHECK(st.interfaces[1].counters.invalid == counters.invalid);
  CHECK(st.interfaces[1].counters.ra_unsolicited == counters.ra_unsolicited + 3);

  // An unchanged reload sends nothing extra.
  const TimePoint at2 = sim.now;
  sim.node(r).handle_reload(cfg2, at2);
  sim.drain_all();
  sim.run_for(seconds(100));
  CHECK(sim.ras(r, "down", at2).empty());

  // Stop listening: the learned MAP goes; probing off: the MAP is up again.
  ArdConfig cfg3 = cfg2;
  cfg3.interfaces[0].map_listen = false;
  cfg3.interfaces[1].maps[0].probe.enabled = false;
  sim.node(r).handle_reload(cfg3, sim.now);
  sim.drain_all();
  st = sim.node(r).state(sim.now);
  REQUIRE(st.maps.size() == 1);
  CHECK(st.maps[0].health == MapHealthState::up);
  CHECK(map_in(sim.last_ra(r, "down").ra.ra, kMap1)->valid_lifetime == 3600U);
}

TEST_CASE("ard: invalid input is counted per interface; unconfigured interfaces are ignored", "[ar]") {
  One t(iface_cfg("eth0"));
  auto& ar = t.ar();
  ar.handle_invalid(2, InvalidReason::hop_limit);
  ar.handle_invalid(2, InvalidReason::hop_limit);
  ar.handle_invalid(2, invalid_reason(wire::Error{wire::Errc::bad_checksum, 2, "x"}));
  ar.handle_invalid(2, invalid_reason(wire::Error{wire::Errc::invalid_field, 1, "x"}));
  ar.handle_invalid(2, invalid_reason(wire::Error{wire::Errc::invalid_field, 18, "x"}));
  ar.handle_invalid(2, invalid_reason(wire::Error{wire::Errc::bad_length, 17, "x"}));
  ar.handle_invalid(2, invalid_reason(wire::Error{wire::Errc::truncated, 3, "x"}));
  ar.handle_invalid(9, InvalidReason::hop_limit);
  ar.handle_rs(9, Ip6Addr::must("fe80::5"), {}, t.sim.now);
  ar.handle_ra(2, Ip6Addr::must("2001:db8::1"), {}, t.sim.now);
  ar.handle_rs(2, Ip6Addr::must("ff02::1"), {}, t.sim.now);
  const auto st = ar.state(t.sim.now);
  const auto& c = st.interfaces.at(0).counters;
  using R = InvalidReason;
  CHECK(c.invalid[static_cast<std::size_t>(R::hop_limit)] == 2U);
  CHECK(c.invalid[static_cast<std::size_t>(R::bad_checksum)] == 1U);
  CHECK(c.invalid[static_cast<std::size_t>(R::bad_code)] == 1U);
  CHECK(c.invalid[static_cast<std::size_t>(R::bad_option)] == 1U);
  CHECK(c.invalid[static_cast<std::size_t>(R::bad_length)] == 1U);
  CHECK(c.invalid[static_cast<std::size_t>(R::truncated)] == 1U);
  CHECK(c.invalid[static_cast<std::size_t>(R::ra_source_not_link_local)] == 1U);
  CHECK(c.invalid[static_cast<std::size_t>(R::other)] == 1U);
  CHECK(c.invalid_total() == 9U);
  CHECK(c.rs_received == 0U);
  CHECK(st.ignored_unconfigured == 2U);
  for (std::size_t k = 0; k < kInvalidReasonCount; ++k) CHECK(to_string(static_cast<R>(k)) != "?");
}

TEST_CASE("ard: RAs from other routers are checked for consistency (RFC 4861 §6.2.7)", "[ar]") {
  auto c = iface_cfg("eth0");
  PrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:1::/64");
  c.prefixes = {p};
  One t(c);
  wire::RouterAdvertisement ra;
  ra.cur_hop_limit = 64;
  wire::PrefixInfoOption pio;
  pio.prefix = Ip6Addr::must("2001:db8:1::");
  pio.valid_lifetime = 2592000;
  pio.preferred_lifetime = 604800;
  ra.options.emplace_back(pio);
  t.ar().handle_ra(2, Ip6Addr::must("fe80::2"), ra, t.sim.now);  // consistent
  t.ar().handle_ra(2, Ip6Addr::must("fe80::1"), ra, t.sim.now);  // our own: ignored
  ra.m_flag = true;
  std::get<wire::PrefixInfoOption>(ra.options[0]).valid_lifetime = 100;
  t.ar().handle_ra(2, Ip6Addr::must("fe80::2"), ra, t.sim.now);
  t.ar().handle_ra(2, Ip6Addr::must("fe80::2"), ra, t.sim.now);
  t.sim.drain_all();
  const auto ctr = t.ar().state(t.sim.now).interfaces.at(0).counters;
  CHECK(ctr.ra_received == 3U);
  CHECK(ctr.ra_inconsistent == 2U);
  const auto& logs = t.sim.nodes[t.r].logs;
  CHECK(std::count_if(logs.begin(), logs.end(), [](const LogEvent& e) {
          return e.level == LogLevel::warning && e.text.find("M flag") != std::string::npos &&
                 e.text.find("lifetimes of 2001:db8:1::/64") != std::string::npos;
        }) == 1);  // logged once per router
}

TEST_CASE("ard: runs repeat with the same seed", "[ar]") {
  auto run = [](std::uint64_t seed) {
    One t(iface_cfg("eth0"), seed);
    t.sim.run_for(hours(2));
    std::vector<TimePoint> at;
    for (const auto& r : t.ras()) at.push_back(r.at);
    return at;
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}
