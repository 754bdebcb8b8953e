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
// each IKE SA once its MH child is installed. ProtectTraffic means the
// payload MUST be protected: the kernel drops the home tunnel's packets
// without it (both sides must agree), so a refusal is logged as an error,
// counted (traffic_children_refused) and asked for again on the same IKE SA
// every child_restore_wait, up to kChildRetries initiates (then at the next
// IKE SA); a payload child lost alone is set up again the same way. Neither
// fails the registration: its signalling stays protected.
// A MAP and the HA are told apart by connection name (peers_ is keyed by
// it): one mapd may be both at one address.
// What follows holds for both kinds of peer.
// Only an IKE SA from the peer's current care-of address (Peer::lcoa, the
// last SecureMap / SecureHome) becomes the protection: one from an address
// the node has left (an older setup or re-establishment that finished after
// a newer one started) is terminated when its CHILD_SA comes up (counted:
// stale_sas), and what the core hears is the address the IKE SA runs from.
// An IKE SA of step 2 that comes up without its CHILD_SA (the MAP answered
// TS_UNACCEPTABLE: its charon had not loaded the RCoA's connection yet when
// our IKE_AUTH arrived, so it matched the generic one, which has no
// children) is terminated and set up anew, up to kChildRetries times: a
// CREATE_CHILD_SA on that IKE SA would meet the same childless connection.
// Step 3 is retried the same way, after a load-conn or initiate error
// (every child_grace), and when its IKE SA is not up within IkeTimeout (no
// answer, authentication failed: charon reports neither; the attempt is
// terminated); the old protection keeps working meanwhile (its
// ESP SAs do not depend on the care-of address), so nothing is reported
// unless it goes too; after kChildRetries attempts the re-establishment is
// given up (an error), the old IKE SA left to protect until it goes.
// A CHILD_SA deleted alone under an established protection (the MAP's or
// our charon removed it, its IKE SA stays) is set up again on that IKE SA
// (charon reuses it for an initiate of the same connection) after
// child_grace, then checked every child_restore_wait (charon's own
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

/// IkeAgent's waits: the defaults are mnd's (tests shorten them).
struct IkeAgentTiming {
  /// How long after step 2's IKE SA came up its CHILD_SA must be installed
  /// (charon installs it while handling the same IKE_AUTH response); also
  /// the pause before a CHILD_SA lost alone is set up again, and before a
  /// re-establishment whose load-conn or initiate failed is tried again.
  std::chrono::milliseconds child_grace{1000};
  /// How long an initiate to set a lost CHILD_SA up again may take before
  /// the next attempt (charon retransmits CREATE_CHILD_SA meanwhile); also
  /// how long the HA has to install the payload child.
  std::chrono::milliseconds child_restore_wait{8000};
  /// From the deletion of a childless IKE SA to the next attempt.
  std::chrono::milliseconds retry{200};
};

class IkeAgent {
 public:
  using Up = std::function<void(const Ip6Addr& map, const Ip6Addr& rcoa)>;
  using Down = std::function<void(const Ip6Addr& map, bool lost, const std::string& why)>;
  using HomeUp = std::function<void(const Ip6Addr& home_agent, const Ip6Addr& coa)>;
  using HomeDown = std::function<void(const Ip6Addr& home_agent, bool lost, const std::string& why)>;

