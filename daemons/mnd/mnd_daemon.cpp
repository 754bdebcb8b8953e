#include "mnd_daemon.h"

#include <stdexcept>
#include <system_error>
#include <tuple>
#include <variant>

#include "hmip/io/mn_view.h"
#include "hmip/io/nd_dad.h"
#include "hmip/io/nd_receive.h"
#include "hmip/io/random_seed.h"
#include "hmip/mn/config_parse.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/mh.h"
#include "hmip/wire/nd.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace hmip::mnd {

namespace asio = boost::asio;

namespace {

const Ip6Addr kAllRouters = Ip6Addr::must("ff02::2");  // RFC 4291 §2.7.1

core::TimePoint now() { return core::Clock::now(); }

}  // namespace

std::string Daemon::dp_error(const wire::Error& e) const {
  auto text = dataplane_->last_error_text();
  return text.empty() ? wire::to_string(e) : text;
}

Daemon::Daemon(asio::io_context& io, Options opts, mn::MndConfig cfg, io::Logger& log,
               std::unique_ptr<kglue::Dataplane> dataplane)
    : io_(io),
      log_(log),
      core_(std::move(cfg), core::Rng(io::random_seed())),
      dataplane_(std::move(dataplane)),
      guard_(io::logging_guard(log)),
      shell_(io, {"mnd", HMIP_VERSION, std::move(opts)}, log, guard_,
             {[this] { return reload(); }, [this] { shutdown(); }, [this] { return status_text(); }}),
      timer_(io, guard_, [this](core::TimePoint t) {
        core_.handle_timeout(t);
        pump();
      }) {}

Daemon::~Daemon() = default;

void Daemon::start() {
  // Another instance answering on the control socket must not lose its
  // kernel state to this one's reconcile(): check before touching the kernel.
  register_commands();
  shell_.listen(core_.config().control_socket);

  auto rec = dataplane_->reconcile();
  if (!rec) throw std::runtime_error("cannot reconcile kernel state: " + dp_error(rec.error()));
  for (const auto& r : rec->removed) log_.notice("removed leftover " + r);
  if (auto s = dataplane_->install_mn_signalling({}); !s)
    throw std::runtime_error("cannot install the MIPv6 signalling state: " + dp_error(s.error()));

  // Secure mode: charon must be there before the first MAP is chosen.
  if (!core_.config().insecure) {
    ike_ = std::make_unique<IkeAgent>(
        io_, core_.config(), log_,
        guard_.wrap("IKE SA up",
                    [this](const Ip6Addr& map, const Ip6Addr& rcoa) {
                      if (stopped_) return;
                      core_.handle_security_up(now(), map, rcoa);
                      pump();
                    }),
        guard_.wrap("IKE SA down",
                    [this](const Ip6Addr& map, bool lost, const std::string& why) {
                      if (stopped_) return;
                      core_.handle_security_down(now(), map, lost, why);
                      pump();
                    }),
        guard_.wrap("home IKE SA up",
                    [this](const Ip6Addr& ha, const Ip6Addr& coa) {
                      if (stopped_) return;
                      core_.handle_home_security_up(now(), ha, coa);
                      pump();
                    }),
        guard_.wrap("home IKE SA down", [this](const Ip6Addr& ha, bool lost, const std::string& why) {
          if (stopped_) return;
          core_.handle_home_security_down(now(), ha, lost, why);
          pump();
        }));
    ike_->start();
  } else {
    log_.warning("InsecureTestbedSignalling is on: binding updates go out without IPsec (testbeds only)");
  }

  io::Icmpv6SocketOptions nd;
  nd.accept_types = {wire::icmpv6::kRouterAdvertisement};
  nd.unicast_hops = wire::icmpv6::kNdHopLimit;
  nd.multicast_hops = wire::icmpv6::kNdHopLimit;
  try {
    nd_ = std::make_unique<io::Icmpv6Socket>(io_, nd);
    mh_ = std::make_unique<io::MhSocket>(io_, io::MhSocketOptions{});
    // DHAAD (RFC 6275 §11.4.1) only where the home agent is to be found.
    if (core_.config().home && !core_.config().home->home_agent) dhaad_ = std::make_unique<io::DhaadMnSocket>(io_);
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("cannot open raw sockets (mnd needs CAP_NET_RAW): ") + e.what());
  }

  shell_.watch_signals();

  nd_->start_receive(guard_.wrap("ND", [this](const io::Icmpv6Packet& p) { on_nd(p); }),
                     [this](const std::error_code& ec) { log_.warning("ND socket: " + ec.message()); });
  mh_->start_receive(guard_.wrap("Mobility Header", [this](const io::ReceivedMhPacket& p) { on_mh(p); }),
                     [this](const std::error_code& ec, std::string_view detail) {
                       log_.debug("MH socket: " + ec.message() + " " + std::string(detail));
                     });
  if (dhaad_)
    dhaad_->start_receive(guard_.wrap("DHAAD", [this](const io::DhaadReplyReceived& r) { on_dhaad_reply(r); }),
                          [this](const io::DhaadDropped& d) {
                            ++counters_.dhaad_dropped;
                            log_.debug("dropped " + d.detail);
                          },
                          [this](const std::error_code& ec) { log_.warning("DHAAD socket: " + ec.message()); });
  links_ = std::make_unique<io::LinkWatcher>(
      io_, guard_.wrap("netlink", [this](const io::LinkChange& c) { on_link(c); }),
      [this](const std::string& e) { log_.warning(e); });
  links_->start();  // every current link reaches the core first
  pump();
  shell_.ready();
}

