// mnd's side of the security model (RFC 5380 §12, RFC 4877;
// hmip/ike/charon_conn.h), carrying out the core's SecureMap / ReleaseMap
// and SecureHome / ReleaseHome through charon over VICI. With a MAP:
//   1. a childless IKE SA from the LCoA to the MAP asking for an address
//      (configuration payload): the MAP's pool leases the RCoA;
//   2. a second IKE SA with the CHILD_SA protecting MH between that RCoA and
//      the MAP (the MAP loaded the identity's connection for it on seeing
//      the lease); once it is installed the leasing IKE SA goes and the core
//      hears handle_security_up;
//   3. after a move, the same IKE SA and CHILD_SA again from the new LCoA,
//      the old ones terminated once the new CHILD_SA is installed
//      (make-before-break; the old ESP SAs keep protecting BUs meanwhile).
// With the home agent (RFC 4877) there is no lease: step 2 directly, from
// the care-of address SecureHome names, the CHILD_SA protecting MH between
// the home address and the HA (the core hears handle_home_security_up, and
// again, with the new care-of address, after each re-establishment of step
// 3). With ProtectTraffic, the payload child (kTrafficChild) is asked for on
// each IKE SA once its MH child is installed; a refusal is logged and
// counted (traffic_children_refused), never a failure of the registration.
// A MAP and the HA are told apart by connection name (peers_ is keyed by
// it): one mapd may be both at one address.
// What follows holds for both kinds of peer.
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
  using HomeUp = std::function<void(const Ip6Addr& home_agent, const Ip6Addr& coa)>;
  using HomeDown = std::function<void(const Ip6Addr& home_agent, bool lost, const std::string& why)>;

  IkeAgent(boost::asio::io_context& io, const mn::MndConfig& cfg, io::Logger& log, Up up, Down down, HomeUp home_up,
           HomeDown home_down);
  IkeAgent(const IkeAgent&) = delete;
  IkeAgent& operator=(const IkeAgent&) = delete;

  /// Reads the credentials, connects to charon, loads the private key.
  /// Throws std::runtime_error.
  void start();
  /// Terminates every IKE SA it set up and unloads its connections.
  void stop();

  void secure(const mn::SecureMap& a);
  void release(const Ip6Addr& map);
  void secure_home(const mn::SecureHome& a);
  void release_home(const Ip6Addr& ha);

  [[nodiscard]] io::Json counters() const;

 private:
  enum class Phase : std::uint8_t { leasing, protecting, up };
  enum class Kind : std::uint8_t { map, home };
  struct Peer {
    Kind kind = Kind::map;
    Ip6Addr addr;                         ///< the MAP, or the home agent
    Ip6Addr lcoa;                         ///< where the IKE SA runs from (the care-of address for the HA)
    std::optional<Ip6Addr> rcoa;          ///< the MAP's lease; the home address (the child's selector) for the HA
    bool traffic = false;                 ///< HA: ask for kTrafficChild (ProtectTraffic)
    std::optional<Ip6Addr> reported;      ///< HA: the care-of address the core last heard as protected
    Phase phase = Phase::leasing;
    std::string current_ike;              ///< the IKE SA holding the installed CHILD_SA
    std::string childless_ike;            ///< step 2's IKE SA, up without its CHILD_SA yet
    std::string retrying_ike;             ///< ... terminated: set up again once it is gone
    unsigned child_retries = 0;
    std::string child_lost_ike;           ///< phase up: current_ike, whose CHILD_SA went down alone
    unsigned restore_attempts = 0;        ///< ... initiates since, to set it up again
    std::string traffic_wait_ike;         ///< HA: kTrafficChild asked for on this IKE SA, not installed yet
  };
  static constexpr unsigned kChildRetries = 4;
  /// How long after step 2's IKE SA came up its CHILD_SA must be installed
  /// (charon installs it while handling the same IKE_AUTH response).
  static constexpr std::chrono::milliseconds kChildGrace{1000};
  /// How long an initiate to set a lost CHILD_SA up again may take before
  /// the next attempt (charon retransmits CREATE_CHILD_SA meanwhile); also
  /// how long the HA has to install the payload child.
  static constexpr std::chrono::milliseconds kChildRestoreWait{8000};

  [[nodiscard]] ike::MnIke mn_ike(const Ip6Addr& peer, const std::string& peer_id) const;
  /// The connection holding a peer's CHILD_SA (peers_'s key).
  [[nodiscard]] static std::string conn_name(Kind kind, const Ip6Addr& addr);
  [[nodiscard]] static std::string who(Kind kind, const Ip6Addr& addr);
  [[nodiscard]] static std::string who(const Peer& p) { return who(p.kind, p.addr); }
  /// `load-conn` of step 2's connection, and its `initiate` (child mh).
  [[nodiscard]] vici::Section protect_conn(const Peer& p) const;
  [[nodiscard]] static vici::Section protect_initiate(const Peer& p);
  void on_event(const io::ViciEvent& e);
  void on_ike_up(Peer& p, const ike::IkeSaView& sa);
  void on_child_up(Peer& p, const ike::IkeSaView& sa);
  void on_child_down(Peer& p, const ike::IkeSaView& sa);
  /// HA: the payload child came up (or went down) on `sa`.
  void on_traffic_child(Peer& p, const ike::IkeSaView& sa, bool up);
  void ask_traffic(Peer& p);
  void check_traffic();
  /// check_children's part for a CHILD_SA lost under an established
  /// protection: set it up again on its IKE SA, or report the loss.
  void restore_child(Peer& p);
  void arm_child_check();
  void arm_restore_check(std::chrono::milliseconds after);
  void check_restores();
  void on_ike_down(Peer& p, const ike::IkeSaView& sa);
  void on_ike_rekey(const vici::Section& msg);
  /// After kChildGrace: step 2's IKE SAs still without their CHILD_SA are
  /// terminated (on_ike_down then initiates again).
  void check_children();
  void on_lost(const std::string& why);
  void schedule_reconnect();
  /// Reports a failure from outside the core's action loop.
  void fail_later(Kind kind, const Ip6Addr& addr, bool lost, std::string why);
  void fail_later(const Peer& p, bool lost, std::string why) { fail_later(p.kind, p.addr, lost, std::move(why)); }
  void report_up(Peer& p);
  void release(Kind kind, const Ip6Addr& addr);
  void terminate_later(vici::Section request);
  [[nodiscard]] bool ok(const io::ViciReply& r, const Peer& p, const std::string& what);

  boost::asio::io_context& io_;
  const mn::MndConfig& cfg_;
  io::Logger& log_;
  Up up_;
  Down down_;
  HomeUp home_up_;
  HomeDown home_down_;
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
  boost::asio::steady_timer traffic_timer_;
  std::set<std::string> retries_;  ///< peers (conn_name) whose step 2 is set up again when retry_timer_ fires
  std::vector<vici::Section> terminations_;
  std::map<std::string, Peer> peers_;  ///< by conn_name: a MAP and an HA at one address stay apart
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
    std::uint64_t home_children_installed = 0;  ///< MH CHILD_SAs with the HA (re-establishments included)
    std::uint64_t traffic_children_installed = 0;
    std::uint64_t traffic_children_refused = 0;  ///< not installed within kChildRestoreWait (or refused)
    std::uint64_t traffic_children_lost = 0;
  } counters_;
};

}  // namespace hmip::mnd
