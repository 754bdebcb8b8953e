// VICI client over a UNIX stream socket (hmip/io/vici_client.h).
#include "hmip/io/vici_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace hmip::io {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text() { return std::error_code(errno, std::system_category()).message(); }

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 0x7fffffff ? 0x7fffffff : static_cast<int>(left);
}

// Waits until `fd` is ready for `events`; false on the deadline or an error
// (`why` set).
bool wait_fd(int fd, short events, Clock::time_point deadline, std::string& why) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) {
      why = "timed out waiting for charon";
      return false;
    }
    if (errno != EINTR) {
      why = std::string("poll: ") + errno_text();
      return false;
    }
  }
}

}  // namespace

std::optional<ViciClient> ViciClient::connect(std::string_view path, std::string& error) {
  if (path.substr(0, 7) == "unix://") path.remove_prefix(7);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sa.sun_path)) {
    error = "VICI socket path '" + std::string(path) + "' is empty or too long";
    return std::nullopt;
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    error = std::string("socket: ") + errno_text();
    return std::nullopt;
  }
  // A UNIX stream connect completes at once or fails (no EINPROGRESS wait
  // worth a deadline here: charon accepts from its own thread pool).
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0 && errno != EINPROGRESS) {
    error = "connect " + std::string(path) + ": " + errno_text();
    return std::nullopt;
  }
  return ViciClient(std::move(fd));
}

void ViciClient::fail(std::string why) {
  last_error_ = std::move(why);
  fd_.reset();
}

bool ViciClient::send(const vici::Packet& p, Clock::time_point deadline) {
  if (!fd_) {
    if (last_error_.empty()) last_error_ = "not connected to charon";
    return false;
  }
  auto bytes = vici::encode_packet(p);
  if (!bytes) {
    last_error_ = "cannot encode VICI " + std::string(vici::to_string(p.type)) + " " + p.name + ": " +
                  wire::to_string(bytes.error());
    return false;
  }
  std::size_t off = 0;
  while (off < bytes->size()) {
    const auto n = ::send(fd_.get(), bytes->data() + off, bytes->size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      std::string why;
      if (!wait_fd(fd_.get(), POLLOUT, deadline, why)) {
        fail(why);
        return false;
      }
      continue;
    }
    fail(std::string("write to charon: ") + errno_text());
    return false;
  }
  return true;
}

bool ViciClient::fill(Clock::time_point deadline) {
  std::string why;
  if (!wait_fd(fd_.get(), POLLIN, deadline, why)) {
    // A deadline leaves the connection usable only if nothing is half read;
    // a late response would otherwise answer the next command. Close it.
    fail(why);
    return false;
  }
  std::array<std::uint8_t, 8192> buf{};
  for (;;) {
    const auto n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
      framer_.feed({buf.data(), static_cast<std::size_t>(n)});
      return true;
    }
    if (n == 0) {
      fail("charon closed the VICI connection");
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    fail(std::string("read from charon: ") + errno_text());
    return false;
  }
}

std::optional<vici::Packet> ViciClient::receive(Clock::time_point deadline, std::string_view collect_name,
                                                std::vector<vici::Section>* collect) {
  for (;;) {
    if (!fd_) return std::nullopt;
    if (auto r = framer_.next()) {
      if (!*r) {
        fail("undecodable VICI packet from charon: " + wire::to_string(r->error()));
        return std::nullopt;
      }
      auto& p = r->value();
      if (p.type != vici::PacketType::event) return std::move(p);
      if (collect != nullptr && p.name == collect_name) {
        collect->push_back(std::move(p.message));
      } else {
        queued_.push_back(ViciEvent{std::move(p.name), std::move(p.message)});
      }
      continue;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

bool ViciClient::event_control(vici::PacketType type, std::string_view name, Clock::time_point deadline,
                               std::string& error) {
  if (!send(vici::Packet{type, std::string(name), {}}, deadline)) {
    error = last_error_;
    return false;
  }
  auto p = receive(deadline, {}, nullptr);
  if (!p) {
    error = last_error_;
    return false;
  }
  if (p->type == vici::PacketType::event_confirm) return true;
  error = p->type == vici::PacketType::event_unknown ? "charon knows no event '" + std::string(name) + "'"
                                                      : "unexpected VICI " + std::string(vici::to_string(p->type)) +
                                                            " to an event registration";
  return false;
}

ViciReply ViciClient::command(std::string_view name, const vici::Section& request, Timeout timeout) {
  return streamed(name, request, {}, timeout);
}

ViciReply ViciClient::streamed(std::string_view name, const vici::Section& request, std::string_view event,
                               Timeout timeout) {
  const auto deadline = Clock::now() + timeout;
  ViciReply reply;
  if (!event.empty() && !event_control(vici::PacketType::event_register, event, deadline, reply.error)) {
    return reply;
  }
  if (!send(vici::Packet{vici::PacketType::cmd_request, std::string(name), request}, deadline)) {
    reply.error = last_error_;
  } else if (auto p = receive(deadline, event, &reply.events); !p) {
    reply.error = last_error_;
  } else if (p->type == vici::PacketType::cmd_unknown) {
    reply.error = "charon knows no command '" + std::string(name) + "'";
  } else if (p->type != vici::PacketType::cmd_response) {
    reply.error = "unexpected VICI " + std::string(vici::to_string(p->type)) + " to command " + std::string(name);
  } else {
    reply.message = std::move(p->message);
    if (reply.message.str("success") == "no") {
      reply.error = reply.message.str("errmsg", "charon refused " + std::string(name));
    }
  }
  // Unregister whatever happened, while the connection lives: a stale
  // registration would queue events nobody reads.
  if (!event.empty() && fd_) {
    std::string why;
    if (!event_control(vici::PacketType::event_unregister, event, deadline, why) && reply.error.empty()) {
      reply.error = why;
    }
  }
  return reply;
}

bool ViciClient::subscribe(std::string_view name, Timeout timeout, std::string& error) {
  return event_control(vici::PacketType::event_register, name, Clock::now() + timeout, error);
}

std::optional<ViciEvent> ViciClient::next_event(Timeout timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!queued_.empty()) {
      auto e = std::move(queued_.front());
      queued_.pop_front();
      return e;
    }
    if (!fd_) return std::nullopt;
    if (auto r = framer_.next()) {
      if (!*r) {
        fail("undecodable VICI packet from charon: " + wire::to_string(r->error()));
        return std::nullopt;
      }
      if (r->value().type != vici::PacketType::event) {
        fail("unexpected VICI " + std::string(vici::to_string(r->value().type)) + " while waiting for events");
        return std::nullopt;
      }
      return ViciEvent{std::move(r->value().name), std::move(r->value().message)};
    }
    // Poll without failing the connection on the deadline: waiting for an
    // event that does not come is not an error.
    pollfd p{fd_.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n == 0) return std::nullopt;
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("poll: ") + errno_text());
      return std::nullopt;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

}  // namespace hmip::io