void Daemon::on_link(const io::LinkChange& c) {
  if (stopped_ || c.link.loopback) return;
  if (c.kind == io::LinkChange::Kind::removed)
    core_.handle_link_removed(now(), static_cast<unsigned>(c.link.ifindex));
  else
    core_.handle_link(now(), io::to_mn_link_state(c.link));
  pump();
}

void Daemon::on_nd(const io::Icmpv6Packet& p) {
  if (stopped_) return;
  ++counters_.nd_received;
  const auto r = io::classify_nd(p);
  if (const auto* ra = std::get_if<io::RaReceived>(&r)) {
    core_.handle_ra(now(), ra->ifindex, ra->src, ra->ra);
  } else if (const auto* bad = std::get_if<io::NdInvalid>(&r)) {
    ++counters_.nd_invalid;
    log_.debug("dropped " + bad->detail);
  }
  pump();
}

void Daemon::on_mh(const io::ReceivedMhPacket& p) {
  if (stopped_) return;
  ++counters_.mh_received;
  // The checksum covers the final destination (the RCoA, RFC 6275 §6.1.1).
  const wire::PseudoHeader ph{p.src, p.dst};
  auto m = wire::decode_mh(p.bytes, &ph);
  if (!m) {
    ++counters_.mh_invalid;
    log_.debug("invalid Mobility Header from " + p.src.str() + ": " + wire::to_string(m.error()));
    return;
  }
  // The kernel hands the type 2 routing header up processed: the home
  // address it carried is now the destination and the header holds the
  // care-of address (RFC 6275 §6.4). What the core checks is the former.
  const std::optional<Ip6Addr> rh2_home = p.rh2 ? std::optional<Ip6Addr>(p.dst) : std::nullopt;
  core_.handle_mh(now(), mn::ReceivedMh{p.src, p.dst, rh2_home, std::move(*m)});
  pump();
}

void Daemon::on_dhaad_reply(const io::DhaadReplyReceived& r) {
  if (stopped_) return;
  core_.handle_dhaad_reply(now(), r.src, r.reply.identifier, r.reply.home_agents);
  pump();
}

