// The control socket (hmip/io/control.h): dispatching, a real server and
// client over a UNIX socket in a temporary directory, stale sockets, the
// second-instance check, and hmipctl's table rendering.
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "hmip/io/control.h"
#include "hmip/io/control_format.h"
#include "hmip/io/fd.h"

using hmip::io::Json;
namespace fs = std::filesystem;

namespace {

std::map<std::string, hmip::io::ControlHandler, std::less<>> demo_handlers() {
  std::map<std::string, hmip::io::ControlHandler, std::less<>> h;
  h["show"] = [](const Json& req) -> Json {
    const auto what = req.at("what").get<std::string>();
    if (what == "maps") return Json::array({{{"address", "2001:db8::1"}, {"dist", 1}}});
    throw hmip::io::ControlError("nothing to show about \"" + what + "\"");
  };
  h["boom"] = [](const Json&) -> Json { throw std::runtime_error("kaput"); };
  return h;
}

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "hmip-io-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

// Runs `io` on a thread while the test body talks to it as a client.
struct Runner {
  boost::asio::io_context& io;
  std::thread t;
  explicit Runner(boost::asio::io_context& ctx) : io(ctx), t([&ctx] {
    auto guard = boost::asio::make_work_guard(ctx);
    ctx.run();
  }) {}
  ~Runner() {
    io.stop();
    t.join();
  }
};

}  // namespace

TEST_CASE("control: dispatch answers every request with one JSON object", "[io]") {
  const auto h = demo_handlers();
  auto r = Json::parse(hmip::io::dispatch_control_request(h, R"({"command":"show","what":"maps"})"));
  CHECK(r["ok"] == true);
  CHECK(r["data"][0]["address"] == "2001:db8::1");
  CHECK(r.begin().key() == "ok");  // members keep their order

  r = Json::parse(hmip::io::dispatch_control_request(h, R"({"command":"show","what":"cats"})"));
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "nothing to show about \"cats\"");

  r = Json::parse(hmip::io::dispatch_control_request(h, R"({"command":"show"})"));  // .at() throws
  CHECK(r["ok"] == false);
  CHECK(r["error"].get<std::string>().rfind("bad request", 0) == 0);

  r = Json::parse(hmip::io::dispatch_control_request(h, R"({"command":"frob"})"));
  CHECK(r["error"] == "unknown command \"frob\"");
  r = Json::parse(hmip::io::dispatch_control_request(h, R"({"what":"maps"})"));
  CHECK(r["ok"] == false);
  r = Json::parse(hmip::io::dispatch_control_request(h, R"([1,2])"));
  CHECK(r["ok"] == false);
  r = Json::parse(hmip::io::dispatch_control_request(h, "{not json"));
  CHECK(r["ok"] == false);
  CHECK(r["error"].get<std::string>().rfind("malformed JSON", 0) == 0);
  r = Json::parse(hmip::io::dispatch_control_request(h, R"({"command":"boom"})"));
  CHECK(r["error"] == "internal error: kaput");
}

TEST_CASE("control: server and client over a UNIX socket", "[io]") {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "sub" / "d.sock").string();  // parent created by listen()
  boost::asio::io_context io;
  std::vector<std::string> errors;
  hmip::io::ControlServer server(io, "testd", "9.9", [&](const std::string& e) { errors.push_back(e); });
  for (const auto& [name, h] : demo_handlers()) server.add_command(name, h);
  REQUIRE_FALSE(server.listen(path));

  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);

  {
    Runner run(io);
    auto r = hmip::io::control_request(path, Json{{"command", "show"}, {"what", "maps"}});
    CHECK(r["ok"] == true);
    CHECK(r["data"][0]["dist"] == 1);

    r = hmip::io::control_request(path, Json{{"command", "ping"}});
    CHECK(r["data"]["daemon"] == "testd");
    CHECK(r["data"]["version"] == "9.9");
    CHECK(r["data"]["pid"] == ::getpid());
    CHECK(r["data"]["commands"] == Json::array({"boom", "ping", "show"}));

    r = hmip::io::control_request(path, Json{{"command", "nope"}});
    CHECK(r["ok"] == false);

    // A second server on the same path is refused while the first answers.
    boost::asio::io_context io2;
    hmip::io::ControlServer second(io2, "testd", "9.9", nullptr);
    CHECK(second.listen(path) == std::make_error_code(std::errc::address_in_use));
  }
  server.close();
  CHECK_FALSE(fs::exists(path));
  CHECK(errors.empty());
  fs::remove_all(dir);
}

