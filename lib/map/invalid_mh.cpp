// MapAgent: Mobility Headers that failed to decode (RFC 6275 §9.2), and the
// rate-limited Binding Errors that answer unknown MH types.
#include <algorithm>

#include "hmip/map/map_agent.h"
#include "roles.h"

namespace hmip::map {

void MapAgent::handle_invalid_mh(TimePoint now, const Ip6Addr& src, const Ip6Addr& dst,
                                 const std::optional<Ip6Addr>& lcoa, const wire::Error& error,
                                 std::optional<std::uint8_t> mh_type) {
  service(now);
  const InvalidMhReason why = invalid_mh_reason(error);
  ++counters_.invalid_mh[static_cast<std::size_t>(why)];
  log_limited(log_invalid_, now, LogLevel::debug,
              "dropped MH from " + lcoa.value_or(src).str() + ": " + wire::to_string(error));
  if (why != InvalidMhReason::unknown_type) return;

  // Token bucket: kBindingErrorBurst, refilled one per kBindingErrorInterval.
  if (!be_refill_) be_refill_ = now;
  const auto refills = (now - *be_refill_) / kBindingErrorInterval;
  if (refills > 0) {
    const auto tokens = std::min<std::int64_t>(kBindingErrorBurst, std::int64_t{be_tokens_} + refills);
    be_tokens_ = static_cast<std::uint32_t>(tokens);
    *be_refill_ += refills * kBindingErrorInterval;
  }
  if (be_tokens_ == 0) {
    ++counters_.be_rate_limited;
    return;
  }
  --be_tokens_;
  SendBindingError a;
  // From the address the offending packet was sent to when it is one of
  // mapd's (either role's); else from the MAP role's address, or the home
  // agent's without a MAP role (never ::).
  a.src = roles::is_own_address(cfg_, dst) ? dst
          : cfg_.map_role()               ? roles::own_address(cfg_, BindingRole::map)
                                          : roles::own_address(cfg_, BindingRole::home);
  a.dst = lcoa.value_or(src);
  a.be.status = wire::be_status::kUnrecognizedMhType;
  if (lcoa) a.be.home_address = src;  // RFC 6275 §6.1.9: the HAO's address, else unspecified
  actions_.emplace_back(std::move(a));
  ++counters_.be_sent;
  log(LogLevel::debug, "Binding Error (unknown MH type " + (mh_type ? std::to_string(*mh_type) : std::string("?")) +
                           ") to " + lcoa.value_or(src).str());
}

}  // namespace hmip::map
