// One NETLINK_ROUTE socket and the batched request/ack exchange on it:
// every request of a batch is sent back-to-back (nl_send_auto, no wait),
// then the acks are collected in order, each matched to its request by
// sequence number; an error ack does not stop the collection (the error
// callback skips), so the caller learns the outcome of every request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nl_objects.h"

namespace hmip::kglue::detail {

/// One request of a batch: the message and what it does, for errors.
struct NlRequest {
  NlMsgPtr msg;
  std::string what;
};

class RouteSocket {
 public:
  /// Opens and connects the socket with `buffer_bytes` send and receive
  /// buffers (large batches: the kernel drops acks that don't fit, ENOBUFS).
  /// Throws std::system_error if the socket cannot be opened.
  explicit RouteSocket(int buffer_bytes = 1 << 20);
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  /// Sends every request, then waits for all acks. Returns, per request in
  /// order, 0 or the kernel's negative errno (-ENOBUFS/-EIO if the socket
  /// itself failed; requests after that are reported as not done, -ECANCELED).
  /// A request whose msg is null (allocation failed) reports -ENOMEM unsent.
  std::vector<int> run(std::vector<NlRequest>& batch);

  /// The socket, for libnl dumps (caches) and one-off requests.
  nl_sock* get() const noexcept { return sk_; }

 private:
  nl_sock* sk_ = nullptr;
};

}  // namespace hmip::kglue::detail
