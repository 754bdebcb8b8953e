#include "hmip/io/log.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace hmip::io {

std::string_view to_string(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::notice: return "notice";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "?";
}

std::optional<LogLevel> parse_log_level(std::string_view s) noexcept {
  if (s == "error" || s == "err") return LogLevel::error;
  if (s == "warning" || s == "warn") return LogLevel::warning;
  if (s == "notice") return LogLevel::notice;
  if (s == "info") return LogLevel::info;
  if (s == "debug") return LogLevel::debug;
  return std::nullopt;
}

int syslog_priority(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::error: return LOG_ERR;
    case LogLevel::warning: return LOG_WARNING;
    case LogLevel::notice: return LOG_NOTICE;
    case LogLevel::info: return LOG_INFO;
    case LogLevel::debug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

bool journal_stream_matches(const char* env, dev_t dev, ino_t ino) noexcept {
  if (env == nullptr) return false;
  const std::string_view s(env);
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  unsigned long long d = 0;
  unsigned long long i = 0;
  const char* end = s.data() + s.size();
  auto r1 = std::from_chars(s.data(), s.data() + colon, d);
  if (r1.ec != std::errc{} || r1.ptr != s.data() + colon) return false;
  auto r2 = std::from_chars(s.data() + colon + 1, end, i);
  if (r2.ec != std::errc{} || r2.ptr != end) return false;
  return d == static_cast<unsigned long long>(dev) && i == static_cast<unsigned long long>(ino);
}

bool stderr_is_journal() noexcept {
  // Read once at start-up, before any thread exists.
  const char* env = std::getenv("JOURNAL_STREAM");  // NOLINT(concurrency-mt-unsafe)
  if (env == nullptr) return false;
  struct stat st{};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream_matches(env, st.st_dev, st.st_ino);
}

std::string format_log_line(LogLevel l, std::string_view msg) {
  std::string s(to_string(l));
  s += ": ";
  s += msg;
  return s;
}

Logger::Logger(std::string ident, Target target, LogLevel level)
    : ident_(std::move(ident)), target_(target), level_(level) {}

Logger::Target Logger::detect_target(bool force_journal) noexcept {
  return force_journal || stderr_is_journal() ? Target::journal : Target::stderr_text;
}

void Logger::log(LogLevel l, std::string_view msg) {
  if (!enabled(l)) return;
  if (sink_) {
    sink_(l, msg);
    return;
  }
  if (target_ == Target::journal) {
    const std::string message = "MESSAGE=" + std::string(msg);
    const std::string priority = "PRIORITY=" + std::to_string(syslog_priority(l));
    const std::string ident = "SYSLOG_IDENTIFIER=" + ident_;
    std::array<iovec, 3> iov{{
        {const_cast<char*>(message.data()), message.size()},    // NOLINT(cppcoreguidelines-pro-type-const-cast)
        {const_cast<char*>(priority.data()), priority.size()},  // NOLINT(cppcoreguidelines-pro-type-const-cast)
        {const_cast<char*>(ident.data()), ident.size()},        // NOLINT(cppcoreguidelines-pro-type-const-cast)
    }};
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
    // The journal is gone: fall through to stderr.
  }
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  std::array<char, 32> stamp{};
  std::snprintf(stamp.data(), stamp.size(), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms));
  std::string line = std::string(stamp.data()) + " " + format_log_line(l, msg) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hmip::io
