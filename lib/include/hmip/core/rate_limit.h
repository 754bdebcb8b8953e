// Token buckets for the sans-IO cores and the daemons' input paths (issue 13
// item 15): time is passed in, nothing here reads a clock.
//
// TokenBucket: `burst` tokens, one more per `interval`, up to `burst`.
//
// SourceRateLimiter: one TokenBucket per source address, so that one
// flooding source cannot use up what the others are allowed. The table is
// bounded (`max_sources`): a source whose bucket is full again carries no
// state worth keeping, so when the table is full such entries are swept out
// (at most once per `interval`, so a spray of new sources cannot make every
// packet pay for a sweep). A new source that still finds no room shares one
// overflow bucket (`overflow_burst`, one token per `overflow_interval`)
// with every other untracked source: a spray of spoofed sources is bounded
// as a whole, and the sources already tracked keep their own buckets.
// The table hashes addresses with a secret key (HashKey, SipHash-1-3): the
// sources are chosen by whoever sends the packets, and an unkeyed hash lets a
// sender pick addresses that all land in one bucket, turning every lookup
// into a walk of the whole table. The daemons key it from std::random_device;
// tests pass a constant.
#pragma once

#include <cstddef>
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "hmip/core/time.h"
#include "hmip/wire/addr.h"

namespace hmip::core {

class TokenBucket {
 public:
  TokenBucket(std::uint32_t burst, Duration interval) noexcept
      : burst_(burst), interval_(interval), tokens_(burst) {}

  /// Takes one token if there is one at `now`.
  bool take(TimePoint now) noexcept;
  /// Whether the bucket has refilled to `burst` at `now` (it then behaves
  /// like a fresh one).
  [[nodiscard]] bool full(TimePoint now) const noexcept;

 private:
  void refill(TimePoint now) noexcept;

  std::uint32_t burst_;
  Duration interval_;
  std::uint32_t tokens_;
  std::optional<TimePoint> last_;  ///< time of the last whole refill step
};

struct SourceLimits {
  std::uint32_t burst = 32;
  Duration interval = milliseconds(10);  ///< one token per interval per source
  std::size_t max_sources = 4096;
  std::uint32_t overflow_burst = 256;
  Duration overflow_interval = milliseconds(1);
};

struct SourceLimiterCounters {
  std::uint64_t allowed = 0;
  std::uint64_t limited = 0;        ///< refused: the source's bucket (or the overflow bucket) was empty
  std::uint64_t overflow = 0;       ///< decisions made on the shared overflow bucket (table full)
  std::uint64_t swept = 0;          ///< idle sources dropped from the table
  friend bool operator==(const SourceLimiterCounters&, const SourceLimiterCounters&) = default;
};

/// The secret of a keyed address hash (two SipHash key words).
using HashKey = std::array<std::uint64_t, 2>;

/// SipHash-1-3 of the 16 address bytes under `key`: keyed, so that a sender
/// who does not know the key cannot choose colliding addresses.
[[nodiscard]] std::uint64_t keyed_hash(const HashKey& key, const Ip6Addr& a) noexcept;

class SourceRateLimiter {
 public:
  explicit SourceRateLimiter(SourceLimits limits = {}, HashKey key = {}) noexcept
      : limits_(limits), buckets_(0, AddrHash{key}), overflow_(limits.overflow_burst, limits.overflow_interval) {}

  /// Whether one more message from `source` may be processed at `now`;
  /// counted either way.
  bool allow(TimePoint now, const Ip6Addr& source);

  [[nodiscard]] const SourceLimiterCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t tracked() const noexcept { return buckets_.size(); }
  [[nodiscard]] const SourceLimits& limits() const noexcept { return limits_; }

 private:
  struct AddrHash {
    HashKey key{};
    std::size_t operator()(const Ip6Addr& a) const noexcept { return static_cast<std::size_t>(keyed_hash(key, a)); }
  };
  void sweep(TimePoint now);

  SourceLimits limits_;
  std::unordered_map<Ip6Addr, TokenBucket, AddrHash> buckets_;
  TokenBucket overflow_;
  std::optional<TimePoint> last_sweep_;
  SourceLimiterCounters counters_;
};

}  // namespace hmip::core
