// The VICI codec (hmip/vici/message.h) against the vici README's example
// encoding and its malformed variants, and ViciClient
// (hmip/io/vici_client.h) against an in-process fake charon on a UNIX
// socket. A real charon is in test/kernel (60-ike-*) and test/vici.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "hmip/io/fd.h"
#include "hmip/io/vici_client.h"
#include "hmip/vici/message.h"
#include "vici_test_util.h"

using namespace hmip;
using vici::List;
using vici::Packet;
using vici::PacketType;
using vici::Section;

namespace {

wire::Bytes bytes_of(std::initializer_list<int> v) {
  wire::Bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}
void append(wire::Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

// The README's example: key1 = value1, section1 = { sub-section = { key2 =
// value2 }, list1 = [ item1, item2 ] }.
wire::Bytes readme_example() {
  wire::Bytes b;
  b.push_back(3);
  b.push_back(4);
  append(b, "key1");
  b.push_back(0);
  b.push_back(6);
  append(b, "value1");
  b.push_back(1);
  b.push_back(8);
  append(b, "section1");
  b.push_back(1);
  b.push_back(11);
  append(b, "sub-section");
  b.push_back(3);
  b.push_back(4);
  append(b, "key2");
  b.push_back(0);
  b.push_back(6);
  append(b, "value2");
  b.push_back(2);
  b.push_back(4);
  b.push_back(5);
  append(b, "list1");
  for (const char* item : {"item1", "item2"}) {
    b.push_back(5);
    b.push_back(0);
    b.push_back(5);
    append(b, item);
  }
  b.push_back(6);
  b.push_back(2);
  return b;
}

Section readme_section() {
  Section s;
  s.set("key1", "value1");
  s.set("section1", Section{}.set("sub-section", Section{}.set("key2", "value2")).set("list1", List{"item1", "item2"}));
  return s;
}

}  // namespace

TEST_CASE("VICI messages encode as the README says and decode back", "[vici]") {
  auto enc = vici::encode_message(readme_section());
  REQUIRE(enc);
  CHECK(*enc == readme_example());
  auto dec = vici::decode_message(readme_example());
  REQUIRE(dec);
  CHECK(*dec == readme_section());
  CHECK(dec->str("key1") == "value1");
  REQUIRE(dec->section("section1") != nullptr);
  CHECK(dec->section("section1")->values("list1") == List{"item1", "item2"});
  CHECK(dec->section("section1")->section("sub-section")->str("key2") == "value2");
  CHECK(dec->values("key1") == List{"value1"});
  CHECK(dec->value("section1") == nullptr);  // a section, not a value
  CHECK(dec->str("missing", "dflt") == "dflt");
  // Binary values and empty lists and sections survive.
  Section bin;
  bin.set("k", std::string("\0\xff", 2)).set("empty", List{}).set("sub", Section{});
  auto b2 = vici::encode_message(bin);
  REQUIRE(b2);
  auto d2 = vici::decode_message(*b2);
  REQUIRE(d2);
  CHECK(*d2 == bin);
}

TEST_CASE("VICI decoder refuses malformed messages precisely", "[vici]") {
  using wire::Errc;
  struct Bad {
    wire::Bytes in;
    Errc code;
    std::size_t offset;
  };
  const auto ex = readme_example();
  std::vector<Bad> cases = {
      {bytes_of({9}), Errc::unknown_type, 0},
      {bytes_of({2}), Errc::invalid_field, 0},                       // SECTION_END at top level
      {bytes_of({5, 0, 0}), Errc::invalid_field, 0},                 // LIST_ITEM outside a list
      {bytes_of({6}), Errc::invalid_field, 0},                       // LIST_END outside a list
      {bytes_of({3}), Errc::truncated, 1},                           // no name length
      {bytes_of({3, 0}), Errc::invalid_field, 1},                    // empty key
      {bytes_of({3, 2, 'a'}), Errc::truncated, 1},                   // name past the end
      {bytes_of({3, 1, 'a', 0}), Errc::truncated, 3},                // half a value length
      {bytes_of({3, 1, 'a', 0, 2, 'x'}), Errc::truncated, 3},        // value past the end
      {bytes_of({1, 1, 's'}), Errc::truncated, 3},                   // section not closed
      {bytes_of({4, 1, 'l', 5, 0, 1, 'x'}), Errc::truncated, 7},     // list not closed
      {bytes_of({4, 1, 'l', 3, 1, 'k'}), Errc::invalid_field, 3},    // key-value inside a list
      {wire::Bytes(ex.begin(), ex.end() - 1), Errc::truncated, ex.size() - 1},
  };
  for (const auto& c : cases) {
    auto r = vici::decode_message(c.in);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.code);
    CHECK(r.error().offset == c.offset);
  }
  // Nesting: kMaxDepth sections decode, one more does not.
  auto nested = [](std::size_t depth) {
    wire::Bytes b;
    for (std::size_t i = 0; i < depth; ++i) {
      b.push_back(1);
      b.push_back(1);
      b.push_back('s');
    }
    for (std::size_t i = 0; i < depth; ++i) b.push_back(2);
    return b;
  };
  CHECK(vici::decode_message(nested(vici::kMaxDepth)));
  auto deep = vici::decode_message(nested(vici::kMaxDepth + 1));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().offset == vici::kMaxDepth * 3);
}

