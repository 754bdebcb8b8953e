#include "hmip/io/daemon_shell.h"

#include <boost/asio/post.hpp>
#include <stdexcept>
#include <system_error>

#include "hmip/io/notify.h"

namespace hmip::io {

HandlerGuard logging_guard(Logger& log) {
  return HandlerGuard([&log](std::string_view handler, std::string_view what) {
    log.error("exception in the " + std::string(handler) + " handler (event dropped, still serving): " +
              std::string(what));
  });
}

DaemonShell::DaemonShell(boost::asio::io_context& io, Settings settings, Logger& log, HandlerGuard& guard, Hooks hooks)
    : io_(io), settings_(std::move(settings)), log_(log), hooks_(std::move(hooks)), guard_(guard) {
  commands_["reload"] = [this](const Json&) {
    const auto r = hooks_.reload();
    Json d;
    d["reloaded"] = r.ok;
    d["messages"] = r.messages;
    return d;
  };
}

DaemonShell::~DaemonShell() = default;

void DaemonShell::add_command(const std::string& command, ControlHandler handler) {
  if (control_) control_->add_command(command, handler);
  commands_[command] = std::move(handler);
}

void DaemonShell::add_show(const std::string& choices, std::function<Json(const std::string& what)> show) {
  add_command("show", [choices, show = std::move(show)](const Json& req) {
    if (!req.contains("what") || !req["what"].is_string())
      throw ControlError("show needs \"what\": " + choices);
    return show(req["what"].get<std::string>());
  });
}

std::unique_ptr<ControlServer> DaemonShell::make_server() {
  auto s = std::make_unique<ControlServer>(io_, settings_.name, settings_.version,
                                           [this](const std::string& e) { log_.warning(e); });
  for (const auto& [name, handler] : commands_) s->add_command(name, handler);
  return s;
}

void DaemonShell::listen(const std::string& path) {
  auto s = make_server();
  if (auto ec = s->listen(path); ec) {
    if (ec == std::errc::address_in_use) throw std::runtime_error("another " + settings_.name + " answers on " + path);
    throw std::system_error(ec, "control socket " + path);
  }
  control_ = std::move(s);
  control_path_ = path;
}

void DaemonShell::move_control(const std::string& path) {
  auto fresh = make_server();
  if (auto ec = fresh->listen(path); ec) {
    log_.error("control socket " + path + ": " + ec.message() + "; staying on " + control_path_);
    return;
  }
  // The old server is in the middle of answering when "reload" came over
  // it: let the io_context finish with it before it goes.
  std::shared_ptr<ControlServer> old(std::move(control_));
  if (old) boost::asio::post(io_, [old] { old->close(); });
  control_ = std::move(fresh);
  control_path_ = path;
}

void DaemonShell::watch_signals() {
  signals_ = std::make_unique<SignalWatcher>(io_, guard_.wrap("SIGHUP", [this](int) { (void)hooks_.reload(); }),
                                             guard_.wrap("SIGTERM", [this](int) { hooks_.shutdown(); }));
}

void DaemonShell::ready(std::string_view details) {
  log_.notice(settings_.name + " " + settings_.version + " started, " + std::string(details) + "control socket " +
              control_path_);
  notify::ready(hooks_.status());
}

void DaemonShell::status(std::string text) {
  if (text == last_status_) return;
  notify::status(text);
  last_status_ = std::move(text);
}

bool DaemonShell::begin_reload(ReloadResult& res) {
  if (stopping_) {
    res.messages.emplace_back("shutting down");
    return false;
  }
  notify::reloading();
  log_.notice("reloading " + settings_.options.config_path);
  return true;
}

void DaemonShell::report(ReloadResult& res, const std::vector<std::string>& lines, std::size_t errors) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    (i < errors ? log_.error(lines[i]) : log_.warning(lines[i]));
    res.messages.push_back(lines[i]);
  }
}

ReloadResult DaemonShell::failed(ReloadResult res, std::size_t errors) {
  if (!settings_.count_errors) return kept(std::move(res));
  return kept(std::move(res), "reload failed: " + std::to_string(errors) + " error(s) in " +
                                  settings_.options.config_path + "; keeping the running configuration");
}

ReloadResult DaemonShell::refused(ReloadResult res, const std::string& what) {
  res.messages.push_back(settings_.options.config_path + ": error: " + what);
  log_.error(res.messages.back());
  return kept(std::move(res));
}

ReloadResult DaemonShell::kept(ReloadResult res, const std::string& line) {
  ++reload_failures_;
  log_.error(line);
  notify::ready(hooks_.status());
  return res;
}

void DaemonShell::follow_log_level(LogLevel level) {
  if (!settings_.options.debug) log_.set_level(level);
}

ReloadResult DaemonShell::applied(ReloadResult res) {
  ++reloads_;
  res.ok = true;
  notify::ready(hooks_.status());
  return res;
}

bool DaemonShell::begin_stop() {
  if (stopping_) return false;
  stopping_ = true;
  notify::stopping();
  return true;
}

void DaemonShell::close() {
  if (signals_) signals_->stop();
  if (control_) control_->close();
}

}  // namespace hmip::io
