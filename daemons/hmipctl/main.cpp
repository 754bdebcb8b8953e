// hmipctl: asks a running hmip daemon over its control socket (hmipctl(8)).
//
//   hmipctl [-s SOCKET] [-j] [-t SECONDS] DAEMON show WHAT
//   hmipctl [-s SOCKET] [-j] DAEMON ping|reload
//   hmipctl [-s SOCKET] [-j] ard map ADDRESS failed|up|auto
//
// DAEMON (ard, mapd, mnd) picks the default socket /run/hmip/DAEMON.sock;
// WHAT is passed to the daemon, which says what it knows.
#include <cstdio>
#include <exception>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/io/control.h"
#include "hmip/io/control_format.h"

namespace {

struct DaemonInfo {
  std::string_view name;
  std::string_view shows;  // for the usage text
};

constexpr DaemonInfo kDaemons[] = {
    {"ard", "interfaces|prefixes|maps|counters"},
    {"mapd", "bindings|pending|flows|counters|ike|config"},
    {"mnd", "status|maps|interfaces|bul|tunnel|held|ike|counters"},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hmipctl [-s SOCKET] [-j|--json] [-t SECONDS] DAEMON COMMAND\n"
               "  DAEMON COMMAND:\n");
  for (const auto& d : kDaemons)
    std::fprintf(out, "    %.*s show %.*s\n", static_cast<int>(d.name.size()), d.name.data(),
                 static_cast<int>(d.shows.size()), d.shows.data());
  std::fprintf(out,
               "    ard map ADDRESS failed|up|auto\n"
               "    DAEMON ping|reload\n"
               "  -s SOCKET   control socket (default /run/hmip/DAEMON.sock)\n"
               "  -j, --json  print the daemon's JSON response as it came\n"
               "  -t SECONDS  how long to wait for an answer (default 5)\n");
}

int fail_usage(const std::string& msg) {
  std::fprintf(stderr, "hmipctl: %s\n", msg.c_str());
  usage(stderr);
  return 2;
}

}  // namespace

int run(int argc, char** argv) {
  std::string socket_path;
  bool json = false;
  int timeout_s = 5;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a == "-j" || a == "--json") {
      json = true;
    } else if (a == "-s" || a == "--socket") {
      if (++i >= argc) return fail_usage("-s needs a socket path");
      socket_path = argv[i];
    } else if (a == "-t" || a == "--timeout") {
      if (++i >= argc) return fail_usage("-t needs a number of seconds");
      char* end = nullptr;
      const long v = std::strtol(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || v <= 0 || v > 3600) return fail_usage("bad timeout");
      timeout_s = static_cast<int>(v);
    } else if (a.size() > 1 && a[0] == '-') {
      return fail_usage("unknown option " + std::string(a));
    } else {
      words.emplace_back(a);
    }
  }
  if (words.size() < 2) return fail_usage("missing DAEMON or COMMAND");

  const std::string& daemon = words[0];
  bool known = false;
  for (const auto& d : kDaemons) known = known || d.name == daemon;
  if (!known) return fail_usage("unknown daemon \"" + daemon + "\"");
  if (socket_path.empty()) socket_path = "/run/hmip/" + daemon + ".sock";

  hmip::io::Json request;
  if (words[1] == "show") {
    if (words.size() != 3) return fail_usage("show needs exactly one WHAT");
    request["command"] = "show";
    request["what"] = words[2];
  } else if ((words[1] == "ping" || words[1] == "reload") && words.size() == 2) {
    request["command"] = words[1];
  } else if (words[1] == "map" && daemon == "ard") {
    if (words.size() != 4) return fail_usage("map needs ADDRESS and failed, up or auto");
    request["command"] = "map";
    request["address"] = words[2];
    request["admin"] = words[3];
  } else {
    return fail_usage("unknown command \"" + words[1] + "\"");
  }

  hmip::io::Json response;
  try {
    response = hmip::io::control_request(socket_path, request, std::chrono::seconds(timeout_s));
  } catch (const hmip::io::ControlClientError& e) {
    std::fprintf(stderr, "hmipctl: %s: %s\n", daemon.c_str(), e.what());
    return 1;
  }
  const bool ok = response.is_object() && response.value("ok", false);
  if (json) {
    std::cout << response.dump() << '\n';
    return ok ? 0 : 1;
  }
  if (!ok) {
    std::string err = "malformed response";
    if (response.is_object() && response.contains("error") && response["error"].is_string())
      err = response["error"].get<std::string>();
    std::fprintf(stderr, "hmipctl: %s: %s\n", daemon.c_str(), err.c_str());
    return 1;
  }
  const hmip::io::Json data = response.contains("data") ? response["data"] : hmip::io::Json();
  if (words[1] == "reload" && data.is_object()) {
    // The file's diagnostics one per line, as the daemon logged them.
    for (const auto& m : data.value("messages", hmip::io::Json::array()))
      if (m.is_string()) std::cerr << m.get<std::string>() << '\n';
    const bool reloaded = data.value("reloaded", false);
    std::cout << (reloaded ? "reloaded\n" : "reload failed: the running configuration is kept\n");
    return reloaded ? 0 : 1;
  }
  std::cout << hmip::io::format_control_data(data);
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", "hmipctl", e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: unknown error\n", "hmipctl");
  }
  return 1;
}
