// XfrmTable: the Mobile IPv6 route-optimisation XFRM states and SUB
// policies one daemon owns, through libnl-xfrm-3 on its own NETLINK_XFRM
// socket.
//
// What the kernel needs (shared/notes/kernel-testbed.md, measured on the
// distro kernel): the Home Address option (RFC 6275 §6.3) and the type 2
// routing header (§6.4) are inserted on output and accepted on input by
// `mode ro` states of protocol `hao` (IPPROTO_DSTOPTS) and `route2`
// (IPPROTO_ROUTING), found through policy templates. hmip puts its policies
// into the SUB policy type, as UMIP does, so IPsec MAIN policies keyed on the
// RCoA (RFC 4877, the next issue) still match beside them.
//
// Tags: every policy gets a priority in [tags.xfrm_priority_lo, hi]; every
// state and every template gets reqid = tags.xfrm_priority_lo (the kernel
// matches a template's non-zero reqid against the state's, so the two must be
// equal; verified by test/kernel/cases/45-xfrm-table.sh). remove_leftovers()
// finds what a crashed run left by these tags.
//
// The libnl 3.7 bugs worked around here (shared/notes/libnl-and-strongswan.md,
// read from libnl's lib/xfrm/sa.c and sp.c, checked by test_kglue_xfrm.cpp):
//   * the SA builder copies the `struct nl_addr` object, not the address,
//     into XFRMA_COADDR: the care-of address is never given to libnl, the
//     attribute is appended to the built message instead;
//   * the SA delete request has no XFRMA_SRCADDR, which the kernel needs to
//     find hao/route2 states (xfrm_user_state_lookup: EINVAL): appended;
//   * the policy delete request has no XFRMA_POLICY_TYPE (so it would name
//     the MAIN policy): appended;
//   * templates are dereferenced without NULL checks: both template
//     addresses are always set (`::` for any).
// States carry byte/packet limits of XFRM_INF (libnl would send 0, and the
// kernel expires a state whose hard limit 0 is reached, i.e. at first use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/kglue/dataplane.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/result.h"

namespace hmip::kglue::detail {

/// IPPROTO_DSTOPTS (Home Address option) or IPPROTO_ROUTING (type 2 routing
/// header); always XFRM_MODE_ROUTEOPTIMIZATION.
enum class RoProto : std::uint8_t { hao, route2 };

/// How the kernel identifies a route-optimisation state: (src, dst, proto);
/// `::`, `::` is the wildcard (wildrecv) receive state.
struct RoStateKey {
  Ip6Addr src, dst;
  RoProto proto;
  friend auto operator<=>(const RoStateKey&, const RoStateKey&) = default;  // NOLINT(modernize-use-nullptr): see addr.h
  friend bool operator==(const RoStateKey&, const RoStateKey&) = default;
};

struct RoStateSettings {
  Ip6Addr coa;            ///< care-of address (`::` for the wildcard state)
  bool wildrecv = false;  ///< XFRM_STATE_WILDRECV: accept from any address (receive side)
  friend bool operator==(const RoStateSettings&, const RoStateSettings&) = default;
};

enum class PolicyDir : std::uint8_t { in, out };

/// How the kernel identifies a SUB policy: selector (prefixes, upper-layer
/// protocol, no ports) and direction.
struct PolicyKey {
  Ip6Prefix src, dst;
  std::uint8_t proto = 135;  ///< IPPROTO_MH
  PolicyDir dir;
  /// A MAIN policy (IPsec's type, beside charon's) instead of SUB: only for
  /// PolicySettings::esp (mapd's RFC 4877 requirement).
  bool main = false;
  // Not a defaulted <=>: that would instantiate Ip6Prefix's, which
  // clang-tidy 14 flags (the false positive explained in addr.h).
  friend bool operator<(const PolicyKey& a, const PolicyKey& b) {
    return std::tie(a.src.addr, a.src.len, a.dst.addr, a.dst.len, a.proto, a.dir, a.main) <
           std::tie(b.src.addr, b.src.len, b.dst.addr, b.dst.len, b.proto, b.dir, b.main);
  }
  friend bool operator==(const PolicyKey&, const PolicyKey&) = default;
};

/// One route-optimisation template. The level follows the direction: `use`
/// (optional) for in policies (packets without the header still pass),
/// `required` for out policies.
struct PolicySettings {
  RoProto tmpl;
  Ip6Addr tmpl_src, tmpl_dst;  ///< `::` = any
  /// Instead of the ro template: one ESP transport template, level
  /// required, any SA (reqid 0, addresses `::`). With PolicyKey::main this
  /// is the SPD entry of RFC 4877 §4: MH without ESP is dropped; charon's
  /// per-RCoA /128 policies (priorities around 2000) win over it, hmip's
  /// priorities (tag range) being far larger numbers.
  bool esp = false;
  friend bool operator==(const PolicySettings&, const PolicySettings&) = default;
};

class XfrmSocket;

class XfrmTable {
 public:
  /// Opens this table's NETLINK_XFRM socket. `tags` gives the priority range
  /// of its policies and the reqid of its states (xfrm_priority_lo; must be
  /// non-zero, lo <= hi). Throws std::system_error if the socket cannot be
  /// opened (kernel without XFRM, no permission) and std::invalid_argument
  /// for a bad range.
  explicit XfrmTable(const Tags& tags);
  /// Removes everything this instance put (flush()), best effort.
  ~XfrmTable();
  XfrmTable(const XfrmTable&) = delete;
  XfrmTable& operator=(const XfrmTable&) = delete;

