// mapd's wiring: the MapAgent core fed from the raw Mobility Header socket,
// the ND socket (DAD for new RCoAs), the netlink link watcher, the control
// socket and signals, driven by one steady_timer at the core's
// poll_timeout(); its actions carried out on the kernel through
// kglue::Dataplane. No protocol decisions here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hmip/core/rate_limit.h"
#include "hmip/io/control.h"
#include "hmip/io/core_timer.h"
#include "hmip/io/daemon_shell.h"
#include "hmip/io/dhaad_socket.h"
#include "hmip/io/handler_guard.h"
#include "hmip/io/icmpv6_socket.h"
#include "hmip/io/link_watcher.h"
#include "hmip/io/log.h"
#include "hmip/io/mh_socket.h"
#include "hmip/io/nd_dad.h"
#include "hmip/kglue/dataplane.h"
#include "hmip/map/config.h"
#include "hmip/map/dhaad_responder.h"
#include "hmip/map/map_agent.h"
#include "ike_guard.h"

namespace hmip::mapd {

/// Mobility Headers mapd processes per wire source address: a burst of 32,
/// then 100 a second (a mobile node sends a few BUs a minute); sources
/// beyond 4096 share a bucket of 256, then 1000 a second.
inline constexpr core::SourceLimits kMhSourceLimits{32, core::milliseconds(10), 4096, 256, core::milliseconds(1)};
/// The MH socket's receive queue (SO_RCVBUFFORCE): room for a few thousand
/// datagrams while the loop is busy.
inline constexpr int kMhSocketReceiveBuffer = 4 << 20;

using Options = io::DaemonOptions;

class Daemon {
 public:
  /// `dataplane` is what the actions are carried out on (NetlinkDataplane in
  /// mapd; anything else in tests).
  Daemon(boost::asio::io_context& io, Options opts, map::MapdConfig cfg, io::Logger& log,
         std::unique_ptr<kglue::Dataplane> dataplane);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  /// Opens the sockets, the netlink watcher, the control socket and the
  /// signal handlers; adopts the complete bindings a crashed run left in the
  /// kernel and removes its other leftover objects;
  /// installs the signalling state; tells systemd READY=1. Throws
  /// std::runtime_error / std::system_error when something cannot be set up.
  void start();

  using ReloadResult = io::ReloadResult;
  /// SIGHUP and `hmipctl mapd reload` (io::DaemonShell::reload()).
  ReloadResult reload();
  /// SIGTERM/SIGINT: removes every kernel object mapd installed, closes
  /// everything so that io_context::run() returns.
  void shutdown();

 private:
  struct Dad {
    int ifindex = 0;
    core::TimePoint until;
  };
  struct Counters {
    std::uint64_t mh_received = 0;
    std::uint64_t mh_invalid = 0;
    std::uint64_t nd_received = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t dataplane_errors = 0;
    std::uint64_t na_sent = 0;
    std::uint64_t dad_probes_sent = 0;
    std::uint64_t dad_join_errors = 0;  ///< solicited-node joins the kernel refused (the core answered 130)
    std::uint64_t dhaad_dropped = 0;    ///< DHAAD requests not handed on (truncated, bad checksum, ...)
    std::uint64_t dhaad_replies_sent = 0;
  };

  /// Start-up: the previous run's complete bindings from the dataplane
  /// into the core (MapAgent::adopt), before reconcile(). Returns how many
  /// the dataplane took over (the core may have refused some).
  std::size_t adopt_leftovers();
  void on_link(const io::LinkChange& c);
  void on_mh(const io::ReceivedMhPacket& p);
  [[nodiscard]] static io::MhSocketOptions mh_socket_options();
  void on_nd(const io::Icmpv6Packet& p);
  /// The home agent role's DHAAD (RFC 6275 §10.5): a responder for the
  /// HomeAgent block's prefixes and one socket per home link joined to
  /// their Home-Agents anycast addresses; again at a reload.
  void open_dhaad();
  void receive_dhaad();
  void on_dhaad_request(const io::DhaadRequestReceived& r);
  /// The interfaces of the RCoA prefixes and home prefixes (carrier
  /// reported to the core).
  [[nodiscard]] bool proxied_interface(const std::string& name) const;
  /// The interfaces of the HomeAgent block's prefixes.
  [[nodiscard]] bool home_link(const std::string& name) const;
  void pump();
  void arm_timer();
  void expire_dads(core::TimePoint now);
  /// Forgets a running DAD; leaves its group unless another DAD shares it.
  std::map<Ip6Addr, Dad>::iterator end_dad(std::map<Ip6Addr, Dad>::iterator it);
  void perform(const map::InstallBinding& a);
  void perform(const map::RemoveBinding& a);
  void perform(const map::SendBa& a);
  void perform(const map::SendBrr& a);
  void perform(const map::SendBindingError& a);
  void perform(const map::StartDad& a);
  void perform(const map::StopDad& a);
  void perform(const map::SendUnsolicitedNa& a);
  void perform(const map::RefreshProxies& a);
  void perform(const map::ResyncIke& a);
  void perform(const map::TerminateIke& a);
  void perform(const map::LogEvent& a);
  void send_mh(const wire::MhMessage& m, const Ip6Addr& src, const Ip6Addr& dst, std::string_view what);
  [[nodiscard]] int ifindex_of(const std::string& name) const;
  /// A dataplane failure as text: the dataplane's full description if it has one.
  [[nodiscard]] std::string dp_error(const wire::Error& e) const;
  void register_commands();
  [[nodiscard]] io::Json daemon_counters() const;
  [[nodiscard]] std::string status_text() const;

  boost::asio::io_context& io_;
  io::Logger& log_;
  map::MapAgent core_;
  std::unique_ptr<kglue::Dataplane> dataplane_;
  io::HandlerGuard guard_;  ///< wraps every event handler: an exception is logged, counted, survived
  io::DaemonShell shell_;   ///< control socket, signals, sd_notify, reload and the stop's start
  io::CoreTimer timer_;     ///< at the core's poll_timeout()
  std::unique_ptr<io::MhSocket> mh_;
  std::unique_ptr<io::Icmpv6Socket> nd_;
  std::unique_ptr<io::DadProber> prober_;
  std::unique_ptr<io::LinkWatcher> links_;
  std::unique_ptr<IkeGuard> ike_;          ///< secure mode (not InsecureTestbedSignalling)
  std::unique_ptr<map::DhaadResponder> dhaad_;                ///< home agent role
  std::vector<std::unique_ptr<io::DhaadHaSocket>> dhaad_sockets_;  ///< one per home link
  std::map<Ip6Addr, Dad> dads_;            ///< running DADs by RCoA
  std::map<std::string, bool> carrier_;    ///< RCoA interfaces: last carrier reported to the core
  Counters counters_;
  core::SourceRateLimiter mh_limiter_;  ///< Mobility Headers per wire source address (keyed hash)
};

}  // namespace hmip::mapd
