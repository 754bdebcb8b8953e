// Fuzzes the Mobility Header decoder (with and without checksum
// verification) and checks the round-trip property on everything it accepts:
// re-encoding a decoded message and decoding that again gives the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "hmip/wire/mh.h"

using namespace hmip;
using namespace hmip::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(data, size);
  const PseudoHeader ph{Ip6Addr::must("2001:db8:99::5"), Ip6Addr::must("2001:db8:1::1")};

  (void)decode_mh(in, &ph);
  (void)peek_mh_type(in);
  auto msg = decode_mh(in, nullptr);
  if (!msg) return 0;

  auto bytes = encode_mh(*msg, &ph);
  if (!bytes) std::abort();  // whatever decodes must encode
  auto again = decode_mh(*bytes, &ph);
  if (!again || !(*again == *msg)) std::abort();
  return 0;
}
