// mapd's VICI wiring of the security model (RFC 5380 §12;
// hmip/ike/charon_conn.h): it loads the MAP's private key, the RCoA pool
// and the generic connection(s) into charon at start (the MAP role only),
// loads the connection of each identity that leased an RCoA (so that its
// CHILD_SA for that RCoA is accepted and every other identity's is
// refused, TS_UNACCEPTABLE), loads the home agent role's connections (RFC
// 4877: one per identity a HomeAddress line names, ike::ha_mn_conn, on the
// HomeAgent Address; again at a reload that changes them), and
// passes charon's SA events (parsed with ike::parse_sa_events) and, at each
// (re)connect or on request, its full SA list to the daemon, which feeds
// them into the MAP core: the core keeps the RCoA holder table and decides
// whether a BU is protected (hmip/map/map_agent.h). Nothing here runs on a
// BU's path; list-sas runs only at a (re)connect and for a ResyncIke, off
// the event callback, and so does terminate for the core's TerminateIke
// (an identity over its lease cap). Unloads what it loaded at stop;
// reconnects when charon restarts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hmip/ike/charon_conn.h"
#include "hmip/ike/eap_secrets.h"
#include "hmip/ike/ike_sa.h"
#include "hmip/io/charon_link.h"
#include "hmip/io/control.h"
#include "hmip/io/log.h"
#include "hmip/map/config.h"
#include "hmip/map/map_types.h"

namespace hmip::mapd {

/// Where IkeGuard delivers what charon says (the daemon feeds the core).
struct IkeSink {
  std::function<void(const ike::SaEvent&)> event;                 ///< MapAgent::handle_ike_event
  std::function<void(const std::vector<ike::IkeSaView>&)> sas;    ///< MapAgent::handle_ike_sas
  std::function<void()> lost;                                     ///< MapAgent::handle_ike_lost
};

class IkeGuard {
 public:
  IkeGuard(boost::asio::io_context& io, const map::MapdConfig& cfg, io::Logger& log, IkeSink sink);
  IkeGuard(const IkeGuard&) = delete;
  IkeGuard& operator=(const IkeGuard&) = delete;

  /// Reads the credentials, connects to charon and loads everything.
  /// Throws std::runtime_error when any of it fails.
  void start();
  /// Unloads what start() and the leases loaded; closes the link.
  void stop();
  /// After a reload: loads the home connections the configuration now
  /// asks for (HomeAddress, ProtectTraffic, the HomeAgent Address),
  /// unloads the ones it no longer does, and terminates IKE SAs of home
  /// connections whose CHILD_SAs name a home address their identity no
  /// longer owns. Failures are logged and counted, never thrown.
  void reload_home();
  /// The core asked for all SAs again (map::ResyncIke): list-sas shortly,
  /// from a timer (never from inside an event: charon holds the SA it
  /// raises an event for, and list-sas would wait for it).
  void schedule_resync(std::chrono::milliseconds delay = std::chrono::milliseconds(300));
  /// The core asked to terminate IKE SA `uniqueid` (map::TerminateIke: its
  /// identity is over its lease cap): VICI terminate from a timer (never
  /// from inside an event: charon holds the SA it raises an event for),
  /// without waiting for the result.
  void terminate_later(const std::string& uniqueid);

  [[nodiscard]] io::Json counters() const;
  /// `hmipctl mapd show ike`: the leases mapd loaded connections for, the
  /// home agent's connections (identity, home addresses, traffic child),
  /// and the core's holder table size (`holders`).
  [[nodiscard]] io::Json view(const ike::RcoaHolders& holders) const;

 private:
  void setup();
  void on_event(const io::ViciEvent& e);
  void on_lost(const std::string& why);
  void schedule_reconnect();
  void resync();
  /// Loads the per-identity connection for every RCoA `sa` leased.
  void adopt(const ike::IkeSaView& sa);
  void must(const io::ViciReply& r, const std::string& what);
  /// One home connection: an identity and the home addresses it owns.
  struct HomeConn {
    std::string name;  ///< ike::ha_mn_conn_name
    std::string identity;
    std::vector<Ip6Addr> home_addresses;
    bool traffic = false;
    Ip6Addr ha_address;
    friend bool operator==(const HomeConn&, const HomeConn&) = default;
  };
  /// The home connections the configuration asks for (secure mode, home
  /// agent role): HomeAddress lines grouped by identity in the file's order.
  [[nodiscard]] std::vector<HomeConn> wanted_home() const;
  /// Loads `want` (replacing connections of the same name), then unloads
  /// the loaded ones not in it. Returns the first error ("" for none).
  std::string load_home(const std::vector<HomeConn>& want);
  /// Terminates (terminate_later) IKE SAs of home connections whose
  /// CHILD_SAs name a home address their identity does not own now.
  void terminate_disowned();
  /// The home connections' IKE SAs among `sas` holding a home address
  /// their identity does not own: terminated (terminate_later).
  void terminate_disowned(const std::vector<ike::IkeSaView>& sas);
  /// Unloads charon's home connections (hmip-home-N) that are not home_.
  void unload_stale_home();

  const map::MapdConfig& cfg_;
  io::Logger& log_;
  IkeSink sink_;
  ike::MapIke ike_;
  std::string key_pem_;
  std::vector<ike::EapSecret> eap_secrets_;  ///< EapSecrets, loaded as "hmip-eap-N"
  static std::string eap_id(std::size_t i) { return "hmip-eap-" + std::to_string(i + 1); }
  void unload_stale_secrets();
  io::CharonLink link_;
  boost::asio::steady_timer reconnect_;
  boost::asio::steady_timer resync_;  ///< list-sas for a ResyncIke
  boost::asio::steady_timer terminate_;  ///< terminates for TerminateIke
  std::vector<std::string> to_terminate_;
  bool resync_pending_ = false;
  std::map<std::string, std::string> loaded_;  ///< per-RCoA connection name -> identity
  std::vector<std::string> generic_;           ///< generic connection names loaded
  std::vector<HomeConn> home_;                 ///< home connections loaded
  bool pool_loaded_ = false;
  bool stopping_ = false;
  struct Counters {
    std::uint64_t resyncs = 0;            ///< list-sas for a ResyncIke
    std::uint64_t resync_failures = 0;
    std::uint64_t conns_loaded = 0;
    std::uint64_t load_failures = 0;
    std::uint64_t charon_lost = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t terminated = 0;         ///< IKE SAs terminated for the core (lease cap)
    std::uint64_t terminate_failures = 0;
    std::uint64_t home_conns_loaded = 0;  ///< home connections loaded (start, reconnect, reload)
    std::uint64_t home_load_failures = 0;
    std::uint64_t home_disowned = 0;      ///< IKE SAs terminated (setup, reload) holding a home address their identity does not own
  } counters_;
};

}  // namespace hmip::mapd
