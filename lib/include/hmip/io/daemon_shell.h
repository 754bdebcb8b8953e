// What every hmip daemon does around its protocol (issue 13 item 21): the
// handler guard's report, the control socket with its "reload" and "show"
// commands, the signals (SIGHUP: reload; SIGTERM, SIGINT: stop), sd_notify's
// READY, RELOADING, STOPPING and STATUS, and the reload of the configuration
// file that keeps the running configuration when the new file has errors or
// changes what takes effect only at a restart. ard, mapd and mnd each hold
// one DaemonShell (and drive their core with an io::CoreTimer); a daemon
// keeps only its core, its sockets, its commands and what its configuration
// type has of its own (what takes effect only at a restart, how a new file
// is put in effect). A home agent or a network-based AR holds one too.
//
// A daemon's life with its shell:
//   members      io::HandlerGuard guard_{io::logging_guard(log)};
//                io::DaemonShell shell_{io, {name, version, opts}, log, guard_,
//                                       {reload, shutdown, status}};
//   start()      shell_.add_show(...), shell_.add_command(...): its commands;
//                shell_.listen(path): throws "another NAME answers on PATH";
//                shell_.watch_signals(); ...; shell_.ready("MAP x, ")
//   reload()     return shell_.reload(load_x_config, restart_only, apply);
//   shutdown()   if (!shell_.begin_stop()) return; ...; shell_.close();
//
// Not thread-safe: one io_context thread, like the daemons.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hmip/io/control.h"
#include "hmip/io/daemon_cli.h"
#include "hmip/io/handler_guard.h"
#include "hmip/io/log.h"
#include "hmip/io/signals.h"

namespace hmip::io {

/// What a reload did: `messages` are the file's diagnostics
/// ("path:line:col: error: ...", then the warnings) and, when a setting that
/// takes effect only at a restart changed, that refusal; "shutting down"
/// when the daemon was stopping.
struct ReloadResult {
  bool ok = false;
  std::vector<std::string> messages;
};

/// The guard every daemon wraps its event handlers with: an exception is
/// logged ("exception in the H handler (event dropped, still serving): ...")
/// and counted (HandlerGuard::caught()). `log` must outlive it.
[[nodiscard]] HandlerGuard logging_guard(Logger& log);

class DaemonShell {
 public:
  struct Settings {
    std::string name;       ///< "mapd": log lines, "ping", "another mapd answers on ..."
    std::string version;    ///< what "ping" and the start-up line report
    DaemonOptions options;  ///< the file reload() reads; -d: a reload keeps log level debug
    /// The line a failed reload ends with: "reload failed; keeping the
    /// running configuration", or with `count_errors` (ard's form) "reload
    /// failed: N error(s) in PATH; keeping the running configuration".
    bool count_errors = false;
  };
  /// What the signals and the "reload" command call, and the STATUS= text.
  struct Hooks {
    std::function<ReloadResult()> reload;  ///< the daemon's reload() (which calls reload() below)
    std::function<void()> shutdown;        ///< the daemon's shutdown() (which calls begin_stop())
    std::function<std::string()> status;   ///< STATUS= of READY=1
  };

  /// `guard` (the daemon's logging_guard()) wraps the signal handlers; it
  /// must outlive the shell.
  DaemonShell(boost::asio::io_context& io, Settings settings, Logger& log, HandlerGuard& guard, Hooks hooks);
  DaemonShell(const DaemonShell&) = delete;
  DaemonShell& operator=(const DaemonShell&) = delete;
  ~DaemonShell();

  /// Registers (or replaces) a control command, on the socket now open and
  /// on any the control socket moves to. "reload" is the shell's own:
  /// {"reloaded": bool, "messages": [...]}.
  void add_command(const std::string& command, ControlHandler handler);
  /// Registers "show": {"command": "show", "what": W} is answered by
  /// `show(W)`; without a string "what" the error is "show needs \"what\":
  /// <choices>" (choices: "maps or counters").
  void add_show(const std::string& choices, std::function<Json(const std::string& what)> show);
  /// Opens the control socket at `path`. Throws std::runtime_error "another
  /// NAME answers on PATH" when a running instance answers there, else
  /// std::system_error "control socket PATH".
  void listen(const std::string& path);
  /// Moves the control socket to `path` (a reload that changed it). On
  /// failure logs "control socket PATH: ...; staying on OLD" and keeps the
  /// old one. The old server may be answering the request that caused this
  /// ("reload" over it): it is closed after the current handler returns.
  void move_control(const std::string& path);
  /// SIGHUP calls Hooks::reload, SIGTERM and SIGINT Hooks::shutdown, both
  /// through the guard.
  void watch_signals();

