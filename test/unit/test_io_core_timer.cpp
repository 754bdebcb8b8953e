// lib/io's CoreTimer (issue 13 item 21): the one timer a daemon drives its
// core with fires once at the deadline it was last armed at, never after a
// cancel or a replaced deadline, and an exception in its handler is the
// guard's to count while the timer stays usable.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hmip/io/core_timer.h"

using hmip::core::Clock;
using hmip::io::CoreTimer;
using std::chrono::milliseconds;

TEST_CASE("core timer: fires once at the last deadline; cancel and nullopt stop it", "[io][shell]") {
  boost::asio::io_context io;
  std::vector<std::string> reports;
  hmip::io::HandlerGuard guard(
      [&](std::string_view h, std::string_view w) { reports.emplace_back(std::string(h) + ": " + std::string(w)); });
  std::vector<Clock::time_point> fired;
  bool fail = false;
  CoreTimer t(io, guard, [&](Clock::time_point now) {
    fired.push_back(now);
    if (fail) throw std::runtime_error("boom");
  });

  // Re-armed later: only the second deadline fires, not before it.
  const auto t0 = Clock::now();
  t.arm(t0 + milliseconds(5));
  t.arm(t0 + milliseconds(30));
  io.run_for(milliseconds(500));
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] >= t0 + milliseconds(30));

  // Cancelled, by cancel() and by an empty deadline: nothing fires.
  io.restart();
  t.arm(Clock::now() + milliseconds(5));
  t.cancel();
  io.run_for(milliseconds(50));
  io.restart();
  t.arm(Clock::now() + milliseconds(5));
  t.arm(std::nullopt);
  io.run_for(milliseconds(50));
  CHECK(fired.size() == 1);

  // A past deadline fires at once; a throwing handler is the guard's.
  io.restart();
  fail = true;
  t.arm(Clock::now() - milliseconds(10));
  io.run_for(milliseconds(200));
  CHECK(fired.size() == 2);
  CHECK(guard.caught() == 1);
  CHECK(reports == std::vector<std::string>{"timer: boom"});
  io.restart();
  fail = false;
  t.arm(Clock::now());
  io.run_for(milliseconds(200));
  CHECK(fired.size() == 3);
}
