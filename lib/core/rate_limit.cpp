#include "hmip/core/rate_limit.h"

#include <algorithm>
#include <cstring>

namespace hmip::core {

void TokenBucket::refill(TimePoint now) noexcept {
  if (!last_) {
    last_ = now;
    return;
  }
  if (now <= *last_ || interval_.count() <= 0) return;
  const std::int64_t steps = (now - *last_) / interval_;
  if (steps <= 0) return;
  if (steps >= static_cast<std::int64_t>(burst_ - tokens_)) {
    tokens_ = burst_;
    last_ = now;  // full: the fraction of a step left over does not matter
  } else {
    tokens_ += static_cast<std::uint32_t>(steps);
    *last_ += steps * interval_;
  }
}

bool TokenBucket::take(TimePoint now) noexcept {
  refill(now);
  if (tokens_ == 0) return false;
  --tokens_;
  return true;
}

bool TokenBucket::full(TimePoint now) const noexcept {
  if (tokens_ >= burst_ || !last_) return true;
  if (now <= *last_ || interval_.count() <= 0) return false;
  return (now - *last_) / interval_ >= static_cast<std::int64_t>(burst_ - tokens_);
}

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void absorb(std::uint64_t m) noexcept {  // one compression round (SipHash-1-3)
    v3 ^= m;
    round();
    v0 ^= m;
  }
};

}  // namespace

std::uint64_t keyed_hash(const HashKey& key, const Ip6Addr& a) noexcept {
  SipState s{key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL, key[0] ^ 0x6c7967656e657261ULL,
             key[1] ^ 0x7465646279746573ULL};
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::memcpy(&hi, a.b.data(), 8);
  std::memcpy(&lo, a.b.data() + 8, 8);
  s.absorb(hi);
  s.absorb(lo);
  s.absorb(std::uint64_t{16} << 56);  // the length block of a 16-byte message
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void SourceRateLimiter::sweep(TimePoint now) {
  if (last_sweep_ && now - *last_sweep_ < limits_.interval) return;
  last_sweep_ = now;
  const auto n = std::erase_if(buckets_, [now](const auto& e) { return e.second.full(now); });
  counters_.swept += n;
}

bool SourceRateLimiter::allow(TimePoint now, const Ip6Addr& source) {
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_sources) sweep(now);
    if (buckets_.size() >= limits_.max_sources) {
      ++counters_.overflow;
      const bool ok = overflow_.take(now);
      ++(ok ? counters_.allowed : counters_.limited);
      return ok;
    }
    it = buckets_.emplace(source, TokenBucket(limits_.burst, limits_.interval)).first;
  }
  const bool ok = it->second.take(now);
  ++(ok ? counters_.allowed : counters_.limited);
  return ok;
}

}  // namespace hmip::core
