#include "mapd_daemon.h"

#include <stdexcept>
#include <system_error>
#include <variant>
#include <vector>

#include "hmip/io/map_view.h"
#include "hmip/io/nd_receive.h"
#include "hmip/io/random_seed.h"
#include "hmip/io/xfrm_stat.h"
#include "hmip/map/config_parse.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/mh.h"
#include "hmip/wire/nd.h"

#ifndef HMIP_VERSION
#define HMIP_VERSION "unknown"
#endif

namespace hmip::mapd {

namespace asio = boost::asio;

namespace {

core::TimePoint now() { return core::Clock::now(); }

// The home agent role's signalling state: in secure mode the kernel drops a
// cleartext MH from a HomePrefix to the HomeAgent Address (RFC 4877 §4's
// SPD entry), below charon's per-home-address policies, as for the MAP's
// RcoaPrefixes.
// Secure mode: MH from an RCoA prefix to the MAP only in ESP (RFC 4877 §4's
// SPD entry), below charon's per-RCoA policies.
kglue::MapSignallingSettings map_signalling(const map::MapdConfig& c) {
  kglue::MapSignallingSettings sig{c.map_address, {}};
  if (!c.insecure.enabled)
    for (const auto& p : c.rcoa_prefixes) sig.esp_required_from.push_back(p.prefix);
  return sig;
}

// Secure mode: MH from a home prefix to the HA only in ESP (RFC 4877 §4),
// and with ProtectTraffic the home tunnels' packets only in ESP as well
// (RFC 4877 §5; kglue::MapSignallingSettings::esp_required_tunnel).
kglue::MapSignallingSettings ha_signalling(const map::MapdConfig& c) {
  kglue::MapSignallingSettings sig{c.home_agent->address, {}};
  if (!c.insecure.enabled) {
    for (const auto& p : c.home_agent->prefixes) sig.esp_required_from.push_back(p.prefix);
    sig.esp_required_tunnel = c.home_agent->protect_traffic;
  }
  return sig;
}

// Multiple CoA: mapd.conf's FlowPolicy blocks as the dataplane takes them.
std::vector<kglue::MapFlowPolicy> flow_policies(const map::MapdConfig& c) {
  std::vector<kglue::MapFlowPolicy> out;
  out.reserve(c.flow_policies.size());
  for (const auto& fp : c.flow_policies) {
    kglue::MapFlowPolicy p;
    p.bid = fp.bid;
    p.ip_proto = fp.protocol.value_or(0);
    if (fp.source_port) {
      p.sport_lo = fp.source_port->lo;
      p.sport_hi = fp.source_port->hi;
    }
    if (fp.destination_port) {
      p.dport_lo = fp.destination_port->lo;
      p.dport_hi = fp.destination_port->hi;
    }
    p.dscp = fp.dscp;
    p.from = fp.from;
    p.to = fp.to;
    out.push_back(p);
  }
  return out;
}

}  // namespace

std::string Daemon::dp_error(const wire::Error& e) const {
  auto text = dataplane_->last_error_text();
  return text.empty() ? wire::to_string(e) : text;
}

Daemon::Daemon(asio::io_context& io, Options opts, map::MapdConfig cfg, io::Logger& log,
               std::unique_ptr<kglue::Dataplane> dataplane)
    : io_(io),
      log_(log),
      core_(std::move(cfg), io::random_seed()),
      dataplane_(std::move(dataplane)),
      guard_(io::logging_guard(log)),
      shell_(io, {"mapd", HMIP_VERSION, std::move(opts)}, log, guard_,
             {[this] { return reload(); }, [this] { shutdown(); }, [this] { return status_text(); }}),
      timer_(io, guard_, [this](core::TimePoint t) {
        core_.handle_timeout(t);
        pump();
      }),
      mh_limiter_(kMhSourceLimits, core::HashKey{io::random_seed(), io::random_seed()}) {}

Daemon::~Daemon() = default;

void Daemon::start() {
  links_ = std::make_unique<io::LinkWatcher>(
      io_, guard_.wrap("netlink", [this](const io::LinkChange& c) { on_link(c); }),
      [this](const std::string& e) { log_.warning(e); });
  links_->start();
  for (const auto& p : core_.config().rcoa_prefixes)
    if (!p.interface.empty() && ifindex_of(p.interface) == 0)
      throw std::runtime_error("interface " + p.interface + " of RcoaPrefix " + p.prefix.str() + " does not exist");
  if (const auto& ha = core_.config().home_agent)
    for (const auto& p : ha->prefixes)
      if (!p.interface.empty() && ifindex_of(p.interface) == 0)
        throw std::runtime_error("interface " + p.interface + " of HomePrefix " + p.prefix.str() + " does not exist");

  // Another instance answering on the control socket must not lose its
  // kernel state to this one's reconcile(): check before touching the kernel.
  register_commands();
  shell_.listen(core_.config().control_socket);

  // The sockets before the adoption below: from then on the core may ask
  // for a BRR to an adopted binding at any call (a charon event, the
  // timer). Received packets wait in them until start_receive().
  try {
    mh_ = std::make_unique<io::MhSocket>(io_, mh_socket_options());
    auto nd = io::nd_dad_socket_options();
    // The home agent role learns the other home agents on its home links
    // from their Router Advertisements (RFC 6275 §10.5.1) for DHAAD.
    if (core_.config().home_agent) nd.accept_types.push_back(wire::icmpv6::kRouterAdvertisement);
    nd_ = std::make_unique<io::Icmpv6Socket>(io_, nd);
    prober_ = std::make_unique<io::DadProber>();
    open_dhaad();
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("cannot open raw sockets (mapd needs CAP_NET_RAW): ") + e.what());
  }

