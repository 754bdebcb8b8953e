// Internal to lib/map: mapd.conf's statement tree translated into the
// MapdConfig model, statement by statement (config_validate.h checks the
// rules between fields).
#pragma once

#include <string_view>

#include "hmip/map/config_parse.h"

namespace hmip::map::config_detail {

/// Reads `text` into a MapdConfig; every error and warning goes to `r`, in
/// the order found. The result means something only when there are no errors.
MapdConfig read_mapd_config(std::string_view text, ParseResult& r);

}  // namespace hmip::map::config_detail
