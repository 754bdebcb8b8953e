// Deadlines of the MAP's bindings and pending registrations, ordered by
// time: O(log n) to set, move or cancel one, O(1) to find the earliest. One
// entry per (key, kind) at most; the owner remembers the deadline it set so
// that it can move or cancel it (no scan over all bindings per event).
#pragma once

#include <cstdint>
#include <optional>
#include <set>

#include "hmip/map/map_types.h"

namespace hmip::map {

class TimerQueue {
 public:
  enum class Kind : std::uint8_t { binding, dad, txn };  ///< txn: a Multiple CoA BU's backstop (key {address, 0})
  struct Entry {
    TimePoint at;
    Kind kind = Kind::binding;
    BindingKey key;
  };

  /// Moves (key, kind)'s deadline from `old_at` (nullopt: none set) to
  /// `at` (nullopt: cancel). `old_at` must be what was last set.
  void set(const BindingKey& key, Kind kind, std::optional<TimePoint> old_at, std::optional<TimePoint> at);
  /// The earliest deadline, if any.
  [[nodiscard]] std::optional<TimePoint> earliest() const;
  /// Removes and returns the earliest entry whose deadline is <= now.
  std::optional<Entry> pop_due(TimePoint now);
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  void clear() noexcept { entries_.clear(); }

 private:
  struct Less {
    bool operator()(const Entry& x, const Entry& y) const noexcept;
  };
  std::set<Entry, Less> entries_;
};

}  // namespace hmip::map
