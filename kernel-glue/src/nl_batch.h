// One NETLINK_ROUTE socket and the batched request/ack exchange on it:
// requests are sent back-to-back (nl_send_auto, no wait) in windows of at
// most kWindow, and each window's acks are collected before the next one is
// sent, each matched to its request by sequence number; an error ack does
// not stop the collection (the error callback skips), so the caller learns
// the outcome of every request. The window keeps the acks inside the
// receive buffer: a whole batch of thousands sent at once overflowed it, the
// kernel dropped acks (ENOBUFS, then silently while the socket stayed
// congested) and the next exchange waited forever for an ack that never
// came (2000 bindings' flush stalled). Acks carry no copy of the request
// (NETLINK_CAP_ACK), a receive never waits longer than kReceiveTimeout, and
// a failed exchange drains what is left on the socket.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "nl_objects.h"

namespace hmip::kglue::detail {

/// What RouteSocket and XfrmSocket (xfrm_socket.h) share: the window, the
/// receive timeout and the windowed exchange on any netlink socket.
inline constexpr std::size_t kNlWindow = 64;
inline constexpr int kNlReceiveTimeoutSeconds = 10;

/// NETLINK_CAP_ACK (best effort: kernels without it send longer acks, which
/// the window still keeps inside the buffer) and the receive timeout on
/// `sk`. False, errno set, if the timeout cannot be set.
bool prepare_for_batches(nl_sock* sk) noexcept;
/// Sends msgs[i] (NLM_F_ACK added) kNlWindow at a time on `sk` and collects
/// each window's acks by sequence number before the next one. results[i]
/// (sized like msgs by the caller, preset to -ECANCELED: never sent) gets 0
/// or the kernel's negative errno; -EIO when its ack was lost or the socket
/// failed while it was in flight (the socket is then drained); -ENOMEM for
/// a null message (not sent). False if no callback set could be allocated
/// (nothing sent, results untouched).
bool run_windows(nl_sock* sk, const std::vector<nl_msg*>& msgs, std::vector<int>& results);
/// Reads and discards whatever is queued on `sk` (after a failed exchange:
/// stale acks, and the congestion the kernel clears only once the queue is
/// empty).
void drain_socket(nl_sock* sk) noexcept;

/// One request of a batch: the message and what it does, for errors.
struct NlRequest {
  NlMsgPtr msg;
  std::string what;
};

class RouteSocket {
 public:
  /// Requests in flight at most (their acks fit any receive buffer).
  static constexpr std::size_t kWindow = kNlWindow;
  /// A receive that waits longer reports the requests still pending as -EIO.
  static constexpr int kReceiveTimeoutSeconds = kNlReceiveTimeoutSeconds;

  /// Opens and connects the socket with `buffer_bytes` send and receive
  /// buffers (large batches: the kernel drops acks that don't fit, ENOBUFS).
  /// Throws std::system_error if the socket cannot be opened.
  explicit RouteSocket(int buffer_bytes = 1 << 20);
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  /// Sends every request (kWindow at a time) and waits for all acks.
  /// Returns, per request in order, 0 or the kernel's negative errno (-EIO
  /// when its ack was lost or the socket failed while it was in flight;
  /// -ECANCELED when it could not be sent).
  /// A request whose msg is null (allocation failed) reports -ENOMEM unsent.
  std::vector<int> run(std::vector<NlRequest>& batch);

  /// The socket, for libnl dumps (caches) and one-off requests.
  nl_sock* get() const noexcept { return sk_; }

 private:
  nl_sock* sk_ = nullptr;
};

}  // namespace hmip::kglue::detail
