// Daemon logging: to the systemd journal (sd_journal_sendv, with PRIORITY
// and SYSLOG_IDENTIFIER) when stderr is connected to it (JOURNAL_STREAM,
// systemd.exec(5)), else to stderr as "HH:MM:SS.mmm level: message".
// Messages below the configured level are dropped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "hmip/core/log_level.h"

namespace hmip::io {

using LogLevel = core::LogLevel;

std::string_view to_string(LogLevel l) noexcept;
/// "error", "warning" (or "warn"), "notice", "info", "debug"; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view s) noexcept;
/// syslog(3) priority: LOG_ERR .. LOG_DEBUG.
int syslog_priority(LogLevel l) noexcept;

/// Whether JOURNAL_STREAM's value `env` ("DEVICE:INODE", decimal) names the
/// file with device `dev` and inode `ino`. False for null or malformed.
bool journal_stream_matches(const char* env, dev_t dev, ino_t ino) noexcept;
/// Whether stderr is the journal stream systemd set up for this service.
bool stderr_is_journal() noexcept;

/// "warning: message" (the stderr form, without the time stamp).
std::string format_log_line(LogLevel l, std::string_view msg);

class Logger {
 public:
  enum class Target : std::uint8_t { stderr_text, journal };
  /// Where a message goes instead of stderr / the journal (tests).
  using Sink = std::function<void(LogLevel, std::string_view)>;

  Logger(std::string ident, Target target, LogLevel level = LogLevel::info);
  /// Journal if stderr_is_journal() or `force_journal`, else stderr.
  static Target detect_target(bool force_journal = false) noexcept;

  void set_level(LogLevel l) noexcept { level_ = l; }
  [[nodiscard]] LogLevel level() const noexcept { return level_; }
  [[nodiscard]] bool enabled(LogLevel l) const noexcept { return l <= level_; }
  [[nodiscard]] Target target() const noexcept { return target_; }
  void set_sink(Sink s) { sink_ = std::move(s); }

  void log(LogLevel l, std::string_view msg);
  void error(std::string_view msg) { log(LogLevel::error, msg); }
  void warning(std::string_view msg) { log(LogLevel::warning, msg); }
  void notice(std::string_view msg) { log(LogLevel::notice, msg); }
  void info(std::string_view msg) { log(LogLevel::info, msg); }
  void debug(std::string_view msg) { log(LogLevel::debug, msg); }

 private:
  std::string ident_;
  Target target_;
  LogLevel level_;
  Sink sink_;
};

}  // namespace hmip::io
