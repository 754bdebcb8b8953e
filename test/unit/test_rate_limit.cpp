// core::TokenBucket and core::SourceRateLimiter (issue 13 item 15), and the
// MAP's per-LCoA limit on BAs that refuse junk Binding Updates.
#include <catch2/catch.hpp>

#include <cstring>
#include <set>

#include "hmip/core/rate_limit.h"
#include "test_map_util.h"

using namespace hmip;
using core::milliseconds;
using core::SourceLimits;
using core::SourceRateLimiter;
using core::TokenBucket;

namespace {

const core::TimePoint kStart = core::TimePoint{} + std::chrono::hours(1);

Ip6Addr source(unsigned i) {
  Ip6Addr a = Ip6Addr::must("2001:db8:1:1::");
  a.b[12] = static_cast<std::uint8_t>(i >> 24);
  a.b[13] = static_cast<std::uint8_t>(i >> 16);
  a.b[14] = static_cast<std::uint8_t>(i >> 8);
  a.b[15] = static_cast<std::uint8_t>(i);
  return a;
}

int allowed(SourceRateLimiter& l, core::TimePoint t, const Ip6Addr& a, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += l.allow(t, a) ? 1 : 0;
  return ok;
}

}  // namespace

TEST_CASE("token bucket: a burst, then one token per interval, never more than the burst", "[core][ratelimit]") {
  TokenBucket b(3, milliseconds(100));
  auto t = kStart;
  CHECK(b.full(t));
  CHECK(b.take(t));
  CHECK(b.take(t));
  CHECK(b.take(t));
  CHECK_FALSE(b.take(t));
  CHECK_FALSE(b.full(t));
  CHECK_FALSE(b.take(t + milliseconds(99)));
  CHECK(b.take(t + milliseconds(100)));
  CHECK_FALSE(b.take(t + milliseconds(150)));
  CHECK(b.take(t + milliseconds(200)));     // the 100 ms step is kept, not restarted at 150
  CHECK(b.full(t + milliseconds(500)));
  t += core::seconds(100);  // a long idle time refills to the burst, not beyond
  CHECK(b.take(t));
  CHECK(b.take(t));
  CHECK(b.take(t));
  CHECK_FALSE(b.take(t));
}

TEST_CASE("source limiter: a flooding source is limited, the others keep their own tokens", "[core][ratelimit]") {
  SourceRateLimiter l(SourceLimits{4, milliseconds(100), 16, 2, milliseconds(100)});
  const auto flood = source(1);
  const auto legit = source(2);
  auto t = kStart;
  CHECK(allowed(l, t, flood, 1000) == 4);
  CHECK(allowed(l, t, legit, 1) == 1);
  // One second of flood at 1000/s: 10 more tokens for the flooder, and the
  // legitimate node's refresh in the middle of it still passes.
  int flood_ok = 0;
  for (int ms = 1; ms <= 1000; ++ms) {
    flood_ok += l.allow(t + milliseconds(ms), flood) ? 1 : 0;
    if (ms == 500) CHECK(l.allow(t + milliseconds(ms), legit));
  }
  CHECK(flood_ok == 10);
  CHECK(l.counters().allowed == 4 + 1 + 10 + 1);
  CHECK(l.counters().limited == 996 + 990);
  CHECK(l.tracked() == 2);
}

TEST_CASE("source limiter: the table is bounded; idle sources are swept, a spray shares the overflow bucket",
          "[core][ratelimit]") {
  SourceRateLimiter l(SourceLimits{2, milliseconds(100), 4, 3, milliseconds(100)});
  auto t = kStart;
  for (unsigned i = 0; i < 4; ++i) CHECK(allowed(l, t, source(i), 2) == 2);  // 4 sources, buckets empty
  CHECK(l.tracked() == 4);
  // A spray of new sources: no room (nothing idle to sweep), so they share
  // the overflow bucket of 3.
  int spray_ok = 0;
  for (unsigned i = 100; i < 200; ++i) spray_ok += l.allow(t, source(i)) ? 1 : 0;
  CHECK(spray_ok == 3);
  CHECK(l.counters().overflow == 100);
  CHECK(l.tracked() == 4);
  // The tracked sources kept their own buckets meanwhile.
  CHECK(l.allow(t + milliseconds(100), source(0)));
  // Once idle long enough to be full again, they are swept for new ones.
  t += core::seconds(1);
  CHECK(l.allow(t, source(300)));
  CHECK(l.counters().swept == 4);
  CHECK(l.tracked() == 1);
}

TEST_CASE("source limiter: the address hash is keyed, so a sender cannot choose colliding sources",
          "[core][ratelimit]") {
  // Addresses built to collide under an unkeyed multiply-xor hash of the two
  // halves (the one the table used first): lo = c ^ hi * k for every hi.
  std::set<std::uint64_t> keyed;
  std::set<std::uint64_t> buckets;
  const core::HashKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  const core::HashKey key2{key[0] + 1, key[1]};
  int same_under_both = 0;
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    const std::uint64_t hi = 0x20010db800000000ULL + i;
    const std::uint64_t lo = 0x1234ULL ^ (hi * 0x9e3779b97f4a7c15ULL);
    Ip6Addr a;
    std::memcpy(a.b.data(), &hi, 8);
    std::memcpy(a.b.data() + 8, &lo, 8);
    const auto h = core::keyed_hash(key, a);
    const auto h2 = core::keyed_hash(key2, a);
    keyed.insert(h);
    buckets.insert(h % 4096);
    same_under_both += h == h2 ? 1 : 0;
    CHECK(core::keyed_hash(key, a) == h);  // a function of key and address only
  }
  CHECK(keyed.size() == 1000);
  CHECK(buckets.size() > 800);  // spread over a 4096-bucket table like random values (~890 expected)
  CHECK(same_under_both == 0);    // another key, other hashes
}

