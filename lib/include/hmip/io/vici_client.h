// A VICI client on charon's UNIX socket (strongSwan's vici plugin README):
// one command at a time per connection, events for registered names
// delivered in between. Blocking with a deadline per call (poll(2)), for
// the daemons' start-up and reload paths, hmipctl and tests; the wire work is
// hmip/vici/message.h.
//
// Failure modes, all reported as ViciReply::error (never thrown):
//   * transport: connect/read/write failure, the deadline, charon closing the
//     socket, a packet that does not decode (the connection is then closed:
//     a VICI stream cannot be resynchronised);
//   * protocol: CMD_UNKNOWN (charon has no such command), EVENT_UNKNOWN;
//   * command: a response whose "success" is "no" (error = its "errmsg").
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/io/fd.h"
#include "hmip/vici/message.h"

namespace hmip::io {

/// charon's default VICI socket (strongswan.conf charon.plugins.vici.socket).
inline constexpr std::string_view kDefaultViciSocket = "/run/charon.vici";

struct ViciReply {
  std::string error;                ///< empty on success
  vici::Section message;            ///< the CMD_RESPONSE (also on a command failure)
  std::vector<vici::Section> events;  ///< streamed commands: the events before the response
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

struct ViciEvent {
  std::string name;
  vici::Section message;
};

class ViciClient {
 public:
  using Timeout = std::chrono::milliseconds;

  /// Connects to `path` ("unix://" prefix allowed). nullopt with `error` set
  /// when the socket cannot be reached.
  static std::optional<ViciClient> connect(std::string_view path, std::string& error);

  /// Sends command `name` with `request` and waits for its response.
  ViciReply command(std::string_view name, const vici::Section& request, Timeout timeout);
  /// A streamed command (list-sas, list-conns, list-certs...): registers
  /// `event` first, collects its events until the response, unregisters.
  ViciReply streamed(std::string_view name, const vici::Section& request, std::string_view event,
                     Timeout timeout);

  /// Registers for event `name` (ike-updown, child-updown, ike-rekey, ...);
  /// false with `error` set if charon refuses.
  bool subscribe(std::string_view name, Timeout timeout, std::string& error);
  /// The next event of a subscribed name (queued ones first), or nullopt
  /// after `timeout` or on a transport failure (then last_error()).
  std::optional<ViciEvent> next_event(Timeout timeout);

  [[nodiscard]] bool connected() const noexcept { return fd_.valid(); }
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }
  /// The socket, for an event loop to watch for readability between calls
  /// (then call next_event with a zero timeout).
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  explicit ViciClient(UniqueFd fd) : fd_(std::move(fd)) {}
  bool send(const vici::Packet& p, std::chrono::steady_clock::time_point deadline);
  /// Reads the next packet that is not an EVENT of a subscribed name (those
  /// go to the queue, or into `collect` when it is set and the name matches).
  std::optional<vici::Packet> receive(std::chrono::steady_clock::time_point deadline,
                                      std::string_view collect_name, std::vector<vici::Section>* collect);
  bool fill(std::chrono::steady_clock::time_point deadline);
  void fail(std::string why);
  bool event_control(vici::PacketType type, std::string_view name, std::chrono::steady_clock::time_point deadline,
                     std::string& error);

  UniqueFd fd_;
  vici::Framer framer_;
  std::deque<ViciEvent> queued_;
  std::string last_error_;
};

}  // namespace hmip::io
