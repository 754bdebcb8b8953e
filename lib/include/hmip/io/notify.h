// sd_notify(3) wrappers for Type=notify services. Each returns true if the
// message was sent, false when not running under systemd (NOTIFY_SOCKET
// unset) or on error; a daemon never fails because of them.
#pragma once

#include <string>
#include <string_view>

namespace hmip::io::notify {

bool ready(std::string_view status = {});  ///< READY=1 (+ STATUS=)
/// RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload wants it).
bool reloading();
bool stopping();                       ///< STOPPING=1
bool status(std::string_view status);  ///< STATUS=...
/// "STATUS=text" with newlines (which would start a new assignment) replaced by spaces.
std::string status_line(std::string_view status);

}  // namespace hmip::io::notify
