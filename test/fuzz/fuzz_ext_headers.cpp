// Fuzzes the IPv6 header parser, the Destination Options decoder (Home
// Address option) and the type 2 routing header decoder, checking that what
// they accept re-encodes to the same packet or value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "hmip/wire/ext_headers.h"
#include "hmip/wire/ipv6.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

bool same(ByteSpan a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(data, size);

  if (auto pkt = parse_ipv6_packet(in)) {
    auto rebuilt = build_ipv6_packet(pkt->header, pkt->payload);
    if (!same(rebuilt, in.first(rebuilt.size()))) std::abort();
  }

  if (auto rh = decode_rh2(in)) {
    auto again = decode_rh2(encode_rh2(rh->next_header, rh->home_address));
    if (!again || !(*again == *rh)) std::abort();
  }

  if (auto d = decode_dstopts(in)) {
    if (d->length > in.size() || d->length % 8 != 0) std::abort();
    // The canonical HAO-only header must decode to the same content.
    if (d->home_address && d->others.empty()) {
      auto bytes = encode_hao_dstopts(d->next_header, *d->home_address);
      auto again = decode_dstopts(bytes);
      if (!again || again->home_address != d->home_address || again->next_header != d->next_header)
        std::abort();
    }
  }
  return 0;
}
