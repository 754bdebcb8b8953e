// lib/io's daemon skeleton (issue 13 item 21): io::DaemonShell (reload with
// the running configuration kept on a bad file or a restart-only change,
// the control socket's "reload" and the daemon's own commands, moving the
// socket, the second-instance check, signals, sd_notify's messages, the
// stop's start) and io::daemon_main (the command line and configuration in
// front of a daemon), with a configuration type of the test's own.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hmip/io/daemon_main.h"
#include "hmip/io/daemon_shell.h"
#include "hmip/io/fd.h"

using hmip::io::Json;
using hmip::io::LogLevel;
namespace fs = std::filesystem;

// A configuration and its parser as lib/map, lib/mn and lib/ar have them:
// "value N;", "level debug;", "socket PATH;", "restart N;" (a restart-only
// setting), "bad X;" (an error), "odd X;" (a warning).
namespace fake {

struct Config {
  int value = 0;
  int restart = 0;
  std::string socket;
  LogLevel log_level = LogLevel::info;
};

struct ParseResult {
  std::optional<Config> config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  [[nodiscard]] bool ok() const { return config.has_value(); }
};

ParseResult parse(std::string_view text) {
  ParseResult r;
  Config c;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string stmt(text.substr(pos, end - pos));
    pos = end + 1;
    while (!stmt.empty() && (stmt.front() == ' ' || stmt.front() == '\n')) stmt.erase(0, 1);
    if (stmt.empty()) continue;
    const auto sp = stmt.find(' ');
    const std::string key = stmt.substr(0, sp);
    const std::string val = sp == std::string::npos ? std::string() : stmt.substr(sp + 1);
    if (key == "value") {
      c.value = std::stoi(val);
    } else if (key == "restart") {
      c.restart = std::stoi(val);
    } else if (key == "socket") {
      c.socket = val;
    } else if (key == "level") {
      c.log_level = hmip::io::parse_log_level(val).value_or(LogLevel::info);
    } else if (key == "odd") {
      r.warnings.push_back(val);
    } else {
      r.errors.push_back(key + " " + val);
    }
  }
  if (r.errors.empty()) r.config = c;
  return r;
}

// Found by ADL, as the daemons' config_parse format_diagnostics() are.
std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(std::string(path) + ": error: " + e);
  for (const auto& w : r.warnings) out.push_back(std::string(path) + ": warning: " + w);
  return out;
}

}  // namespace fake

namespace {

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "hmip-shell-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

// NOTIFY_SOCKET pointed at a datagram socket of the test's own while it
// lives: what sd_notify() sends, one message a datagram.
class NotifyCatcher {
 public:
  explicit NotifyCatcher(const fs::path& dir) : path_((dir / "notify").string()) {
    fd_ = hmip::io::UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    REQUIRE(fd_);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof sa.sun_path);
    path_.copy(sa.sun_path, path_.size());
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);  // NOLINT
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  NotifyCatcher(const NotifyCatcher&) = delete;
  NotifyCatcher& operator=(const NotifyCatcher&) = delete;
  ~NotifyCatcher() { ::unsetenv("NOTIFY_SOCKET"); }

  /// The messages sent since the last call, the first line of each
  /// ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...") and STATUS lines.
  std::vector<std::string> take() {
    std::vector<std::string> out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      std::string msg(buf, static_cast<std::size_t>(n));
      for (std::size_t p = 0; p < msg.size();) {
        auto nl = msg.find('\n', p);
        if (nl == std::string::npos) nl = msg.size();
        const auto line = msg.substr(p, nl - p);
        if (line.rfind("MONOTONIC_USEC=", 0) != 0) out.push_back(line);
        p = nl + 1;
      }
    }
    return out;
  }

 private:
  std::string path_;
  hmip::io::UniqueFd fd_;
};

// A daemon reduced to what it gives its shell: its running configuration,
// how a new one is put in effect, what takes effect only at a restart.
struct TestDaemon {
  explicit TestDaemon(std::string config_path, bool debug = false, bool count_errors = false)
      : log("testd", hmip::io::Logger::Target::stderr_text, LogLevel::info),
        guard(hmip::io::logging_guard(log)),
        shell(io, {"testd", "1.2", {std::move(config_path), debug}, count_errors}, log, guard,
              {[this] { return reload(); }, [this] { ++shutdowns; },
               [this] { return "value " + std::to_string(running.value); }}) {
    log.set_sink([this](LogLevel l, std::string_view m) { lines.emplace_back(l, std::string(m)); });
  }

