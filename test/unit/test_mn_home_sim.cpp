// A MobileNode with a Home block against scripted MAPs and a scripted home
// agent in virtual time, every fourth BU lost: the MN moves AR1 -> AR2
// (same MAP) -> AR3 (another MAP) -> AR1 ... for two virtual hours.
// Checked throughout: every home BU leaves from an installed home binding
// and asks for no more than what is left of the MAP binding of its RCoA
// (RFC 5380 §6.1); while the MN says it is registered the HA holds an
// unexpired binding for its care-of address; the HA hears of inter-MAP
// moves only (one new care-of address each), never of intra-MAP ones; the
// stop deregisters the home address before the MAP binding.
#include <deque>

#include "test_mn_home_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

struct Entry {
  Ip6Addr coa;
  std::uint16_t seq = 0;
  TimePoint expires;
};

struct Delivery {
  TimePoint at;
  ReceivedMh mh;
};

/// MAPs and the HA: a binding cache keyed by (destination, home address or
/// RCoA), sequence numbers checked as RFC 6275 §9.5.1 says, BAs with the
/// address in a type 2 routing header, 20 ms each way.
struct ScriptedAgents {
  Duration one_way = milliseconds(20);
  unsigned drop_every = 4;
  std::uint16_t max_units = 100;
  unsigned seen = 0;
  std::map<std::pair<Ip6Addr, Ip6Addr>, Entry> cache;
  std::deque<Delivery> to_mn;
  std::vector<std::pair<TimePoint, bool>> ha_log;  ///< (when, deregistration) of each home BU the HA got

  void receive(const SendBu& bu, TimePoint now) {
    if (++seen % drop_every == 0) return;
    const TimePoint at = now + one_way;
    const auto key = std::make_pair(bu.dst, bu.src);
    if (bu.bu.home_registration) ha_log.emplace_back(at, bu.bu.lifetime == 0);
    auto it = cache.find(key);
    wire::BindingAck ba;
    ba.sequence = bu.bu.sequence;
    if (it != cache.end() && it->second.expires > at) {
      const auto diff = static_cast<std::uint16_t>(bu.bu.sequence - it->second.seq);
      if (diff == 0 || diff >= 0x8000) {
        ba.status = wire::ba_status::kSequenceNumberOutOfWindow;
        ba.sequence = it->second.seq;
      }
    }
    if (ba.status == 0) {
      ba.lifetime = std::min(bu.bu.lifetime, max_units);
      if (ba.lifetime == 0) cache.erase(key);
      else cache[key] = Entry{bu.lcoa, bu.bu.sequence, at + seconds(4 * ba.lifetime)};
    }
    ReceivedMh mh;
    mh.src = bu.dst;
    mh.dst = bu.src;
    if (bu.lcoa != bu.src) mh.rh2_home = bu.src;  // at home: straight to the home address
    mh.msg = ba;
    to_mn.push_back(Delivery{at + one_way, mh});
  }
};

}  // namespace

