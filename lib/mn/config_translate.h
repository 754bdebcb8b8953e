// Internal to lib/mn: mnd.conf's statement tree translated into the
// MndConfig model, statement by statement (config_validate.h checks the
// rules between fields).
#pragma once

#include <string_view>
#include <vector>

#include "hmip/core/conf_ike.h"
#include "hmip/mn/config_parse.h"

namespace hmip::mn::config_detail {

/// Reads `text` into an MndConfig; every error and warning goes to `r`, in
/// the order found. The result means something only when there are no errors.
/// `files`, if given, receives the files the Ike block names (for
/// --check-config; the parse itself never opens them).
MndConfig read_mnd_config(std::string_view text, ParseResult& r, std::vector<core::conf::FileRef>* files = nullptr);

}  // namespace hmip::mn::config_detail
