#include "hmip/io/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <array>
#include <cstring>
#include <filesystem>
#include <istream>

#include "hmip/io/fd.h"

namespace hmip::io {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

std::string error_response(const std::string& message) {
  Json r;
  r["ok"] = false;
  r["error"] = message;
  return r.dump();
}

std::error_code errno_code() { return {errno, std::system_category()}; }

bool fill_sockaddr(const std::string& path, sockaddr_un& sa) {
  sa = {};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) return false;
  std::memcpy(sa.sun_path, path.data(), path.size());
  return true;
}

}  // namespace

std::string dispatch_control_request(const std::map<std::string, ControlHandler, std::less<>>& handlers,
                                     std::string_view line) {
  Json req;
  try {
    req = Json::parse(line);
  } catch (const Json::parse_error& e) {
    return error_response(std::string("malformed JSON: ") + e.what());
  }
  if (!req.is_object()) return error_response("a request is a JSON object");
  auto cmd = req.find("command");
  if (cmd == req.end() || !cmd->is_string()) return error_response("a request needs a string member \"command\"");
  const auto name = cmd->get<std::string>();
  auto h = handlers.find(name);
  if (h == handlers.end()) return error_response("unknown command \"" + name + "\"");
  try {
    Json r;
    r["ok"] = true;
    r["data"] = h->second(req);
    return r.dump();
  } catch (const ControlError& e) {
    return error_response(e.what());
  } catch (const Json::exception& e) {
    return error_response(std::string("bad request: ") + e.what());
  } catch (const std::exception& e) {
    return error_response(std::string("internal error: ") + e.what());
  }
}

// One client connection: read a line, answer it, repeat.
class ControlServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(local::socket sock, ControlServer& server)
      : socket_(std::move(sock)),
        timer_(socket_.get_executor()),
        buf_(kMaxLine),
        server_(&server),
        server_alive_(server.alive_),
        registry_(server.sessions_) {}

  void start() {
    registry_->emplace(this, weak_from_this());
    read();
  }

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    registry_->erase(this);
  }

 private:
  void read() {
    arm_timer();
    asio::async_read_until(socket_, buf_, '\n',
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                             self->on_read(ec, n);
                           });
  }

  void arm_timer() {
    timer_.expires_after(kIdleTimeout);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->close();
    });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (ec || server_alive_.expired()) {
      // EOF, error, a line over kMaxLine (not_found) or the server is gone.
      close();
      return;
    }
    std::string line(n, '\0');
    std::istream in(&buf_);
    in.read(line.data(), static_cast<std::streamsize>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      read();  // blank lines are ignored
      return;
    }
    out_ = dispatch_control_request(server_->handlers_, line);
    out_ += '\n';
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code& wec, std::size_t) {
                        if (wec) {
                          self->close();
                          return;
                        }
                        self->read();
                      });
  }

  local::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf buf_;
  std::string out_;
  ControlServer* server_;
  std::weak_ptr<bool> server_alive_;
  std::shared_ptr<std::map<Session*, std::weak_ptr<Session>>> registry_;
};

ControlServer::ControlServer(asio::io_context& io, std::string daemon, std::string version, LogFn log_error)
    : io_(io),
      daemon_(std::move(daemon)),
      version_(std::move(version)),
      log_error_(std::move(log_error)),
      sessions_(std::make_shared<std::map<Session*, std::weak_ptr<Session>>>()) {
  add_command("ping", [this](const Json&) {
    Json d;
    d["daemon"] = daemon_;
    d["version"] = version_;
    d["pid"] = ::getpid();
    Json cmds = Json::array();
    for (const auto& [name, h] : handlers_) cmds.push_back(name);
    d["commands"] = cmds;
    return d;
  });
}

ControlServer::~ControlServer() {
  *alive_ = false;
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to do about it on the way out
  }
}

void ControlServer::add_command(const std::string& command, ControlHandler handler) {
  handlers_[command] = std::move(handler);
}

std::size_t ControlServer::connections() const noexcept { return sessions_->size(); }