void Daemon::pump() {
  // One action that throws is logged and counted; the others still run.
  while (auto a = core_.poll_action())
    guard_.run("mnd action", [&] { std::visit([this](const auto& x) { perform(x); }, *a); });
  if (stop_deadline_ && (core_.finished() || now() >= *stop_deadline_)) {
    finish_stop();
    return;
  }
  if (!stop_deadline_) shell_.status(core_.state(now()).status);
  arm_timer();
}

void Daemon::arm_timer() {
  auto deadline = core_.poll_timeout();
  if (stop_deadline_ && (!deadline || *stop_deadline_ < *deadline)) deadline = stop_deadline_;
  timer_.arm(stopped_ ? std::nullopt : deadline);
}

void Daemon::perform(const mn::SendRs& a) {
  wire::RouterSolicitation rs;
  std::optional<Ip6Addr> src;
  if (const auto* l = links_->find(static_cast<int>(a.ifindex))) {
    src = l->usable_link_local();
    // RFC 4861 §4.1: the Source LLA option only with a specified source.
    if (src && !l->mac.empty()) rs.options.emplace_back(wire::SourceLlaOption{l->mac});
  }
  auto bytes = wire::encode_icmpv6(rs, nullptr);
  if (!bytes) {
    ++counters_.send_errors;
    log_.error("cannot encode an RS: " + wire::to_string(bytes.error()));
    return;
  }
  if (auto ec = nd_->send(*bytes, kAllRouters, static_cast<int>(a.ifindex), src); ec) {
    ++counters_.send_errors;
    log_.debug("RS on ifindex " + std::to_string(a.ifindex) + ": " + ec.message());
  }
}

void Daemon::perform(const mn::SendBu& a) {
  // Sent from the RCoA: the binding's hao state makes the kernel send it
  // from the LCoA with a Home Address option (and compute the checksum).
  auto bytes = wire::encode_mh(a.bu, nullptr);
  if (!bytes) {
    ++counters_.send_errors;
    log_.error("cannot encode a BU: " + wire::to_string(bytes.error()));
    return;
  }
  if (auto ec = mh_->send(*bytes, a.src, a.dst); ec) {
    ++counters_.send_errors;
    log_.warning("BU to " + a.dst.str() + " from " + a.src.str() + ": " + ec.message());
  }
  // Its retransmission timer starts now, after the kernel state emitted
  // before it was installed (which may have taken a while).
  core_.handle_bu_sent(now(), a);
}

void Daemon::perform(const mn::InstallBinding& a) {
  const kglue::MnBindingKey k{a.key.map_address, a.key.rcoa, a.key.bid};
  kglue::MnBindingSettings s;
  s.lcoa = a.settings.lcoa;
  s.ifindex = a.settings.ifindex;
  s.router = a.settings.router;
  s.tunnel_mtu = a.settings.tunnel_mtu;
  s.primary = a.settings.primary;
  s.signalling = a.settings.signalling;
  for (const auto& f : a.settings.flows)
    s.flows.push_back(kglue::MnFlowRule{f.ip_proto, f.sport_lo, f.sport_hi, f.dport_lo, f.dport_hi, f.dscp, f.from,
                                        f.to});
  const std::string bid = a.key.bid != 0 ? " BID " + std::to_string(a.key.bid) : std::string();
  auto r = dataplane_->install_mn_binding(k, s);
  if (!r) {
    ++counters_.dataplane_errors;
    log_.error("cannot install the binding " + a.key.rcoa.str() + bid + " at " + a.key.map_address.str() + ": " +
               dp_error(r.error()));
    return;
  }
  log_.debug("binding " + a.key.rcoa.str() + bid + " at " + a.key.map_address.str() + " via " +
             a.settings.lcoa.str() + " on " + r->tunnel + (a.settings.primary ? " (primary)" : ""));
}

void Daemon::perform(const mn::RemoveBinding& a) {
  if (auto s = dataplane_->remove_mn_binding({a.key.map_address, a.key.rcoa, a.key.bid}); !s) {
    ++counters_.dataplane_errors;
    log_.error("cannot remove the binding " + a.key.rcoa.str() + ": " + dp_error(s.error()));
  }
}

