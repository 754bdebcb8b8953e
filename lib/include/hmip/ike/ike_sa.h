// charon's IKE SAs as hmip needs to see them (VICI `list-sas` events and
// `ike-updown` events, strongSwan's vici README "list-sa"), and the check a
// MAP makes before it accepts a binding update: does an IKE identity hold
// the RCoA the BU names, and does its IKE SA come from the care-of address
// the BU gives (defence in depth beside the kernel's IN policy, which drops
// a BU without the right ESP SA; mapd cannot see which SA carried a packet).
// Pure: messages in, values out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
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

/// The RCoA of a child's selector "ADDR/128[mobility-header]" or
/// "ADDR/128" (nullopt for anything else: prefixes, ranges, dynamic).
std::optional<Ip6Addr> single_host(std::string_view ts);

/// Who holds which RCoA, from charon's IKE SAs (fed from list-sas at start
/// and ike-updown / child-updown events afterwards).
class RcoaHolders {
 public:
  enum class Verdict {
    held,           ///< one identity holds the RCoA, with an IKE SA from that CoA
    no_ike_sa,      ///< no established IKE SA holds the RCoA
    contested,      ///< IKE SAs of different identities hold it
    coa_mismatch,   ///< held, but no IKE SA of the holder comes from that CoA (yet: MOBIKE may follow)
  };

  /// Adds or replaces the IKE SA `sa` (by uniqueid).
  void update(const IkeSaView& sa);
  /// The IKE SA went away.
  void remove(std::string_view uniqueid);
  /// A child-updown event: `sa` carries the IKE SA and the CHILD_SA(s) that
  /// came up (`up`) or went down; merged into what is known of that IKE SA
  /// (its other children kept).
  void child_updown(const IkeSaView& sa, bool up);
  /// An ike-updown event with up = yes: as update(), but children already
  /// known are kept when the event lists none.
  void ike_up(const IkeSaView& sa);
  [[nodiscard]] const IkeSaView* find(std::string_view uniqueid) const;
  /// Replaces everything (a fresh list-sas after a reconnect to charon).
  void reset(const std::vector<IkeSaView>& sas);

  /// Whether a BU for `rcoa` from care-of address `coa` is backed by IKE.
  /// An IKE SA holds an RCoA when it is ESTABLISHED and the RCoA is one of
  /// its remote virtual IPs or the single-host remote selector of one of
  /// its children.
  [[nodiscard]] Verdict check(const Ip6Addr& rcoa, const Ip6Addr& coa) const;
  /// The identity holding `rcoa`, if exactly one does.
  [[nodiscard]] std::optional<std::string> holder(const Ip6Addr& rcoa) const;
  [[nodiscard]] std::size_t size() const noexcept { return sas_.size(); }

 private:
  [[nodiscard]] std::vector<const IkeSaView*> holding(const Ip6Addr& rcoa) const;
  std::map<std::string, IkeSaView, std::less<>> sas_;  ///< by uniqueid
};

std::string_view to_string(RcoaHolders::Verdict v) noexcept;

}  // namespace hmip::ike
