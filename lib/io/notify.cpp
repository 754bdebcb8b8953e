#include "hmip/io/notify.h"

#include <systemd/sd-daemon.h>

#include <ctime>

namespace hmip::io::notify {

namespace {
bool send(const std::string& s) { return sd_notify(0, s.c_str()) > 0; }
}  // namespace

std::string status_line(std::string_view status) {
  std::string s = "STATUS=";
  for (char c : status) s += (c == '\n' || c == '\r') ? ' ' : c;
  return s;
}

bool ready(std::string_view st) {
  std::string s = "READY=1";
  if (!st.empty()) s += "\n" + status_line(st);
  return send(s);
}

bool reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool stopping() { return send("STOPPING=1"); }

bool status(std::string_view st) { return send(status_line(st)); }

}  // namespace hmip::io::notify
