// The MAP's ingress check (RFC 5380 §10: the MAP must make sure that a
// reverse-tunnelled packet's inner source is the RCoA bound to the LCoA it
// came from), as one nftables table:
//
//   table inet <tags.nft_table> {
//     chain ingress_check {
//       type filter hook prerouting priority filter; policy accept;
//       iifname "<prefix>*" ip6 saddr fe80::/10 counter drop
//       iifname "<prefix>*" ip6 saddr . iifname @mcoa_paths accept   (Multiple CoA, kMcoaPathSet)
//       iifname "<prefix>*" fib saddr . iif oif 0 counter drop
//     }
//   }
//
// Why this shape (issue 4: "choose and document"):
//   * IPv6 has no rp_filter sysctl, so the kernel does not check sources on
//     its own;
//   * every binding already has its own tunnel and an RCoA/128 route into
//     it, so a reverse-path lookup whose result must be the arrival
//     interface (`fib saddr . iif oif`) succeeds exactly when the inner
//     source is that binding's RCoA; one static rule covers every binding,
//     nothing per binding is added or removed (no churn, no window at
//     update). Multiple CoA is the exception: an address's other bindings'
//     routes have higher metrics and lose the lookup, so their (RCoA,
//     tunnel) pairs are elements of a set (kMcoaPathSet), maintained only
//     for addresses with several bindings;
//   * a link-local inner source is dropped by its own rule (issue 13 item
//     11): the fib lookup of a link-local address is restricted to the
//     arrival interface, and a tunnel with a link-local address also has
//     fe80::/64 routed into it, so such packets passed the fib rule (the
//     MAP even answered pings from one down the tunnel). hmip's tunnels
//     have no link-local address any more (addr_gen_mode none), which
//     closes that by itself; the explicit rule does not depend on it;
//   * a tunnel is shared by the bindings of one (MAP address, LCoA) pair
//     (netlink_dataplane.h): each of their RCoAs has its /128 route into it
//     and passes, every other source is dropped: the arrival interface
//     stands for the LCoA the packet came from (RFC 5380 §10);
//   * the `counter`s (summed) give DataplaneCounters::ingress_dropped_*.
// In a future scale mode with one external ip6tnl (lwtunnel encap routes)
// the arrival interface no longer identifies the LCoA: the check must then
// become a set of (outer source, inner source) pairs maintained per binding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/kglue/dataplane.h"
#include "hmip/wire/result.h"

struct nft_ctx;

namespace hmip::kglue {

/// The chain holding the check.
inline constexpr std::string_view kIngressChain = "ingress_check";
/// Multiple CoA (issue 15): the set of (inner source, tunnel name) pairs
/// that pass without the fib check: an RCoA from the tunnel of one of its
/// bindings that is not the top-ranked one. The fib check (`fib saddr .
/// iif oif 0`) looks a global source up WITHOUT restricting the lookup to
/// the input device (Linux 6.1 nft_fib6_flowi_init sets the output device
/// only for link-local sources and VRF devices), so it finds the RCoA's
/// lowest-metric route, the top binding's tunnel, and would drop the
/// reverse-tunnelled packets of every other binding (measured in case 47
/// before the set existed). A forged source from any tunnel still fails:
/// it is neither in the set nor routed into that tunnel. Single-binding
/// addresses never touch the set.
inline constexpr std::string_view kMcoaPathSet = "mcoa_paths";

/// One element of kMcoaPathSet.
struct NftPath {
  Ip6Addr addr;
  std::string ifname;
  friend auto operator<=>(const NftPath&, const NftPath&) = default;  // NOLINT(modernize-use-nullptr): see addr.h
  friend bool operator==(const NftPath&, const NftPath&) = default;
};
/// One nft transaction adding `add` to and deleting `del` from the set
/// ("" when both are empty).
std::string nft_paths_script(const Tags& tags, const std::vector<NftPath>& add, const std::vector<NftPath>& del);

/// The nft script that (re)creates the table for `tags` atomically (add,
/// flush, add chain and rule): one nft transaction.
std::string nft_ingress_script(const Tags& tags);

/// Packets and bytes of every `counter packets N bytes M` in `listing`
/// (nft's text output of the chain), summed; nullopt if there is none.
struct NftCounter {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};
std::optional<NftCounter> parse_nft_counter(std::string_view listing);

/// Owns the table in the kernel through libnftables (netlink, no fork).
class NftIngress {
 public:
  /// `tags.nft_table` must not be empty. Throws std::system_error if
  /// libnftables cannot make a context.
  explicit NftIngress(Tags tags);
  ~NftIngress();  ///< removes the table if installed (best effort)
  NftIngress(const NftIngress&) = delete;
  NftIngress& operator=(const NftIngress&) = delete;

  /// Creates (or re-creates) the table. Error: nft's message in last_error().
  wire::Status install();
  /// Deletes the table if this instance installed it.
  wire::Status remove();
  /// Whether a table with this name exists in the kernel now.
  bool exists();
  /// Deletes the table whoever made it (reconcile of a crashed run).
  wire::Status remove_any();
  /// Adds and deletes kMcoaPathSet elements in one transaction (nothing
  /// when both are empty). Error (nothing changed): nft's message in
  /// last_error(), e.g. deleting an element that is not there.
  wire::Status update_paths(const std::vector<NftPath>& add, const std::vector<NftPath>& del);
  /// The drop counter; error if the table is not there.
  wire::Result<NftCounter> counter();
  [[nodiscard]] bool installed() const { return installed_; }
  [[nodiscard]] const std::string& last_error() const { return last_error_; }

 private:
  /// Runs `cmd`; 0 or nft's status, output in out_.
  int run(const std::string& cmd);

  Tags tags_;
  nft_ctx* ctx_ = nullptr;
  bool installed_ = false;
  std::string out_;
  std::string last_error_;
};

}  // namespace hmip::kglue
