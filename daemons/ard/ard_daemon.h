// ard's wiring: the AccessRouter core fed from the raw ICMPv6 sockets, the
// netlink link watcher, the control socket and signals, driven by one
// steady_timer at the core's poll_timeout(). No protocol decisions here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hmip/ar/access_router.h"
#include "hmip/ar/config.h"
#include "hmip/io/control.h"
#include "hmip/io/core_timer.h"
#include "hmip/io/daemon_shell.h"
#include "hmip/io/handler_guard.h"
#include "hmip/io/icmpv6_socket.h"
#include "hmip/io/link_watcher.h"
#include "hmip/io/log.h"

namespace hmip::ard {

using Options = io::DaemonOptions;

class Daemon {
 public:
  /// Builds the core from `cfg`. Nothing is opened yet.
  Daemon(boost::asio::io_context& io, Options opts, ar::ArdConfig cfg, io::Logger& log);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  /// Opens the sockets, the netlink watcher, the control socket and the
  /// signal handlers, starts the core and tells systemd READY=1. Throws
  /// std::system_error / std::runtime_error when something cannot be set up
  /// (no CAP_NET_RAW, another ard on the control socket, ...).
  void start();

  using ReloadResult = io::ReloadResult;
  /// SIGHUP (and hmipctl ard reload): re-reads the configuration file; on
  /// errors logs each one and keeps the running configuration
  /// (io::DaemonShell::reload()). A new ControlSocket moves the socket.
  ReloadResult reload();
  /// SIGTERM/SIGINT: final RAs (Router Lifetime 0), then closes everything
  /// so that io_context::run() returns.
  void shutdown();

 private:
  void on_link(const io::LinkChange& c);
  void on_nd(const io::Icmpv6Packet& p);
  void on_echo(const io::Icmpv6Packet& p);
  void pump();
  void arm_timer();
  void perform(const ar::SendRa& a);
  void perform(const ar::SendEcho& a);
  void perform(const ar::LogEvent& a);
  void sync_memberships();
  void register_commands();
  [[nodiscard]] io::Json daemon_counters() const;
  [[nodiscard]] std::string status_text() const;

  struct Counters {
    std::uint64_t nd_received = 0;
    std::uint64_t nd_ignored = 0;
    std::uint64_t nd_invalid = 0;
    std::uint64_t echo_replies = 0;
    std::uint64_t ra_sent = 0;
    std::uint64_t echo_sent = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t receive_errors = 0;
  };

  boost::asio::io_context& io_;
  io::Logger& log_;
  ar::AccessRouter core_;
  io::HandlerGuard guard_;  ///< wraps every event handler: an exception is logged, counted, survived
  io::DaemonShell shell_;   ///< control socket, signals, sd_notify, reload and the stop's start
  io::CoreTimer timer_;     ///< at the core's poll_timeout()
  std::unique_ptr<io::Icmpv6Socket> nd_;
  std::unique_ptr<io::Icmpv6Socket> echo_;
  std::unique_ptr<io::LinkWatcher> links_;
  std::map<int, std::string> joined_;  ///< ifindex -> name: ff02::2 joined there
  Counters counters_;
};

}  // namespace hmip::ard
