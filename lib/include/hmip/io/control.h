// The daemons' control socket (hmipctl(8)): a UNIX stream socket carrying
// one JSON object per line each way.
//
//   request:  {"command": "show", "what": "maps"}            (more members allowed)
//   response: {"ok": true,  "data": <any JSON>}
//             {"ok": false, "error": "unknown command \"frob\""}
//
// A connection may carry several requests; each gets exactly one response
// line, in order. The built-in command "ping" answers
// {"daemon": NAME, "version": VERSION, "pid": PID, "commands": [...]}.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <system_error>

namespace hmip::io {

using Json = nlohmann::ordered_json;  ///< responses keep their members' order

/// Thrown by a command handler for a bad request; becomes {"ok":false,"error":what()}.
class ControlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The response line (without '\n') for request line `line`, given the
/// handlers. Never throws: malformed JSON, a missing "command", an unknown
/// command or a handler's exception all become {"ok":false,...}.
using ControlHandler = std::function<Json(const Json& request)>;
std::string dispatch_control_request(const std::map<std::string, ControlHandler, std::less<>>& handlers,
                                     std::string_view line);

class ControlServer {
 public:
  static constexpr std::size_t kMaxLine = std::size_t{64} * 1024;      ///< longer requests close the connection
  static constexpr std::size_t kMaxConnections = 32;      ///< more are refused (closed at once)
  static constexpr std::chrono::seconds kIdleTimeout{60};  ///< an idle connection is closed after this

  using LogFn = std::function<void(const std::string&)>;

  /// `daemon` and `version` are what "ping" reports.
  ControlServer(boost::asio::io_context& io, std::string daemon, std::string version, LogFn log_error);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();

  /// Registers (or replaces) the handler of `command`.
  void add_command(const std::string& command, ControlHandler handler);

  /// Creates the parent directory (0755) if missing, removes a stale socket
  /// left by a dead daemon, binds `path` with mode `mode` and accepts.
  /// Errors: EADDRINUSE when another process answers on `path`, and those
  /// of mkdir/bind/chmod/listen.
  std::error_code listen(const std::string& path, unsigned mode = 0660);

  /// Stops accepting, closes every connection and unlinks the socket.
  void close();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::size_t connections() const noexcept;

 private:
  class Session;
  void accept();

  boost::asio::io_context& io_;
  std::string daemon_;
  std::string version_;
  LogFn log_error_;
  std::map<std::string, ControlHandler, std::less<>> handlers_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
  std::string path_;
  std::shared_ptr<std::map<Session*, std::weak_ptr<Session>>> sessions_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

/// One request/response exchange with the control socket at `path`
/// (hmipctl). Throws ControlClientError with a message for people:
/// "no daemon is listening on PATH (is ard running?)" and the like.
class ControlClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
Json control_request(const std::string& path, const Json& request,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace hmip::io
