// The seed the daemons give their cores' random number generators (RA
// jitter, RCoA choice, sequence numbers): 64 bits from std::random_device.
#pragma once

#include <cstdint>

namespace hmip::io {

[[nodiscard]] std::uint64_t random_seed();

}  // namespace hmip::io
