// NETLINK_XFRM transport for XfrmTable: requests acknowledged one at a time
// or in batches (the errno the kernel answers is kept as is, not folded into
// libnl's NLE_* codes), and dumps.
#include "xfrm_socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

namespace hmip::kglue::detail {
namespace {

struct CbPut {
  void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};
struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};

/// What the receive callbacks learn about the one request in flight.
struct Exchange {
  std::uint32_t seq = 0;
  bool done = false;
  int err = 0;                   ///< errno from the kernel (positive), 0 = ack / end of dump
  std::vector<NlBytes>* replies = nullptr;
};

int on_error(sockaddr_nl* /*peer*/, nlmsgerr* e, void* arg) {
  auto* x = static_cast<Exchange*>(arg);
  if (e->msg.nlmsg_seq != x->seq) return NL_SKIP;  // a late answer to something else
  x->err = -e->error;
  x->done = true;
  return NL_STOP;
}

int on_ack(nl_msg* msg, void* arg) {
  auto* x = static_cast<Exchange*>(arg);
  if (nlmsg_hdr(msg)->nlmsg_seq != x->seq) return NL_SKIP;
  x->done = true;
  return NL_STOP;
}

int on_valid(nl_msg* msg, void* arg) {
  auto* x = static_cast<Exchange*>(arg);
  const nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_seq != x->seq || x->replies == nullptr) return NL_SKIP;
  const auto* p = reinterpret_cast<const std::uint8_t*>(h);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): libnl's buffer
  x->replies->emplace_back(p, p + h->nlmsg_len);
  return NL_OK;
}

/// libnl's error code as an errno (for failures of send/recv themselves).
int to_errno(int nle) {
  switch (-nle) {
    case NLE_NOMEM: return ENOMEM;
    case NLE_PERM: return EPERM;
    case NLE_AGAIN: return EAGAIN;
    case NLE_INTR: return EINTR;
    case NLE_BAD_SOCK: return EBADF;
    default: return EIO;
  }
}

/// Sends `msg` and runs the receive loop until `x.done`.
int exchange(nl_sock* sk, nl_msg* msg, Exchange& x) {
  const int sent = nl_send_auto(sk, msg);
  if (sent < 0) return to_errno(sent);
  x.seq = nlmsg_hdr(msg)->nlmsg_seq;
  std::unique_ptr<nl_cb, CbPut> cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return ENOMEM;
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &x);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &x);
  nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_ack, &x);
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) -> int { return NL_OK; }, nullptr);
  while (!x.done) {
    const int r = nl_recvmsgs(sk, cb.get());
    if (r < 0 && !x.done) return to_errno(r);
  }
  return x.err;
}

}  // namespace

XfrmSocket::XfrmSocket(int buffer_bytes) : sk_(nl_socket_alloc()) {
  if (sk_ == nullptr) throw std::system_error(ENOMEM, std::generic_category(), "NETLINK_XFRM socket");
  const int err = nl_connect(sk_, NETLINK_XFRM);
  if (err < 0) {
    const int saved = errno != 0 ? errno : EPROTONOSUPPORT;
    nl_socket_free(sk_);
    sk_ = nullptr;
    throw std::system_error(saved, std::generic_category(),
                            std::string("NETLINK_XFRM socket: ") + nl_geterror(err));
  }
  // Dumps of many states and policies arrive faster than small buffers drain.
  nl_socket_set_buffer_size(sk_, buffer_bytes, buffer_bytes);
  if (!prepare_for_batches(sk_)) {
    const int e = errno;
    nl_socket_free(sk_);
    sk_ = nullptr;
    throw std::system_error(e, std::generic_category(), "NETLINK_XFRM socket: SO_RCVTIMEO");
  }
}

XfrmSocket::~XfrmSocket() {
  if (sk_ != nullptr) nl_socket_free(sk_);  // closes the fd
}

int XfrmSocket::request(const NlBytes& request) {
  NlBytes copy = request;  // nlmsg_convert copies from a mutable header
  std::unique_ptr<nl_msg, MsgFree> msg(
      nlmsg_convert(reinterpret_cast<nlmsghdr*>(copy.data())));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): a message we built
  if (!msg) return ENOMEM;
  Exchange x;
  return exchange(sk_, msg.get(), x);
}

std::vector<int> XfrmSocket::run(const std::vector<NlBytes>& batch) {
  std::vector<std::unique_ptr<nl_msg, MsgFree>> owned;
  std::vector<nl_msg*> msgs;
  owned.reserve(batch.size());
  msgs.reserve(batch.size());
  for (const NlBytes& bytes : batch) {
    NlBytes copy = bytes;  // nlmsg_convert copies from a mutable header
    owned.emplace_back(nlmsg_convert(reinterpret_cast<nlmsghdr*>(copy.data())));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): a message we built
    msgs.push_back(owned.back().get());  // null: ENOMEM, not sent
  }
  std::vector<int> results(batch.size(), -ECANCELED);
  if (!run_windows(sk_, msgs, results)) {
    std::fill(results.begin(), results.end(), ENOMEM);
    return results;
  }
  for (int& r : results) r = -r;  // this socket answers positive errnos
  return results;
}

std::vector<NlBytes> XfrmSocket::dump(std::uint16_t type, int& err) {
  std::vector<NlBytes> replies;
  std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc_simple(type, NLM_F_DUMP));
  if (!msg) {
    err = ENOMEM;
    return replies;
  }
  Exchange x;
  x.replies = &replies;
  err = exchange(sk_, msg.get(), x);
  return replies;
}

}  // namespace hmip::kglue::detail
