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

std::size_t SourceRateLimiter::AddrHash::operator()(const Ip6Addr& a) const noexcept {
  // The interface identifier varies most; fold in the prefix too.
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::memcpy(&hi, a.b.data(), 8);
  std::memcpy(&lo, a.b.data() + 8, 8);
  return static_cast<std::size_t>((lo ^ (hi * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL);
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
