// Internal to lib/mn: mnd.conf's statement tree translated into the
// MndConfig model and checked (the rules between fields at the end).
#pragma once

#include <string_view>

#include "hmip/mn/config_parse.h"

namespace hmip::mn::config_detail {

/// Reads `text` into an MndConfig; every error and warning goes to `r`, in
/// the order found. The result means something only when there are no errors.
MndConfig read_mnd_config(std::string_view text, ParseResult& r);

}  // namespace hmip::mn::config_detail
