// mapd's side of the security model (RFC 5380 §12; hmip/ike/charon_conn.h):
// over VICI it loads the MAP's private key, the RCoA pool and the generic
// connection(s) into charon at start, loads the connection of each identity
// that leased an RCoA (so that its CHILD_SA for that RCoA is accepted and
// every other identity's is refused, TS_UNACCEPTABLE), follows charon's IKE
// SAs into ike::RcoaHolders and answers, for each binding update, whether an
// IKE identity holds the RCoA it names. The kernel already enforces (the IN
// policy of the RCoA's CHILD_SA); this is the check beside it. Unloads what
// it loaded at stop; reconnects when charon restarts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
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

class IkeGuard {
 public:
  IkeGuard(boost::asio::io_context& io, const map::MapdConfig& cfg, io::Logger& log);
  IkeGuard(const IkeGuard&) = delete;
  IkeGuard& operator=(const IkeGuard&) = delete;

  /// Reads the credentials, connects to charon and loads everything.
  /// Throws std::runtime_error when any of it fails.
  void start();
  /// Unloads what start() and the leases loaded; closes the link.
  void stop();

  /// The IKE view of a BU for `rcoa` from care-of address `coa`. A miss is
  /// checked once more against charon itself (its event may still be on its
  /// way), at most kMaxRefreshesPerSecond times a second.
  map::IkeCheck check(const Ip6Addr& rcoa, const Ip6Addr& coa);

  [[nodiscard]] io::Json counters() const;
  /// `hmipctl mapd show ike`: the IKE SAs and leases mapd knows of.
  [[nodiscard]] io::Json view() const;

 private:
  static constexpr unsigned kMaxRefreshesPerSecond = 20;

  void setup();
  void on_event(const io::ViciEvent& e);
  void on_lost(const std::string& why);
  void schedule_reconnect();
  void refresh_all();
  void schedule_resync();
  /// Loads the per-identity connection for every RCoA `sa` leased.
  void adopt(const ike::IkeSaView& sa);
  void must(const io::ViciReply& r, const std::string& what);

  const map::MapdConfig& cfg_;
  io::Logger& log_;
  ike::MapIke ike_;
  std::string key_pem_;
  std::vector<ike::EapSecret> eap_secrets_;  ///< EapSecrets, loaded as "hmip-eap-N"
  static std::string eap_id(std::size_t i) { return "hmip-eap-" + std::to_string(i + 1); }
  void unload_stale_secrets();
  io::CharonLink link_;
  boost::asio::steady_timer reconnect_;
  boost::asio::steady_timer resync_;  ///< list-sas shortly after events
  bool resync_pending_ = false;
  ike::RcoaHolders holders_;
  std::map<std::string, std::string> loaded_;  ///< per-RCoA connection name -> identity
  std::vector<std::string> generic_;           ///< generic connection names loaded
  bool pool_loaded_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point refresh_window_{};
  unsigned refreshes_in_window_ = 0;
  struct Counters {
    std::uint64_t refreshes = 0;          ///< list-sas after a miss
    std::uint64_t refreshes_limited = 0;  ///< misses not checked again (rate limit)
    std::uint64_t conns_loaded = 0;
    std::uint64_t load_failures = 0;
    std::uint64_t charon_lost = 0;
    std::uint64_t reconnects = 0;
  } counters_;
};

}  // namespace hmip::mapd
