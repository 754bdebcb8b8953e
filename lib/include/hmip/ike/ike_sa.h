// charon's IKE SAs as hmip needs to see them (VICI `list-sas` events and
// the ike-updown, child-updown, ike-rekey and child-rekey events,
// strongSwan's vici README), and the check a MAP makes before it accepts a
// binding update: does an installed CHILD_SA of one IKE identity protect
// the RCoA the BU names, and does its IKE SA come from the care-of address
// the BU binds (defence in depth beside the kernel's IN policies, which drop
// a BU without the right ESP SA; mapd cannot see which SA carried a packet).
// Pure: messages in, values out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hmip/vici/message.h"
#include "hmip/wire/addr.h"

namespace hmip::ike {

struct ChildSaView {
  std::string name;
  std::string uniqueid;
  std::string reqid;
  std::string state;  ///< INSTALLED, REKEYING, ...
  std::string mode;   ///< TRANSPORT_PROXY, TRANSPORT, TUNNEL
  std::vector<std::string> local_ts;
  std::vector<std::string> remote_ts;
  friend bool operator==(const ChildSaView&, const ChildSaView&) = default;
};

struct IkeSaView {
  std::string conn;      ///< the connection (peer config) name
  std::string uniqueid;
  std::string state;     ///< ESTABLISHED, CONNECTING, REKEYING, DELETING, ...
  std::string local_id;
  std::string remote_id;
  std::string remote_eap_id;  ///< the EAP identity when EAP authenticated the peer
  std::optional<Ip6Addr> local_host;
  std::optional<Ip6Addr> remote_host;
  std::vector<Ip6Addr> local_vips;
  std::vector<Ip6Addr> remote_vips;
  std::vector<ChildSaView> children;
  /// The identity that counts: the EAP identity if there is one, else the
  /// IKE identity.
  [[nodiscard]] const std::string& peer_identity() const { return remote_eap_id.empty() ? remote_id : remote_eap_id; }
  friend bool operator==(const IkeSaView&, const IkeSaView&) = default;
};

/// The IKE SAs of one `list-sa` event (each top-level section is one,
/// named after its connection). Unparsable addresses are left out; the
/// rest of the SA is kept.
std::vector<IkeSaView> parse_ike_sas(const vici::Section& msg);

/// An `ike-updown` event: up (yes) or down, and the IKE SA. nullopt if the
/// message holds no IKE SA section.
struct IkeUpdown {
  bool up = false;
  IkeSaView sa;
};
std::optional<IkeUpdown> parse_ike_updown(const vici::Section& msg);

/// The SA events mapd follows (strongSwan's vici README, 5.9.8):
/// `ike-updown` and `child-updown` (up = yes or absent; the IKE SA, for
/// child-updown with only the affected CHILD_SA), `ike-rekey` (sections
/// old and new, without children: charon moves the children to the new
/// IKE SA) and `child-rekey` (the IKE SA, its child-sas section naming the
/// affected child with sections old and new).
struct IkeUpdownEvent {
  bool up = false;
  IkeSaView sa;
};
struct ChildUpdownEvent {
  bool up = false;
  IkeSaView sa;  ///< children: the CHILD_SA(s) that came up or went down
};
struct IkeRekeyEvent {
  IkeSaView old_sa;
  IkeSaView new_sa;
};
struct ChildRekeyEvent {
  IkeSaView sa;  ///< without children
  ChildSaView old_child;
  ChildSaView new_child;
};
using SaEvent = std::variant<IkeUpdownEvent, ChildUpdownEvent, IkeRekeyEvent, ChildRekeyEvent>;
/// The events in one message named `name` (usually one; none for another
/// event name or a message without SA sections).
std::vector<SaEvent> parse_sa_events(std::string_view name, const vici::Section& msg);

/// The RCoA of a child's selector "ADDR/128[mobility-header]" or
/// "ADDR/128" (nullopt for anything else: prefixes, ranges, dynamic).
std::optional<Ip6Addr> single_host(std::string_view ts);

/// single_host() for a selector covering Mobility Header traffic:
/// "ADDR/128[mobility-header...]" or "ADDR/128" (any protocol); nullopt for
/// one of another protocol, such as the home traffic child's
/// "COA/128[ipv6]" (RFC 4877 §5, charon_conn.h), which names the care-of
/// address, not an address the CHILD_SA protects signalling for. The
/// holder table (RcoaHolders) counts only these.
std::optional<Ip6Addr> mh_host(std::string_view ts);

/// Whether the kernel holds a CHILD_SA in state `state` (INSTALLED, or
/// REKEYING: still installed while its successor is negotiated).
bool child_installed(std::string_view state) noexcept;

/// Who holds which RCoA, from charon's IKE SAs: fed by list-sas at (re)connect
/// (reset) and by the SA events afterwards (apply), indexed by RCoA so that
/// check() costs a lookup, not a scan. Pure: the MAP core owns one
/// (hmip/map/map_agent.h) and decides with it whether a BU is protected.
class RcoaHolders {
 public:
  enum class Verdict {
    held,          ///< an INSTALLED CHILD_SA of the one holding identity protects the RCoA; its IKE SA from that CoA
    coa_moving,    ///< as held, but no IKE SA of the holder comes from that CoA (re-establishing after a move)
    no_ike_sa,     ///< no established IKE SA holds the RCoA
    lease_only,    ///< the holder's IKE SA holds it (virtual IP) but no installed CHILD_SA protects it
    contested,     ///< IKE SAs of different identities hold it
  };

