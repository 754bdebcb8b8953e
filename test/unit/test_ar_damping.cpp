// The damping of ard's MAP failure detection (issue 13 item 17;
// hmip/ar/map_health.h): one lost burst of echoes must not fail a MAP (every
// mobile node under the AR would drop its bindings), a sustained failure
// still must within the detection time ard.conf(5) documents, and a failed
// MAP is not restored within ProbeRestoreHoldDown. Virtual time only: the
// loop below drives MapHealth and EchoProber as AccessRouter::service_maps
// does.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "hmip/ar/map_health.h"

using namespace hmip;
using namespace hmip::ar;
using core::Duration;
using core::milliseconds;
using core::seconds;

namespace {

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);
constexpr Duration kRtt = milliseconds(10);

/// One probed MAP; `alive(t)` says whether a probe sent at t is answered
/// (after kRtt).
struct ProbeLoop {
  MapHealth health;
  EchoProber prober{0x1234, 1};
  std::function<bool(TimePoint)> alive;
  std::optional<TimePoint> failed_at;
  std::optional<TimePoint> restored_at;
  std::vector<std::pair<std::uint16_t, TimePoint>> replies;  ///< (seq, arrival)
  TimePoint now = kT0;

  ProbeLoop(const MapProbeConfig& cfg, std::function<bool(TimePoint)> a) : health(cfg), alive(std::move(a)) {}

  void note(MapHealthChange c) {
    if (c == MapHealthChange::failed && !failed_at) failed_at = now;
    if (c == MapHealthChange::restored && !restored_at) restored_at = now;
  }
  void step() {
    for (auto it = replies.begin(); it != replies.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      if (prober.reply(it->first, now)) note(health.answered(now));
      it = replies.erase(it);
    }
    for (unsigned n = prober.expire(now); n > 0; --n) note(health.missed(now));
    note(health.timeout(now));
    if (prober.due(health.probe_period(), now) <= now) {
      const auto seq = prober.sent(now, health.config().reply_timeout);
      if (alive(now)) replies.emplace_back(seq, now + kRtt);
    }
  }
  void run_until(TimePoint end) {
    for (; now <= end; now += milliseconds(10)) step();
    now = end;
  }
};

MapProbeConfig rfc_defaults() { return MapProbeConfig{}; }  // 10 / 5 / 15 / 2, 3 misses, 30 s hold-down

}  // namespace

TEST_CASE("ar damping: a lost burst shorter than ProbeFailMisses echoes does not fail the MAP", "[ar][damping]") {
  // The tightest schedule the configuration allows: ProbeFailAfter equal to
  // ProbeRetryInterval. Without damping the second missed echo failed the MAP.
  MapProbeConfig cfg;
  cfg.interval = seconds(10);
  cfg.retry_interval = seconds(5);
  cfg.fail_after = seconds(5);
  cfg.reply_timeout = seconds(2);
  cfg.fail_misses = 3;
  // Echoes sent in [10 s, 16 s) are lost: the one at 10 s and the retry at 15 s.
  ProbeLoop p(cfg, [](TimePoint t) { return t < kT0 + seconds(10) || t >= kT0 + seconds(16); });
  p.run_until(kT0 + seconds(17) + milliseconds(10));
  CHECK(p.health.state() == MapHealthState::suspect);
  CHECK(p.health.consecutive_misses() == 2U);
  CHECK_FALSE(p.health.deadline());  // the clock only counts from the third miss
  p.run_until(kT0 + seconds(60));
  CHECK_FALSE(p.failed_at);
  CHECK(p.health.failures() == 0U);
  CHECK(p.health.state() == MapHealthState::up);
  CHECK(p.prober.misses() == 2U);
}

TEST_CASE("ar damping: a sustained failure fails the MAP within the documented detection time", "[ar][damping]") {
  for (const unsigned misses : {1U, 3U, 5U}) {
    MapProbeConfig cfg = rfc_defaults();
    cfg.fail_misses = misses;
    // The MAP stops just after answering the probe at 0 s (the worst case).
    ProbeLoop p(cfg, [](TimePoint t) { return t < kT0 + seconds(1); });
    p.run_until(kT0 + seconds(120));
    REQUIRE(p.failed_at);
    // ard.conf(5): ProbeInterval + ProbeTimeout + max(ProbeFailAfter, (ProbeFailMisses - 1) x ProbeRetryInterval).
    const Duration detection =
        cfg.interval + cfg.reply_timeout +
        std::max<Duration>(cfg.fail_after, cfg.retry_interval * static_cast<int>(misses - 1));
    INFO("ProbeFailMisses " << misses);
    CHECK(*p.failed_at - kT0 == detection);  // 27 s with the defaults
    CHECK(p.health.failures() == 1U);
  }
}

TEST_CASE("ar damping: a failed MAP is not restored within ProbeRestoreHoldDown", "[ar][damping]") {
  MapProbeConfig cfg = rfc_defaults();
  cfg.restore_after = 3;
  cfg.restore_hold_down = seconds(30);
  // Dead from 1 s to 40 s: failed at 27 s; probed every ProbeRetryInterval
  // while failed (30, 35, 40, 45 ... s), answered again from 40 s.
  ProbeLoop p(cfg, [](TimePoint t) { return t < kT0 + seconds(1) || t >= kT0 + seconds(40); });
  p.run_until(kT0 + seconds(120));
  REQUIRE(p.failed_at);
  CHECK(*p.failed_at - kT0 == seconds(27));
  REQUIRE(p.restored_at);
  // Three replies in a row by 50 s (probes at 40, 45, 50 s), but held down
  // until 57 s: the reply to the probe at 60 s restores it.
  CHECK(*p.restored_at - *p.failed_at >= cfg.restore_hold_down);
  CHECK(*p.restored_at - kT0 == seconds(60) + kRtt);
  CHECK(p.health.restores() == 1U);

  // Without a hold-down the same replies restore it at the third one.
  cfg.restore_hold_down = Duration{0};
  ProbeLoop q(cfg, [](TimePoint t) { return t < kT0 + seconds(1) || t >= kT0 + seconds(40); });
  q.run_until(kT0 + seconds(120));
  REQUIRE(q.restored_at);
  CHECK(*q.restored_at - kT0 == seconds(50) + kRtt);
}