  /// Adds the state (XFRM_MSG_NEWSA, exclusive), or, if this instance put it
  /// before with other settings, replaces it: delete, then add (an in-place
  /// XFRM_MSG_UPDSA would keep the kernel's cached bundles and their route
  /// for the old care-of address). Same settings again: no request. Fails
  /// if the kernel refuses, e.g. EEXIST for a state with this key that this
  /// instance did not put (see remove_leftovers()); a failed replacement
  /// puts the previous state back (best effort).
  Status put_state(const RoStateKey& key, const RoStateSettings& settings);
  /// Deletes a state this instance put. Unknown key: no-op. A state already
  /// gone from the kernel (ESRCH) counts as deleted.
  Status delete_state(const RoStateKey& key);
  /// Adds the SUB policy (XFRM_MSG_NEWPOLICY, exclusive) or replaces the one
  /// this instance put (XFRM_MSG_UPDPOLICY, atomic in the kernel). Priority
  /// from the tag range, more specific selectors preferred (policy_priority).
  Status put_policy(const PolicyKey& key, const PolicySettings& settings);
  /// Deletes a SUB policy this instance put. Unknown key: no-op; ENOENT from
  /// the kernel counts as deleted.
  Status delete_policy(const PolicyKey& key);
  /// Deletes everything this instance put (policies first) in one batch
  /// (XfrmSocket::run: up to XfrmSocket::kWindow requests in flight, each
  /// answer matched to its request). Goes on past failures; returns the
  /// first one; what the kernel refused stays in the mirror.
  Status flush();
  /// Dumps the kernel's states and policies and deletes the tagged ones this
  /// instance did not put (states: reqid == xfrm_priority_lo, mode ro, proto
  /// hao/route2; policies: SUB type, priority in the tag range). Returns a
  /// description of each removed object ("xfrm state hao src :: dst ::", ...).
  wire::Result<std::vector<std::string>> remove_leftovers();

  /// The tagged states and policies in the kernel that this instance did
  /// not put (what remove_leftovers() would remove), read without changing
  /// anything (xfrm_leftovers.cpp). Policies of other directions than in
  /// and out are left out.
  struct Found {
    std::map<RoStateKey, RoStateSettings> states;
    std::map<PolicyKey, PolicySettings> policies;
  };
  wire::Result<Found> find_leftovers();
  /// Takes a state or policy find_leftovers() reported into this table as if
  /// put_state()/put_policy() had put it (no request): remove_leftovers()
  /// keeps it, delete_*() and flush() delete it, put_*() replaces it.
  void adopt_state(const RoStateKey& key, const RoStateSettings& settings) { states_[key] = settings; }
  void adopt_policy(const PolicyKey& key, const PolicySettings& settings) { policies_[key] = settings; }

  [[nodiscard]] std::size_t state_count() const { return states_.size(); }
  [[nodiscard]] std::size_t policy_count() const { return policies_.size(); }
  /// What this instance put, as it should be in the kernel now.
  [[nodiscard]] const std::map<RoStateKey, RoStateSettings>& states() const { return states_; }
  [[nodiscard]] const std::map<PolicyKey, PolicySettings>& policies() const { return policies_; }
  /// The full text of the last failure ("xfrm state add hao src ... : File
  /// exists"); the Status itself carries only a static rule and the errno as
  /// its offset (wire::Error has no room for dynamic text).
  [[nodiscard]] const std::string& last_error() const { return last_error_; }

 private:
  Status fail(std::string what, int err, std::string_view rule);

  Tags tags_;
  std::unique_ptr<XfrmSocket> sock_;
  std::map<RoStateKey, RoStateSettings> states_;
  std::map<PolicyKey, PolicySettings> policies_;
  std::string last_error_;
};

/// The priority of a policy with `key` inside [lo, hi]: lo + (256 - source
/// and destination prefix lengths), clamped to hi, so that a more specific
/// selector wins over a wildcard one (the kernel prefers lower values).
std::uint32_t policy_priority(const Tags& tags, const PolicyKey& key);

/// "xfrm state hao src 2001:db8::1 dst 2001:db8::2" (for errors and reports).
std::string describe(const RoStateKey& key);
/// "xfrm policy sub out src 2001:db8::1/128 dst 2001:db8::2/128 proto 135".
std::string describe(const PolicyKey& key);

}  // namespace hmip::kglue::detail
