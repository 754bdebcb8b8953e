#include "hmip/io/signals.h"

#include <csignal>

namespace hmip::io {

SignalWatcher::SignalWatcher(boost::asio::io_context& io, Handler on_reload, Handler on_shutdown)
    : set_(io, SIGHUP, SIGTERM, SIGINT), on_reload_(std::move(on_reload)), on_shutdown_(std::move(on_shutdown)) {
  std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
  arm();
}

SignalWatcher::~SignalWatcher() {
  *alive_ = false;
  stop();
}

void SignalWatcher::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  set_.clear(ignored);
  set_.cancel(ignored);
}

void SignalWatcher::arm() {
  std::weak_ptr<bool> alive = alive_;
  set_.async_wait([this, alive](const boost::system::error_code& ec, int signo) {
    if (alive.expired() || ec || stopped_) return;
    if (signo == SIGHUP) {
      if (on_reload_) on_reload_(signo);
    } else if (on_shutdown_) {
      on_shutdown_(signo);
    }
    if (!alive.expired() && !stopped_) arm();
  });
}

}  // namespace hmip::io
