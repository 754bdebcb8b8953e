// mnd's wiring: the MobileNode core fed from the netlink link watcher
// (links, addresses, carrier), the raw ICMPv6 socket (Router Advertisements
// in, Router Solicitations out), the raw Mobility Header socket (BA, BRR, BE
// in; BUs out from the RCoA, the kernel adding the Home Address option), the
// control socket and signals; one steady_timer at the core's poll_timeout();
// kernel state through kglue::Dataplane. No protocol decisions here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hmip/io/control.h"
#include "hmip/io/core_timer.h"
#include "hmip/io/daemon_shell.h"
#include "hmip/io/dhaad_socket.h"
#include "hmip/io/handler_guard.h"
#include "hmip/io/icmpv6_socket.h"
#include "hmip/io/link_watcher.h"
#include "hmip/io/log.h"
#include "hmip/io/mh_socket.h"
#include "hmip/kglue/dataplane.h"
#include "hmip/mn/config.h"
#include "hmip/mn/mobile_node.h"
#include "ike_agent.h"

namespace hmip::mnd {

using Options = io::DaemonOptions;

/// How long a clean stop waits for the deregistrations' BAs before it
/// removes the kernel state anyway: the home deregistration and then the
/// MAP's (mobile_node.h "Stop"), each allowed InitialBindackTimeout (1 s by
/// default) before the core gives it up.
inline constexpr core::Duration kStopGrace = core::milliseconds(2500);

class Daemon {
 public:
  Daemon(boost::asio::io_context& io, Options opts, mn::MndConfig cfg, io::Logger& log,
         std::unique_ptr<kglue::Dataplane> dataplane);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  /// Removes leftovers of a crashed run, installs the signalling state,
  /// opens the sockets, the watcher, the control socket and the signal
  /// handlers; READY=1. Throws std::runtime_error / std::system_error.
  void start();

  using ReloadResult = io::ReloadResult;
  /// SIGHUP and `hmipctl mnd reload` (io::DaemonShell::reload()).
  ReloadResult reload();
  /// SIGTERM/SIGINT: deregisters (DeregisterOnStop), waits at most
  /// kStopGrace for the BA, removes every kernel object mnd installed and
  /// closes everything so that io_context::run() returns.
  void shutdown();

 private:
  struct Counters {
    std::uint64_t nd_received = 0;
    std::uint64_t nd_invalid = 0;
    std::uint64_t mh_received = 0;
    std::uint64_t mh_invalid = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t dataplane_errors = 0;
    std::uint64_t dhaad_dropped = 0;  ///< DHAAD replies not handed on (truncated, bad checksum, ...)
  };

  void on_link(const io::LinkChange& c);
  void on_nd(const io::Icmpv6Packet& p);
  void on_mh(const io::ReceivedMhPacket& p);
  void pump();
  void arm_timer();
  void finish_stop();
  void perform(const mn::SendRs& a);
  void perform(const mn::SendBu& a);
  void perform(const mn::InstallBinding& a);
  void perform(const mn::RemoveBinding& a);
  void perform(const mn::SecureMap& a);
  void perform(const mn::ReleaseMap& a);
  void perform(const mn::LogEvent& a);
  void perform(const mn::InstallHomeBinding& a);
  void perform(const mn::RemoveHomeBinding& a);
  void perform(const mn::SendDhaadRequest& a);
  void perform(const mn::AnnounceHomeAddress& a);
  void perform(const mn::SecureHome& a);
  void perform(const mn::ReleaseHome& a);
  void on_dhaad_reply(const io::DhaadReplyReceived& r);
  /// A dataplane failure as text: the dataplane's full description if it has one.
  [[nodiscard]] std::string dp_error(const wire::Error& e) const;
  void register_commands();
  [[nodiscard]] io::Json daemon_counters() const;
  [[nodiscard]] std::string status_text() const;

  boost::asio::io_context& io_;
  io::Logger& log_;
  mn::MobileNode core_;
  std::unique_ptr<kglue::Dataplane> dataplane_;
  io::HandlerGuard guard_;  ///< wraps every event handler: an exception is logged, counted, survived
  io::DaemonShell shell_;   ///< control socket, signals, sd_notify, reload and the stop's start
  io::CoreTimer timer_;     ///< at the core's poll_timeout()
  std::unique_ptr<io::Icmpv6Socket> nd_;
  std::unique_ptr<io::MhSocket> mh_;
  std::unique_ptr<io::LinkWatcher> links_;
  std::unique_ptr<io::DhaadMnSocket> dhaad_;  ///< with a Home block (HomeAgent discover)
  std::unique_ptr<IkeAgent> ike_;  ///< secure mode (not InsecureTestbedSignalling)
  Counters counters_;
  /// A clean stop is waiting for the deregistration (set with shell_.begin_stop()).
  std::optional<core::TimePoint> stop_deadline_;
  bool stopped_ = false;
};

}  // namespace hmip::mnd