TEST_CASE("control: several requests on one connection, answered in order", "[io]") {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "d.sock").string();
  boost::asio::io_context io;
  hmip::io::ControlServer server(io, "testd", "1", nullptr);
  for (const auto& [name, h] : demo_handlers()) server.add_command(name, h);
  REQUIRE_FALSE(server.listen(path));
  Runner run(io);

  hmip::io::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  const std::string reqs = "{\"command\":\"ping\"}\n\n{\"command\":\"show\",\"what\":\"maps\"}\n";
  REQUIRE(::write(fd.get(), reqs.data(), reqs.size()) == static_cast<ssize_t>(reqs.size()));
  std::string in;
  char buf[4096];
  while (std::count(in.begin(), in.end(), '\n') < 2) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    REQUIRE(n > 0);
    in.append(buf, static_cast<std::size_t>(n));
  }
  const auto nl = in.find('\n');
  CHECK(Json::parse(in.substr(0, nl))["data"]["daemon"] == "testd");
  CHECK(Json::parse(in.substr(nl + 1))["data"][0]["address"] == "2001:db8::1");
  fs::remove_all(dir);
}

TEST_CASE("control: a stale socket is replaced, other files are not", "[io]") {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "d.sock").string();
  {
    // Leave a socket file nobody listens on, as a killed daemon does.
    hmip::io::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  }
  REQUIRE(fs::exists(path));
  boost::asio::io_context io;
  hmip::io::ControlServer server(io, "testd", "1", nullptr);
  CHECK_FALSE(server.listen(path));
  server.close();

  const std::string file = (dir / "plain").string();
  { std::ofstream(file) << "x"; }
  CHECK(server.listen(file) == std::make_error_code(std::errc::file_exists));
  CHECK(fs::exists(file));
  fs::remove_all(dir);
}

TEST_CASE("control: the client says clearly when no daemon listens", "[io]") {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "absent.sock").string();
  try {
    (void)hmip::io::control_request(path, Json{{"command", "ping"}});
    FAIL("no exception");
  } catch (const hmip::io::ControlClientError& e) {
    CHECK(std::string(e.what()) == "no daemon is listening on " + path + " (is it running?)");
  }
  fs::remove_all(dir);
}

TEST_CASE("control format: tables for hmipctl", "[io]") {
  using hmip::io::format_control_data;
  CHECK(hmip::io::format_table({{"A", "BB"}, {"ccc", "d"}}) == "A    BB\nccc  d\n");

  const Json maps = Json::parse(
      R"([{"address":"2001:db8::1","dist":1,"state":"up","flags":["R"]},
          {"address":"2001:db8::22","dist":2,"state":"failed","flags":[]}])");
  CHECK(format_control_data(maps) ==
        "ADDRESS       DIST  STATE   FLAGS\n"
        "2001:db8::1   1     up      R\n"
        "2001:db8::22  2     failed  -\n");

  const Json counters = Json::parse(R"({"rs_received":3,"ra_sent":10,"last":null})");
  CHECK(format_control_data(counters) ==
        "rs_received  3\n"
        "ra_sent      10\n"
        "last         -\n");

  const Json nested = Json::parse(R"({"total":2,"eth0":{"ra_sent":1},"maps":[{"a":1}]})");
  CHECK(format_control_data(nested) ==
        "total  2\n"
        "\n"
        "eth0:\n"
        "  ra_sent  1\n"
        "\n"
        "maps:\n"
        "  A\n"
        "  1\n");

  CHECK(format_control_data(Json::array()) == "(none)\n");
  CHECK(format_control_data(Json("hello")) == "hello\n");
  CHECK(hmip::io::format_cell(Json{{"x", 1}}) == R"({"x":1})");
  CHECK(hmip::io::format_cell(true) == "true");
}
