// Reading the kernel's routing objects for reconcile() and
// adopt_map_bindings() (netlink_reconcile.cpp, netlink_adopt.cpp): libnl
// caches as owned pointers, addresses as Ip6Addr, and the proxy neighbour
// dump libnl's neigh cache cannot do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hmip/wire/addr.h"
#include "nl_batch.h"
#include "nl_objects.h"

struct nl_cache;

namespace hmip::kglue::detail {

struct CacheFree {
  void operator()(nl_cache* c) const noexcept;
};
/// An owned libnl cache.
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;

/// `a` as an IPv6 address (:: for null, another family or length).
Ip6Addr to_ip6(nl_addr* a);

/// Every IPv6 proxy neighbour entry (RTM_GETNEIGH dump with ndm_flags
/// NTF_PROXY: the kernel lists proxy entries only for such a request).
/// Returns 0 or libnl's negative error code; `error` gets its text.
int dump_proxies(RouteSocket& sock, std::vector<NeighObj>& out, std::string& error);

/// Every IPv6 address whose IFA_PROTO is `protocol` (hmip tags the
/// addresses it adds with its route protocol: build_add). libnl 3.7 does not
/// parse IFA_PROTO, hence a raw RTM_GETADDR dump. Returns 0 or libnl's
/// negative error code; `error` gets its text.
int dump_tagged_addrs(RouteSocket& sock, std::uint8_t protocol, std::vector<AddrObj>& out, std::string& error);

}  // namespace hmip::kglue::detail
