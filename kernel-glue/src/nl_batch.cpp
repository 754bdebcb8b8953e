#include "nl_batch.h"

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
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

bool prepare_for_batches(nl_sock* sk) noexcept {
  const int fd = nl_socket_get_fd(sk);
  const int one = 1;
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  const timeval tv{kNlReceiveTimeoutSeconds, 0};
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
}

void drain_socket(nl_sock* sk) noexcept {
  const int fd = nl_socket_get_fd(sk);
  std::array<char, 8192> buf{};
  while (recv(fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0 || errno == EINTR || errno == ENOBUFS) {
  }
}

bool run_windows(nl_sock* sk, const std::vector<nl_msg*>& msgs, std::vector<int>& results) {
  nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
  if (cb == nullptr) return false;
  AckState st;
  st.results = &results;
  nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
  nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) -> int { return NL_OK; }, nullptr);
  nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);
  bool send_failed = false;
  for (std::size_t start = 0; start < msgs.size() && !send_failed; start += kNlWindow) {
    const std::size_t end = std::min(msgs.size(), start + kNlWindow);
    for (std::size_t i = start; i < end; ++i) {
      if (msgs[i] == nullptr) {
        results[i] = -ENOMEM;
        continue;
      }
      nlmsg_hdr(msgs[i])->nlmsg_flags |= NLM_F_ACK;
      if (nl_send_auto(sk, msgs[i]) < 0) {
        results[i] = -EIO;
        send_failed = true;  // the rest stays -ECANCELED: never sent
        break;
      }
      st.pending.emplace(nlmsg_hdr(msgs[i])->nlmsg_seq, i);
    }
    while (!st.pending.empty()) {
      if (nl_recvmsgs(sk, cb) < 0) {
        // The socket failed (ENOBUFS: acks were dropped; or the receive
        // timed out): what is still pending has an unknown outcome.
        for (const auto& [seq, idx] : st.pending) results[idx] = -EIO;
        st.pending.clear();
        drain_socket(sk);
      }
    }
  }
  nl_cb_put(cb);
  return true;
}

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
  if (!prepare_for_batches(sk_)) {
    const int e = errno;
    nl_socket_free(sk_);
    sk_ = nullptr;
    throw std::system_error(e, std::generic_category(), "netlink route socket: SO_RCVTIMEO");
  }
}

RouteSocket::~RouteSocket() {
  if (sk_ != nullptr) nl_socket_free(sk_);
}

std::vector<int> RouteSocket::run(std::vector<NlRequest>& batch) {
  std::vector<int> results(batch.size(), -ECANCELED);
  std::vector<nl_msg*> msgs;
  msgs.reserve(batch.size());
  for (const auto& r : batch) msgs.push_back(r.msg.get());
  (void)run_windows(sk_, msgs, results);  // no callbacks: all stay -ECANCELED
  return results;
}

}  // namespace hmip::kglue::detail
