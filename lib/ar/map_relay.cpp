// Dynamic MAP discovery (4140bis §7.1.1): MAP options learned from the
// upstream routers of listening interfaces, kept per (interface, router)
// source until they expire, and the best source of each relayed with
// Dist + 1 on relaying interfaces (ra_builder.cpp adds them to the RAs).
#include <algorithm>
#include <iterator>
#include <tuple>
#include <variant>

#include "durations.h"
#include "hmip/ar/access_router.h"

namespace hmip::ar {

namespace {

using core::Duration;

// Removes the sources `drop(address, source)` says to, and the addresses
// left without any.
template <class LearnedMap, class Drop>
void drop_sources(LearnedMap& learned, const Drop& drop) {
  for (auto it = learned.begin(); it != learned.end();) {
    std::erase_if(it->second, [&](const auto& s) { return drop(it->first, s); });
    it = it->second.empty() ? learned.erase(it) : std::next(it);
  }
}

// "learned MAP 2001:db8::1 from fe80::1 on eth0", for log lines.
template <class Source>
std::string describe(const Ip6Addr& map, const Source& s) {
  return "learned MAP " + map.str() + " from " + s.router.str() + " on " + s.iface;
}

}  // namespace

std::uint32_t AccessRouter::LearnedSource::lifetime_at(TimePoint now) const {
  return opt.valid_lifetime == 0 ? 0 : std::max<std::uint32_t>(1, detail::ceil_secs(expires - now));
}

void AccessRouter::learn(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra, TimePoint now) {
  if (!i.cfg.map_listen) return;
  // The smallest Dist per MAP address within this RA.
  std::vector<wire::MapOption> opts;
  for (const auto& o : ra.options) {
    const auto* m = std::get_if<wire::MapOption>(&o);
    if (!m) continue;
    auto it = std::find_if(opts.begin(), opts.end(), [&](const wire::MapOption& x) { return x.address == m->address; });
    if (it == opts.end())
      opts.push_back(*m);
    else if (m->dist < it->dist)
      *it = *m;
  }
  if (opts.empty()) return;
  const auto& up = i.cfg.map_upstream;
  if (std::find(up.begin(), up.end(), src) == up.end()) {
    ++i.counters.ra_not_upstream;
    log(LogLevel::debug, i.cfg.name + ": MAP options from " + src.str() + " ignored: not a MapUpstream router");
    return;
  }
  // A withdrawal is relayed at least kWithdrawnHold after the last RA that
  // carried it, and at least three of the upstream's advertised intervals
  // (RFC 6275 §7.3) so one it keeps repeating never lapses between its RAs.
  Duration hold = kWithdrawnHold;
  if (const auto* ai = wire::find_nd_option<wire::AdvIntervalOption>(ra.options))
    hold = std::max(hold, Duration(static_cast<Duration::rep>(ai->interval_ms) * 3));

  for (const auto& m : opts) {
    ++i.counters.map_options_received;
    auto lit = learned_.find(m.address);
    if (lit == learned_.end()) {
      if (learned_.size() >= kMaxLearnedMaps) {
        ++learned_table_full_;
        continue;
      }
      lit = learned_.emplace(m.address, std::vector<LearnedSource>{}).first;
    }
    auto& srcs = lit->second;
    auto sit = std::find_if(srcs.begin(), srcs.end(),
                            [&](const LearnedSource& s) { return s.iface == i.cfg.name && s.router == src; });
    const TimePoint expires = now + (m.valid_lifetime == 0 ? hold : Duration(core::seconds(m.valid_lifetime)));
    if (sit == srcs.end()) {
      srcs.push_back({i.cfg.name, src, m, now, expires});
      log(LogLevel::info, "learned MAP " + m.address.str() + " (Dist " + std::to_string(m.dist) + ", Pref " +
                              std::to_string(m.pref) + ", lifetime " + std::to_string(m.valid_lifetime) + " s) from " +
                              src.str() + " on " + i.cfg.name);
      continue;
    }
    const bool was_withdrawn = sit->opt.valid_lifetime == 0;
    const bool now_withdrawn = m.valid_lifetime == 0;
    if (sit->opt.dist != m.dist || sit->opt.pref != m.pref || sit->opt.r_flag != m.r_flag ||
        was_withdrawn != now_withdrawn)
      log(now_withdrawn && !was_withdrawn ? LogLevel::warning : LogLevel::info,
          describe(m.address, *sit) + " changed: Dist " + std::to_string(m.dist) + ", Pref " +
              std::to_string(m.pref) + ", lifetime " + std::to_string(m.valid_lifetime) + " s" +
              (now_withdrawn ? " (failed upstream)" : ""));
    sit->opt = m;
    sit->received = now;
    sit->expires = expires;
  }
}

void AccessRouter::service_learned(TimePoint now) {
  drop_sources(learned_, [&](const Ip6Addr& map, const LearnedSource& s) {
    if (s.expires > now) return false;
    log(LogLevel::info,
        describe(map, s) + (s.opt.valid_lifetime == 0 ? ": withdrawal no longer relayed" : ": expired"));
    return true;
  });
}

// After a reload: forgets what was learned on interfaces no longer
// listening, or from routers no longer their upstream.
void AccessRouter::prune_learned(TimePoint /*now*/) {
  drop_sources(learned_, [&](const Ip6Addr& map, const LearnedSource& s) {
    const auto ic = std::find_if(cfg_.interfaces.begin(), cfg_.interfaces.end(),
                                 [&](const InterfaceConfig& c) { return c.name == s.iface; });
    const bool keep = ic != cfg_.interfaces.end() && ic->map_listen &&
                      std::find(ic->map_upstream.begin(), ic->map_upstream.end(), s.router) != ic->map_upstream.end();
    if (!keep) log(LogLevel::info, describe(map, s) + " forgotten: no longer a listening interface / upstream router");
    return !keep;
  });
}

const AccessRouter::LearnedSource* AccessRouter::best_learned(const Ip6Addr& addr) const {
  const auto it = learned_.find(addr);
  if (it == learned_.end()) return nullptr;
  const LearnedSource* best = nullptr;
  for (const auto& s : it->second) {
    if (!best) {
      best = &s;
      continue;
    }
    // 4140bis §7.1.1: the smallest Dist wins. Same Dist: a withdrawal
    // (failure news) wins, then the most recently heard.
    const auto key = [](const LearnedSource& x) {
      return std::tuple(x.opt.dist, x.opt.valid_lifetime == 0 ? 0 : 1, -x.received.time_since_epoch().count());
    };
    if (key(s) < key(*best)) best = &s;
  }
  return best;
}

bool AccessRouter::relays_on(const Ip6Addr& addr, const LearnedSource& best, const Iface& i) const {
  if (!i.cfg.map_relay || best.opt.dist >= 15) return false;  // Dist never above 15
  // Never back onto an interface it was heard on (from any router).
  const auto& srcs = learned_.at(addr);
  return std::none_of(srcs.begin(), srcs.end(), [&](const LearnedSource& s) { return s.iface == i.cfg.name; });
}

}  // namespace hmip::ar
