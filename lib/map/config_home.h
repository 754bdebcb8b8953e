// Internal to lib/map: mapd.conf's HomeAgent block (the home agent role,
// RFC 6275 §10; mapd.conf(5)): read into MapdConfig::home_agent, and the
// rules between it and the rest of the file.
#pragma once

#include <span>

#include "config_validate.h"
#include "hmip/core/conf_reader.h"

namespace hmip::map::config_detail {

/// MaxBindingLifetime (top level or in the HomeAgent block) into `out`.
void read_max_binding_lifetime(core::conf::StatementReader& r, const core::conf::Statement& s, std::uint32_t& out);

/// Reads the HomeAgent block `s` into `c.home_agent` (the block's
/// MaxBindingLifetime, when absent, is set by finish_home_agent); reports to
/// `r`. `contexts` and `foreign` name keywords of other blocks and of
/// mnd.conf in messages about unknown ones.
void read_home_agent(core::conf::StatementReader& r, const core::conf::Statement& s, MapdConfig& c, MapdSources& src,
                     std::span<const core::conf::KeywordContext> contexts,
                     std::span<const std::string_view> foreign);

/// After the whole file: the block's MaxBindingLifetime defaults to the
/// top-level one.
void finish_home_agent(MapdConfig& c, const MapdSources& src);

/// The rules of the HomeAgent block: at least one HomePrefix, HomePrefixes
/// not overlapping each other or an RcoaPrefix, Address a global unicast
/// address not inside an RcoaPrefix (unless it is MapAddress, in the
/// insecure testbed mode only: secure mode needs two addresses for two
/// roles), each HomeAddress on a HomePrefix and not an address of mapd's,
/// in secure mode at least one HomeAddress (the Ike block is
/// check_insecure's), lifetimes, DAD.
void check_home_agent(const MapdConfig& c, const MapdSources& src, core::conf::Diagnostics& d);

}  // namespace hmip::map::config_detail