  IkeAgent(boost::asio::io_context& io, const mn::MndConfig& cfg, io::Logger& log, Up up, Down down, HomeUp home_up,
           HomeDown home_down, IkeAgentTiming timing = {});
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
    Ip6Addr lcoa;                         ///< where the IKE SA is to run from (the care-of address for the HA)
    std::optional<Ip6Addr> current_from;  ///< where current_ike runs from (lcoa, unless being re-established)
    std::optional<Ip6Addr> rcoa;          ///< the MAP's lease; the home address (the child's selector) for the HA
    bool traffic = false;                 ///< HA: ask for kTrafficChild (ProtectTraffic)
    std::optional<Ip6Addr> reported;      ///< HA: the care-of address the core last heard as protected
    Phase phase = Phase::leasing;
    std::string current_ike;              ///< the IKE SA holding the installed CHILD_SA
    bool reestablishing = false;          ///< phase up: step 3 from lcoa, not installed yet
    std::chrono::steady_clock::time_point reestablish_due{};  ///< ... its IKE SA up by then (IkeTimeout)
    std::string childless_ike;            ///< step 2's (or 3's) IKE SA, up without its CHILD_SA yet
    std::string retrying_ike;             ///< ... terminated: set up again once it is gone
    unsigned child_retries = 0;           ///< new attempts of step 2 (or 3)
    std::string child_lost_ike;           ///< phase up: current_ike, whose CHILD_SA went down alone
    unsigned restore_attempts = 0;        ///< ... initiates since, to set it up again
    std::string traffic_wait_ike;         ///< HA: kTrafficChild wanted on this IKE SA, not installed yet
    unsigned traffic_attempts = 0;        ///< ... initiates of it so far
  };
  static constexpr unsigned kChildRetries = 4;

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
  /// HA: the payload child wanted on current_ike: asked for now, checked
  /// (and asked again, kChildRetries initiates at most) by check_traffic.
  void ask_traffic(Peer& p);
  void request_traffic(Peer& p);
  void arm_traffic_check(std::chrono::milliseconds after);
  void check_traffic();
  /// Step 3 from p.lcoa (make-before-break), and one attempt of it: an
  /// error is retried after child_grace, kChildRetries times.
  void reestablish(Peer& p);
  void reestablish_attempt(Peer& p);
  void give_up_reestablishing(Peer& p, const std::string& why);
  /// Step 3's IKE SAs not up within IkeTimeout (no answer, authentication
  /// failed: charon reports neither) are terminated and tried again.
  void arm_reestablish_check(std::chrono::steady_clock::time_point at);
  void check_reestablishing();
  /// `name`'s step 2 (or 3) is tried again after `after` (retry_timer_).
  void schedule_retry(const std::string& name, std::chrono::milliseconds after);
  void run_retries();
  /// check_children's part for a CHILD_SA lost under an established
  /// protection: set it up again on its IKE SA, or report the loss.
  void restore_child(Peer& p);
  void arm_child_check();
  void arm_restore_check(std::chrono::milliseconds after);
  void check_restores();
  void on_ike_down(Peer& p, const ike::IkeSaView& sa);
  void on_ike_rekey(const vici::Section& msg);
  /// After child_grace: step 2's (and 3's) IKE SAs still without their
  /// CHILD_SA are terminated (on_ike_down then initiates again).
  void check_children();
  void on_lost(const std::string& why);
  void schedule_reconnect();
  /// Reports a failure from outside the core's action loop.
  void fail_later(Kind kind, const Ip6Addr& addr, bool lost, std::string why);
  void fail_later(const Peer& p, bool lost, std::string why) { fail_later(p.kind, p.addr, lost, std::move(why)); }
  /// The core hears p's protection up from p.current_from.
  void report_up(Peer& p);
  void release(Kind kind, const Ip6Addr& peer);
  void terminate_later(vici::Section request);
  [[nodiscard]] bool ok(const io::ViciReply& r, const Peer& p, const std::string& what);

  boost::asio::io_context& io_;
  const mn::MndConfig& cfg_;
  io::Logger& log_;
  Up up_;
  Down down_;
  HomeUp home_up_;
  HomeDown home_down_;
  IkeAgentTiming timing_;
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
  boost::asio::steady_timer reestablish_timer_;
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
    std::uint64_t stale_sas = 0;         ///< IKE SAs from an address left since, terminated at their CHILD_SA
    std::uint64_t reestablish_abandoned = 0;  ///< step 3 given up after kChildRetries attempts
    std::uint64_t charon_lost = 0;
    std::uint64_t home_children_installed = 0;  ///< MH CHILD_SAs with the HA (re-establishments included)
    std::uint64_t traffic_children_installed = 0;
    std::uint64_t traffic_children_refused = 0;  ///< not installed within child_restore_wait of an initiate
    std::uint64_t traffic_children_lost = 0;
  } counters_;
};

}  // namespace hmip::mnd
