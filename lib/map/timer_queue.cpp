// The MAP's deadline queue (hmip/map/timer_queue.h).
#include "hmip/map/timer_queue.h"

namespace hmip::map {

bool TimerQueue::Less::operator()(const Entry& x, const Entry& y) const noexcept {
  if (x.at != y.at) return x.at < y.at;
  if (x.kind != y.kind) return x.kind < y.kind;
  return BindingKeyLess{}(x.key, y.key);
}

void TimerQueue::set(const BindingKey& key, Kind kind, std::optional<TimePoint> old_at,
                     std::optional<TimePoint> at) {
  if (old_at == at) return;
  if (old_at) entries_.erase(Entry{*old_at, kind, key});
  if (at) entries_.insert(Entry{*at, kind, key});
}

std::optional<TimePoint> TimerQueue::earliest() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.begin()->at;
}

std::optional<TimerQueue::Entry> TimerQueue::pop_due(TimePoint now) {
  if (entries_.empty() || entries_.begin()->at > now) return std::nullopt;
  Entry e = *entries_.begin();
  entries_.erase(entries_.begin());
  return e;
}

}  // namespace hmip::map
