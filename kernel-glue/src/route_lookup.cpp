#include "route_lookup.h"

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "nl_batch.h"
#include "object_set.h"

namespace hmip::kglue::detail {
namespace {

struct CbPut {
  void operator()(nl_cb* cb) const noexcept { nl_cb_put(cb); }
};

/// What the callbacks learn about the one request in flight.
struct Lookup {
  std::uint32_t seq = 0;
  bool done = false;
  bool answered = false;  ///< an RTM_NEWROUTE for this request came
  int err = 0;            ///< errno (positive) from the kernel
  RouteHop hop;
};

int on_valid(nl_msg* msg, void* arg) {
  auto* l = static_cast<Lookup*>(arg);
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_seq != l->seq || h->nlmsg_type != RTM_NEWROUTE || !nlmsg_valid_hdr(h, sizeof(rtmsg))) return NL_SKIP;
  std::array<nlattr*, RTA_MAX + 1> tb{};
  if (nlmsg_parse(h, sizeof(rtmsg), tb.data(), RTA_MAX, nullptr) < 0) return NL_SKIP;
  if (tb[RTA_OIF] != nullptr) l->hop.oif = static_cast<int>(nla_get_u32(tb[RTA_OIF]));
  if (tb[RTA_GATEWAY] != nullptr && nla_len(tb[RTA_GATEWAY]) == 16) {
    std::memcpy(l->hop.gateway.b.data(), nla_data(tb[RTA_GATEWAY]), 16);
  }
  l->answered = true;
  return NL_OK;
}

int on_ack(nl_msg* msg, void* arg) {
  auto* l = static_cast<Lookup*>(arg);
  if (nlmsg_hdr(msg)->nlmsg_seq == l->seq) l->done = true;
  return NL_OK;
}

int on_error(sockaddr_nl* /*peer*/, nlmsgerr* e, void* arg) {
  auto* l = static_cast<Lookup*>(arg);
  if (e->msg.nlmsg_seq != l->seq) return NL_SKIP;  // a stale answer to something else
  l->err = -e->error;
  l->done = true;
  return NL_SKIP;
}

}  // namespace

wire::Result<RouteHop> lookup_route(RouteSocket& sock, const Ip6Addr& dst, const Ip6Addr& src, std::string& detail) {
  const std::string what = "route get " + dst.str() + (src.is_unspecified() ? "" : " from " + src.str());
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETROUTE, 0));
  if (!msg) return kernel_error(ENOMEM, "cannot look up a route", what, detail);
  rtmsg rtm{};
  rtm.rtm_family = AF_INET6;
  rtm.rtm_dst_len = 128;
  rtm.rtm_src_len = src.is_unspecified() ? 0 : 128;
  if (nlmsg_append(msg.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 || nla_put(msg.get(), RTA_DST, 16, dst.b.data()) < 0 ||
      (!src.is_unspecified() && nla_put(msg.get(), RTA_SRC, 16, src.b.data()) < 0)) {
    return kernel_error(ENOMEM, "cannot look up a route", what, detail);
  }
  std::unique_ptr<nl_cb, CbPut> cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return kernel_error(ENOMEM, "cannot look up a route", what, detail);
  Lookup l;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &l);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &l);
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &l);
  // Sequence numbers are matched here (the batches on this socket do the same).
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) -> int { return NL_OK; }, nullptr);
  nlmsg_hdr(msg.get())->nlmsg_flags |= NLM_F_ACK;
  if (nl_send_auto(sock.get(), msg.get()) < 0) return kernel_error(EIO, "cannot look up a route", what, detail);
  l.seq = nlmsg_hdr(msg.get())->nlmsg_seq;
  while (!l.done) {
    // The socket's receive timeout (RouteSocket) bounds the wait.
    if (nl_recvmsgs(sock.get(), cb.get()) < 0 && !l.done) {
      return kernel_error(EIO, "no answer from the kernel to a route lookup", what, detail);
    }
  }
  if (l.err != 0) return kernel_error(l.err, "the kernel has no route to the address", what, detail);
  if (!l.answered || l.hop.oif == 0) {
    return kernel_error(ENETUNREACH, "the kernel's route names no output link", what, detail);
  }
  return l.hop;
}

}  // namespace hmip::kglue::detail