void Daemon::perform(const mn::SecureMap& a) {
  if (ike_) ike_->secure(a);
}

void Daemon::perform(const mn::ReleaseMap& a) {
  if (ike_) ike_->release(a.map);
}

void Daemon::perform(const mn::SecureHome& a) {
  if (ike_) ike_->secure_home(a);
}

void Daemon::perform(const mn::ReleaseHome& a) {
  if (ike_) ike_->release_home(a.home_agent);
}

void Daemon::perform(const mn::LogEvent& a) { log_.log(a.level, a.text); }

void Daemon::perform(const mn::InstallHomeBinding& a) {
  const auto& in = a.settings;
  kglue::MnHomeSettings s;
  s.mode = in.mode == mn::HomeMode::at_home ? kglue::MnHomeMode::at_home : kglue::MnHomeMode::away;
  s.coa = in.coa;
  if (in.via) s.via = kglue::MnBindingKey{in.via->map_address, in.via->rcoa, in.via->bid};
  s.ifindex = in.ifindex;
  s.router = in.router;
  s.prefix_len = in.prefix_len;
  s.tunnel_mtu = in.tunnel_mtu;
  s.protect_traffic = in.protect_traffic;
  s.protect_signalling = in.protect_signalling;
  for (const auto& c : in.more_coas) s.more_coas.push_back(kglue::MnHomeCoa{c.bid, c.coa, c.ifindex, c.router, c.tunnel_mtu});
  const kglue::MnHomeKey k{a.key.home_agent, a.key.home_address};
  auto r = dataplane_->install_mn_home_binding(k, s);
  if (!r) {
    ++counters_.dataplane_errors;
    const std::string why = dp_error(r.error());
    log_.error("cannot install the home binding " + a.key.home_address.str() + " at " + a.key.home_agent.str() +
               ": " + why);
    // The core forgets it, drops the home BU queued behind it and retries
    // after a hold-down (pump() goes on with what is queued).
    core_.handle_home_install_failed(now(), a.key, why);
    return;
  }
  if (!r->failed_bids.empty()) {
    // Multiple CoA: some extra CoAs' receive tunnels could not be made; the
    // rest is installed. The core holds those members down.
    ++counters_.dataplane_errors;
    const std::string why = dataplane_->last_error_text();
    log_.error("home binding " + a.key.home_address.str() + ": " + std::to_string(r->failed_bids.size()) +
               " extra care-of address tunnel(s) not installed: " + why);
    core_.handle_home_extras_failed(now(), a.key, r->failed_bids, why);
  }
  if (s.mode == kglue::MnHomeMode::at_home)
    log_.debug("home address " + a.key.home_address.str() + " on the home link (ifindex " +
               std::to_string(s.ifindex) + ")");
  else
    log_.debug("home binding " + a.key.home_address.str() + " at " + a.key.home_agent.str() + " via " +
               s.coa.str() + " on " + r->tunnel + (s.via ? " (nested in the MAP tunnel)" : " (plain)"));
}

void Daemon::perform(const mn::RemoveHomeBinding& a) {
  if (auto s = dataplane_->remove_mn_home_binding({a.key.home_agent, a.key.home_address}); !s) {
    ++counters_.dataplane_errors;
    log_.error("cannot remove the home binding " + a.key.home_address.str() + ": " + dp_error(s.error()));
  }
}

void Daemon::perform(const mn::AnnounceHomeAddress& a) {
  const auto* l = links_->find(static_cast<int>(a.ifindex));
  const auto ll = l != nullptr ? l->usable_link_local() : std::nullopt;
  if (l == nullptr || !ll || l->mac.empty()) {
    log_.debug("no unsolicited NA for " + a.address.str() + ": ifindex " + std::to_string(a.ifindex) +
               " has no usable link-local address or MAC");
    return;
  }
  if (auto ec = io::send_unsolicited_na(*nd_, l->ifindex, *ll, a.address, l->mac, false); ec) {
    ++counters_.send_errors;
    log_.warning("unsolicited NA for " + a.address.str() + " on " + l->name + ": " + ec.message());
  }
}