std::error_code ControlServer::listen(const std::string& relative_path, unsigned mode) {
  close();
  // Absolute, so that close() unlinks the right file whatever the cwd is then.
  std::error_code aec;
  const auto abs = std::filesystem::absolute(relative_path, aec);
  const std::string path = aec ? relative_path : abs.lexically_normal().string();
  sockaddr_un sa{};
  if (!fill_sockaddr(path, sa)) return std::make_error_code(std::errc::filename_too_long);

  std::error_code fec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, fec)) {
    std::filesystem::create_directories(parent, fec);
    if (fec) return fec;
    ::chmod(parent.c_str(), 0755);
  }

  // A socket file left by a daemon that died: remove it, unless someone
  // still answers there (then this is a second instance: refuse).
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return std::make_error_code(std::errc::file_exists);
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return errno_code();
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0)  // NOLINT
      return std::make_error_code(std::errc::address_in_use);
    ::unlink(path.c_str());
  }

  auto acc = std::make_unique<local::acceptor>(io_);
  boost::system::error_code ec;
  acc->open(local(), ec);
  if (!ec) acc->bind(local::endpoint(path), ec);
  if (ec) return ec;
  path_ = path;
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    auto e = errno_code();
    acc.reset();
    ::unlink(path.c_str());
    path_.clear();
    return e;
  }
  acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acc.reset();
    ::unlink(path.c_str());
    path_.clear();
    return ec;
  }
  acceptor_ = std::move(acc);
  accept();
  return {};
}

void ControlServer::accept() {
  if (!acceptor_) return;
  std::weak_ptr<bool> alive = alive_;
  acceptor_->async_accept([this, alive](const boost::system::error_code& ec, local::socket sock) {
    if (alive.expired() || ec == asio::error::operation_aborted || !acceptor_) return;
    if (ec) {
      if (log_error_) log_error_("control socket accept: " + ec.message());
    } else if (sessions_->size() >= kMaxConnections) {
      if (log_error_) log_error_("control socket: too many connections, refusing one");
    } else {
      std::make_shared<Session>(std::move(sock), *this)->start();
    }
    accept();
  });
}

void ControlServer::close() {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  // Session::close() erases itself from the registry: iterate over a copy.
  const auto copy = *sessions_;
  for (const auto& [ptr, weak] : copy)
    if (auto s = weak.lock()) s->close();
  sessions_->clear();
  if (!path_.empty()) {
    ::unlink(path_.c_str());
    path_.clear();
  }
}

Json control_request(const std::string& path, const Json& request, std::chrono::milliseconds timeout) {
  sockaddr_un sa{};
  if (!fill_sockaddr(path, sa)) throw ControlClientError("control socket path too long: " + path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw ControlClientError(std::string("socket: ") + errno_code().message());
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {  // NOLINT
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED)
      throw ControlClientError("no daemon is listening on " + path + " (is it running?)");
    if (e == EACCES || e == EPERM)
      throw ControlClientError("permission denied on " + path + " (run as root or as a member of its group)");
    throw ControlClientError("connect " + path + ": " + std::error_code(e, std::system_category()).message());
  }
  const std::string line = request.dump() + "\n";
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::send(fd.get(), line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ControlClientError("send to " + path + ": " + errno_code().message());
    }
    off += static_cast<std::size_t>(n);
  }
  std::string in;
  std::array<char, 4096> chunk{};
  for (;;) {
    const ssize_t n = ::recv(fd.get(), chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) throw ControlClientError("no answer from " + path + " (timed out)");
      throw ControlClientError("receive from " + path + ": " + errno_code().message());
    }
    if (n == 0) throw ControlClientError("the daemon closed " + path + " without answering");
    in.append(chunk.data(), static_cast<std::size_t>(n));
    if (const auto nl = in.find('\n'); nl != std::string::npos) {
      in.resize(nl);
      break;
    }
    if (in.size() > std::size_t{16} * 1024 * 1024) throw ControlClientError("answer from " + path + " too long");
  }
  try {
    return Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw ControlClientError("malformed answer from " + path + ": " + e.what());
  }
}

}  // namespace hmip::io
