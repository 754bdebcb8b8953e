#include "nl_dump.h"

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <array>
#include <cstring>

namespace hmip::kglue::detail {
namespace {

int on_proxy(nl_msg* msg, void* arg) {
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type != RTM_NEWNEIGH || !nlmsg_valid_hdr(h, sizeof(ndmsg))) return NL_SKIP;
  const auto* nd = static_cast<const ndmsg*>(nlmsg_data(h));
  if ((nd->ndm_flags & NTF_PROXY) == 0 || nd->ndm_family != AF_INET6) return NL_SKIP;
  std::array<nlattr*, NDA_MAX + 1> tb{};
  if (nlmsg_parse(h, sizeof(ndmsg), tb.data(), NDA_MAX, nullptr) < 0 || tb[NDA_DST] == nullptr ||
      nla_len(tb[NDA_DST]) != 16) {
    return NL_SKIP;
  }
  NeighObj n;
  n.ifindex = nd->ndm_ifindex;
  std::memcpy(n.addr.b.data(), nla_data(tb[NDA_DST]), 16);
  static_cast<std::vector<NeighObj>*>(arg)->push_back(n);
  return NL_OK;
}

struct TaggedAddrs {
  std::uint8_t protocol = 0;
  std::vector<AddrObj>* out = nullptr;
};

int on_addr(nl_msg* msg, void* arg) {
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type != RTM_NEWADDR || !nlmsg_valid_hdr(h, sizeof(ifaddrmsg))) return NL_SKIP;
  const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(h));
  if (ifa->ifa_family != AF_INET6) return NL_SKIP;
  std::array<nlattr*, IFA_MAX + 1> tb{};
  if (nlmsg_parse(h, sizeof(ifaddrmsg), tb.data(), IFA_MAX, nullptr) < 0) return NL_SKIP;
  const auto* want = static_cast<TaggedAddrs*>(arg);
  nlattr* a = tb[IFA_LOCAL] != nullptr ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (tb[IFA_PROTO] == nullptr || nla_get_u8(tb[IFA_PROTO]) != want->protocol || a == nullptr || nla_len(a) != 16) {
    return NL_SKIP;
  }
  AddrObj o;
  o.ifindex = static_cast<int>(ifa->ifa_index);
  o.prefix_len = ifa->ifa_prefixlen;
  std::memcpy(o.addr.b.data(), nla_data(a), 16);
  want->out->push_back(o);
  return NL_OK;
}

/// Sends a dump request `type` with header `hdr` and runs `cb_fn` on each answer.
template <class Hdr>
int run_dump(RouteSocket& sock, int type, Hdr hdr, nl_recvmsg_msg_cb_t cb_fn, void* arg, const char* what,
             std::string& error) {
  nl_msg* raw = nlmsg_alloc_simple(type, NLM_F_DUMP);
  if (raw == nullptr) {
    error = std::string(what) + ": out of memory";
    return -NLE_NOMEM;
  }
  NlMsgPtr msg(raw);
  if (const int rc = nlmsg_append(msg.get(), &hdr, sizeof(hdr), NLMSG_ALIGNTO); rc < 0) {
    error = std::string(what) + ": " + nl_geterror(rc);
    return rc;
  }
  nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
  if (cb == nullptr) {
    error = std::string(what) + ": out of memory";
    return -NLE_NOMEM;
  }
  nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_fn, arg);
  int rc = nl_send_auto(sock.get(), msg.get());
  if (rc >= 0) rc = nl_recvmsgs(sock.get(), cb);
  nl_cb_put(cb);
  if (rc < 0) {
    error = std::string(what) + ": " + nl_geterror(rc);
    return rc;
  }
  return 0;
}

}  // namespace

void CacheFree::operator()(nl_cache* c) const noexcept { nl_cache_free(c); }

Ip6Addr to_ip6(nl_addr* a) {
  Ip6Addr r;
  if (a != nullptr && nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16) {
    std::memcpy(r.b.data(), nl_addr_get_binary_addr(a), 16);
  }
  return r;
}

int dump_proxies(RouteSocket& sock, std::vector<NeighObj>& out, std::string& error) {
  ndmsg nd{};
  nd.ndm_family = AF_INET6;
  nd.ndm_flags = NTF_PROXY;
  return run_dump(sock, RTM_GETNEIGH, nd, on_proxy, &out, "proxy neighbour dump", error);
}

int dump_tagged_addrs(RouteSocket& sock, std::uint8_t protocol, std::vector<AddrObj>& out, std::string& error) {
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET6;
  TaggedAddrs want{protocol, &out};
  return run_dump(sock, RTM_GETADDR, ifa, on_addr, &want, "address dump", error);
}

}  // namespace hmip::kglue::detail