void Daemon::perform(const mn::SendDhaadRequest& a) {
  if (!dhaad_) {  // only with HomeAgent discover; a core asking otherwise is counted, never a crash
    ++counters_.send_errors;
    log_.error("DHAAD request to " + a.dst.str() + ": no DHAAD socket (HomeAgent is configured)");
    return;
  }
  if (auto ec = dhaad_->send_request(a.src, a.dst, wire::DhaadRequest{a.id}); ec) {
    ++counters_.send_errors;
    log_.warning("DHAAD request to " + a.dst.str() + " from " + a.src.str() + ": " + ec.message());
  }
}

Daemon::ReloadResult Daemon::reload() {
  return shell_.reload(
      mn::load_mnd_config,
      [this](const mn::MndConfig& c) {
        const auto& run = core_.config();
        // The core applies a Home block's BindingLifetime and Hmipv6 at
        // once; its address, prefix and home agent (and the DHAAD socket,
        // opened at start for HomeAgent discover) only at a restart.
        // So do HomeAgentIdentity and ProtectTraffic (the IKE SA with the
        // HA is set up with them).
        const auto home_identity = [](const mn::MndConfig& x) {
          return x.home ? std::optional<std::tuple<Ip6Addr, std::uint8_t, std::optional<Ip6Addr>, std::string, bool>>(
                              std::tuple{x.home->address, x.home->prefix_len, x.home->home_agent,
                                         x.home->home_agent_identity, x.home->protect_traffic})
                        : std::nullopt;
        };
        const bool same = c.control_socket == run.control_socket && c.insecure == run.insecure && c.ike == run.ike &&
                          home_identity(c) == home_identity(run);
        return same ? std::string()
                    : "ControlSocket, InsecureTestbedSignalling, the Ike block and the Home block's presence, "
                      "Address and HomeAgent take effect only at a restart (so do HomeAgentIdentity and "
                      "ProtectTraffic)";
      },
      [this](const mn::MndConfig& c) {
        core_.handle_reload(now(), c);
        pump();
      });
}

void Daemon::shutdown() {
  if (!shell_.begin_stop()) return;
  log_.notice("shutting down");
  stop_deadline_ = now() + kStopGrace;
  core_.handle_stop(now());
  pump();
}

void Daemon::finish_stop() {
  if (stopped_) return;
  stopped_ = true;
  if (auto s = dataplane_->flush(); !s) log_.error("kernel clean-up: " + dp_error(s.error()));
  if (ike_) ike_->stop();
  timer_.cancel();
  if (links_) links_->stop();
  if (nd_) nd_->close();
  if (mh_) mh_->close();
  if (dhaad_) dhaad_->close();
  shell_.close();
}

void Daemon::register_commands() {
  shell_.add_show("status, maps, interfaces, bul, tunnel, held, ike, home or counters", [this](const std::string& what) {
    return io::mnd_show_json(what, core_.state(now()), daemon_counters());
  });
}

io::Json Daemon::daemon_counters() const {
  io::Json d;
  d["handler_exceptions"] = guard_.caught();
  d["nd_received"] = counters_.nd_received;
  d["nd_invalid"] = counters_.nd_invalid;
  d["mh_received"] = counters_.mh_received;
  d["mh_invalid"] = counters_.mh_invalid;
  d["send_errors"] = counters_.send_errors;
  d["dataplane_errors"] = counters_.dataplane_errors;
  d["dhaad_dropped"] = counters_.dhaad_dropped;
  d["reloads"] = shell_.reloads();
  d["reload_failures"] = shell_.reload_failures();
  if (ike_) {
    const io::Json ike = ike_->counters();  // items() refers to it: not a temporary
    for (const auto& [k, v] : ike.items()) d[k] = v;
  }
  return d;
}

std::string Daemon::status_text() const { return core_.state(now()).status; }

}  // namespace hmip::mnd
