#include "hmip/io/charon_link.h"

#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <fstream>
#include <iterator>

namespace hmip::io {

namespace {

std::string errno_text() { return std::error_code(errno, std::system_category()).message(); }

}  // namespace

CharonLink::CharonLink(boost::asio::io_context& io, std::string uri, EventHandler on_event,
                       std::function<void(const std::string&)> on_lost)
    : io_(io), uri_(std::move(uri)), on_event_(std::move(on_event)), on_lost_(std::move(on_lost)) {}

CharonLink::~CharonLink() { close(); }

bool CharonLink::open(const std::vector<std::string>& events, std::string& error) {
  close();
  ctl_ = ViciClient::connect(uri_, error);
  if (!ctl_) return false;
  events_ = ViciClient::connect(uri_, error);
  if (!events_) {
    close();
    return false;
  }
  for (const auto& e : events) {
    if (!events_->subscribe(e, kViciCommandTimeout, error)) {
      error.insert(0, "cannot subscribe to " + e + ": ");
      close();
      return false;
    }
  }
  // The watcher gets its own descriptor: ViciClient keeps owning the socket.
  const int fd = ::dup(events_->fd());
  if (fd < 0) {
    error = "dup: " + errno_text();
    close();
    return false;
  }
  watch_.emplace(io_, fd);
  watch();
  return true;
}

void CharonLink::close() {
  if (watch_) {
    boost::system::error_code ec;
    watch_->cancel(ec);
    watch_->close(ec);
    watch_.reset();
  }
  ctl_.reset();
  events_.reset();
}

void CharonLink::watch() {
  if (!watch_) return;
  watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    drain();
  });
}

// Every event that arrived; then wait again (or report the loss).
void CharonLink::drain() {
  if (!events_) return;
  while (auto e = events_->next_event(std::chrono::milliseconds(0))) {
    ++counters_.events;
    on_event_(*e);
    if (!events_) return;  // the handler closed the link
  }
  if (!events_->connected()) {
    lost("VICI event connection: " + events_->last_error());
    return;
  }
  watch();
}

void CharonLink::lost(const std::string& why) {
  close();
  if (on_lost_) on_lost_(why);
}

// A command that timed out closed its connection (a late answer must not be
// taken for the next one's): open a new one while the event link stands.
bool CharonLink::ensure_ctl(std::string& error) {
  if (ctl_ && ctl_->connected()) return true;
  if (!events_ || !events_->connected()) {
    error = "not connected to charon at " + uri_;
    return false;
  }
  ctl_ = ViciClient::connect(uri_, error);
  if (ctl_) ++counters_.reconnects;
  return ctl_.has_value();
}

ViciReply CharonLink::command(std::string_view name, const vici::Section& request) {
  ++counters_.commands;
  std::string err;
  if (!ensure_ctl(err)) {
    ++counters_.command_failures;
    ViciReply r;
    r.error = err;
    return r;
  }
  auto r = ctl_->command(name, request, kViciCommandTimeout);
  if (!r.ok()) ++counters_.command_failures;
  return r;
}

Json CharonLink::counters_json() const {
  Json j;
  j["charon_connected"] = connected();
  j["vici_commands"] = counters_.commands;
  j["vici_command_failures"] = counters_.command_failures;
  j["vici_events"] = counters_.events;
  return j;
}

ViciReply CharonLink::load_key(const std::string& data) {
  return command("load-key", vici::Section{}.set("type", "any").set("data", data));
}

std::optional<std::vector<ike::IkeSaView>> CharonLink::list_sas(const std::optional<std::string>& ike_id,
                                                                std::string& error) {
  ++counters_.commands;
  if (!ensure_ctl(error)) {
    ++counters_.command_failures;
    return std::nullopt;
  }
  vici::Section req;
  if (ike_id) req.set("ike-id", *ike_id);
  auto r = ctl_->streamed("list-sas", req, "list-sa", kViciCommandTimeout);
  if (!r.ok()) {
    ++counters_.command_failures;
    error = r.error;
    return std::nullopt;
  }
  std::vector<ike::IkeSaView> out;
  for (const auto& e : r.events) {
    auto sas = ike::parse_ike_sas(e);
    out.insert(out.end(), sas.begin(), sas.end());
  }
  return out;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot read " + path + ": " + errno_text();
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace hmip::io
