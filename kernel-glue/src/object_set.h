// Moving a binding's kernel objects from what is installed to what is
// wanted, make-before-break: first every new or changed object is added or
// replaced in one batch (rolled back if any of it fails, so a failed update
// leaves the previous objects installed), then the objects no longer wanted
// are deleted in a second batch.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hmip/wire/result.h"
#include "nl_batch.h"
#include "nl_objects.h"
#include "xfrm_table.h"

namespace hmip::kglue::detail {

/// A kernel refusal as a Status: code invalid_field, offset = the errno,
/// `rule` a static description of the step; the full text goes to `detail`.
wire::Error kernel_error(int neg_errno, std::string_view rule, const std::string& what, std::string& detail);

/// The change from `current` to `desired`, in the order the kernel must see
/// it (desired's order for additions: addresses before routes using them as
/// source; deletions in reverse order of `current`).
struct ObjectDiff {
  std::vector<std::pair<KObj, bool>> put;  ///< object, replaces an existing one
  std::vector<KObj> undo_replaced;         ///< the previous version of each replaced object
  std::vector<KObj> remove;
};
ObjectDiff diff_objects(const std::vector<KObj>& current, const std::vector<KObj>& desired);

/// Applies diff_objects(current, desired) through `sock`, routes and rules
/// tagged with `protocol`. On a failed addition: undoes the additions that
/// succeeded, returns the first error (text in `detail`). Deletions of
/// objects already gone (ENOENT, ESRCH, EADDRNOTAVAIL, ENODEV) count as done.
Status apply_objects(RouteSocket& sock, std::uint8_t protocol, const std::vector<KObj>& current,
                     const std::vector<KObj>& desired, std::string& detail);

/// The XFRM part of a binding.
struct XfrmSet {
  std::vector<std::pair<RoStateKey, RoStateSettings>> states;
  std::vector<std::pair<PolicyKey, PolicySettings>> policies;
};

/// Same for XFRM: puts desired states then policies (rolling back to
/// `current` on failure), then deletes what `current` has and `desired` not.
Status apply_xfrm(XfrmTable& table, const XfrmSet& current, const XfrmSet& desired, std::string& detail);

}  // namespace hmip::kglue::detail
