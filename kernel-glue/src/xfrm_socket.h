// The NETLINK_XFRM socket of one XfrmTable (libnl's nl_sock): one request
// at a time with its acknowledgement, and dumps.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "xfrm_msg.h"

struct nl_sock;

namespace hmip::kglue::detail {

class XfrmSocket {
 public:
  /// Opens and connects the socket. Throws std::system_error when it cannot
  /// (no NETLINK_XFRM in the kernel, out of memory).
  XfrmSocket();
  ~XfrmSocket();
  XfrmSocket(const XfrmSocket&) = delete;
  XfrmSocket& operator=(const XfrmSocket&) = delete;

  /// Sends `request` (sequence number and port id filled in) asking for an
  /// acknowledgement and waits for it. Returns 0, or the errno the kernel
  /// answered with (EEXIST, ESRCH, EINVAL, ...), or the errno of a failed
  /// send/receive.
  int request(const NlBytes& request);
  /// Dumps `type` (XFRM_MSG_GETSA or XFRM_MSG_GETPOLICY): every reply
  /// message as bytes. `err` gets 0 or the errno that ended the dump early.
  std::vector<NlBytes> dump(std::uint16_t type, int& err);

 private:
  nl_sock* sk_ = nullptr;
};

}  // namespace hmip::kglue::detail
