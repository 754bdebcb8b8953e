// Fuzzes the Mobility Header decoder (with and without checksum
// verification) and checks the round-trip property on everything it accepts:
// re-encoding a decoded message and decoding that again gives the same value.
// A message with a MalformedMobilityOption is the exception the codec
// documents (mh_options.h): such an option is written back raw, unpadded,
// so it may move (its error offset changes) or land aligned (it decodes
// well-formed). For those the fixed fields must survive and the encoding
// must be a fixed point: encode(decode(encode(m))) == encode(m).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "hmip/wire/mh.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

bool has_malformed(const MhMessage& m) {
  return std::visit([](const auto& msg) { return find_option<MalformedMobilityOption>(msg.options) != nullptr; }, m);
}

MhMessage fixed_fields(MhMessage m) {
  std::visit([](auto& msg) { msg.options.clear(); }, m);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(data, size);
  const PseudoHeader ph{Ip6Addr::must("2001:db8:99::5"), Ip6Addr::must("2001:db8:1::1")};

  (void)decode_mh(in, &ph);
  (void)peek_mh_type(in);
  auto msg = decode_mh(in, nullptr);
  if (!msg) return 0;

  // Octets after the declared length are ignored (RFC 8200 §4.7).
  const std::size_t declared = (std::size_t{in[1]} + 1) * 8;
  auto exact = decode_mh(in.first(declared), nullptr);
  if (!exact || !(*exact == *msg)) std::abort();

  auto bytes = encode_mh(*msg, &ph);
  if (!bytes) std::abort();  // whatever decodes must encode
  auto again = decode_mh(*bytes, &ph);
  if (!again) std::abort();
  if (!has_malformed(*msg)) {
    if (!(*again == *msg)) std::abort();
    return 0;
  }
  if (!(fixed_fields(*again) == fixed_fields(*msg))) std::abort();
  auto third = encode_mh(*again, &ph);
  if (!third || !(*third == *bytes)) std::abort();
  return 0;
}