  hmip::io::ReloadResult reload() {
    return shell.reload(
        [this](const std::string& path) {
          ++loads;
          loaded_path = path;
          return fake::parse(file);
        },
        [this](const fake::Config& c) {
          return c.restart == running.restart ? std::string() : "Restart takes effect only at a restart";
        },
        [this](const fake::Config& c) {
          // The shell has set the log level before the daemon's own work
          // (the core's log lines after a reload already follow it).
          level_at_apply = log.level();
          const std::string old_socket = running.socket;
          running = c;
          if (!c.socket.empty() && c.socket != old_socket) shell.move_control(c.socket);
        });
  }

  [[nodiscard]] bool logged(LogLevel l, std::string_view text) const {
    for (const auto& [lv, m] : lines)
      if (lv == l && m == text) return true;
    return false;
  }

  boost::asio::io_context io;
  hmip::io::Logger log;
  std::vector<std::pair<LogLevel, std::string>> lines;
  hmip::io::HandlerGuard guard;
  fake::Config running;
  std::string file;
  std::string loaded_path;
  int loads = 0;
  int shutdowns = 0;
  LogLevel level_at_apply = LogLevel::error;
  hmip::io::DaemonShell shell;
};

// Runs `io` on a thread while the test body talks to it as a client.
struct Runner {
  boost::asio::io_context& io;
  std::thread t;
  explicit Runner(boost::asio::io_context& ctx) : io(ctx), t([&ctx] {
    auto guard = boost::asio::make_work_guard(ctx);
    ctx.run();
  }) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner() {
    io.stop();
    t.join();
  }
};

Json request(const std::string& path, const std::string& command) {
  Json req;
  req["command"] = command;
  if (command == "show") req["what"] = "value";
  return hmip::io::control_request(path, req);
}

}  // namespace

TEST_CASE("daemon shell: a good file is put in effect, a bad one keeps the running configuration", "[io][shell]") {
  const fs::path dir = temp_dir();
  NotifyCatcher notify(dir);
  TestDaemon d("/etc/testd.conf");
  d.running.value = 1;

  d.file = "value 2; level debug; odd spacing;";
  auto r = d.reload();
  CHECK(r.ok);
  CHECK(r.messages == std::vector<std::string>{"/etc/testd.conf: warning: spacing"});
  CHECK(d.loaded_path == "/etc/testd.conf");
  CHECK(d.running.value == 2);
  CHECK(d.level_at_apply == LogLevel::debug);
  CHECK(d.shell.reloads() == 1);
  CHECK(d.shell.reload_failures() == 0);
  CHECK(d.logged(LogLevel::notice, "reloading /etc/testd.conf"));
  CHECK(d.logged(LogLevel::warning, "/etc/testd.conf: warning: spacing"));
  CHECK(notify.take() == std::vector<std::string>{"RELOADING=1", "READY=1", "STATUS=value 2"});

  // Two errors and a warning: each logged at its level and returned, the
  // running configuration and log level untouched, the failure counted.
  d.lines.clear();
  d.file = "value 3; level error; bad one; odd two; bad three;";
  r = d.reload();
  CHECK_FALSE(r.ok);
  CHECK(r.messages == std::vector<std::string>{"/etc/testd.conf: error: bad one", "/etc/testd.conf: error: bad three",
                                               "/etc/testd.conf: warning: two"});
  CHECK(d.running.value == 2);
  CHECK(d.log.level() == LogLevel::debug);
  CHECK(d.shell.reloads() == 1);
  CHECK(d.shell.reload_failures() == 1);
  CHECK(d.logged(LogLevel::error, "/etc/testd.conf: error: bad one"));
  CHECK(d.logged(LogLevel::error, "/etc/testd.conf: error: bad three"));
  CHECK(d.logged(LogLevel::warning, "/etc/testd.conf: warning: two"));
  CHECK(d.lines.back() == std::pair<LogLevel, std::string>{LogLevel::error,
                                                           "reload failed; keeping the running configuration"});
  CHECK(notify.take() == std::vector<std::string>{"RELOADING=1", "READY=1", "STATUS=value 2"});
  fs::remove_all(dir);
}

