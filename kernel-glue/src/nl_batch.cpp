#include "nl_batch.h"

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cerrno>
#include <map>
#include <system_error>

namespace hmip::kglue::detail {
namespace {

struct AckState {
  std::map<unsigned int, std::size_t> pending;  // seq -> request index
  std::vector<int>* results = nullptr;
};

void settle(AckState& st, unsigned int seq, int err) {
  auto it = st.pending.find(seq);
  if (it == st.pending.end()) return;  // not ours (stale ack of an earlier batch)
  (*st.results)[it->second] = err;
  st.pending.erase(it);
}

int on_ack(nl_msg* msg, void* arg) {
  settle(*static_cast<AckState*>(arg), nlmsg_hdr(msg)->nlmsg_seq, 0);
  return NL_OK;
}

int on_error(sockaddr_nl* /*nla*/, nlmsgerr* err, void* arg) {
  // err->error is the kernel's -errno; skip so the rest of the batch is read.
  settle(*static_cast<AckState*>(arg), err->msg.nlmsg_seq, err->error);
  return NL_SKIP;
}

}  // namespace

RouteSocket::RouteSocket(int buffer_bytes) : sk_(nl_socket_alloc()) {
  if (sk_ == nullptr) throw std::system_error(ENOMEM, std::generic_category(), "nl_socket_alloc");
  int rc = nl_connect(sk_, NETLINK_ROUTE);
  if (rc == 0) rc = nl_socket_set_buffer_size(sk_, buffer_bytes, buffer_bytes);
  if (rc < 0) {
    nl_socket_free(sk_);
    sk_ = nullptr;
    throw std::system_error(EIO, std::generic_category(), std::string("netlink route socket: ") + nl_geterror(rc));
  }
  nl_socket_enable_auto_ack(sk_);
}

RouteSocket::~RouteSocket() {
  if (sk_ != nullptr) nl_socket_free(sk_);
}

std::vector<int> RouteSocket::run(std::vector<NlRequest>& batch) {
  std::vector<int> results(batch.size(), -ECANCELED);
  AckState st;
  st.results = &results;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].msg) {
      results[i] = -ENOMEM;
      continue;
    }
    nlmsg_hdr(batch[i].msg.get())->nlmsg_flags |= NLM_F_ACK;
    if (nl_send_auto(sk_, batch[i].msg.get()) < 0) {
      results[i] = -EIO;
      break;  // the rest stays -ECANCELED: never sent
    }
    st.pending.emplace(nlmsg_hdr(batch[i].msg.get())->nlmsg_seq, i);
  }
  nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
  if (cb == nullptr) return results;
  nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
  nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) -> int { return NL_OK; }, nullptr);
  nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);
  while (!st.pending.empty()) {
    const int rc = nl_recvmsgs(sk_, cb);
    if (rc < 0) {
      // The socket failed (e.g. ENOBUFS: acks were dropped): what is still
      // pending has an unknown outcome; report it as an I/O error.
      for (const auto& [seq, idx] : st.pending) results[idx] = -EIO;
      break;
    }
  }
  nl_cb_put(cb);
  return results;
}

}  // namespace hmip::kglue::detail
