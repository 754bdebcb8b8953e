// A MobileNode against scripted MAPs in virtual time: every BU reaches its
// MAP after a delay unless the lossy link drops it, the MAP keeps a binding
// cache (expiry counted from receipt, sequence numbers checked modulo 2^16
// as RFC 6275 §9.5.1 says) and answers with a BA carrying the RCoA in the
// type 2 routing header. The MN moves AR1 -> AR2 -> AR3 -> AR1 ... for two
// virtual hours. Checked throughout: every BU leaves from an installed
// binding naming its LCoA, at most one binding is primary, the MAP never
// holds an expired entry for the MN's registered current binding, and after
// each move the MN is registered again within a few seconds.
#include <deque>

#include "test_mn_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

struct MapEntry {
  Ip6Addr lcoa;
  std::uint16_t seq = 0;
  TimePoint expires;
};

struct Delivery {
  TimePoint at;
  ReceivedMh mh;
};

struct ScriptedMaps {
  Duration one_way = milliseconds(20);
  unsigned drop_every = 4;  ///< every n-th BU is lost
  std::uint16_t max_units = 100;
  unsigned seen = 0;
  std::map<std::pair<Ip6Addr, Ip6Addr>, MapEntry> cache;  ///< (map, rcoa)
  std::deque<Delivery> to_mn;
  std::vector<std::string> errors;

  void receive(const SendBu& bu, TimePoint now) {
    if (++seen % drop_every == 0) return;
    const TimePoint at = now + one_way;
    const auto key = std::make_pair(bu.dst, bu.src);
    auto it = cache.find(key);
    wire::BindingAck ba;
    ba.sequence = bu.bu.sequence;
    if (it != cache.end() && it->second.expires > at) {
      const auto diff = static_cast<std::uint16_t>(bu.bu.sequence - it->second.seq);
      if (diff == 0 || diff >= 0x8000) {  // not newer (§9.5.1)
        ba.status = wire::ba_status::kSequenceNumberOutOfWindow;
        ba.sequence = it->second.seq;
      }
    }
    if (ba.status == 0) {
      ba.lifetime = std::min(bu.bu.lifetime, max_units);
      if (ba.lifetime == 0) cache.erase(key);
      else cache[key] = MapEntry{bu.lcoa, bu.bu.sequence, at + seconds(4 * ba.lifetime)};
    }
    ReceivedMh mh;
    mh.src = bu.dst;
    mh.dst = bu.src;
    mh.rh2_home = bu.src;
    mh.msg = ba;
    to_mn.push_back(Delivery{at + one_way, mh});
  }
};

}  // namespace

TEST_CASE("simulation: a mobile node and scripted MAPs over two hours of moves with 25% BU loss", "[mn][mn-sim]") {
  auto cfg = mn_cfg();
  cfg.binding_lifetime = 600;
  Harness h(cfg, 99);
  ScriptedMaps maps;
  struct Ar {
    Ip6Addr router, prefix, lcoa;
    std::vector<wire::MapOption> opts;
  };
  const std::vector<Ar> ars{{kAr1, kPfx1, kLcoa1, {map_opt(kMap1, 2, 10)}},
                            {kAr2, kPfx2, kLcoa2, {map_opt(kMap1, 2, 10)}},
                            {kAr3, kPfx3, kLcoa3, {map_opt(kMap2, 1, 10)}}};
  std::size_t at_ar = 0;
  TimePoint next_move = h.now;
  TimePoint next_ra = h.now;
  const TimePoint end = h.now + std::chrono::hours(2);
  std::optional<TimePoint> moved_at;
  std::vector<Duration> reregistration;
  std::size_t moves = 0;
  bool first = true;

  auto pump = [&] {
    for (auto& bu : h.take<SendBu>()) maps.receive(bu, h.now);
    h.clear();
  };
  while (h.now < end) {
    // The next event: the MN's deadline, a BA delivery, a periodic RA, a move.
    TimePoint t = std::min(next_move, next_ra);
    if (auto d = h.mn.poll_timeout()) t = std::min(t, *d);
    if (!maps.to_mn.empty()) t = std::min(t, maps.to_mn.front().at);
    if (t >= end) break;
    h.now = std::max(h.now, t);
    h.mn.handle_timeout(h.now);
    h.drain();
    while (!maps.to_mn.empty() && maps.to_mn.front().at <= h.now) {
      h.mn.handle_mh(h.now, maps.to_mn.front().mh);
      maps.to_mn.pop_front();
      h.drain();
    }
    if (h.now >= next_move) {
      if (!first) {
        h.set_link(link(false, {ars[at_ar].lcoa}));
        at_ar = (at_ar + 1) % ars.size();
        ++moves;
      }
      first = false;
      h.set_link(link(true, {ars[at_ar].lcoa}, true));
      h.give_ra(ars[at_ar].router, ra(ars[at_ar].prefix, ars[at_ar].opts));
      moved_at = h.now;
      next_move = h.now + std::chrono::minutes(10);
      next_ra = h.now + seconds(200);
    } else if (h.now >= next_ra) {
      h.give_ra(ars[at_ar].router, ra(ars[at_ar].prefix, ars[at_ar].opts));
      next_ra = h.now + seconds(200);
    }
    pump();

    const auto st = h.mn.state(h.now);
    REQUIRE(h.primaries() <= 1);
    for (const auto& b : st.bul) {
      if (b.role != BindingRole::current || !b.registered) continue;
      const auto it = maps.cache.find({b.map, b.rcoa});
      REQUIRE(it != maps.cache.end());
      REQUIRE(it->second.expires > h.now);  // the MN refreshes before the MAP drops it
      if (moved_at && b.lcoa == ars[at_ar].lcoa && it->second.lcoa == b.lcoa && b.primary) {
        reregistration.push_back(std::chrono::duration_cast<Duration>(h.now - *moved_at));
        moved_at.reset();
      }
    }
  }
  CHECK(h.violations.empty());
  CHECK(maps.errors.empty());
  CHECK(moves == 11);
  REQUIRE(reregistration.size() == moves + 1);
  Duration worst{0};
  for (const auto& d : reregistration) {
    CHECK(d <= seconds(5));
    worst = std::max(worst, d);
  }
  const auto& c = h.mn.counters();
  CHECK(c.inter_map_moves >= 7);
  CHECK(c.intra_map_moves >= 3);
  CHECK(c.bu_retransmitted > 0);
  WARN("BUs sent " << c.bu_sent << ", retransmitted " << c.bu_retransmitted << ", BAs accepted " << c.ba_accepted
                   << ", 135 resyncs " << c.sequence_resyncs << ", expired " << c.bindings_expired
                   << ", slowest re-registration after a move " << worst.count() << " ms (virtual)");

  h.mn.handle_stop(h.now);
  h.drain();
  pump();
  while (!h.mn.finished()) {
    TimePoint t = end + std::chrono::hours(1);
    if (auto d = h.mn.poll_timeout()) t = std::min(t, *d);
    if (!maps.to_mn.empty()) t = std::min(t, maps.to_mn.front().at);
    h.now = t;
    h.mn.handle_timeout(h.now);
    h.drain();
    while (!maps.to_mn.empty() && maps.to_mn.front().at <= h.now) {
      h.mn.handle_mh(h.now, maps.to_mn.front().mh);
      maps.to_mn.pop_front();
      h.drain();
    }
    pump();
  }
  CHECK(h.kernel.empty());
}
