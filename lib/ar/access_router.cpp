// AccessRouter's frame: construction, interface lookups, the lifecycle
// inputs (start, links, reload, shutdown), poll_action / poll_timeout, and
// service(), which runs whatever is due and (re)starts or stops advertising
// per interface. The rest lives with what it handles:
//   ra_scheduler.cpp  RS answers, RA timing and rate limits, sending
//   ra_split.cpp      RAs split to fit the link MTU
//   ra_builder.cpp    what an RA carries (from the configuration)
//   received_ra.cpp   RAs from other routers (consistency checks)
//   map_relay.cpp     dynamic MAP discovery: the learned table, relaying
//   map_monitors.cpp  configured MAPs: probing, failure, manual override
//   ar_state.cpp      state() introspection
#include "hmip/ar/access_router.h"

#include <algorithm>
#include <utility>

namespace hmip::ar {

// ---------------------------------------------------------------------------
// Construction, lookups

AccessRouter::AccessRouter(ArdConfig cfg, std::uint64_t rng_seed) : cfg_(std::move(cfg)), rng_(rng_seed) {
  for (const auto& c : cfg_.interfaces) {
    Iface i;
    i.cfg = c;
    ifaces_.push_back(std::move(i));
  }
  rebuild_monitors(TimePoint{});
}

void AccessRouter::log(LogLevel level, std::string text) { actions_.emplace_back(LogEvent{level, std::move(text)}); }

const LinkState* AccessRouter::link_of(const Iface& i) const {
  for (const auto& [idx, l] : links_)
    if (l.name == i.cfg.name) return &l;
  return nullptr;
}

AccessRouter::Iface* AccessRouter::iface_by_index(unsigned ifindex) {
  const auto it = links_.find(ifindex);
  if (it == links_.end()) return nullptr;
  for (auto& i : ifaces_) {
    if (i.cfg.name != it->second.name) continue;
    const LinkState* l = link_of(i);
    return l && l->ifindex == ifindex ? &i : nullptr;
  }
  return nullptr;
}

// The configured interface a message arrived on; a message on any other
// interface is counted (ignored_unconfigured) and nullptr returned.
AccessRouter::Iface* AccessRouter::receiving_iface(unsigned ifindex) {
  Iface* i = iface_by_index(ifindex);
  if (!i) ++ignored_unconfigured_;
  return i;
}

// Starts handling an RS or RA received on ifindex: nullptr once shut down;
// else the work due at `now` is done first and the receiving interface (as
// receiving_iface()) returned.
AccessRouter::Iface* AccessRouter::begin_receive(unsigned ifindex, TimePoint now) {
  if (shutdown_) return nullptr;
  service(now);
  return receiving_iface(ifindex);
}

bool AccessRouter::should_advertise(const Iface& i) const {
  if (!started_ || shutdown_ || !i.cfg.send_advert) return false;
  const LinkState* l = link_of(i);
  return l && l->up && l->link_local;
}

bool AccessRouter::Iface::configures_map(const Ip6Addr& map) const {
  return std::any_of(cfg.maps.begin(), cfg.maps.end(), [&](const MapConfig& m) { return m.address == map; });
}

// ---------------------------------------------------------------------------
// Lifecycle inputs

void AccessRouter::handle_start(TimePoint now) {
  if (started_ || shutdown_) return;
  started_ = true;
  log(LogLevel::notice, "starting: " + std::to_string(ifaces_.size()) + " interface(s), " +
                            std::to_string(monitors_.size()) + " configured MAP(s)");
  service(now);
}

void AccessRouter::handle_link(const LinkState& link, TimePoint now) {
  if (shutdown_) return;
  service(now);
  links_[link.ifindex] = link;
  service(now);
}

void AccessRouter::handle_link_removed(unsigned ifindex, TimePoint now) {
  if (shutdown_) return;
  service(now);
  links_.erase(ifindex);
  service(now);
}

void AccessRouter::handle_invalid(unsigned ifindex, InvalidReason why) {
  if (shutdown_) return;
  if (Iface* i = receiving_iface(ifindex)) ++i->counters.invalid[static_cast<std::size_t>(why)];
}

void AccessRouter::handle_reload(ArdConfig cfg, TimePoint now) {
  if (shutdown_) return;
  service(now);
  std::vector<Iface> old = std::move(ifaces_);
  ifaces_.clear();
  std::vector<std::string> changed;
  for (const auto& c : cfg.interfaces) {
    auto it = std::find_if(old.begin(), old.end(), [&](const Iface& o) { return o.cfg.name == c.name; });
    if (it == old.end()) {
      Iface i;
      i.cfg = c;
      ifaces_.push_back(std::move(i));
      changed.push_back(c.name + " (new)");
      continue;
    }
    Iface i = std::move(*it);
    old.erase(it);
    const bool differs = i.cfg != c;
    if (!c.send_advert) send_final_if_advertising(i, now);
    i.cfg = c;
    if (differs) {
      changed.push_back(c.name);
      if (i.advertising) trigger_fast(i, now);
    }
    ifaces_.push_back(std::move(i));
  }
  for (auto& o : old) {  // no longer configured
    send_final_if_advertising(o, now);
    changed.push_back(o.cfg.name + " (removed)");
  }
  const bool log_level_changed = cfg.log_level != cfg_.log_level;
  cfg_ = std::move(cfg);
  prune_learned(now);
  rebuild_monitors(now);
  std::string text = "configuration reloaded";
  if (!changed.empty()) {
    text += "; interfaces changed:";
    for (const auto& n : changed) text += " " + n;
  }
  if (log_level_changed) text += "; log level changed";
  log(LogLevel::notice, std::move(text));
  service(now);
}

void AccessRouter::handle_shutdown(TimePoint now) {
  if (shutdown_) return;
  service(now);
  for (auto& i : ifaces_) send_final_if_advertising(i, now);
  shutdown_ = true;
  log(LogLevel::notice, "shut down: final Router Advertisements sent");
}

void AccessRouter::handle_timeout(TimePoint now) { service(now); }

// ---------------------------------------------------------------------------
// Outputs

std::optional<Action> AccessRouter::poll_action() {
  if (actions_.empty()) return std::nullopt;
  Action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

std::optional<TimePoint> AccessRouter::poll_timeout() const {
  if (!started_ || shutdown_) return std::nullopt;
  std::optional<TimePoint> t;
  auto consider = [&](const std::optional<TimePoint>& d) {
    if (d && (!t || *d < *t)) t = d;
  };
  for (const auto& i : ifaces_) {
    if (!i.advertising) continue;
    consider(i.next_unsolicited);
    consider(i.solicited_at);
    for (const auto& u : i.unicast) consider(u.at);
  }
  for (const auto& m : monitors_) {
    if (!m.probing) continue;
    if (m.prober.last_sent()) consider(m.prober.due(m.health.probe_period(), {}));
    consider(m.prober.reply_deadline());
    consider(m.health.deadline());
  }
  for (const auto& [addr, srcs] : learned_)
    for (const auto& s : srcs) consider(s.expires);
  return t;
}

// ---------------------------------------------------------------------------
// The work that is due

void AccessRouter::service(TimePoint now) {
  if (!started_ || shutdown_) return;
  service_maps(now);
  service_learned(now);
  refresh(now);
  service_ras(now);
}

// Starts or stops advertising per interface as links and configuration
// allow, and notices when what an interface advertises changes.
void AccessRouter::refresh(TimePoint now) {
  for (auto& i : ifaces_) {
    const bool adv = should_advertise(i);
    const LinkState* l = link_of(i);
    if (adv && !i.advertising) {
      start_iface(i, now);
    } else if (!adv && i.advertising) {
      stop_advertising(i);
      log(LogLevel::notice, i.cfg.name + ": not advertising (" +
                                (!l ? std::string("no such link") : !l->up ? "link down" : "no link-local address") +
                                ")");
    } else if (adv) {
      auto key = content_key(i, *l, now);
      if (!i.content || key != *i.content || i.content_src != l->link_local) {
        i.content = std::move(key);
        i.content_src = l->link_local;
        trigger_fast(i, now);
        log(LogLevel::info, i.cfg.name + ": advertised information changed; sending up to " +
                                std::to_string(kMaxInitialRtrAdvertisements) + " fast Router Advertisements");
      }
    }
    if (adv) {
      // PrefixConfig::router_address needs a global address in the prefix.
      bool missing = false;
      for (const auto& p : i.cfg.prefixes)
        if (p.router_address && std::none_of(l->globals.begin(), l->globals.end(),
                                             [&](const Ip6Addr& g) { return p.prefix.contains(g); }))
          missing = true;
      if (missing && !i.warned_router_address)
        log(LogLevel::warning, i.cfg.name + ": router address requested for a prefix the interface has no global "
                                            "address in; sending that prefix without the R flag");
      i.warned_router_address = missing;
    }
  }
}

void AccessRouter::start_iface(Iface& i, TimePoint now) {
  const LinkState& l = *link_of(i);
  i.advertising = true;
  i.solicited_at.reset();
  i.unicast.clear();
  i.next_unsolicited.reset();
  i.content = content_key(i, l, now);
  i.content_src = l.link_local;
  trigger_fast(i, now);
  log(LogLevel::notice, i.cfg.name + ": advertising from " + l.link_local->str() + " (ifindex " +
                            std::to_string(l.ifindex) + ")");
}

// Forgets every pending RA and the advertised content.
void AccessRouter::stop_advertising(Iface& i) {
  i.advertising = false;
  i.fast_remaining = 0;
  i.next_unsolicited.reset();
  i.solicited_at.reset();
  i.unicast.clear();
  i.content.reset();
  i.content_src.reset();
}

}  // namespace hmip::ar
