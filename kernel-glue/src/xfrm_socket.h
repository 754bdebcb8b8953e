// The NETLINK_XFRM socket of one XfrmTable (libnl's nl_sock): one request
// at a time with its acknowledgement, batches of requests with several in
// flight (nl_batch.h's run_windows, as RouteSocket for rtnetlink), and dumps.
//
// A batch is sent in windows of at most kWindow requests; each window's
// acks are collected, each matched to its request by sequence number, before
// the next window goes out, and an error ack does not stop the collection,
// so every request gets its own answer. The window keeps the acks inside the
// receive buffer (a whole batch of thousands would overflow it and the
// kernel would drop acks, ENOBUFS). Acks carry no copy of the request
// (NETLINK_CAP_ACK), a receive never waits longer than kReceiveTimeoutSeconds
// and a failed exchange drains what is left on the socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nl_batch.h"
#include "xfrm_msg.h"

struct nl_sock;

namespace hmip::kglue::detail {

class XfrmSocket {
 public:
  /// Requests in flight at most in run().
  static constexpr std::size_t kWindow = kNlWindow;
  /// A receive that waits longer fails: run() reports the requests still
  /// pending as EIO, request() and dump() return EAGAIN.
  static constexpr int kReceiveTimeoutSeconds = kNlReceiveTimeoutSeconds;

  /// Opens and connects the socket with `buffer_bytes` send and receive
  /// buffers. Throws std::system_error when it cannot (no NETLINK_XFRM in
  /// the kernel, out of memory).
  explicit XfrmSocket(int buffer_bytes = 1 << 20);
  ~XfrmSocket();
  XfrmSocket(const XfrmSocket&) = delete;
  XfrmSocket& operator=(const XfrmSocket&) = delete;

  /// Sends `request` (sequence number and port id filled in) asking for an
  /// acknowledgement and waits for it. Returns 0, or the errno the kernel
  /// answered with (EEXIST, ESRCH, EINVAL, ...), or the errno of a failed
  /// send/receive.
  int request(const NlBytes& request);
  /// Sends every request of `batch` (kWindow at a time, see above) and
  /// collects every answer. Returns, per request in order, 0 or the errno
  /// the kernel answered with; EIO when its ack was lost or the socket
  /// failed while it was in flight; ECANCELED when it was never sent (a
  /// send failed before it); ENOMEM when it could not be copied.
  std::vector<int> run(const std::vector<NlBytes>& batch);
  /// Dumps `type` (XFRM_MSG_GETSA or XFRM_MSG_GETPOLICY): every reply
  /// message as bytes. `err` gets 0 or the errno that ended the dump early.
  std::vector<NlBytes> dump(std::uint16_t type, int& err);

 private:
  nl_sock* sk_ = nullptr;
};

}  // namespace hmip::kglue::detail
