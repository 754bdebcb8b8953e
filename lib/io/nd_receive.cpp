#include "hmip/io/nd_receive.h"

namespace hmip::io {

namespace {

std::string what(std::uint8_t type, const Icmpv6Packet& p) {
  return std::string(type == wire::icmpv6::kRouterSolicitation ? "RS" : "RA") + " from " + p.src.str() +
         " on ifindex " + std::to_string(p.ifindex);
}

}  // namespace

NdReceived classify_nd(const Icmpv6Packet& p) {
  if (p.data.empty()) return NdIgnored{"empty ICMPv6 message from " + p.src.str()};
  const std::uint8_t type = p.data[0];
  if (type != wire::icmpv6::kRouterSolicitation && type != wire::icmpv6::kRouterAdvertisement)
    return NdIgnored{"ICMPv6 type " + std::to_string(type) + " from " + p.src.str()};
  if (p.ifindex <= 0) return NdIgnored{what(type, p) + ": arrival interface unknown"};
  const auto ifindex = static_cast<unsigned>(p.ifindex);
  const std::string w = what(type, p);

  if (p.truncated) return NdInvalid{ifindex, ar::InvalidReason::truncated, w + ": larger than the receive buffer"};
  if (p.hop_limit != wire::icmpv6::kNdHopLimit)
    return NdInvalid{ifindex, ar::InvalidReason::hop_limit,
                     w + ": hop limit " + (p.hop_limit < 0 ? std::string("unknown") : std::to_string(p.hop_limit)) +
                         ", not 255"};
  if (type == wire::icmpv6::kRouterAdvertisement && !p.src.is_link_local())
    return NdInvalid{ifindex, ar::InvalidReason::ra_source_not_link_local, w + ": source is not link-local"};

  // The kernel verified the checksum already; verifying again costs little
  // and keeps the rule in one place when the destination is known.
  const wire::PseudoHeader ph{p.src, p.dst};
  const wire::PseudoHeader* php = p.dst.is_unspecified() ? nullptr : &ph;

  if (type == wire::icmpv6::kRouterSolicitation) {
    auto rs = wire::decode_router_solicitation(p.data, php);
    if (!rs) return NdInvalid{ifindex, ar::invalid_reason(rs.error()), w + ": " + wire::to_string(rs.error())};
    if (p.src.is_unspecified() && wire::find_nd_option<wire::SourceLlaOption>(rs->options) != nullptr)
      return NdInvalid{ifindex, ar::InvalidReason::rs_unspecified_with_slla,
                       w + ": Source Link-layer Address option with the unspecified source"};
    return RsReceived{ifindex, p.src, std::move(rs).value()};
  }
  auto ra = wire::decode_router_advertisement(p.data, php);
  if (!ra) return NdInvalid{ifindex, ar::invalid_reason(ra.error()), w + ": " + wire::to_string(ra.error())};
  return RaReceived{ifindex, p.src, std::move(ra).value()};
}

}  // namespace hmip::io