  // Secure mode: charon must be there before the first binding update,
  // and its SA list in the core before adoption (only an RCoA an identity
  // still holds is adopted). Its failure leaves the kernel untouched.
  if (!core_.config().insecure.enabled) {
    ike_ = std::make_unique<IkeGuard>(io_, core_.config(), log_,
                                      IkeSink{guard_.wrap("IKE event",
                                                          [this](const ike::SaEvent& e) {
                                                            core_.handle_ike_event(now(), e);
                                                            pump();
                                                          }),
                                              guard_.wrap("IKE SAs",
                                                          [this](const std::vector<ike::IkeSaView>& sas) {
                                                            core_.handle_ike_sas(now(), sas);
                                                            pump();
                                                          }),
                                              guard_.wrap("charon lost", [this] {
                                                core_.handle_ike_lost(now());
                                                pump();
                                              })});
    ike_->start();
  }

  // A run that did not stop cleanly: its complete bindings are adopted
  // (their nodes asked to re-register), the other leftovers go before
  // anything new.
  const std::size_t adopted = adopt_leftovers();
  try {
    auto rec = dataplane_->reconcile();
    if (!rec) throw std::runtime_error("cannot reconcile kernel state: " + dp_error(rec.error()));
    for (const auto& r : rec->removed) log_.notice("removed leftover " + r);
    // Secure mode: the kernel drops a cleartext MH from an RCoA prefix to
    // the MAP (RFC 4877 §4's SPD entry), below charon's per-RCoA policies.
    if (core_.config().map_role()) {
      if (auto st = dataplane_->install_map_signalling(map_signalling(core_.config())); !st)
        throw std::runtime_error("cannot install the MIPv6 signalling state: " + dp_error(st.error()));
    }
    // The home agent role: home BUs to its address (in secure mode an
    // address of its own, mapd.conf validation says; in the testbed mode
    // it may be MapAddress, signalled above).
    if (const auto& ha = core_.config().home_agent; ha && ha->address != core_.config().map_address)
      if (auto st = dataplane_->install_map_signalling(ha_signalling(core_.config())); !st)
        throw std::runtime_error("cannot install the MIPv6 signalling state of the home agent: " +
                                 dp_error(st.error()));
    // Multiple CoA: the FlowPolicy blocks (an empty set installs nothing).
    if (auto st = dataplane_->install_map_flow_policies(flow_policies(core_.config())); !st)
      throw std::runtime_error("cannot install the flow policies (FlowPolicy): " + dp_error(st.error()));
  } catch (...) {
    // A failed start must not take the adopted bindings with it: the
    // kernel stays as the crash left it, for the next start to adopt.
    if (adopted != 0) {
      log_.warning("start failed after adopting " + std::to_string(adopted) +
                   " binding(s): leaving the kernel state for the next start");
      dataplane_->keep_kernel_state();
    }
    throw;
  }

  shell_.watch_signals();

