#include "hmip/io/random_seed.h"

#include <random>

namespace hmip::io {

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace hmip::io
