#include "ra_split.h"

#include <span>
#include <utility>
#include <variant>

namespace hmip::ar::detail {

namespace {

/// The options every part of a split RA repeats.
bool is_base_option(const wire::NdOption& o) {
  return std::holds_alternative<wire::SourceLlaOption>(o) || std::holds_alternative<wire::MtuOption>(o) ||
         std::holds_alternative<wire::AdvIntervalOption>(o);
}

}  // namespace

SplitRa split_ra(wire::RouterAdvertisement ra, std::size_t limit) {
  constexpr std::size_t kHeader = 16;
  SplitRa out;
  std::vector<std::size_t> sizes;
  wire::NdOptions kept;
  for (auto& o : ra.options) {
    wire::Bytes buf;
    if (!wire::encode_nd_options(std::span<const wire::NdOption>(&o, 1), buf)) {
      out.unencodable.push_back(wire::nd_option_type(o));
      continue;
    }
    sizes.push_back(buf.size());
    kept.push_back(std::move(o));
  }
  ra.options.clear();
  std::size_t total = kHeader;
  for (auto s : sizes) total += s;

  if (total <= limit) {
    ra.options = std::move(kept);
    out.parts.push_back(std::move(ra));
    return out;
  }
  wire::RouterAdvertisement base = ra;
  std::size_t base_size = kHeader;
  for (std::size_t k = 0; k < kept.size(); ++k)
    if (is_base_option(kept[k])) {
      base.options.push_back(kept[k]);
      base_size += sizes[k];
    }
  wire::RouterAdvertisement cur = base;
  std::size_t cur_size = base_size;
  bool cur_has = false;
  for (std::size_t k = 0; k < kept.size(); ++k) {
    if (is_base_option(kept[k])) continue;
    if (cur_has && cur_size + sizes[k] > limit) {
      out.parts.push_back(std::move(cur));
      cur = base;
      cur_size = base_size;
    }
    cur.options.push_back(kept[k]);
    cur_size += sizes[k];
    cur_has = true;
  }
  out.parts.push_back(std::move(cur));
  return out;
}

}  // namespace hmip::ar::detail
