// Time as the sans-IO cores see it: always passed in, never read from a
// clock inside lib/core or lib/ar. The daemons feed steady_clock::now();
// tests and simulations feed virtual time.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace hmip::core {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

using std::chrono::milliseconds;
using std::chrono::seconds;

/// A seeded pseudo-random source the cores draw jitter from. The daemons seed
/// it from std::random_device; tests seed it with a constant, so runs repeat.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}

  /// Uniform in [lo, hi] (lo if hi < lo).
  Duration uniform(Duration lo, Duration hi) {
    if (hi <= lo) return lo;
    std::uniform_int_distribution<Duration::rep> d(lo.count(), hi.count());
    return Duration(d(gen_));
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(gen_()); }

 private:
  std::mt19937_64 gen_;
};

}  // namespace hmip::core
