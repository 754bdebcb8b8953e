// Is a MAP alive? (RFC 5380 §10, draft-ietf-mipshop-4140bis §10.)
//
// Two separate pieces, so a stronger probe can replace ICMP Echo later
// without touching the policy (RFC 5380 §10: "any similar mechanism between
// the MAP and an AR SHOULD be secure"):
//
//   MapHealth   the policy. Fed only "probe answered" / "probe missed" and
//               the time; decides up / suspect / failed with hysteresis and
//               how often the next probe should go. Knows nothing about how
//               a MAP is asked.
//   EchoProber  one transport: ICMPv6 Echo Request/Reply (4140bis §10's
//               "ICMP Echo request messages to the MAP regularly"). Owns the
//               Echo Identifier, the sequence numbers, the outstanding
//               probes and their reply timeout; turns replies and timeouts
//               into MapHealth's answered/missed. A secured health query
//               would be a sibling of this class with the same shape
//               (due() / sent() / reply() / expire()).
//
// Both are sans-IO value types: time in, decisions out.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hmip/ar/config.h"
#include "hmip/core/time.h"

namespace hmip::ar {

using core::TimePoint;

enum class MapHealthState : std::uint8_t {
  up,       ///< answering (or not probed): advertised with its lifetime
  suspect,  ///< missed a probe, not yet fail_misses in a row for fail_after: still advertised, probed every retry_interval
  failed,   ///< advertised with Valid Lifetime 0 (RFC 5380 §10) until restore_after consecutive replies after restore_hold_down
};

/// What a MapHealth input changed.
enum class MapHealthChange : std::uint8_t { none, failed, restored };

class MapHealth {
 public:
  explicit MapHealth(const MapProbeConfig& cfg) : cfg_(cfg) {}

  /// New parameters; the state (and the failure deadline, recomputed from
  /// the first miss) is kept.
  void reconfigure(const MapProbeConfig& cfg) { cfg_ = cfg; }
  [[nodiscard]] const MapProbeConfig& config() const noexcept { return cfg_; }

  [[nodiscard]] MapHealthState state() const noexcept { return state_; }
  [[nodiscard]] bool failed() const noexcept { return state_ == MapHealthState::failed; }

  /// Time between two probes in the current state: interval while up,
  /// retry_interval after a miss and while failed.
  [[nodiscard]] core::Duration probe_period() const noexcept;

  /// A probe was answered. suspect -> up at once (it never failed);
  /// failed -> up only after restore_after consecutive answers, and not
  /// before restore_hold_down has passed since the failure (damping).
  MapHealthChange answered(TimePoint now);
  /// A probe went unanswered. up -> suspect (the fail_after clock starts);
  /// failed: the run of consecutive answers starts again.
  MapHealthChange missed(TimePoint now);
  /// Checks the failure: suspect -> failed once fail_misses probes in a row
  /// went unanswered and fail_after has passed since the first of them
  /// (damping: one lost burst of echoes is not a failure).
  MapHealthChange timeout(TimePoint now);
  /// When timeout() has something to do (the failure deadline), if anything.
  [[nodiscard]] std::optional<TimePoint> deadline() const;

  /// Forces a state, e.g. manual intervention (4140bis §10) or probing
  /// switched off by a reload (-> up). Returns the change it made.
  MapHealthChange force(MapHealthState s, TimePoint now);

  // Introspection.
  [[nodiscard]] std::optional<TimePoint> first_miss() const noexcept { return first_miss_; }
  [[nodiscard]] std::optional<TimePoint> failed_since() const noexcept { return failed_since_; }
  [[nodiscard]] unsigned consecutive_answers() const noexcept { return consecutive_; }
  [[nodiscard]] unsigned consecutive_misses() const noexcept { return misses_; }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }
  [[nodiscard]] std::uint64_t restores() const noexcept { return restores_; }

 private:
  MapProbeConfig cfg_;
  MapHealthState state_ = MapHealthState::up;
  std::optional<TimePoint> first_miss_;
  std::optional<TimePoint> failed_since_;
  unsigned consecutive_ = 0;
  unsigned misses_ = 0;  ///< probes unanswered in a row while suspect
  std::uint64_t failures_ = 0;
  std::uint64_t restores_ = 0;
};

/// ICMPv6 Echo probing of one MAP address. The Identifier is fixed per MAP
/// (chosen by the owner, unique among the MAPs); sequence numbers increase
/// per probe. A reply counts only if it comes from the MAP's address, with
/// its Identifier and the sequence number of a probe still outstanding
/// (sent less than reply_timeout ago); anything else is stale and ignored.
class EchoProber {
 public:
  EchoProber(std::uint16_t id, std::uint16_t first_seq) : id_(id), seq_(first_seq) {}

  [[nodiscard]] std::uint16_t id() const noexcept { return id_; }

  /// When the next probe is due: at once if none was sent yet, else
  /// last sent + period (MapHealth::probe_period()).
  [[nodiscard]] TimePoint due(core::Duration period, TimePoint start) const;
  /// Records a probe sent at `now`; returns its sequence number.
  std::uint16_t sent(TimePoint now, core::Duration reply_timeout);
  /// A reply with sequence `seq` at `now`: true if it answers an
  /// outstanding probe (which it then retires), false if stale.
  bool reply(std::uint16_t seq, TimePoint now);
  /// Retires the probes whose reply timeout passed by `now`; returns how many (misses).
  unsigned expire(TimePoint now);
  /// The earliest reply deadline, if a probe is outstanding.
  [[nodiscard]] std::optional<TimePoint> reply_deadline() const;
  /// Forgets outstanding probes (probing switched off).
  void reset() { outstanding_.clear(); }

  // Introspection.
  [[nodiscard]] std::uint64_t probes_sent() const noexcept { return sent_; }
  [[nodiscard]] std::uint64_t replies() const noexcept { return replies_; }
  [[nodiscard]] std::uint64_t misses() const noexcept { return misses_; }
  [[nodiscard]] std::uint64_t stale_replies() const noexcept { return stale_; }
  [[nodiscard]] std::optional<TimePoint> last_sent() const noexcept { return last_sent_; }
  [[nodiscard]] std::optional<TimePoint> last_reply() const noexcept { return last_reply_; }
  [[nodiscard]] std::optional<core::Duration> last_rtt() const noexcept { return last_rtt_; }

 private:
  struct Outstanding {
    std::uint16_t seq;
    TimePoint sent;
    TimePoint deadline;
  };
  std::uint16_t id_;
  std::uint16_t seq_;
  std::vector<Outstanding> outstanding_;
  std::optional<TimePoint> last_sent_;
  std::optional<TimePoint> last_reply_;
  std::optional<core::Duration> last_rtt_;
  std::uint64_t sent_ = 0;
  std::uint64_t replies_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t stale_ = 0;
};

}  // namespace hmip::ar