TEST_CASE("simulation: home registration through MAPs over two hours of moves with 25% BU loss", "[home][mn-sim]") {
  auto cfg = home_cfg();
  cfg.home->binding_lifetime = 1200;  // above the MAPs' 400 s: the MAP's grant bounds it
  Harness h(cfg, 5);
  ScriptedAgents agents;
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
  std::size_t moves = 0;
  bool first = true;
  std::int64_t home_bus_checked = 0;

  auto pump = [&] {
    const auto st = h.mn.state(h.now);
    for (auto& bu : h.take<SendBu>()) {
      if (bu.bu.home_registration && bu.bu.lifetime > 0) {
        // RFC 5380 §6.1: within what is left of the MAP's grant for the RCoA.
        const auto b = std::find_if(st.bul.begin(), st.bul.end(), [&](const BulEntryView& e) { return e.rcoa == bu.lcoa; });
        REQUIRE(b != st.bul.end());
        REQUIRE(b->expires_in);
        CHECK(std::int64_t{bu.bu.lifetime} * 4 <= std::chrono::duration_cast<seconds>(*b->expires_in).count());
        ++home_bus_checked;
      }
      agents.receive(bu, h.now);
    }
    h.clear();
  };
  auto deliver = [&] {
    while (!agents.to_mn.empty() && agents.to_mn.front().at <= h.now) {
      h.mn.handle_mh(h.now, agents.to_mn.front().mh);
      agents.to_mn.pop_front();
      h.drain();
    }
  };
  while (h.now < end) {
    TimePoint t = std::min(next_move, next_ra);
    if (auto d = h.mn.poll_timeout()) t = std::min(t, *d);
    if (!agents.to_mn.empty()) t = std::min(t, agents.to_mn.front().at);
    if (t >= end) break;
    h.now = std::max(h.now, t);
    h.mn.handle_timeout(h.now);
    h.drain();
    deliver();
    if (h.now >= next_move) {
      if (!first) {
        h.set_link(link(false, {ars[at_ar].lcoa}));
        at_ar = (at_ar + 1) % ars.size();
        ++moves;
      }
      first = false;
      h.set_link(link(true, {ars[at_ar].lcoa}, true));
      h.give_ra(ars[at_ar].router, ra(ars[at_ar].prefix, ars[at_ar].opts));
      next_move = h.now + std::chrono::minutes(10);
      next_ra = h.now + seconds(200);
    } else if (h.now >= next_ra) {
      h.give_ra(ars[at_ar].router, ra(ars[at_ar].prefix, ars[at_ar].opts));
      next_ra = h.now + seconds(200);
    }
    pump();

    const auto st = h.mn.state(h.now);
    REQUIRE(st.home);
    if (st.home->status == HomeStatus::registered) {
      const auto it = agents.cache.find({kHa, kHome});
      REQUIRE(it != agents.cache.end());
      CHECK(it->second.expires > h.now);
      CHECK(it->second.coa == *st.home->coa);
    }
  }
  CHECK(h.violations.empty());
  CHECK(moves == 11);
  const auto& c = h.mn.counters();
  CHECK(c.intra_map_moves >= 3);
  CHECK(c.inter_map_moves >= 7);
  // The HA hears of inter-MAP moves only: one new care-of address each.
  CHECK(c.home_coa_changes == c.inter_map_moves);
  CHECK(home_bus_checked > 0);
  CHECK(c.home_ba_accepted > 0);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  WARN("home BUs sent " << c.home_bu_sent << ", retransmitted " << c.home_bu_retransmitted << ", accepted "
                        << c.home_ba_accepted << ", 135 resyncs " << c.home_sequence_resyncs << ", expired "
                        << c.home_expired << "; MAP BUs " << c.bu_sent);

  // Stop: the home deregistration reaches the HA before any MAP deregistration.
  agents.drop_every = 1000;
  const std::size_t before = agents.ha_log.size();
  h.mn.handle_stop(h.now);
  h.drain();
  bool map_dereg_seen = false;
  std::optional<TimePoint> home_dereg_at;
  while (!h.mn.finished()) {
    for (const auto& bu : h.out)
      if (const auto* b = std::get_if<SendBu>(&bu); b && b->bu.lifetime == 0) {
        if (b->bu.home_registration) {
          CHECK_FALSE(map_dereg_seen);
          home_dereg_at = h.now;
        } else {
          map_dereg_seen = true;
        }
      }
    pump();
    TimePoint t = end + std::chrono::hours(1);
    if (auto d = h.mn.poll_timeout()) t = std::min(t, *d);
    if (!agents.to_mn.empty()) t = std::min(t, agents.to_mn.front().at);
    h.now = t;
    h.mn.handle_timeout(h.now);
    h.drain();
    deliver();
  }
  CHECK(home_dereg_at);
  CHECK(agents.ha_log.size() > before);
  CHECK(agents.cache.count({kHa, kHome}) == 0);
  CHECK(h.kernel.empty());
  CHECK_FALSE(h.home_kernel);
}
