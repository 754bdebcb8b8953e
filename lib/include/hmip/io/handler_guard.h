// Keeps one failing event handler from ending a daemon's event loop (issue
// 13 item 13). An exception that escapes an Asio completion handler leaves
// io_context::run() and ends the daemon; worse, the I/O object whose
// handler threw never re-arms its wait (MhSocket, LinkWatcher, the timers),
// so even a caller that restarted run() would stop serving that socket.
//
// Every handler a daemon gives to an I/O object (Mobility Header, ND and
// netlink receive handlers, timer completions, signals) is wrapped with
// HandlerGuard::wrap(): an exception is caught at that handler, reported
// (the daemon logs it) and counted (`handler_exceptions` in `hmipctl
// <daemon> show counters`), and the loop goes on with the next event. The
// handler's own state may be half-updated by the exception; the cores keep
// their invariants per event, so the next event starts from a consistent core.
//
// Not thread-safe: one io_context thread, like the daemons.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace hmip::io {

class HandlerGuard {
 public:
  /// Called for each caught exception with the handler's name and what()
  /// ("unknown exception" for a non-std exception). Must not throw (what it
  /// throws is swallowed).
  using Reporter = std::function<void(std::string_view handler, std::string_view what)>;

  explicit HandlerGuard(Reporter report) : report_(std::move(report)) {}

  /// Runs `f()`, catching whatever it throws.
  template <class F>
  void run(std::string_view handler, F&& f) noexcept {
    try {
      std::forward<F>(f)();
    } catch (const std::exception& e) {
      failed(handler, e.what());
    } catch (...) {
      failed(handler, "unknown exception");
    }
  }

  /// `f` as a handler that never throws: any arguments are passed on, the
  /// result (handlers return void) is discarded. The guard must outlive
  /// the returned callable.
  template <class F>
  [[nodiscard]] auto wrap(std::string handler, F f) {
    return [guard = this, handler = std::move(handler), f = std::move(f)](auto&&... args) mutable noexcept {
      guard->run(handler, [&] { (void)f(std::forward<decltype(args)>(args)...); });
    };
  }

  /// Exceptions caught so far.
  [[nodiscard]] std::uint64_t caught() const noexcept { return caught_; }

 private:
  void failed(std::string_view handler, std::string_view what) noexcept;

  Reporter report_;
  std::uint64_t caught_ = 0;
};

}  // namespace hmip::io
