// mnd's side of the security model (RFC 5380 §12; hmip/ike/charon_conn.h),
// carrying out the core's SecureMap / ReleaseMap through charon over VICI:
//   1. a childless IKE SA from the LCoA to the MAP asking for an address
//      (configuration payload): the MAP's pool leases the RCoA;
//   2. a second IKE SA with the CHILD_SA protecting MH between that RCoA and
//      the MAP (the MAP loaded the identity's connection for it on seeing
//      the lease); once it is installed the leasing IKE SA goes and the core
//      hears handle_security_up;
//   3. after a move, the same IKE SA and CHILD_SA again from the new LCoA,
//      the old ones terminated once the new CHILD_SA is installed
//      (make-before-break; the old ESP SAs keep protecting BUs meanwhile).
// An IKE SA of step 2 that comes up without its CHILD_SA (the MAP answered
// TS_UNACCEPTABLE: its charon had not loaded the RCoA's connection yet when
// our IKE_AUTH arrived, so it matched the generic one, which has no
// children) is terminated and set up anew, up to kChildRetries times: a
// CREATE_CHILD_SA on that IKE SA would meet the same childless connection.
// A CHILD_SA deleted alone under an established protection (the MAP's or
// our charon removed it, its IKE SA stays) is set up again on that IKE SA
// (charon reuses it for an initiate of the same connection) after
// kChildGrace, then checked every kChildRestoreWait (charon's own
// retransmissions run meanwhile; a second initiate would race them), up to
// kChildRetries initiates, then reported as lost: without it every BU
// leaves in cleartext and the MAP's kernel drops it.
// An IKE SA deleted under an established protection (dead peer detection,
// the MAP's charon restarted) is reported as lost; charon itself restarts
// nothing (dpd_action clear): the core decides.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "hmip/ike/charon_conn.h"
#include "hmip/io/charon_link.h"
#include "hmip/io/control.h"
#include "hmip/io/log.h"
#include "hmip/mn/config.h"
#include "hmip/mn/mn_types.h"

namespace hmip::mnd {

class IkeAgent {
 public:
  using Up = std::function<void(const Ip6Addr& map, const Ip6Addr& rcoa)>;
  using Down = std::function<void(const Ip6Addr& map, bool lost, const std::string& why)>;

  IkeAgent(boost::asio::io_context& io, const mn::MndConfig& cfg, io::Logger& log, Up up, Down down);
  IkeAgent(const IkeAgent&) = delete;
  IkeAgent& operator=(const IkeAgent&) = delete;

  /// Reads the credentials, connects to charon, loads the private key.
  /// Throws std::runtime_error.
  void start();
  /// Terminates every IKE SA it set up and unloads its connections.
  void stop();

  void secure(const mn::SecureMap& a);
  void release(const Ip6Addr& map);

  [[nodiscard]] io::Json counters() const;

 private:
  enum class Phase : std::uint8_t { leasing, protecting, up };
  struct Peer {
    Ip6Addr lcoa;
    std::optional<Ip6Addr> rcoa;
    Phase phase = Phase::leasing;
    std::string current_ike;              ///< the IKE SA holding the installed CHILD_SA
    std::string childless_ike;            ///< step 2's IKE SA, up without its CHILD_SA yet
    std::string retrying_ike;             ///< ... terminated: set up again once it is gone
    unsigned child_retries = 0;
    std::string child_lost_ike;           ///< phase up: current_ike, whose CHILD_SA went down alone
    unsigned restore_attempts = 0;        ///< ... initiates since, to set it up again
  };
  static constexpr unsigned kChildRetries = 4;
  /// How long after step 2's IKE SA came up its CHILD_SA must be installed
  /// (charon installs it while handling the same IKE_AUTH response).
  static constexpr std::chrono::milliseconds kChildGrace{1000};
  /// How long an initiate to set a lost CHILD_SA up again may take before
  /// the next attempt (charon retransmits CREATE_CHILD_SA meanwhile).
  static constexpr std::chrono::milliseconds kChildRestoreWait{8000};

  [[nodiscard]] ike::MnIke mn_ike(const Ip6Addr& map) const;
  void on_event(const io::ViciEvent& e);
  void on_ike_up(const Ip6Addr& map, Peer& p, const ike::IkeSaView& sa);
  void on_child_up(const Ip6Addr& map, Peer& p, const ike::IkeSaView& sa);
  void on_child_down(const Ip6Addr& map, Peer& p, const ike::IkeSaView& sa);
  /// check_children's part for a CHILD_SA lost under an established
  /// protection: set it up again on its IKE SA, or report the loss.
  void restore_child(const Ip6Addr& map, Peer& p);
  void arm_child_check();
  void arm_restore_check(std::chrono::milliseconds after);
  void check_restores();
  void on_ike_down(const Ip6Addr& map, Peer& p, const ike::IkeSaView& sa);
  void on_ike_rekey(const vici::Section& msg);
  /// After kChildGrace: step 2's IKE SAs still without their CHILD_SA are
  /// terminated (on_ike_down then initiates again).
  void check_children();
  void on_lost(const std::string& why);
  void schedule_reconnect();
  /// Reports a failure from outside the core's action loop.
  void fail_later(const Ip6Addr& map, bool lost, std::string why);
  void forget(const Ip6Addr& map);
  void terminate_later(vici::Section request);
  [[nodiscard]] bool ok(const io::ViciReply& r, const Ip6Addr& map, const std::string& what);

  boost::asio::io_context& io_;
  const mn::MndConfig& cfg_;
  io::Logger& log_;
  Up up_;
  Down down_;
  std::string key_pem_;
  std::string eap_secret_;  ///< EapSecret's secret; empty: by certificate
  static constexpr std::string_view kEapSecretId = "hmip-eap";
  /// The private key, or the EAP secret, into charon.
  io::ViciReply load_credentials();
  std::vector<std::string> certs_;
  std::vector<std::string> cas_;
  io::CharonLink link_;
  boost::asio::steady_timer reconnect_;
  boost::asio::steady_timer terminate_timer_;
  boost::asio::steady_timer child_timer_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer restore_timer_;
  std::set<Ip6Addr> retries_;  ///< MAPs whose step 2 is set up again when retry_timer_ fires
  std::vector<vici::Section> terminations_;
  std::map<Ip6Addr, Peer, mn::AddrLess> peers_;
  bool stopping_ = false;
  struct Counters {
    std::uint64_t leases = 0;
    std::uint64_t children_installed = 0;
    std::uint64_t reestablished = 0;
    std::uint64_t failures = 0;
    std::uint64_t child_retries = 0;
    std::uint64_t children_lost = 0;     ///< CHILD_SAs deleted alone under an established protection
    std::uint64_t children_restored = 0; ///< ... and installed again on their IKE SA
    std::uint64_t charon_lost = 0;
  } counters_;
};

}  // namespace hmip::mnd
