// Fuzzes the ICMPv6 decoder (RS, RA, NS, NA with every ND option, and the
// netmip6 HO Request/Response), with the default and with a non-default
// HoConfig, and checks the round-trip property on everything it accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "hmip/wire/nd.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

void round_trip(ByteSpan in, const PseudoHeader& ph, const HoConfig& cfg) {
  (void)decode_icmpv6(in, &ph, cfg);
  auto msg = decode_icmpv6(in, nullptr, cfg);
  if (!msg) return;
  auto bytes = encode_icmpv6(*msg, &ph, cfg);
  if (!bytes) std::abort();  // whatever decodes must encode
  auto again = decode_icmpv6(*bytes, &ph, cfg);
  if (!again || !(*again == *msg)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(data, size);
  const PseudoHeader ph{Ip6Addr::must("fe80::1"), Ip6Addr::must("ff02::1")};
  round_trip(in, ph, HoConfig{});
  round_trip(in, ph, HoConfig{.request_type = 150, .response_type = 151, .nai_option_type = 254});
  return 0;
}
