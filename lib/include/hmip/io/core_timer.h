// The one timer a daemon drives its sans-IO core with (issue 13 item 21):
// after each batch of events the daemon arms it at the earliest deadline it
// has (the core's poll_timeout(), its own DADs or stop grace), or cancels it
// with none; when it fires, `on_expiry(now)` runs through the daemon's
// HandlerGuard (an exception is logged and counted as the "timer" handler's).
// Re-arming replaces the previous deadline; a cancelled or replaced wait
// never calls on_expiry.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>

#include "hmip/core/time.h"
#include "hmip/io/handler_guard.h"

namespace hmip::io {

class CoreTimer {
 public:
  using Expiry = std::function<void(core::TimePoint now)>;

  /// `guard` must outlive the timer.
  CoreTimer(boost::asio::io_context& io, HandlerGuard& guard, Expiry on_expiry);

  /// Fires at `deadline` (at once if it has passed); nullopt: cancel().
  void arm(std::optional<core::TimePoint> deadline);
  void cancel();

 private:
  boost::asio::steady_timer timer_;
  HandlerGuard& guard_;
  Expiry on_expiry_;
};

}  // namespace hmip::io