  mh_->start_receive(guard_.wrap("Mobility Header", [this](const io::ReceivedMhPacket& p) { on_mh(p); }),
                     [this](const std::error_code& ec, std::string_view detail) {
                       log_.debug("MH socket: " + ec.message() + " " + std::string(detail));
                     });
  nd_->start_receive(guard_.wrap("ND", [this](const io::Icmpv6Packet& p) { on_nd(p); }),
                     [this](const std::error_code& ec) { log_.warning("ND socket: " + ec.message()); });
  receive_dhaad();
  if (core_.config().insecure.enabled) log_.warning(std::string(map::kInsecureWarning));
  pump();
  std::string roles;
  if (core_.config().map_role()) roles += "MAP " + core_.config().map_address.str() + ", ";
  if (const auto& ha = core_.config().home_agent) roles += "home agent " + ha->address.str() + ", ";
  shell_.ready(roles);
}

void Daemon::open_dhaad() {
  for (auto& sock : dhaad_sockets_) sock->close();
  dhaad_sockets_.clear();
  dhaad_.reset();
  const auto& ha = core_.config().home_agent;
  if (!ha) return;
  std::vector<map::DhaadHomePrefix> prefixes;
  for (const auto& p : ha->prefixes) prefixes.push_back({p.prefix, ha->address, ha->preference});
  dhaad_ = std::make_unique<map::DhaadResponder>(std::move(prefixes), io::random_seed());
  // One socket per home link, joined to the anycast addresses of its
  // prefixes. A routed home prefix (no Interface) has no link to join on:
  // DHAAD is not answered for it (mapd.conf(5)).
  std::map<std::string, std::vector<Ip6Addr>> by_link;
  for (const auto& p : ha->prefixes)
    if (auto any = map::home_agents_anycast(p.prefix); any && !p.interface.empty())
      by_link[p.interface].push_back(*any);
  for (const auto& [link, anycast] : by_link) {
    try {
      dhaad_sockets_.push_back(std::make_unique<io::DhaadHaSocket>(io_, ifindex_of(link), anycast));
    } catch (const std::system_error& e) {
      throw std::runtime_error("cannot join the Home-Agents anycast address on " + link + " (DHAAD): " + e.what());
    }
  }
}

void Daemon::receive_dhaad() {
  // The sockets are bound to no interface, so each would get its own copy
  // of every request: only the first receives (and answers); the others
  // only hold their links' anycast memberships.
  if (dhaad_sockets_.empty()) return;
  dhaad_sockets_.front()->start_receive(
      guard_.wrap("DHAAD", [this](const io::DhaadRequestReceived& r) { on_dhaad_request(r); }),
      [this](const io::DhaadDropped& d) {
        ++counters_.dhaad_dropped;
        log_.debug("dropped " + d.detail);
      },
      [this](const std::error_code& ec) { log_.warning("DHAAD socket: " + ec.message()); });
}

void Daemon::on_dhaad_request(const io::DhaadRequestReceived& r) {
  if (shell_.stopping() || !dhaad_) return;
  auto out = dhaad_->handle_request(now(), r.src, r.dst, r.request);
  if (!out) return;  // counted by the responder
  // The sockets are bound to no interface: the kernel routes the reply to
  // the node's care-of address, from whichever socket.
  if (dhaad_sockets_.empty()) return;
  if (auto ec = dhaad_sockets_.front()->send_reply(out->src, out->dst, out->reply); ec) {
    ++counters_.send_errors;
    log_.warning("DHAAD reply to " + out->dst.str() + ": " + ec.message());
    return;
  }
  ++counters_.dhaad_replies_sent;
}

bool Daemon::home_link(const std::string& name) const {
  if (const auto& ha = core_.config().home_agent)
    for (const auto& p : ha->prefixes)
      if (p.interface == name) return true;
  return false;
}

bool Daemon::proxied_interface(const std::string& name) const {
  for (const auto& p : core_.config().rcoa_prefixes)
    if (p.interface == name) return true;
  return home_link(name);
}

