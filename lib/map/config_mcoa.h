// Internal to lib/map: mapd.conf's Multiple Care-of Addresses keywords
// (RFC 5648; issue 15; mapd.conf(5)): MultipleCoa, BulkRegistration,
// MaxCareOfAddresses, McoaSelection and the FlowPolicy blocks, read into
// MapdConfig, and the rules between them and the rest of the file.
#pragma once

#include <span>
#include <string_view>

#include "config_validate.h"
#include "hmip/core/conf_reader.h"

namespace hmip::map::config_detail {

/// Whether `keyword` is one of the top-level Multiple CoA keywords read by
/// read_mcoa_statement (FlowPolicy included).
[[nodiscard]] bool is_mcoa_keyword(std::string_view keyword) noexcept;

/// Reads one top-level Multiple CoA statement `s` (is_mcoa_keyword) into
/// `c`; reports to `r`. `contexts` and `foreign` name keywords of other
/// blocks and of mnd.conf in messages about unknown ones inside a
/// FlowPolicy block.
void read_mcoa_statement(core::conf::StatementReader& r, const core::conf::Statement& s, MapdConfig& c,
                         MapdSources& src, std::span<const core::conf::KeywordContext> contexts,
                         std::span<const std::string_view> foreign);

/// The rules between the Multiple CoA keywords and the rest of the file
/// (warnings only: settings without effect, a FlowPolicy whose To matches
/// no address mapd binds, a FlowPolicy repeating an earlier one).
void check_mcoa(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d);

}  // namespace hmip::map::config_detail
