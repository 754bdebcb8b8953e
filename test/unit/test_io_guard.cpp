// lib/io's HandlerGuard (issue 13 item 13): an exception escaping an event
// handler is caught at that handler, reported, counted, and the event loop
// keeps serving the other handlers and later events of the same source.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hmip/io/handler_guard.h"

using namespace hmip::io;

namespace {

// An event source like the daemons' sockets: delivers `n` events to its
// handler one loop turn apart and re-arms after each, as MhSocket does.
struct Source {
  boost::asio::io_context& io;
  std::function<void(int)> handler;
  int next = 0;
  int last = 0;
  void arm() {
    if (next == last) return;
    boost::asio::post(io, [this] {
      handler(next++);
      arm();
    });
  }
};

}  // namespace

TEST_CASE("handler guard: a throwing handler does not end the loop", "[io][guard]") {
  boost::asio::io_context io;
  std::vector<std::string> reports;
  HandlerGuard guard(
      [&](std::string_view h, std::string_view what) { reports.push_back(std::string(h) + ": " + std::string(what)); });

  std::vector<int> served;
  Source mh{io, guard.wrap("Mobility Header", [&](int i) {
              if (i == 1) throw std::runtime_error("bad packet");
              if (i == 3) throw 42;  // not a std::exception
              served.push_back(i);
            }),
            0, 5};
  bool timer_fired = false;
  boost::asio::steady_timer timer(io);
  timer.expires_after(std::chrono::milliseconds(1));
  timer.async_wait(guard.wrap("timer", [&](const boost::system::error_code& ec) {
    if (!ec) timer_fired = true;
  }));
  mh.arm();
  REQUIRE_NOTHROW(io.run());

  CHECK(served == std::vector<int>{0, 2, 4});  // the source went on after each throw
  CHECK(timer_fired);                          // and other handlers were served
  CHECK(guard.caught() == 2);
  CHECK(reports == std::vector<std::string>{"Mobility Header: bad packet", "Mobility Header: unknown exception"});
}

TEST_CASE("handler guard: without it the first throw ends io_context::run()", "[io][guard]") {
  // What the daemons did before: the exception leaves run() and the source
  // never re-arms, so its later events are not served.
  boost::asio::io_context io;
  std::vector<int> served;
  Source mh{io, [&](int i) {
              if (i == 1) throw std::runtime_error("bad packet");
              served.push_back(i);
            },
            0, 5};
  mh.arm();
  CHECK_THROWS_AS(io.run(), std::runtime_error);
  CHECK(served == std::vector<int>{0});
}

TEST_CASE("handler guard: a throwing reporter is contained too", "[io][guard]") {
  HandlerGuard guard([](std::string_view, std::string_view) { throw std::runtime_error("log failed"); });
  auto h = guard.wrap("ND", [](int) { throw std::logic_error("x"); });
  REQUIRE_NOTHROW(h(1));
  CHECK(guard.caught() == 1);
  HandlerGuard quiet({});
  quiet.run("timer", [] { throw std::runtime_error("y"); });
  CHECK(quiet.caught() == 1);
}