// Issue 13 item 13: the bindings a killed mapd left in the kernel go on
// carrying traffic; the core decides which to keep (map_agent.h, "Restart")
// and asks their nodes to re-register. What it refuses is removed with its
// RemoveBinding here, the incomplete rest by reconcile().
std::size_t Daemon::adopt_leftovers() {
  auto found = dataplane_->adopt_map_bindings();
  if (!found) {
    // What it took over before failing stays for the next start.
    dataplane_->keep_kernel_state();
    throw std::runtime_error("cannot read the previous run's bindings: " + dp_error(found.error()));
  }
  const auto t = now();
  for (const auto& b : *found) {
    const auto* link = b.settings.proxy_ifindex != 0 ? links_->find(b.settings.proxy_ifindex) : nullptr;
    (void)core_.adopt(t, map::LeftoverBinding{{b.key.rcoa, b.key.bid},
                                              b.settings.map_address,
                                              b.settings.lcoa,
                                              link != nullptr ? link->name : std::string(),
                                              b.settings.tunnel_mtu,
                                              b.settings.link_local_proxy});
  }
  // Removals and re-installs now; the BRRs (due now) with the next call
  // that services the core's timers: charon's SA list, else the timer.
  pump();
  if (!found->empty())
    log_.notice("adopted " + std::to_string(core_.counters().bindings_adopted) + " of " +
                std::to_string(found->size()) + " binding(s) the previous run left in the kernel");
  return found->size();
}

int Daemon::ifindex_of(const std::string& name) const {
  const auto* l = links_ ? links_->find(name) : nullptr;
  return l != nullptr ? l->ifindex : 0;
}

void Daemon::on_link(const io::LinkChange& c) {
  if (shell_.stopping() || !proxied_interface(c.link.name)) return;
  const bool up = c.kind != io::LinkChange::Kind::removed && c.link.operational();
  auto [it, fresh] = carrier_.try_emplace(c.link.name, up);
  if (!fresh && it->second == up) return;
  it->second = up;
  log_.info("proxy ND link " + c.link.name + (up ? " up" : " down"));
  core_.handle_link_carrier(now(), c.link.name, up);
  pump();
}

io::MhSocketOptions Daemon::mh_socket_options() {
  io::MhSocketOptions o;
  // A MAP processes Binding Updates and answers unknown types with a Binding
  // Error (RFC 6275 §9.2); BRR, BA and BE sent to it are only ignored, so
  // the kernel drops them before they take room in the queue.
  o.type_filter = io::MhTypeFilter{false,
                                   {wire::mh_type::kBindingRefreshRequest, wire::mh_type::kBindingAck,
                                    wire::mh_type::kBindingError}};
  o.socket_receive_buffer = kMhSocketReceiveBuffer;
  return o;
}

void Daemon::on_mh(const io::ReceivedMhPacket& p) {
  if (shell_.stopping()) return;
  ++counters_.mh_received;
  const auto t = now();
  // Per-source limit on the wire source (the care-of address when a HAO
  // came), before any decoding: one flooding source cannot use up the
  // loop's time for the others. What no forger can send (MapAgent::
  // source_limit_exempt) is not charged, so a flood forging a node's
  // care-of address cannot starve that node's registrations.
  if (!core_.source_limit_exempt(p.src, p.hao, p.dst) && !mh_limiter_.allow(t, p.hao.value_or(p.src))) return;
  // The kernel verified the checksum over (home address, destination); this
  // decode checks it again over the same pseudo-header.
  const wire::PseudoHeader ph{p.src, p.dst};
  auto m = wire::decode_mh(p.bytes, &ph);
  if (!m) {
    ++counters_.mh_invalid;
    log_.debug("invalid Mobility Header from " + p.src.str() + ": " + wire::to_string(m.error()));
    core_.handle_invalid_mh(t, p.src, p.dst, p.hao, m.error(), wire::peek_mh_type(p.bytes));
  } else {
    // The arrival link: a home agent lets a node's deregistration from its
    // home link past TrustedPrefix (map_agent.h).
    const auto* link = p.ifindex != 0 && links_ ? links_->find(p.ifindex) : nullptr;
    core_.handle_mh(t,
                    map::ReceivedMh{p.src, p.dst, p.hao, std::move(*m), link != nullptr ? link->name : std::string()});
  }
  pump();
}

