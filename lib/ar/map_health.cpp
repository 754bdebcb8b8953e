#include "hmip/ar/map_health.h"

#include <algorithm>

namespace hmip::ar {

core::Duration MapHealth::probe_period() const noexcept {
  return state_ == MapHealthState::up ? cfg_.interval : cfg_.retry_interval;
}

MapHealthChange MapHealth::answered(TimePoint now) {
  switch (state_) {
    case MapHealthState::up:
      return MapHealthChange::none;
    case MapHealthState::suspect:
      // It never failed: one answer clears the suspicion.
      state_ = MapHealthState::up;
      first_miss_.reset();
      misses_ = 0;
      return MapHealthChange::none;
    case MapHealthState::failed:
      ++consecutive_;
      // Damping: ProbeRestoreAfter replies in a row, and not before the
      // hold-down since the failure is over.
      if (consecutive_ >= std::max(1U, cfg_.restore_after) &&
          (!failed_since_ || now >= *failed_since_ + cfg_.restore_hold_down)) {
        state_ = MapHealthState::up;
        first_miss_.reset();
        failed_since_.reset();
        consecutive_ = 0;
        ++restores_;
        return MapHealthChange::restored;
      }
      return MapHealthChange::none;
  }
  return MapHealthChange::none;
}

MapHealthChange MapHealth::missed(TimePoint now) {
  switch (state_) {
    case MapHealthState::up:
      state_ = MapHealthState::suspect;
      first_miss_ = now;
      misses_ = 1;
      return timeout(now);  // fail_after 0 and fail_misses 1: fails on the first miss
    case MapHealthState::suspect:
      ++misses_;
      return timeout(now);
    case MapHealthState::failed:
      consecutive_ = 0;
      return MapHealthChange::none;
  }
  return MapHealthChange::none;
}

// Damping (issue 13 item 17): the fail_after clock only counts once
// fail_misses probes in a row went unanswered; before that the next miss
// (missed()) decides.
std::optional<TimePoint> MapHealth::deadline() const {
  if (state_ == MapHealthState::suspect && first_miss_ && misses_ >= std::max(1U, cfg_.fail_misses))
    return *first_miss_ + cfg_.fail_after;
  return std::nullopt;
}

MapHealthChange MapHealth::timeout(TimePoint now) {
  const auto d = deadline();
  if (!d || now < *d) return MapHealthChange::none;
  state_ = MapHealthState::failed;
  failed_since_ = now;
  consecutive_ = 0;
  misses_ = 0;
  ++failures_;
  return MapHealthChange::failed;
}

MapHealthChange MapHealth::force(MapHealthState s, TimePoint now) {
  if (s == state_) return MapHealthChange::none;
  const bool was_failed = failed();
  state_ = s;
  consecutive_ = 0;
  misses_ = s == MapHealthState::suspect ? 1 : 0;
  if (s == MapHealthState::failed) {
    failed_since_ = now;
    ++failures_;
    return MapHealthChange::failed;
  }
  if (s == MapHealthState::suspect) {
    first_miss_ = now;
  } else {
    first_miss_.reset();
  }
  failed_since_.reset();
  if (was_failed) {
    ++restores_;
    return MapHealthChange::restored;
  }
  return MapHealthChange::none;
}

TimePoint EchoProber::due(core::Duration period, TimePoint start) const {
  return last_sent_ ? *last_sent_ + period : start;
}

std::uint16_t EchoProber::sent(TimePoint now, core::Duration reply_timeout) {
  const std::uint16_t seq = seq_++;
  // A sequence number still outstanding 65536 probes later is long stale.
  std::erase_if(outstanding_, [&](const Outstanding& o) { return o.seq == seq; });
  outstanding_.push_back({seq, now, now + reply_timeout});
  last_sent_ = now;
  ++sent_;
  return seq;
}

bool EchoProber::reply(std::uint16_t seq, TimePoint now) {
  const auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                               [&](const Outstanding& o) { return o.seq == seq && now < o.deadline; });
  if (it == outstanding_.end()) {
    ++stale_;
    return false;
  }
  last_rtt_ = std::chrono::duration_cast<core::Duration>(now - it->sent);
  last_reply_ = now;
  outstanding_.erase(it);
  ++replies_;
  return true;
}

unsigned EchoProber::expire(TimePoint now) {
  unsigned n = 0;
  std::erase_if(outstanding_, [&](const Outstanding& o) {
    if (now < o.deadline) return false;
    ++n;
    return true;
  });
  misses_ += n;
  return n;
}

std::optional<TimePoint> EchoProber::reply_deadline() const {
  std::optional<TimePoint> d;
  for (const auto& o : outstanding_)
    if (!d || o.deadline < *d) d = o.deadline;
  return d;
}

}  // namespace hmip::ar
