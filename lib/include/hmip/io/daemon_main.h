// The main() of every hmip daemon (issue 13 item 21): the command line
// (daemon_cli.h), the configuration loaded with its diagnostics on stderr
// (exit 1 on errors), the logger at the file's level (debug under -d; the
// journal unless -f), one io_context, the daemon made and started, detached
// once everything is open, run until it stops. A daemon's main.cpp names
// its configuration loader and makes its daemon with its dataplane; nothing
// else.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "hmip/io/daemon_cli.h"
#include "hmip/io/log.h"

namespace hmip::io {

/// What `make` gets to build the daemon with.
struct DaemonContext {
  boost::asio::io_context& io;
  Logger& log;
  const CommandLine& cl;  ///< config_path absolute by now
  [[nodiscard]] DaemonOptions options() const { return {cl.config_path, cl.debug}; }
};

/// Runs a daemon: parse_command_line(spec), `load(path)` (a config_parse
/// ParseResult: `config`, `errors`, `ok()`, format_diagnostics(path, r) by
/// ADL), its diagnostics on stderr, then `make(DaemonContext, config)` (a
/// std::unique_ptr to the daemon, which lives until io_context::run()
/// returns) and its start() under run_daemon(). Returns the exit status:
/// parse_command_line's, 1 on configuration errors, set-up errors or any
/// exception ("NAME: what" on stderr), else 0.
template <class Load, class Make>
int daemon_main(const DaemonSpec& spec, int argc, char** argv, Load&& load, Make&& make) noexcept {
  const int n = static_cast<int>(spec.name.size());
  try {
    auto parsed_cl = parse_command_line(spec, argc, argv);
    if (const int* status = std::get_if<int>(&parsed_cl)) return *status;
    auto& cl = std::get<CommandLine>(parsed_cl);

    const auto parsed = std::forward<Load>(load)(cl.config_path);
    print_diagnostics(format_diagnostics(cl.config_path, parsed));
    if (!parsed.ok()) return 1;
    resolve_config_path(cl);

    Logger log(std::string(spec.name), Logger::detect_target(cl.force_journal || !cl.foreground),
               cl.debug ? LogLevel::debug : parsed.config->log_level);
    boost::asio::io_context io;
    decltype(make(std::declval<const DaemonContext&>(), *parsed.config)) daemon;
    return run_daemon(io, log, cl, [&] {
      daemon = make(DaemonContext{io, log, cl}, *parsed.config);
      daemon->start();
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%.*s: %s\n", n, spec.name.data(), e.what());
  } catch (...) {
    std::fprintf(stderr, "%.*s: unknown error\n", n, spec.name.data());
  }
  return 1;
}

}  // namespace hmip::io
