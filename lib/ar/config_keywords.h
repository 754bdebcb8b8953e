// Internal to lib/ar: the keywords of ard.conf, per block ("context").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace hmip::ar::detail {

/// Where a statement stands.
enum class Ctx : std::uint8_t { global, interface, prefix, route, rdnss, dnssl, map };
inline constexpr std::array<Ctx, 7> kAllCtx{Ctx::global, Ctx::interface, Ctx::prefix, Ctx::route,
                                            Ctx::rdnss,  Ctx::dnssl,     Ctx::map};

/// The keywords valid in `c`.
std::span<const std::string_view> keywords_of(Ctx c);
/// "an interface block", for messages.
std::string_view ctx_name(Ctx c);
/// radvd.conf keywords ard does not implement: a clear error instead of
/// "unknown keyword" for someone migrating a radvd.conf.
std::span<const std::string_view> radvd_only_keywords();
/// Every keyword of every context, then the radvd-only ones.
std::span<const std::string_view> all_keywords();

bool contains(std::span<const std::string_view> set, std::string_view w);

}  // namespace hmip::ar::detail