TEST_CASE("VICI encoder refuses what the format cannot carry", "[vici]") {
  CHECK_FALSE(vici::encode_message(Section{}.set("", "v")));
  CHECK_FALSE(vici::encode_message(Section{}.set(std::string(256, 'k'), "v")));
  CHECK(vici::encode_message(Section{}.set(std::string(255, 'k'), std::string(65535, 'v'))));
  CHECK_FALSE(vici::encode_message(Section{}.set("k", std::string(65536, 'v'))));
  CHECK_FALSE(vici::encode_message(Section{}.set("l", List{std::string(65536, 'v')})));
  Section big;
  for (int i = 0; i < 9; ++i) big.set("k" + std::to_string(i), std::string(60000, 'v'));
  auto r = vici::encode_message(big);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == wire::Errc::too_long);
}

TEST_CASE("VICI packets: names, messages, length prefix, Framer", "[vici]") {
  const Packet req{PacketType::cmd_request, "list-sas", Section{}.set("ike", "hmip")};
  auto b = vici::encode_packet(req);
  REQUIRE(b);
  // 4-octet length, type 0, name, message.
  CHECK((*b)[0] == 0);
  CHECK((*b)[3] == b->size() - 4);
  CHECK((*b)[4] == 0);
  CHECK((*b)[5] == 8);
  auto d = vici::decode_packet(wire::ByteSpan(*b).subspan(4));
  REQUIRE(d);
  CHECK(*d == req);

  // Types without name or message.
  auto confirm = vici::encode_packet(Packet{PacketType::event_confirm, "", {}});
  REQUIRE(confirm);
  CHECK(*confirm == bytes_of({0, 0, 0, 1, 5}));
  CHECK_FALSE(vici::encode_packet(Packet{PacketType::event_confirm, "x", {}}));
  CHECK_FALSE(vici::encode_packet(Packet{PacketType::event_register, "", {}}));
  CHECK_FALSE(vici::encode_packet(Packet{PacketType::event_register, "ike-updown", Section{}.set("k", "v")}));
  CHECK_FALSE(vici::decode_packet(bytes_of({8})));
  CHECK_FALSE(vici::decode_packet(bytes_of({})));
  CHECK_FALSE(vici::decode_packet(bytes_of({3, 0})));          // empty event name
  CHECK_FALSE(vici::decode_packet(bytes_of({3, 5, 'a'})));     // name past the end
  CHECK_FALSE(vici::decode_packet(bytes_of({5, 1})));          // confirm with trailing octets
  auto bad_msg = vici::decode_packet(bytes_of({1, 9}));
  REQUIRE_FALSE(bad_msg);
  CHECK(bad_msg.error().offset == 1);  // offsets count from the packet body

  // The Framer over a stream of two packets fed one octet at a time.
  auto b2 = vici::encode_packet(Packet{PacketType::cmd_response, "", Section{}.set("success", "yes")});
  REQUIRE(b2);
  wire::Bytes stream = *b;
  stream.insert(stream.end(), b2->begin(), b2->end());
  vici::Framer f;
  std::vector<Packet> got;
  for (auto byte : stream) {
    f.feed(wire::ByteSpan(&byte, 1));
    while (auto p = f.next()) {
      REQUIRE(*p);
      got.push_back(p->value());
    }
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0] == req);
  CHECK(got[1].message.str("success") == "yes");
  CHECK(f.pending() == 0);
  // A length above 512 KiB latches the Framer.
  vici::Framer g;
  g.feed(bytes_of({0, 8, 0, 1, 0}));
  auto e = g.next();
  REQUIRE(e.has_value());
  CHECK_FALSE(*e);
  CHECK(g.failed());
  g.feed(*b);
  auto after = g.next();
  REQUIRE(after.has_value());
  CHECK_FALSE(*after);
}