void Daemon::on_nd(const io::Icmpv6Packet& p) {
  if (shell_.stopping()) return;
  ++counters_.nd_received;
  if (dhaad_ && !p.data.empty() && p.data[0] == wire::icmpv6::kRouterAdvertisement) {
    // Other home agents on a home link (RFC 6275 §10.5.1); the socket
    // checked nothing: classify_nd validates (hop limit, link-local source).
    const auto r = io::classify_nd(p);
    if (const auto* ra = std::get_if<io::RaReceived>(&r))
      if (const auto* l = links_->find(static_cast<int>(ra->ifindex)); l != nullptr && home_link(l->name))
        dhaad_->handle_router_advertisement(now(), ra->src, ra->ra);
    return;
  }
  if (dads_.empty()) return;
  for (auto it = dads_.begin(); it != dads_.end();) {
    if (it->second.ifindex != p.ifindex) {
      ++it;
      continue;
    }
    const auto obs = io::classify_dad(p, it->first);
    if (!io::dad_failed(obs.event)) {
      ++it;
      continue;
    }
    log_.notice("DAD for RCoA " + it->first.str() + ": " + obs.detail);
    const Ip6Addr rcoa = it->first;
    it = end_dad(it);
    core_.handle_dad_result(now(), rcoa, true);
  }
  pump();
}

void Daemon::pump() {
  while (auto a = core_.poll_action()) {
    // One action that throws is logged and counted; the others still run,
    // and the timer is armed below whatever happened (a handler's guard
    // alone would leave expiries and BRRs waiting for the next event).
    bool done = false;
    guard_.run("mapd action", [&] {
      std::visit([this](const auto& x) { perform(x); }, *a);
      done = true;
    });
    // The core waits for every install's result: a second (failed) result
    // after one perform() gave before throwing is only counted as unmatched.
    if (const auto* ib = std::get_if<map::InstallBinding>(&*a); ib != nullptr && !done)
      guard_.run("mapd install result", [&] {
        core_.handle_dataplane_result(now(), ib->key, false, "an exception while installing (see the log)");
      });
  }
  expire_dads(now());
  arm_timer();
}

void Daemon::expire_dads(core::TimePoint t) {
  for (auto it = dads_.begin(); it != dads_.end();) {
    if (it->second.until > t) {
      ++it;
      continue;
    }
    it = end_dad(it);
  }
}

// RCoAs whose last 24 bits agree share a solicited-node group: the group is
// left only when no other running DAD on that link uses it (the socket
// joined it once; the second join answered EADDRINUSE).
std::map<Ip6Addr, Daemon::Dad>::iterator Daemon::end_dad(std::map<Ip6Addr, Dad>::iterator it) {
  const Ip6Addr group = io::solicited_node_multicast(it->first);
  const int ifindex = it->second.ifindex;
  it = dads_.erase(it);
  for (const auto& [rcoa, d] : dads_)
    if (d.ifindex == ifindex && io::solicited_node_multicast(rcoa) == group) return it;
  (void)nd_->leave_group(ifindex, group);
  return it;
}

void Daemon::arm_timer() {
  auto deadline = core_.poll_timeout();
  for (const auto& [rcoa, d] : dads_)
    if (!deadline || d.until < *deadline) deadline = d.until;
  timer_.arm(shell_.stopping() ? std::nullopt : deadline);
}

void Daemon::perform(const map::InstallBinding& a) {
  kglue::MapBindingSettings s;
  s.map_address = a.map_address;
  s.lcoa = a.lcoa;
  s.proxy_ifindex = a.proxy_interface.empty() ? 0 : ifindex_of(a.proxy_interface);
  s.tunnel_mtu = a.tunnel_mtu;
  s.link_local_proxy = a.link_local_proxy;
  s.rank = a.rank;
  const kglue::MapBindingKey key{a.key.rcoa, a.key.bid};
  if (!a.proxy_interface.empty() && s.proxy_ifindex == 0) {
    ++counters_.dataplane_errors;
    core_.handle_dataplane_result(now(), a.key, false, "interface " + a.proxy_interface + " does not exist");
    return;
  }
  auto r = dataplane_->install_map_binding(key, s);
  if (!r) {
    ++counters_.dataplane_errors;
    core_.handle_dataplane_result(now(), a.key, false, dp_error(r.error()));
    return;
  }
  log_.debug(std::string(map::to_string(a.reason)) + " binding " + a.key.rcoa.str() +
             (a.key.bid != 0 ? " BID " + std::to_string(a.key.bid) : std::string()) + " -> " + a.lcoa.str() +
             " on " + r->tunnel + (a.rank != 0 ? " (rank " + std::to_string(a.rank) + ")" : std::string()));
  core_.handle_dataplane_result(now(), a.key, true, {});
}

