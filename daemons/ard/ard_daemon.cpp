#include "ard_daemon.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <variant>

#include "hmip/ar/config_parse.h"
#include "hmip/io/ard_view.h"
#include "hmip/io/icmpv6_echo.h"
#include "hmip/io/nd_receive.h"
#include "hmip/io/random_seed.h"
#include "hmip/wire/nd.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace hmip::ard {

namespace asio = boost::asio;

namespace {

const Ip6Addr kAllRouters = Ip6Addr::must("ff02::2");  // RFC 4291 §2.7.1

core::TimePoint now() { return core::Clock::now(); }

}  // namespace

Daemon::Daemon(asio::io_context& io, Options opts, ar::ArdConfig cfg, io::Logger& log)
    : io_(io),
      log_(log),
      core_(std::move(cfg), io::random_seed()),
      guard_(io::logging_guard(log)),
      // A failed reload says how many errors the file has (ard(8)).
      shell_(io, {"ard", HMIP_VERSION, std::move(opts), true}, log, guard_,
             {[this] { return reload(); }, [this] { shutdown(); }, [this] { return status_text(); }}),
      timer_(io, guard_, [this](core::TimePoint t) {
        core_.handle_timeout(t);
        pump();
      }) {}

Daemon::~Daemon() = default;

void Daemon::start() {
  // RS and RA (RFC 4861 §6.1): hop limit 255 out, checked in.
  io::Icmpv6SocketOptions nd;
  nd.accept_types = {wire::icmpv6::kRouterSolicitation, wire::icmpv6::kRouterAdvertisement};
  nd.unicast_hops = wire::icmpv6::kNdHopLimit;
  nd.multicast_hops = wire::icmpv6::kNdHopLimit;
  nd.multicast_loop = false;
  // MAP probes: Echo Requests with the default hop limit; only replies come back.
  io::Icmpv6SocketOptions echo;
  echo.accept_types = {io::kIcmpv6EchoReply};
  try {
    nd_ = std::make_unique<io::Icmpv6Socket>(io_, nd);
    echo_ = std::make_unique<io::Icmpv6Socket>(io_, echo);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::operation_not_permitted || e.code() == std::errc::permission_denied)
      throw std::runtime_error("cannot open a raw ICMPv6 socket: ard needs CAP_NET_RAW (run it as root)");
    throw std::runtime_error(std::string("cannot open a raw ICMPv6 socket: ") + e.what());
  }

  register_commands();
  shell_.listen(core_.config().control_socket);
  shell_.watch_signals();

  links_ = std::make_unique<io::LinkWatcher>(
      io_, guard_.wrap("netlink", [this](const io::LinkChange& c) { on_link(c); }),
      [this](const std::string& e) { log_.warning(e); });
  links_->start();  // reports every current link to the core first

  nd_->start_receive(guard_.wrap("ND", [this](const io::Icmpv6Packet& p) { on_nd(p); }),
                     [this](const std::error_code& ec) {
                       ++counters_.receive_errors;
                       log_.warning("ND socket: " + ec.message());
                     });
  echo_->start_receive(guard_.wrap("echo", [this](const io::Icmpv6Packet& p) { on_echo(p); }),
                       [this](const std::error_code& ec) {
                         ++counters_.receive_errors;
                         log_.warning("echo socket: " + ec.message());
                       });

  core_.handle_start(now());
  sync_memberships();
  pump();
  shell_.ready();
}

void Daemon::on_link(const io::LinkChange& c) {
  if (shell_.stopping() || c.link.loopback) return;
  if (c.kind == io::LinkChange::Kind::removed) {
    log_.debug("link " + c.link.name + " (" + std::to_string(c.link.ifindex) + ") removed");
    joined_.erase(c.link.ifindex);  // the kernel dropped the membership with the device
    core_.handle_link_removed(static_cast<unsigned>(c.link.ifindex), now());
  } else {
    const auto ll = c.link.usable_link_local();
    log_.debug("link " + c.link.name + " (" + std::to_string(c.link.ifindex) + ")" + (c.link.up ? " up" : " down") +
               (c.link.running ? " running" : "") + " link-local " + (ll ? ll->str() : std::string("none")));
    core_.handle_link(io::to_link_state(c.link), now());
  }
  sync_memberships();
  pump();
}

void Daemon::on_nd(const io::Icmpv6Packet& p) {
  if (shell_.stopping()) return;
  ++counters_.nd_received;
  const auto t = now();
  std::visit(
      [&](auto&& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, io::RsReceived>) {
          core_.handle_rs(r.ifindex, r.src, r.rs, t);
        } else if constexpr (std::is_same_v<T, io::RaReceived>) {
          core_.handle_ra(r.ifindex, r.src, r.ra, t);
        } else if constexpr (std::is_same_v<T, io::NdInvalid>) {
          ++counters_.nd_invalid;
          log_.debug("dropped " + r.detail);
          core_.handle_invalid(r.ifindex, r.reason);
        } else {
          ++counters_.nd_ignored;
          log_.debug("ignored " + r.detail);
        }
      },
      io::classify_nd(p));
  pump();
}

void Daemon::on_echo(const io::Icmpv6Packet& p) {
  if (shell_.stopping()) return;
  const auto e = io::decode_echo_reply(p.data);
  if (!e) return;
  ++counters_.echo_replies;
  core_.handle_echo_reply(p.src, e->id, e->seq, now());
  pump();
}

void Daemon::pump() {
  while (auto a = core_.poll_action()) std::visit([this](const auto& x) { perform(x); }, *a);
  arm_timer();
}

void Daemon::arm_timer() {
  const auto deadline = core_.poll_timeout();
  timer_.arm(shell_.stopping() ? std::nullopt : deadline);
}