TEST_CASE("map: BAs refusing junk BUs are rate-limited per LCoA, counted, logged once", "[map][ratelimit]") {
  using namespace maptest;
  Harness h;
  // 100 BUs for an RCoA outside every RcoaPrefix (status 132) from one
  // trusted LCoA at the same instant.
  for (int i = 0; i < 100; ++i) h.bu({.rcoa = kRcoaOther, .seq = static_cast<std::uint16_t>(i)});
  auto bas = h.take<SendBa>();
  CHECK(bas.size() == map::kRefusalBaLimits.burst);
  CHECK(h.agent.counters().refused(wire::ba_status::kNotHomeSubnet) == 100);
  CHECK(h.agent.counters().ba_refusal_rate_limited == 100 - map::kRefusalBaLimits.burst);
  CHECK(h.agent.counters().ba_sent == map::kRefusalBaLimits.burst);
  // Another LCoA's refusal still gets its BA.
  h.bu({.rcoa = kRcoaOther, .lcoa = kLcoaAr2});
  CHECK(h.only_ba().lcoa == kLcoaAr2);
  // The flooding LCoA gets one more BA per interval.
  h.now += map::kRefusalBaLimits.interval;
  h.bu({.rcoa = kRcoaOther, .seq = 200});
  h.bu({.rcoa = kRcoaOther, .seq = 201});
  CHECK(h.take<SendBa>().size() == 1);
  // And a legitimate registration from it is not limited at all.
  h.bu({.seq = 300});
  REQUIRE(h.binding());
  CHECK(h.take<SendBa>().size() == 1);
}

TEST_CASE("map: the refusal log line is rate-limited", "[map][ratelimit]") {
  using namespace maptest;
  Harness h;
  for (int i = 0; i < 50; ++i) h.bu({.rcoa = kRcoaOther, .seq = static_cast<std::uint16_t>(i)});
  std::size_t lines = 0;
  for (const auto& e : h.take<LogEvent>())
    if (e.text.find("refused BU") != std::string::npos) ++lines;
  CHECK(lines == 1);
  h.now += kLogInterval;
  h.bu({.rcoa = kRcoaOther, .seq = 60});
  const auto logs = h.take<LogEvent>();
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].text.find("(49 similar suppressed)") != std::string::npos);
}

TEST_CASE("map: refusal BAs are limited by the packet's care-of address, not by the Alternate Care-of Address",
          "[map][ratelimit]") {
  using namespace maptest;
  Harness h;
  // One sender rotating the ACoA (all inside its trusted prefix) is still
  // one source: it gets the burst, not a burst per ACoA.
  for (int i = 0; i < 100; ++i) {
    Ip6Addr acoa = kLcoaAr1;
    acoa.b[15] = static_cast<std::uint8_t>(i + 1);
    h.bu({.rcoa = kRcoaOther, .seq = static_cast<std::uint16_t>(i), .options = {wire::AlternateCareOfAddressOption{acoa}}});
  }
  CHECK(h.take<SendBa>().size() == map::kRefusalBaLimits.burst);
  CHECK(h.agent.counters().ba_refusal_rate_limited == 100 - map::kRefusalBaLimits.burst);
  // Another sender naming AR2's LCoA as its ACoA does not spend that
  // LCoA's budget: AR2's own refusal is still answered.
  for (int i = 0; i < 20; ++i)
    h.bu({.rcoa = kRcoaOther, .lcoa = kLcoaAr1, .seq = static_cast<std::uint16_t>(200 + i),
          .options = {wire::AlternateCareOfAddressOption{kLcoaAr2}}});
  (void)h.take<SendBa>();
  h.bu({.rcoa = kRcoaOther, .lcoa = kLcoaAr2, .seq = 300});
  CHECK(h.only_ba().lcoa == kLcoaAr2);
}

TEST_CASE("map: what skips the per-source flood limit", "[map][ratelimit]") {
  using namespace maptest;
  Harness h;  // insecure testbed mode
  // Nothing bound yet: every source is charged.
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoa1, kLcoaAr1, kMap));
  h.bu({});
  REQUIRE(h.binding());
  // The refresh of the binding (its RCoA from its LCoA) is exempt ...
  CHECK(h.agent.source_limit_exempt(kRcoa1, kLcoaAr1, kMap));
  // ... not the same RCoA from another care-of address, nor without a HAO,
  // nor an RCoA outside the prefixes (no ESP in insecure mode).
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoa1, kLcoaAr2, kMap));
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoa1, std::nullopt, kMap));
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoaOther, kLcoaAr1, kMap));
}