TEST_CASE("daemon shell: the failure line with the error count; -d keeps debug", "[io][shell]") {
  TestDaemon d("/etc/testd.conf", /*debug=*/true, /*count_errors=*/true);
  d.log.set_level(LogLevel::debug);
  d.file = "bad one; bad two;";
  CHECK_FALSE(d.reload().ok);
  CHECK(d.lines.back().second == "reload failed: 2 error(s) in /etc/testd.conf; keeping the running configuration");
  d.file = "value 5; level error;";
  CHECK(d.reload().ok);
  CHECK(d.running.value == 5);
  CHECK(d.log.level() == LogLevel::debug);
}

TEST_CASE("daemon shell: a restart-only change is refused, the rest of the file with it", "[io][shell]") {
  TestDaemon d("/etc/testd.conf");
  d.running.value = 1;
  d.file = "value 9; restart 1; odd x;";
  const auto r = d.reload();
  CHECK_FALSE(r.ok);
  CHECK(r.messages == std::vector<std::string>{"/etc/testd.conf: warning: x",
                                               "/etc/testd.conf: error: Restart takes effect only at a restart"});
  CHECK(d.running.value == 1);
  CHECK(d.shell.reload_failures() == 1);
  CHECK(d.logged(LogLevel::error, "/etc/testd.conf: error: Restart takes effect only at a restart"));
  CHECK(d.lines.back().second == "reload failed; keeping the running configuration");
}

TEST_CASE("daemon shell: STATUS= only when the status changes", "[io][shell]") {
  const fs::path dir = temp_dir();
  NotifyCatcher notify(dir);
  TestDaemon d("/etc/testd.conf");
  d.shell.status("registering");
  d.shell.status("registering");
  d.shell.status("registered at 2001:db8::1");
  d.shell.status("registered at 2001:db8::1");
  CHECK(notify.take() == std::vector<std::string>{"STATUS=registering", "STATUS=registered at 2001:db8::1"});
  fs::remove_all(dir);
}

TEST_CASE("daemon shell: a stop starts once; no reload after it", "[io][shell]") {
  const fs::path dir = temp_dir();
  NotifyCatcher notify(dir);
  TestDaemon d("/etc/testd.conf");
  CHECK_FALSE(d.shell.stopping());
  CHECK(d.shell.begin_stop());
  CHECK(d.shell.stopping());
  CHECK_FALSE(d.shell.begin_stop());
  CHECK(notify.take() == std::vector<std::string>{"STOPPING=1"});
  d.file = "value 2;";
  const auto r = d.reload();
  CHECK_FALSE(r.ok);
  CHECK(r.messages == std::vector<std::string>{"shutting down"});
  CHECK(d.loads == 0);
  CHECK(d.shell.reloads() == 0);
  CHECK(d.shell.reload_failures() == 0);
  CHECK(notify.take().empty());
  fs::remove_all(dir);
}

TEST_CASE("daemon shell: control socket commands, the second instance, moving the socket", "[io][shell]") {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "run" / "testd.sock").string();
  const std::string moved = (dir / "testd2.sock").string();
  TestDaemon d("/etc/testd.conf");
  d.shell.add_show("value or nothing", [&d](const std::string& what) {
    if (what != "value") throw hmip::io::ControlError("nothing to show about " + what);
    Json j;
    j["value"] = d.running.value;
    return j;
  });
  d.shell.listen(path);
  d.shell.ready("for a test, ");
  CHECK(d.logged(LogLevel::notice, "testd 1.2 started, for a test, control socket " + path));

  // A second instance on the same path is refused with a clear message.
  {
    boost::asio::io_context io2;
    hmip::io::Logger log2("testd", hmip::io::Logger::Target::stderr_text);
    auto guard2 = hmip::io::logging_guard(log2);
    hmip::io::DaemonShell other(io2, {"testd", "1.2", {"/etc/testd.conf"}}, log2, guard2, {});
    try {
      other.listen(path);
      FAIL("a second listen on a live socket succeeded");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "another testd answers on " + path);
    }
  }

  Runner run(d.io);
  const auto ping = request(path, "ping");
  CHECK(ping["data"]["daemon"] == "testd");
  CHECK(ping["data"]["version"] == "1.2");
  CHECK(ping["data"]["commands"] == Json::array({"ping", "reload", "show"}));

  d.file = "value 4; odd w;";
  auto r = request(path, "reload");
  CHECK(r["ok"] == true);
  CHECK(r["data"]["reloaded"] == true);
  CHECK(r["data"]["messages"] == Json::array({"/etc/testd.conf: warning: w"}));
  CHECK(request(path, "show")["data"]["value"] == 4);
  Json bad;
  bad["command"] = "show";
  CHECK(hmip::io::control_request(path, bad)["error"] == "show needs \"what\": value or nothing");
  bad["what"] = "frobs";
  CHECK(hmip::io::control_request(path, bad)["error"] == "nothing to show about frobs");

  d.file = "bad x;";
  r = request(path, "reload");
  CHECK(r["ok"] == true);
  CHECK(r["data"]["reloaded"] == false);
  CHECK(r["data"]["messages"] == Json::array({"/etc/testd.conf: error: bad x"}));

  // A reload that moves the socket, asked over the socket it moves: the
  // answer still comes, then the old path is gone and the new one serves
  // every command.
  d.file = "value 5; socket " + moved + ";";
  r = request(path, "reload");
  CHECK(r["data"]["reloaded"] == true);
  for (int i = 0; i < 100 && fs::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK_FALSE(fs::exists(path));
  CHECK(request(moved, "show")["data"]["value"] == 5);
  CHECK(request(moved, "ping")["data"]["commands"] == Json::array({"ping", "reload", "show"}));

  // A move that cannot happen (the parent is a file) keeps the socket.
  { std::ofstream(dir / "file") << "x"; }
  d.file = "value 6; socket " + (dir / "file" / "x.sock").string() + ";";
  r = request(moved, "reload");
  CHECK(r["data"]["reloaded"] == true);
  CHECK(request(moved, "show")["data"]["value"] == 6);
  fs::remove_all(dir);
}