  /// Logs "NAME VERSION started, <details>control socket PATH" and tells
  /// systemd READY=1 with the status.
  void ready(std::string_view details = {});
  /// STATUS=`text` to systemd when it differs from the last text status() sent.
  void status(std::string text);

  /// The reload of the configuration file, for the daemon's reload():
  /// nothing while stopping ("shutting down"); else RELOADING=1, "reloading
  /// PATH", `load(PATH)` (the config_parse ParseResult of the daemon), each
  /// diagnostic logged (errors as errors) and returned. With errors, or when
  /// `restart_only(new)` names settings that changed but take effect only
  /// at a restart ("PATH: error: <that>"), the running configuration stays
  /// and the failure is counted; else the log level follows the file (not
  /// under -d), `apply(new)` puts it in effect and the reload is counted.
  /// READY=1 with the status either way.
  ///
  /// `load`: std::string -> R, R with `config` (an optional), `errors`,
  /// `warnings` and `ok()`, and format_diagnostics(path, R) found by ADL.
  template <class Load, class RestartOnly, class Apply>
  ReloadResult reload(Load&& load, RestartOnly&& restart_only, Apply&& apply);
  /// reload() for a daemon with nothing that takes effect only at a restart.
  template <class Load, class Apply>
  ReloadResult reload(Load&& load, Apply&& apply) {
    return reload(std::forward<Load>(load), [](const auto&) { return std::string(); }, std::forward<Apply>(apply));
  }

  /// The start of a stop: false when a stop already began; else STOPPING=1
  /// and true. stopping() is true from then on (and reload() refuses).
  [[nodiscard]] bool begin_stop();
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }
  /// Stops the signals and closes the control socket (the end of a stop).
  void close();

  [[nodiscard]] std::uint64_t reloads() const noexcept { return reloads_; }
  [[nodiscard]] std::uint64_t reload_failures() const noexcept { return reload_failures_; }
  [[nodiscard]] const Settings& settings() const noexcept { return settings_; }
  /// The open control server, if any (tests).
  [[nodiscard]] const ControlServer* control() const noexcept { return control_.get(); }

 private:
  [[nodiscard]] std::unique_ptr<ControlServer> make_server();
  bool begin_reload(ReloadResult& res);
  void report(ReloadResult& res, const std::vector<std::string>& lines, std::size_t errors);
  ReloadResult failed(ReloadResult res, std::size_t errors);
  ReloadResult refused(ReloadResult res, const std::string& what);
  ReloadResult kept(ReloadResult res, const std::string& line = "reload failed; keeping the running configuration");
  void follow_log_level(LogLevel level);
  ReloadResult applied(ReloadResult res);

  boost::asio::io_context& io_;
  Settings settings_;
  Logger& log_;
  Hooks hooks_;
  HandlerGuard& guard_;
  std::map<std::string, ControlHandler, std::less<>> commands_;
  std::unique_ptr<ControlServer> control_;
  std::string control_path_;  ///< as configured (the start-up line names it)
  std::string last_status_;   ///< what status() sent last
  std::unique_ptr<SignalWatcher> signals_;
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_failures_ = 0;
  bool stopping_ = false;
};

template <class Load, class RestartOnly, class Apply>
ReloadResult DaemonShell::reload(Load&& load, RestartOnly&& restart_only, Apply&& apply) {
  ReloadResult res;
  if (!begin_reload(res)) return res;
  const std::string& path = settings_.options.config_path;
  const auto r = std::forward<Load>(load)(path);
  report(res, format_diagnostics(path, r), r.errors.size());
  if (!r.ok()) return failed(std::move(res), r.errors.size());
  if (const std::string what = std::forward<RestartOnly>(restart_only)(*r.config); !what.empty())
    return refused(std::move(res), what);
  follow_log_level(r.config->log_level);
  std::forward<Apply>(apply)(*r.config);
  return applied(std::move(res));
}

}  // namespace hmip::io
