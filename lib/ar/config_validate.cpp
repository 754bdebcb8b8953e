#include "config_validate.h"

#include <algorithm>

namespace hmip::ar::detail {

namespace {

using core::conf::format_seconds;
using core::conf::lifetime_text;

Duration ms_of_seconds(std::uint64_t s) { return Duration(static_cast<Duration::rep>(s) * 1000); }

}  // namespace

void validate_prefix(const PrefixConfig& p, const Seen& seen, const Statement& s, Diagnostics& d) {
  if (p.preferred_lifetime > p.valid_lifetime) {
    const Token& at = seen.at("AdvPreferredLifetime", seen.at("AdvValidLifetime", s.keyword));
    d.err(at, "AdvPreferredLifetime " + lifetime_text(p.preferred_lifetime) + " of prefix " + p.prefix.str() +
                  " is longer than its AdvValidLifetime " + lifetime_text(p.valid_lifetime) +
                  " (hosts ignore such a prefix, RFC 4862 §5.5.3)");
  }
  if (p.autonomous && p.prefix.len != 64)
    d.warn(s.args[0], "prefix " + p.prefix.str() + " has AdvAutonomous on but length " + std::to_string(p.prefix.len) +
                          ": SLAAC on Ethernet needs a /64 (RFC 4862 §5.5.3, RFC 2464 §4)");
}

void validate_map(const MapConfig& m, const Seen& seen, const Statement& s, Diagnostics& d) {
  const std::string who = "MAP " + m.address.str();
  const auto& p = m.probe;
  if (p.fail_after < p.retry_interval) {
    const Token& at = seen.at("ProbeFailAfter", seen.at("ProbeRetryInterval", s.keyword));
    d.err(at, who + ": ProbeFailAfter " + format_seconds(p.fail_after) + " must be at least ProbeRetryInterval " +
                  format_seconds(p.retry_interval) + " (at least one retry before declaring the MAP failed)");
  }
  if (p.reply_timeout > p.interval) {
    const Token& at = seen.at("ProbeTimeout", seen.at("ProbeInterval", s.keyword));
    d.err(at, who + ": ProbeTimeout " + format_seconds(p.reply_timeout) + " must be at most ProbeInterval " +
                  format_seconds(p.interval));
  }
  if (m.pref == 0)
    d.warn(seen.at("Pref", s.keyword),
           who + ": Pref 0 tells mobile nodes not to use this MAP for new bindings (RFC 5380 §7.1)");
  if (m.valid_lifetime == 0)
    d.warn(seen.at("ValidLifetime", s.keyword), who + ": ValidLifetime 0 advertises this MAP as failed (RFC 5380 §10)");
}

void validate_interface(const InterfaceConfig& ic, const InterfaceState& st, Diagnostics& d) {
  const Seen& seen = st.seen;
  const Token& kw = st.keyword;
  const std::string name = q(ic.name);
  const Duration max = ic.max_interval;
  const std::string max_s = format_seconds(max);

  if (ic.min_interval) {
    const Duration limit(max.count() * 3 / 4);
    if (*ic.min_interval > limit)
      d.err(seen.at("MinRtrAdvInterval", kw), "MinRtrAdvInterval " + format_seconds(*ic.min_interval) +
                                                  " must be at most 0.75 * MaxRtrAdvInterval (" + max_s + "), i.e. " +
                                                  format_seconds(limit) + " seconds (RFC 4861 §6.2.1)");
  }
  if (ic.default_lifetime && *ic.default_lifetime != 0 && core::seconds(*ic.default_lifetime) < max)
    d.err(seen.at("AdvDefaultLifetime", kw), "AdvDefaultLifetime " + std::to_string(*ic.default_lifetime) +
                                                 " must be 0 or between MaxRtrAdvInterval (" + max_s +
                                                 ") and 9000 seconds (RFC 4861 §6.2.1)");
  if (ic.send_advert) {
    const Duration min = effective_min_interval(ic);
    if (ic.min_delay_between_ras > min)
      d.warn(seen.at("MinDelayBetweenRAs", seen.at("MaxRtrAdvInterval", kw)),
             "MinDelayBetweenRAs " + format_seconds(ic.min_delay_between_ras) + " is longer than MinRtrAdvInterval " +
                 format_seconds(min) + " on " + name +
                 ": RAs cannot go out faster than MinDelayBetweenRAs (RFC 6275 §7.5 allows 0.03)");
    if (seen.find("AdvDefaultPreference") != nullptr && effective_default_lifetime(ic) == 0 &&
        ic.default_preference != wire::RouterPreference::medium)
      d.warn(*seen.find("AdvDefaultPreference"),
             "AdvDefaultPreference is sent as medium while AdvDefaultLifetime is 0 (RFC 4191 §2.2)");
    if (max < core::seconds(4) && !ic.adv_interval_option)
      d.warn(seen.at("AdvIntervalOpt", kw), "AdvIntervalOpt is off while MaxRtrAdvInterval is " + max_s +
                                                " s: mobile nodes then cannot tell a lost router from a slow one "
                                                "(RFC 6275 §7.3)");
  }
  if (ic.max_ra_delay > core::milliseconds(500))
    d.warn(seen.at("MaxRADelay", kw), "MaxRADelay " + format_seconds(ic.max_ra_delay) +
                                          " is longer than RFC 4861's MAX_RA_DELAY_TIME (0.5 s)");

  if (ic.map_listen && ic.map_upstream.empty())
    d.err(seen.at("MapListen", kw), "MapListen is on for " + name +
                                        " but MapUpstream is not set: list the link-local addresses of the routers "
                                        "whose MAP options ard may learn");
  if (!ic.map_listen && seen.find("MapUpstream") != nullptr)
    d.warn(*seen.find("MapUpstream"), "MapUpstream has no effect on " + name + " while MapListen is off");
  if (ic.map_relay && !ic.send_advert)
    d.err(seen.at("MapRelay", kw), "MapRelay is on for " + name +
                                       " but AdvSendAdvert is off: relayed MAP options go out in RAs");
  if (ic.map_relay && ic.map_listen)
    d.warn(seen.at("MapRelay", kw), "MapRelay and MapListen are both on for " + name +
                                        ": MAP options learned there are re-sent on the link they came from");
  if (!ic.send_advert) {
    const Token& at = seen.at("AdvSendAdvert", kw);
    if (!ic.prefixes.empty() || !ic.routes.empty() || !ic.rdnss.empty() || !ic.dnssl.empty() || !ic.maps.empty())
      d.warn(at, "AdvSendAdvert is off for " + name + ": its prefix, route, RDNSS, DNSSL and map options are not sent");
    if (!ic.map_listen)
      d.warn(at, "interface " + name + " neither advertises (AdvSendAdvert off) nor listens (MapListen off)");
  }

  // Lifetimes shorter than the advertisement interval expire between RAs.
  auto short_lifetime = [&](std::optional<std::uint32_t> lt, int line, const std::string& what) {
    if (lt && *lt != 0 && *lt != kInfinity && ms_of_seconds(*lt) < max)
      d.warn(line, 0,
             what + " lifetime " + std::to_string(*lt) + " is shorter than MaxRtrAdvInterval (" + max_s +
                 "): it expires between advertisements");
  };
  if (ic.send_advert) {
    for (const auto& p : ic.prefixes) short_lifetime(p.valid_lifetime, p.line, "prefix " + p.prefix.str() + " valid");
    for (const auto& r : ic.rdnss) short_lifetime(r.lifetime, r.line, "RDNSS");
    for (const auto& dn : ic.dnssl) short_lifetime(dn.lifetime, dn.line, "DNSSL");
    for (const auto& m : ic.maps) short_lifetime(m.valid_lifetime, m.line, "MAP " + m.address.str() + " valid");
  }
}

void validate_global(const ArdConfig& cfg, std::span<const InterfaceState> states, Diagnostics& d) {
  const bool any_listen =
      std::any_of(cfg.interfaces.begin(), cfg.interfaces.end(), [](const auto& i) { return i.map_listen; });
  if (any_listen) return;
  for (std::size_t i = 0; i < cfg.interfaces.size(); ++i)
    if (cfg.interfaces[i].map_relay)
      d.warn(states[i].seen.at("MapRelay", states[i].keyword),
             "MapRelay is on for " + cfg.interfaces[i].name +
                 " but no interface has MapListen on: there are no learned MAP options to relay");
}

}  // namespace hmip::ar::detail