void Daemon::perform(const map::RemoveBinding& a) {
  if (auto s = dataplane_->remove_map_binding({a.key.rcoa, a.key.bid}); !s) {
    ++counters_.dataplane_errors;
    log_.error("cannot remove the kernel state of binding " + a.key.rcoa.str() + ": " + dp_error(s.error()));
  }
}

void Daemon::send_mh(const wire::MhMessage& m, const Ip6Addr& src, const Ip6Addr& dst, std::string_view what) {
  if (!mh_) {  // not open (yet): counted, never a crash
    ++counters_.send_errors;
    log_.error(std::string(what) + " to " + dst.str() + ": the Mobility Header socket is not open");
    return;
  }
  auto bytes = wire::encode_mh(m, nullptr);  // the kernel fills the checksum (raw MH socket, offset 4)
  if (!bytes) {
    ++counters_.send_errors;
    log_.error("cannot encode " + std::string(what) + ": " + wire::to_string(bytes.error()));
    return;
  }
  if (auto ec = mh_->send(*bytes, src, dst); ec) {
    ++counters_.send_errors;
    log_.warning(std::string(what) + " to " + dst.str() + ": " + ec.message());
  }
}

void Daemon::perform(const map::SendBa& a) {
  // The BA goes to the RCoA; the kernel's route2 state adds the type 2
  // routing header and sends it to the LCoA (RFC 5380 §6.2). Without a
  // binding a transient state carries this one BA.
  const bool transient = a.transient_route && a.lcoa != a.rcoa;
  if (transient) {
    if (auto s = dataplane_->install_ba_route(a.src, a.rcoa, a.lcoa); !s) {
      ++counters_.dataplane_errors;
      log_.warning("BA to " + a.rcoa.str() + " via " + a.lcoa.str() + ": " + dp_error(s.error()));
      return;
    }
  }
  send_mh(a.ba, a.src, a.rcoa, "BA");
  if (transient) (void)dataplane_->remove_ba_route(a.src, a.rcoa);
}

// Multiple CoA: a BID binding's BRR names its BID (RFC 5648 §6.4) and, when
// the binding is not its address's top-ranked one, leaves through a
// transient route2 state to its own care-of address (as a BA to another CoA).
void Daemon::perform(const map::SendBrr& a) {
  wire::BindingRefreshRequest brr;
  if (a.bid != 0) {
    wire::BindingIdentifierOption bid;
    bid.bid = a.bid;
    brr.options.emplace_back(bid);
  }
  const bool transient = a.transient_route && a.lcoa != a.rcoa;
  if (transient) {
    if (auto s = dataplane_->install_ba_route(a.src, a.rcoa, a.lcoa); !s) {
      ++counters_.dataplane_errors;
      log_.warning("BRR to " + a.rcoa.str() + " BID " + std::to_string(a.bid) + " via " + a.lcoa.str() + ": " +
                   dp_error(s.error()));
      return;
    }
  }
  send_mh(brr, a.src, a.rcoa, "BRR");
  if (transient) (void)dataplane_->remove_ba_route(a.src, a.rcoa);
}

void Daemon::perform(const map::SendBindingError& a) { send_mh(a.be, a.src, a.dst, "Binding Error"); }

void Daemon::perform(const map::StartDad& a) {
  const int idx = ifindex_of(a.interface);
  if (idx == 0) {
    log_.warning("DAD for " + a.rcoa.str() + ": interface " + a.interface + " does not exist");
    return;  // the core's timer ends the DAD
  }
  // EADDRINUSE: another running DAD holds the group already (end_dad). Any
  // other failure (the kernel's limit on a socket's memberships): the core
  // refuses the registration (130) rather than binding without DAD.
  if (auto ec = io::join_solicited_node(*nd_, idx, a.rcoa); ec && ec != std::errc::address_in_use) {
    ++counters_.dad_join_errors;
    core_.handle_dad_failed(now(), a.rcoa, "cannot join the solicited-node group on " + a.interface + ": " + ec.message());
    return;
  }
  dads_[a.rcoa] = Dad{idx, now() + a.timeout};
  if (auto ec = prober_->send_probe(idx, a.rcoa); ec) {
    ++counters_.send_errors;
    log_.warning("DAD probe for " + a.rcoa.str() + " on " + a.interface + ": " + ec.message());
    return;
  }
  ++counters_.dad_probes_sent;
}

