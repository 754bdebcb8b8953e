// The command line every hmip daemon shares (ard(8), mapd(8), mnd(8)) and
// the run loop around its io_context: parse, check a configuration, start,
// detach once everything is open, run until stopped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hmip/io/log.h"

namespace hmip::io {

struct DaemonSpec {
  std::string_view name;            ///< "mapd": messages, usage, --version
  std::string_view default_config;  ///< "/etc/hmip/mapd.conf"
  std::string_view version;
  /// --check-config FILE: prints the diagnostics, returns the exit status
  /// (0 clean or warnings only, 1 errors).
  std::function<int(const std::string& path)> check_config;
};

struct CommandLine {
  std::string config_path;      ///< absolute once resolve_config_path() ran
  bool foreground = false;      ///< -f: do not detach
  bool debug = false;           ///< -d: log at level debug
  bool force_journal = false;   ///< --journal
};

/// What a daemon object takes from the command line.
struct DaemonOptions {
  std::string config_path;  ///< the file SIGHUP re-reads (absolute)
  bool debug = false;       ///< -d: log level debug whatever the configuration says
};

/// Parses argv. Returns the options to run with, or the exit status when the
/// command line was fully handled here (--help, --version, --check-config:
/// 0/1) or wrong (2, with a message and the usage on stderr).
std::variant<CommandLine, int> parse_command_line(const DaemonSpec& spec, int argc, char** argv);

/// Prints what a config_parse check_config_text() returned for
/// --check-config: the diagnostics ("FILE:LINE:COL: error: ...", warnings)
/// on stderr, then its last line, the summary ("FILE: OK, ..." or "FILE: N
/// errors, M warnings"), on stdout. Returns `exit_status` (0 or 1).
int print_check_config(const std::vector<std::string>& lines, int exit_status);

/// A DaemonSpec::check_config made of a config_parse check_config_text():
/// print_check_config() of what it returns.
using CheckConfigText = std::vector<std::string> (*)(const std::string& path, int& exit_status);
std::function<int(const std::string& path)> check_config_printer(CheckConfigText text);

/// Prints `lines` (a config_parse format_diagnostics()) on stderr, one a line.
void print_diagnostics(const std::vector<std::string>& lines);

/// Makes `cl.config_path` absolute, so that SIGHUP still finds the file after
/// daemon(3)'s chdir("/").
void resolve_config_path(CommandLine& cl);

/// Runs `start()` (which opens everything and throws std::exception on
/// failure), detaches unless cl.foreground (only once everything is open, so
/// set-up errors reach the caller's terminal and exit status), then runs `io`
/// until it has no more work. Returns the exit status; errors are logged.
int run_daemon(boost::asio::io_context& io, Logger& log, const CommandLine& cl, const std::function<void()>& start);

}  // namespace hmip::io