// ---- ViciClient against a fake charon ------------------------------------------

namespace {

// A one-connection VICI server in a thread: `script` gets each decoded
// packet and returns the packets to answer with.
class FakeCharon {
 public:
  using Script = std::function<std::vector<Packet>(const Packet&)>;
  explicit FakeCharon(Script script) : script_(std::move(script)), sock_("vici", 1) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeCharon() {
    ::shutdown(sock_.listen_fd(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  FakeCharon(const FakeCharon&) = delete;
  FakeCharon& operator=(const FakeCharon&) = delete;
  [[nodiscard]] const std::string& path() const { return sock_.path(); }

 private:
  void serve() {
    io::UniqueFd c(::accept(sock_.listen_fd(), nullptr, nullptr));
    if (!c) return;
    vici::Framer f;
    std::uint8_t buf[4096];
    for (;;) {
      const auto n = ::read(c.get(), buf, sizeof(buf));
      if (n <= 0) return;
      f.feed(wire::ByteSpan(buf, static_cast<std::size_t>(n)));
      while (auto p = f.next()) {
        if (!*p) return;
        auto answers = script_(p->value());
        if (answers.empty()) return;  // hang up
        for (const auto& a : answers) {
          auto out = vici::encode_packet(a);
          if (!out || ::send(c.get(), out->data(), out->size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out->size())) return;
        }
      }
    }
  }

  Script script_;
  test_vici::ViciSocketDir sock_;
  std::thread thread_;
};

const auto kTimeout = std::chrono::milliseconds(2000);

}  // namespace

TEST_CASE("ViciClient: commands, failures, streamed commands and events", "[vici][io]") {
  FakeCharon charon([](const Packet& p) -> std::vector<Packet> {
    using PT = PacketType;
    if (p.type == PT::event_register || p.type == PT::event_unregister) {
      if (p.name == "no-such-event") return {Packet{PT::event_unknown, "", {}}};
      std::vector<Packet> out;
      // An unrelated event arrives before the confirm of an ike-updown
      // registration: it must be queued, not taken for the answer.
      if (p.type == PT::event_register && p.name == "ike-updown") {
        out.push_back(Packet{PT::event, "ike-updown", Section{}.set("up", "yes")});
      }
      out.push_back(Packet{PT::event_confirm, "", {}});
      return out;
    }
    if (p.name == "version") return {Packet{PT::cmd_response, "", Section{}.set("daemon", "charon").set("version", "5.9.8")}};
    if (p.name == "load-conn") return {Packet{PT::cmd_response, "", Section{}.set("success", "no").set("errmsg", "bad conn")}};
    if (p.name == "list-sas") {
      return {Packet{PT::event, "list-sa", Section{}.set("a", Section{}.set("state", "ESTABLISHED"))},
              Packet{PT::event, "list-sa", Section{}.set("b", Section{}.set("state", "CONNECTING"))},
              Packet{PT::cmd_response, "", {}}};
    }
    if (p.name == "hang-up") return {};
    return {Packet{PT::cmd_unknown, "", {}}};
  });
  std::string err;
  auto c = io::ViciClient::connect("unix://" + charon.path(), err);
  REQUIRE(c.has_value());

  auto v = c->command("version", {}, kTimeout);
  CHECK(v.ok());
  CHECK(v.message.str("version") == "5.9.8");

  auto lc = c->command("load-conn", Section{}.set("x", Section{}), kTimeout);
  CHECK_FALSE(lc.ok());
  CHECK(lc.error == "bad conn");

  auto unk = c->command("frobnicate", {}, kTimeout);
  CHECK(unk.error == "charon knows no command 'frobnicate'");

  auto sas = c->streamed("list-sas", {}, "list-sa", kTimeout);
  REQUIRE(sas.ok());
  REQUIRE(sas.events.size() == 2);
  CHECK(sas.events[0].section("a")->str("state") == "ESTABLISHED");
  CHECK(sas.events[1].section("b")->str("state") == "CONNECTING");

  CHECK_FALSE(c->subscribe("no-such-event", kTimeout, err));
  CHECK(err == "charon knows no event 'no-such-event'");
  REQUIRE(c->subscribe("ike-updown", kTimeout, err));
  auto ev = c->next_event(std::chrono::milliseconds(0));
  REQUIRE(ev.has_value());
  CHECK(ev->name == "ike-updown");
  CHECK(ev->message.str("up") == "yes");
  CHECK_FALSE(c->next_event(std::chrono::milliseconds(50)).has_value());
  CHECK(c->connected());  // waiting for an event that does not come is no error

  auto gone = c->command("hang-up", {}, kTimeout);
  CHECK(gone.error == "charon closed the VICI connection");
  CHECK_FALSE(c->connected());
  CHECK_FALSE(c->command("version", {}, kTimeout).ok());
}

TEST_CASE("ViciClient: no socket, and a charon that does not answer", "[vici][io]") {
  std::string err;
  CHECK_FALSE(io::ViciClient::connect("/nonexistent/charon.vici", err).has_value());
  CHECK(err.find("connect /nonexistent/charon.vici") != std::string::npos);
  CHECK_FALSE(io::ViciClient::connect(std::string(200, 'x'), err).has_value());

  FakeCharon mute([](const Packet&) -> std::vector<Packet> {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return {Packet{PacketType::cmd_response, "", {}}};
  });
  auto c = io::ViciClient::connect(mute.path(), err);
  REQUIRE(c.has_value());
  auto r = c->command("version", {}, std::chrono::milliseconds(100));
  CHECK(r.error == "timed out waiting for charon");
  CHECK_FALSE(c->connected());  // a late answer must not be taken for the next command's
}

TEST_CASE("ViciClient: a streamed command that cannot be sent still unregisters its event", "[vici][io]") {
  std::mutex m;
  std::vector<std::string> seen;
  FakeCharon charon([&](const Packet& p) -> std::vector<Packet> {
    {
      std::lock_guard<std::mutex> g(m);
      seen.push_back(std::string(vici::to_string(p.type)) + " " + p.name);
    }
    if (p.type == PacketType::event_register || p.type == PacketType::event_unregister) {
      return {Packet{PacketType::event_confirm, "", {}}};
    }
    return {Packet{PacketType::cmd_response, "", {}}};
  });
  std::string err;
  auto c = io::ViciClient::connect(charon.path(), err);
  REQUIRE(c.has_value());
  // A value too long for VICI: the request never leaves.
  auto r = c->streamed("list-sas", Section{}.set("ike", std::string(70000, 'x')), "list-sa", kTimeout);
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("cannot encode") != std::string::npos);
  CHECK(c->connected());
  CHECK(c->command("version", {}, kTimeout).ok());
  std::lock_guard<std::mutex> g(m);
  CHECK(seen == std::vector<std::string>{"EVENT_REGISTER list-sa", "EVENT_UNREGISTER list-sa", "CMD_REQUEST version"});
}