void Daemon::perform(const map::StopDad& a) {
  if (const auto it = dads_.find(a.rcoa); it != dads_.end()) (void)end_dad(it);
}

void Daemon::perform(const map::SendUnsolicitedNa& a) {
  const auto* l = links_->find(a.interface);
  const auto ll = l != nullptr ? l->usable_link_local() : std::nullopt;
  if (l == nullptr || !ll || l->mac.empty()) {
    log_.debug("no unsolicited NA for " + a.rcoa.str() + ": " + a.interface + " has no usable link-local or MAC");
    return;
  }
  if (auto ec = io::send_unsolicited_na(*nd_, l->ifindex, *ll, a.rcoa, l->mac, false); ec) {
    ++counters_.send_errors;
    log_.warning("unsolicited NA for " + a.rcoa.str() + " on " + a.interface + ": " + ec.message());
    return;
  }
  ++counters_.na_sent;
}

void Daemon::perform(const map::RefreshProxies& a) {
  const int idx = ifindex_of(a.interface);
  if (idx == 0) return;
  if (auto s = dataplane_->refresh_proxies(idx); !s) {
    ++counters_.dataplane_errors;
    log_.warning("cannot re-add proxy entries on " + a.interface + ": " + dp_error(s.error()));
  }
}

void Daemon::perform(const map::ResyncIke& /*a*/) {
  if (ike_) ike_->schedule_resync();
}

void Daemon::perform(const map::TerminateIke& a) {
  if (ike_) ike_->terminate_later(a.uniqueid);
}

void Daemon::perform(const map::LogEvent& a) { log_.log(a.level, a.text); }

Daemon::ReloadResult Daemon::reload() {
  return shell_.reload(
      map::load_mapd_config,
      [this](const map::MapdConfig& c) {
        const auto& run = core_.config();
        // The home agent role's sockets (RAs on the ND socket) and its
        // signalling state are set up at start.
        const bool same = c.map_address == run.map_address && c.control_socket == run.control_socket &&
                          c.insecure.enabled == run.insecure.enabled && c.ike == run.ike &&
                          c.home_agent.has_value() == run.home_agent.has_value();
        return same ? std::string()
                    : "MapAddress, ControlSocket, InsecureTestbedSignalling, the Ike block and adding or removing the "
                      "HomeAgent block take effect only at a restart";
      },
      [this](const map::MapdConfig& c) {
        const bool dhaad_changed = c.home_agent != core_.config().home_agent;
        // The signalling state follows the new prefixes and ProtectTraffic
        // (kernel-glue replaces an address's ESP policies, unchanged ones
        // cost nothing); a new HomeAgent Address gets its own before the
        // core re-installs the home bindings there (the old one's stays
        // until the stop: harmless, it names no binding).
        if (c.map_role())
          if (auto st = dataplane_->install_map_signalling(map_signalling(c)); !st)
            log_.error("reload: cannot update the MIPv6 signalling state of MapAddress " + c.map_address.str() +
                       ": " + dp_error(st.error()));
        if (c.home_agent && c.home_agent->address != c.map_address)
          if (auto st = dataplane_->install_map_signalling(ha_signalling(c)); !st)
            log_.error("reload: cannot install the MIPv6 signalling state of home agent address " +
                       c.home_agent->address.str() + ": " + dp_error(st.error()));
        // Multiple CoA: the new FlowPolicy set (a failure keeps the previous one).
        if (c.flow_policies != core_.config().flow_policies)
          if (auto st = dataplane_->install_map_flow_policies(flow_policies(c)); !st)
            log_.error("reload: cannot install the flow policies (FlowPolicy), the previous ones stay: " +
                       dp_error(st.error()));
        core_.reload(now(), c);
        // Secure mode: HomeAddress, ProtectTraffic or the HomeAgent Address
        // changed: the home connections follow (IkeGuard reads the core's
        // configuration, the new one now).
        if (ike_) ike_->reload_home();
        if (dhaad_changed && c.home_agent) {
          // New home prefixes or preference: a new responder and new
          // anycast memberships (a failure keeps mapd running without DHAAD).
          try {
            open_dhaad();
            receive_dhaad();
          } catch (const std::exception& e) {
            log_.error(std::string("reload: ") + e.what() + "; DHAAD is not answered until a restart");
          }
        }
        pump();
      });
}

