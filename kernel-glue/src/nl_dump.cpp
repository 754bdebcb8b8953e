#include "nl_dump.h"

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
  nl_msg* raw = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);
  if (raw == nullptr) {
    error = "proxy neighbour dump: out of memory";
    return -NLE_NOMEM;
  }
  NlMsgPtr msg(raw);
  ndmsg nd{};
  nd.ndm_family = AF_INET6;
  nd.ndm_flags = NTF_PROXY;
  if (const int rc = nlmsg_append(msg.get(), &nd, sizeof(nd), NLMSG_ALIGNTO); rc < 0) {
    error = std::string("proxy neighbour dump: ") + nl_geterror(rc);
    return rc;
  }
  nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
  if (cb == nullptr) {
    error = "proxy neighbour dump: out of memory";
    return -NLE_NOMEM;
  }
  nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_proxy, &out);
  int rc = nl_send_auto(sock.get(), msg.get());
  if (rc >= 0) rc = nl_recvmsgs(sock.get(), cb);
  nl_cb_put(cb);
  if (rc < 0) {
    error = std::string("proxy neighbour dump: ") + nl_geterror(rc);
    return rc;
  }
  return 0;
}

}  // namespace hmip::kglue::detail
