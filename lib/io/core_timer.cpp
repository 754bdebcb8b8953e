#include "hmip/io/core_timer.h"

#include <utility>

namespace hmip::io {

CoreTimer::CoreTimer(boost::asio::io_context& io, HandlerGuard& guard, Expiry on_expiry)
    : timer_(io), guard_(guard), on_expiry_(std::move(on_expiry)) {}

void CoreTimer::arm(std::optional<core::TimePoint> deadline) {
  if (!deadline) {
    cancel();
    return;
  }
  timer_.expires_at(*deadline);
  timer_.async_wait(guard_.wrap("timer", [this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled or re-armed: `this` may be gone
    on_expiry_(core::Clock::now());
  }));
}

void CoreTimer::cancel() { timer_.cancel(); }

}  // namespace hmip::io