void Daemon::shutdown() {
  if (!shell_.begin_stop()) return;
  log_.notice("shutting down: removing " + std::to_string(core_.binding_count()) + " binding(s) from the kernel");
  if (auto s = dataplane_->flush(); !s) log_.error("kernel clean-up: " + dp_error(s.error()));
  if (ike_) ike_->stop();
  timer_.cancel();
  for (const auto& [rcoa, d] : dads_) (void)io::leave_solicited_node(*nd_, d.ifindex, rcoa);
  dads_.clear();
  if (links_) links_->stop();
  if (mh_) mh_->close();
  if (nd_) nd_->close();
  for (auto& sock : dhaad_sockets_) sock->close();
  shell_.close();
}

void Daemon::register_commands() {
  shell_.add_show("bindings, pending, flows, counters, ike or config", [this](const std::string& what) {
    if (what == "ike") {
      if (!ike_) throw io::ControlError("InsecureTestbedSignalling is on: no IKE");
      return ike_->view(core_.ike_holders());
    }
    return io::mapd_show_json(what, core_.state(now()), core_.config(), daemon_counters());
  });
}

io::Json Daemon::daemon_counters() const {
  io::Json d;
  d["mh_received"] = counters_.mh_received;
  d["mh_invalid"] = counters_.mh_invalid;
  d["mh_source_limited"] = mh_limiter_.counters().limited;
  d["mh_source_overflow"] = mh_limiter_.counters().overflow;
  d["nd_received"] = counters_.nd_received;
  d["na_sent"] = counters_.na_sent;
  d["dad_probes_sent"] = counters_.dad_probes_sent;
  d["dad_join_errors"] = counters_.dad_join_errors;
  if (dhaad_) {
    const auto& x = dhaad_->counters();
    d["dhaad_requests"] = x.requests;
    d["dhaad_replies_sent"] = counters_.dhaad_replies_sent;
    d["dhaad_not_anycast"] = x.not_anycast;
    d["dhaad_rate_limited"] = x.rate_limited;
    d["dhaad_bad_source"] = x.bad_source;
    d["dhaad_mobile_router"] = x.mobile_router;
    d["dhaad_dropped"] = counters_.dhaad_dropped;
    d["dhaad_home_agent_ras"] = x.ha_ras;
  }
  d["dad_listening"] = dads_.size();  // DADs running in the daemon (each holds its group)
  d["send_errors"] = counters_.send_errors;
  d["dataplane_errors"] = counters_.dataplane_errors;
  const auto dp = dataplane_->counters();
  d["ingress_dropped_packets"] = dp.ingress_dropped_packets;
  d["ingress_dropped_bytes"] = dp.ingress_dropped_bytes;
  if (mh_) {
    const auto& m = mh_->counters();
    d["mh_socket_truncated"] = m.truncated;
    d["mh_socket_bad_cmsg"] = m.bad_cmsg;
    d["mh_socket_receive_errors"] = m.receive_errors;
    d["mh_socket_kernel_drops"] = m.kernel_drops;
    d["mh_socket_yields"] = m.yields;
    d["mh_socket_receive_buffer"] = m.socket_receive_buffer;
  }
  d["handler_exceptions"] = guard_.caught();
  d["reloads"] = shell_.reloads();
  d["reload_failures"] = shell_.reload_failures();
  if (ike_) {
    const io::Json ike = ike_->counters();  // items() refers to it: not a temporary
    for (const auto& [k, v] : ike.items()) d[k] = v;
  }
  // Binding updates the kernel dropped for want of the right ESP SA.
  const auto x = io::read_xfrm_stat();
  for (const char* k : {"XfrmInTmplMismatch", "XfrmInNoStates", "XfrmInStateProtoError", "XfrmInNoPols"})
    if (auto it = x.find(k); it != x.end()) d[std::string("kernel_") + k] = it->second;
  return d;
}

std::string Daemon::status_text() const {
  return std::to_string(core_.binding_count()) + " binding(s), " + std::to_string(core_.pending_count()) +
         " pending";
}

}  // namespace hmip::mapd
