// Look-ups over an option list, for ND options (NdOptions, nd_options.h) and
// mobility options (std::vector<MobilityOption>, mh_options.h) alike:
//
//   for (const MapOption* map : options_of<MapOption>(ra.options)) ...
//   for (const auto* bid : options_of<BindingIdentifierOption>(bu.options)) ...
//   if (const auto* nai = find_option<NaiOption>(req.options)) ...
//
// Options a decoder could not interpret are alternatives of their own
// (UnknownNdOption / MalformedNdOption, UnknownMobilityOption /
// MalformedMobilityOption), so options_of<T> returns only well-formed T.
#pragma once

#include <type_traits>
#include <variant>
#include <vector>

namespace hmip::wire {

/// Every option of type T in `options`, in order (pointers into `options`).
template <class T, class... Alternatives>
[[nodiscard]] std::vector<const T*> options_of(const std::vector<std::variant<Alternatives...>>& options) {
  static_assert((std::is_same_v<T, Alternatives> || ...), "T is not an option type of this list");
  std::vector<const T*> out;
  for (const auto& o : options)
    if (const T* p = std::get_if<T>(&o)) out.push_back(p);
  return out;
}

/// The first option of type T in `options`, or nullptr.
template <class T, class... Alternatives>
[[nodiscard]] const T* find_option(const std::vector<std::variant<Alternatives...>>& options) noexcept {
  static_assert((std::is_same_v<T, Alternatives> || ...), "T is not an option type of this list");
  for (const auto& o : options)
    if (const T* p = std::get_if<T>(&o)) return p;
  return nullptr;
}

}  // namespace hmip::wire