TEST_CASE("daemon shell: SIGHUP reloads, SIGTERM stops, through the guard", "[io][shell]") {
  TestDaemon d("/etc/testd.conf");
  d.file = "value 7;";
  d.shell.watch_signals();
  auto run_until = [&d](auto done) {
    for (int i = 0; i < 200 && !done(); ++i) d.io.run_for(std::chrono::milliseconds(10));
    return done();
  };
  REQUIRE(::raise(SIGHUP) == 0);
  CHECK(run_until([&d] { return d.shell.reloads() == 1; }));
  CHECK(d.running.value == 7);

  // A reload hook that throws: logged, counted, the signals keep working.
  d.file = "value x;";  // std::stoi throws in the parser
  REQUIRE(::raise(SIGHUP) == 0);
  CHECK(run_until([&d] { return d.guard.caught() == 1; }));
  CHECK(d.lines.back().first == LogLevel::error);
  CHECK(d.lines.back().second.rfind("exception in the SIGHUP handler (event dropped, still serving): ", 0) == 0);

  REQUIRE(::raise(SIGTERM) == 0);
  CHECK(run_until([&d] { return d.shutdowns == 1; }));
  d.shell.close();
}

TEST_CASE("daemon main: command line, configuration errors, start-up failures", "[io][shell]") {
  const fs::path dir = temp_dir();
  const std::string conf = (dir / "testd.conf").string();
  struct Started {
    bool throws = false;
    void start() const {
      if (throws) throw std::runtime_error("cannot open a socket");
    }
  };
  std::string seen_path;
  std::string file;
  auto load = [&file](const std::string&) { return fake::parse(file); };
  auto make = [&seen_path](const hmip::io::DaemonContext& ctx, const fake::Config& c) {
    seen_path = ctx.cl.config_path;
    auto s = std::make_unique<Started>();
    s->throws = c.value == 1;
    return s;
  };
  const hmip::io::DaemonSpec spec{"testd", "/etc/testd.conf", "1.2", [](const std::string&) { return 3; }};
  auto main_with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "testd");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return hmip::io::daemon_main(spec, static_cast<int>(argv.size()), argv.data(), load, make);
  };

  CHECK(main_with({"--version"}) == 0);
  CHECK(main_with({"--check-config", conf}) == 3);
  CHECK(main_with({"--frob"}) == 2);
  file = "bad x;";
  CHECK(main_with({"-f", "-c", conf}) == 1);
  CHECK(seen_path.empty());
  file = "value 1;";
  CHECK(main_with({"-f", "-c", conf}) == 1);  // start() threw
  CHECK(seen_path == conf);
  seen_path.clear();
  file = "value 2;";
  CHECK(main_with({"-f", "-c", conf}) == 0);  // started, nothing to run: io_context::run() returns
  CHECK(seen_path == conf);
  fs::remove_all(dir);
}
