// Fuzzes the VICI decoder (hmip/vici/message.h): packets as charon would
// send them, and the same bytes cut into a length-prefixed stream for the
// Framer. Round trip: the encoding is canonical, so re-encoding a decoded
// packet gives back exactly the input bytes, and the Framer yields the same
// packet from any split of the stream.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>

#include "hmip/vici/message.h"

using namespace hmip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vici::ByteSpan in(data, size);
  auto p = vici::decode_packet(in);
  if (!p) return 0;
  auto again = vici::encode_packet(*p);
  if (!again) std::abort();  // whatever decodes fits the limits it came in
  if (again->size() != size + 4 || !std::equal(again->begin() + 4, again->end(), data)) std::abort();

  // The stream view: prefix and body fed in two pieces split at size/3.
  vici::Framer f;
  const vici::ByteSpan all(*again);
  const auto cut = all.size() / 3;
  f.feed(all.first(cut));
  auto early = f.next();
  if (early.has_value() && cut < all.size()) std::abort();  // a packet before all of it arrived
  f.feed(all.subspan(cut));
  auto framed = f.next();
  if (!framed || !*framed || !(framed->value() == *p) || f.pending() != 0) std::abort();
  return 0;
}
