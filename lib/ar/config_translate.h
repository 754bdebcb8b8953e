// Internal to lib/ar: ard.conf's statement tree translated into the
// ArdConfig model, statement by statement (config_validate.h checks the
// rules between fields).
#pragma once

#include <string_view>

#include "hmip/ar/config_parse.h"

namespace hmip::ar::detail {

/// Reads `text` into an ArdConfig; every error and warning goes to `r`, in
/// the order found. The result means something only when there are no errors.
ArdConfig read_ard_config(std::string_view text, ParseResult& r);

}  // namespace hmip::ar::detail
