// Fuzzes the ICMPv6 decoder (RS, RA, NS, NA with every ND option, the
// Mobile IPv6 DHAAD Request/Reply and Mobile Prefix Solicitation/
// Advertisement, whose seeds are the oracle's dhaad.* / mps / mpa.* vectors,
// and the netmip6 HO Request/Response), with the default and with a non-default
// HoConfig, and checks the round-trip property on everything it accepts. A
// MalformedNdOption is written back as received but where the canonical
// encoding of the options before it puts it, so only its error offset may
// differ after the round trip, and the encoding is then a fixed point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "hmip/wire/nd.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

IcmpMessage without_malformed_offsets(IcmpMessage m) {
  std::visit(
      [](auto& msg) {
        if constexpr (requires { msg.options; })  // DHAAD Request/Reply and MPS have none
          for (auto& o : msg.options)
            if (auto* bad = std::get_if<MalformedNdOption>(&o)) bad->error.offset = 0;
      },
      m);
  return m;
}

void round_trip(ByteSpan in, const PseudoHeader& ph, const HoConfig& cfg) {
  (void)decode_icmpv6(in, &ph, cfg);
  auto msg = decode_icmpv6(in, nullptr, cfg);
  if (!msg) return;
  auto bytes = encode_icmpv6(*msg, &ph, cfg);
  if (!bytes) std::abort();  // whatever decodes must encode
  auto again = decode_icmpv6(*bytes, &ph, cfg);
  if (!again || !(without_malformed_offsets(*again) == without_malformed_offsets(*msg))) std::abort();
  auto twice = encode_icmpv6(*again, &ph, cfg);
  if (!twice || !(*twice == *bytes)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(data, size);
  const PseudoHeader ph{Ip6Addr::must("fe80::1"), Ip6Addr::must("ff02::1")};
  round_trip(in, ph, HoConfig{});
  round_trip(in, ph, HoConfig{.request_type = 150, .response_type = 151, .nai_option_type = 254});
  return 0;
}
