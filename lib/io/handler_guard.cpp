#include "hmip/io/handler_guard.h"

namespace hmip::io {

void HandlerGuard::failed(std::string_view handler, std::string_view what) noexcept {
  ++caught_;
  if (!report_) return;
  try {
    report_(handler, what);
  } catch (...) {  // NOLINT(bugprone-empty-catch): a failing report must not undo the guard
  }
}

}  // namespace hmip::io