void Daemon::perform(const ar::SendRa& a) {
  auto bytes = wire::encode_icmpv6(a.ra, nullptr);  // the kernel fills the checksum
  if (!bytes) {
    ++counters_.send_errors;
    log_.error("cannot encode the RA for ifindex " + std::to_string(a.ifindex) + ": " + wire::to_string(bytes.error()));
    return;
  }
  if (auto ec = nd_->send(*bytes, a.dst, static_cast<int>(a.ifindex), a.src); ec) {
    ++counters_.send_errors;
    log_.warning("RA to " + a.dst.str() + " on ifindex " + std::to_string(a.ifindex) + " from " + a.src.str() + ": " +
                 ec.message());
    return;
  }
  ++counters_.ra_sent;
  log_.debug(std::string(ar::to_string(a.kind)) + " RA sent to " + a.dst.str() + " on ifindex " +
             std::to_string(a.ifindex) + ", router lifetime " + std::to_string(a.ra.router_lifetime) + ", " +
             std::to_string(bytes->size()) + " octets");
}

void Daemon::perform(const ar::SendEcho& a) {
  const auto bytes = io::encode_echo_request({a.id, a.seq, {}});
  if (auto ec = echo_->send(bytes, a.dst, 0, std::nullopt); ec) {
    ++counters_.send_errors;
    log_.debug("echo request to MAP " + a.dst.str() + ": " + ec.message());
    return;
  }
  ++counters_.echo_sent;
}

void Daemon::perform(const ar::LogEvent& a) { log_.log(io::to_io_level(a.level), a.text); }

void Daemon::sync_memberships() {
  if (!links_ || !nd_) return;
  std::set<std::string, std::less<>> names;
  for (const auto& i : core_.config().interfaces) names.insert(i.name);
  std::map<int, std::string> want;
  for (const auto& name : names)  // by name: O(configured interfaces), not O(links)
    if (const auto* link = links_->find(name)) want.emplace(link->ifindex, name);
  for (auto it = joined_.begin(); it != joined_.end();) {
    if (want.contains(it->first) && want[it->first] == it->second) {
      ++it;
      continue;
    }
    if (links_->links().contains(it->first)) (void)nd_->leave_group(it->first, kAllRouters);
    it = joined_.erase(it);
  }
  for (const auto& [idx, name] : want) {
    if (joined_.contains(idx)) continue;
    const auto ec = nd_->join_group(idx, kAllRouters);
    if (ec && ec != std::errc::address_in_use) {
      log_.warning("cannot join ff02::2 on " + name + ": " + ec.message());
      continue;
    }
    log_.debug("joined ff02::2 on " + name);
    joined_.emplace(idx, name);
  }
}

Daemon::ReloadResult Daemon::reload() {
  return shell_.reload(ar::load_ard_config, [this](const ar::ArdConfig& c) {
    const std::string old_socket = core_.config().control_socket;
    core_.handle_reload(c, now());
    if (core_.config().control_socket != old_socket) shell_.move_control(core_.config().control_socket);
    sync_memberships();
    pump();
    log_.info(status_text());
  });
}

void Daemon::shutdown() {
  if (!shell_.begin_stop()) return;
  log_.notice("shutting down: final Router Advertisements (router lifetime 0)");
  core_.handle_shutdown(now());
  pump();  // the final RAs go out now, synchronously
  timer_.cancel();
  if (links_) links_->stop();
  if (nd_) nd_->close();
  if (echo_) echo_->close();
  shell_.close();
  // Nothing is left pending: io_context::run() returns.
}

void Daemon::register_commands() {
  shell_.add_show("interfaces, prefixes, maps or counters", [this](const std::string& what) {
    static const io::LinkTable kNoLinks;
    return io::show_json(what, core_.state(now()), core_.config(), links_ ? links_->links() : kNoLinks,
                         daemon_counters());
  });
  shell_.add_command("map", [this](const io::Json& req) {
    const auto addr = Ip6Addr::parse(req.value("address", std::string()));
    if (!addr) throw io::ControlError("map needs \"address\": a MAP's IPv6 address");
    const auto admin = req.value("admin", std::string());
    ar::MapAdmin a{};
    if (admin == "auto")
      a = ar::MapAdmin::automatic;
    else if (admin == "failed")
      a = ar::MapAdmin::force_failed;
    else if (admin == "up")
      a = ar::MapAdmin::force_up;
    else
      throw io::ControlError("map needs \"admin\": auto, failed or up");
    if (!core_.handle_map_admin(*addr, a, now())) throw io::ControlError(addr->str() + " is not a configured MAP");
    pump();
    io::Json d;
    d["address"] = addr->str();
    d["admin"] = admin;
    return d;
  });
}

io::Json Daemon::daemon_counters() const {
  io::Json d;
  d["handler_exceptions"] = guard_.caught();
  d["nd_received"] = counters_.nd_received;
  d["nd_invalid"] = counters_.nd_invalid;
  d["nd_ignored"] = counters_.nd_ignored;
  d["ra_sent"] = counters_.ra_sent;
  d["echo_sent"] = counters_.echo_sent;
  d["echo_replies"] = counters_.echo_replies;
  d["send_errors"] = counters_.send_errors;
  d["receive_errors"] = counters_.receive_errors;
  d["reloads"] = shell_.reloads();
  d["reload_failures"] = shell_.reload_failures();
  return d;
}

std::string Daemon::status_text() const {
  const auto s = core_.state(now());
  const auto adv = std::count_if(s.interfaces.begin(), s.interfaces.end(), [](const auto& i) { return i.advertising; });
  return "advertising on " + std::to_string(adv) + " of " + std::to_string(s.interfaces.size()) + " interface(s), " +
         std::to_string(s.maps.size()) + " MAP(s)";
}

}  // namespace hmip::ard
