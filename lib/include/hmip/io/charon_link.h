// A daemon's link to charon over VICI (strongSwan's vici README): one
// connection for commands (blocking, short deadline: charon answers local
// commands in milliseconds) and one subscribed to events, watched by the
// event loop, so that events are handled as they come and never mixed into
// a command's answer. Used by mapd (ike_guard) and mnd (ike_agent).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hmip/ike/ike_sa.h"
#include "hmip/io/control.h"
#include "hmip/io/vici_client.h"

namespace hmip::io {

/// How long one VICI command may take before the link counts as broken.
inline constexpr std::chrono::milliseconds kViciCommandTimeout{5000};

class CharonLink {
 public:
  using EventHandler = std::function<void(const ViciEvent&)>;
  /// `on_lost` runs once when charon closes either connection (it
  /// restarted or stopped); the link is closed then.
  CharonLink(boost::asio::io_context& io, std::string uri, EventHandler on_event,
             std::function<void(const std::string&)> on_lost);
  CharonLink(const CharonLink&) = delete;
  CharonLink& operator=(const CharonLink&) = delete;
  ~CharonLink();

  /// Connects both sockets and subscribes to `events`. False with `error`.
  bool open(const std::vector<std::string>& events, std::string& error);
  void close();
  /// The event connection stands (the command connection is reopened on
  /// demand after a timeout closed it).
  [[nodiscard]] bool connected() const noexcept { return events_ && events_->connected(); }
  [[nodiscard]] const std::string& uri() const noexcept { return uri_; }

  /// A command on the command connection.
  ViciReply command(std::string_view name, const vici::Section& request);
  /// `load-key` of a PEM (or DER) private key of any type.
  ViciReply load_key(const std::string& data);
  /// The IKE SAs charon has (all, or the one with unique id `ike_id`);
  /// nullopt with `error` on failure.
  std::optional<std::vector<ike::IkeSaView>> list_sas(const std::optional<std::string>& ike_id, std::string& error);

  struct Counters {
    std::uint64_t commands = 0;
    std::uint64_t command_failures = 0;  ///< charon refused or the transport failed
    std::uint64_t events = 0;
    std::uint64_t reconnects = 0;        ///< command connection reopened after a timeout
  };
  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
  /// The link's state and counters as the daemons' `show counters` has
  /// them (charon_connected, vici_commands, vici_command_failures,
  /// vici_events), for the caller to add its own to.
  [[nodiscard]] Json counters_json() const;

 private:
  bool ensure_ctl(std::string& error);
  void watch();
  void drain();
  void lost(const std::string& why);

  boost::asio::io_context& io_;
  std::string uri_;
  EventHandler on_event_;
  std::function<void(const std::string&)> on_lost_;
  std::optional<ViciClient> ctl_;
  std::optional<ViciClient> events_;
  std::optional<boost::asio::posix::stream_descriptor> watch_;
  Counters counters_;
};

/// A whole file's bytes (certificates and keys for charon); nullopt with
/// `error` when it cannot be read.
std::optional<std::string> read_file(const std::string& path, std::string& error);

}  // namespace hmip::io
