// Severity of the log events the sans-IO cores emit (the I/O side filters
// and writes them: hmip/io/log.h).
#pragma once

#include <cstdint>

namespace hmip::core {

enum class LogLevel : std::uint8_t { error, warning, notice, info, debug };

}  // namespace hmip::core
