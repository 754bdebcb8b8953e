// The daemons' signals through boost::asio::signal_set, so handlers run on
// the io_context like every other event: SIGHUP -> reload, SIGTERM and
// SIGINT -> shutdown. SIGPIPE is ignored (sockets use MSG_NOSIGNAL anyway).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <memory>

namespace hmip::io {

class SignalWatcher {
 public:
  using Handler = std::function<void(int signo)>;

  SignalWatcher(boost::asio::io_context& io, Handler on_reload, Handler on_shutdown);
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher();

  /// Stops listening (the signals go back to their default actions).
  void stop();

 private:
  void arm();

  boost::asio::signal_set set_;
  Handler on_reload_;
  Handler on_shutdown_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hmip::io