  /// Applies one event. false: a rekey names an IKE SA or CHILD_SA the
  /// table never saw, so children may be missing: events were missed and a
  /// resync (reset from list-sas) is due. The event is applied anyway. An
  /// SA or child never seen going down is no miss (nothing to revoke; an
  /// IKE SA that failed to authenticate raises ike-updown down too).
  bool apply(const SaEvent& e);
  /// Adds or replaces the IKE SA `sa` (by uniqueid).
  void update(const IkeSaView& sa);
  /// The IKE SA went away.
  void remove(std::string_view uniqueid);
  /// A child-updown event: `sa` carries the IKE SA and the CHILD_SA(s) that
  /// came up (`up`) or went down; merged into what is known of that IKE SA
  /// (its other children kept). Always true (see apply()).
  bool child_updown(const IkeSaView& sa, bool up);
  /// An ike-updown event with up = yes: as update(), but children already
  /// known are kept when the event lists none.
  void ike_up(const IkeSaView& sa);
  [[nodiscard]] const IkeSaView* find(std::string_view uniqueid) const;
  /// Replaces everything (a fresh list-sas after a reconnect to charon).
  void reset(const std::vector<IkeSaView>& sas);
  /// Forgets everything (charon lost).
  void clear();

  /// Whether a BU for `rcoa` binding care-of address `coa` is backed by
  /// IKE. An IKE SA holds an RCoA when it is established (ESTABLISHED or
  /// REKEYING) and the RCoA is one of its remote virtual IPs or the
  /// single-host remote selector of one of its children; it protects the
  /// RCoA when such a child is installed. O(log n).
  [[nodiscard]] Verdict check(const Ip6Addr& rcoa, const Ip6Addr& coa) const;
  /// The identity holding `rcoa`, if exactly one does.
  [[nodiscard]] std::optional<std::string> holder(const Ip6Addr& rcoa) const;
  [[nodiscard]] std::size_t size() const noexcept { return sas_.size(); }
  /// RCoAs some IKE SA names (the index's size).
  [[nodiscard]] std::size_t rcoas() const noexcept { return by_rcoa_.size(); }
  /// The distinct RCoAs the IKE SAs of `identity` (peer_identity()) hold as
  /// virtual IPs: its leases from the MAP's pool. O(log n).
  [[nodiscard]] std::size_t leases_of(std::string_view identity) const;

 private:
  [[nodiscard]] std::vector<const IkeSaView*> holding(const Ip6Addr& rcoa) const;
  void put(IkeSaView sa);
  void unindex(const IkeSaView& sa);
  void index(const IkeSaView& sa);
  std::map<std::string, IkeSaView, std::less<>> sas_;          ///< by uniqueid
  std::map<Ip6Addr, std::vector<std::string>> by_rcoa_;        ///< RCoA -> uniqueids naming it
  /// identity -> its SAs' virtual IPs, each with the number of its SAs naming it.
  std::map<std::string, std::map<Ip6Addr, std::size_t>, std::less<>> leases_;
};

std::string_view to_string(RcoaHolders::Verdict v) noexcept;

}  // namespace hmip::ike
