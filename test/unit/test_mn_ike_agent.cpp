// mnd's IkeAgent (daemons/mnd/ike_agent.h) against an in-process fake
// charon (two VICI connections: commands and events): the home agent's
// protection (RFC 4877) beside a MAP's at the same address, kept apart by
// connection name; the MH child's installation reported with the care-of
// address, again after a make-before-break re-establishment from a new one
// (the old IKE SA terminated); ProtectTraffic's payload child asked for on
// each IKE SA; a deleted IKE SA reported as lost; the release unloading it.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "hmip/ike/charon_conn.h"
#include "hmip/io/fd.h"
#include "hmip/vici/message.h"
#include "ike_agent.h"
#include "vici_test_util.h"

using namespace hmip;
using vici::Packet;
using vici::PacketType;
using vici::Section;

namespace {

/// A charon that answers every command with success (list-sas: no SA),
/// confirms every event registration, records the commands and sends the
/// events a test pushes on the connection that registered child-updown.
class FakeCharon {
 public:
  struct Command {
    std::string name;
    Section message;
  };

  FakeCharon() : sock_("ike-agent", 4) { thread_ = std::thread([this] { serve(); }); }
  ~FakeCharon() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  FakeCharon(const FakeCharon&) = delete;
  FakeCharon& operator=(const FakeCharon&) = delete;

  [[nodiscard]] const std::string& path() const { return sock_.path(); }

  /// The commands received so far, emptied.
  std::vector<Command> take() {
    const std::lock_guard lock(mu_);
    return std::exchange(commands_, {});
  }

  void push(const std::string& name, const Section& message) {
    const auto out = vici::encode_packet(Packet{PacketType::event, name, message});
    REQUIRE(out);
    const std::lock_guard lock(mu_);
    REQUIRE(events_fd_ >= 0);
    REQUIRE(::send(events_fd_, out->data(), out->size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out->size()));
  }

 private:
  struct Client {
    io::UniqueFd fd;
    vici::Framer framer;
  };

  void answer(Client& c, const Packet& p) {
    Packet r;
    if (p.type == PacketType::event_register || p.type == PacketType::event_unregister) {
      r.type = PacketType::event_confirm;
      if (p.type == PacketType::event_register && p.name == "child-updown") {
        const std::lock_guard lock(mu_);
        events_fd_ = c.fd.get();
      }
    } else {
      {
        const std::lock_guard lock(mu_);
        commands_.push_back(Command{p.name, p.message});
      }
      r.type = PacketType::cmd_response;
      r.message.set("success", "yes");
    }
    const auto out = vici::encode_packet(r);
    const std::lock_guard lock(mu_);
    if (out) (void)::send(c.fd.get(), out->data(), out->size(), MSG_NOSIGNAL);
  }

  void serve() {
    std::vector<std::unique_ptr<Client>> clients;
    while (!stop_) {
      std::vector<pollfd> fds{{sock_.listen_fd(), POLLIN, 0}};
      for (const auto& c : clients) fds.push_back({c->fd.get(), POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        auto c = std::make_unique<Client>();
        c->fd.reset(::accept4(sock_.listen_fd(), nullptr, nullptr, SOCK_CLOEXEC));
        clients.push_back(std::move(c));
      }
      for (std::size_t k = 1; k < fds.size(); ++k) {
        if ((fds[k].revents & (POLLIN | POLLHUP)) == 0) continue;
        Client& c = *clients[k - 1];
        std::uint8_t buf[8192];
        const auto n = ::read(c.fd.get(), buf, sizeof(buf));
        if (n <= 0) continue;
        c.framer.feed(wire::ByteSpan(buf, static_cast<std::size_t>(n)));
        while (auto p = c.framer.next()) {
          if (!*p) break;
          answer(c, p->value());
        }
      }
    }
  }

  test_vici::ViciSocketDir sock_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Command> commands_;
  int events_fd_ = -1;
};

const Ip6Addr kHa = Ip6Addr::must("2001:db8:f00::1");  // also a MAP's address: one mapd, both roles
const Ip6Addr kHome = Ip6Addr::must("2001:db8:f00::10");
const Ip6Addr kCoa1 = Ip6Addr::must("2001:db8:100::1000");
const Ip6Addr kCoa2 = Ip6Addr::must("2001:db8:200::1000");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:a1::1");

Section sa_event(const std::string& conn, const std::string& id, const std::string& child, const std::string& state,
                 bool up) {
  Section sa;
  sa.set("uniqueid", id).set("state", "ESTABLISHED");
  if (!child.empty())
    sa.set("child-sas", Section{}.set(child + "-1", Section{}.set("name", child).set("state", state)));
  Section m;
  if (up) m.set("up", "yes");
  return m.set(conn, std::move(sa));
}

const FakeCharon::Command* find(const std::vector<FakeCharon::Command>& cs, const std::string& name,
                                const std::string& key = {}, const std::string& value = {}) {
  for (const auto& c : cs)
    if (c.name == name && (key.empty() || c.message.str(key) == value)) return &c;
  return nullptr;
}

struct Reports {
  std::vector<std::pair<Ip6Addr, Ip6Addr>> map_up, home_up;
  std::vector<std::pair<Ip6Addr, bool>> map_down, home_down;
};

void run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TEST_CASE("IkeAgent: the home agent's protection beside a MAP's at one address, re-established, released",
          "[mnd][ike]") {
  FakeCharon charon;
  const auto dir = std::filesystem::temp_directory_path() / ("hmip-ike-agent-pem-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto* f : {"mn.pem", "key.pem", "ca.pem"}) std::ofstream(dir / f) << "-----BEGIN X-----\n";
  mn::MndConfig cfg;
  cfg.ike.configured = true;
  cfg.ike.vici_socket = "unix://" + charon.path();
  cfg.ike.identity = "mn1@hmip.test";
  cfg.ike.certificate = (dir / "mn.pem").string();
  cfg.ike.private_key = (dir / "key.pem").string();
  cfg.ike.ca_certificates = {(dir / "ca.pem").string()};
  cfg.home = mn::HomeConfig{};
  cfg.home->address = kHome;
  cfg.home->home_agent = kHa;
  cfg.home->home_agent_identity = "ha.hmip.test";
  cfg.home->protect_traffic = true;

  boost::asio::io_context io;
  io::Logger log("test", io::Logger::Target::stderr_text, core::LogLevel::error);
  Reports r;
  mnd::IkeAgent agent(
      io, cfg, log, [&](const Ip6Addr& m, const Ip6Addr& rcoa) { r.map_up.emplace_back(m, rcoa); },
      [&](const Ip6Addr& m, bool lost, const std::string&) { r.map_down.emplace_back(m, lost); },
      [&](const Ip6Addr& ha, const Ip6Addr& coa) { r.home_up.emplace_back(ha, coa); },
      [&](const Ip6Addr& ha, bool lost, const std::string&) { r.home_down.emplace_back(ha, lost); });
  agent.start();
  charon.take();
  const std::string home_conn = ike::mn_home_conn_name(kHa);

  // A MAP at the HA's address leases, and the HA's protection is set up.
  agent.secure(mn::SecureMap{kHa, kLcoa, std::nullopt});
  agent.secure_home(mn::SecureHome{kHa, kHome, kCoa1, true});
  auto cmds = charon.take();
  const auto* load = find(cmds, "load-conn");
  REQUIRE(load != nullptr);
  CHECK(load->message.section(ike::mn_lease_conn_name(kHa)) != nullptr);
  const FakeCharon::Command* home_load = nullptr;
  for (const auto& c : cmds)
    if (c.name == "load-conn" && c.message.section(home_conn) != nullptr) home_load = &c;
  REQUIRE(home_load != nullptr);
  const Section& conn = *home_load->message.section(home_conn);
  CHECK(conn.values("local_addrs") == vici::List{kCoa1.str()});
  CHECK(conn.values("remote_addrs") == vici::List{kHa.str()});
  CHECK(conn.section("remote")->str("id") == "ha.hmip.test");
  REQUIRE(conn.section("children") != nullptr);
  CHECK(conn.section("children")->section("mh") != nullptr);
  CHECK(conn.section("children")->section("traffic") != nullptr);
  CHECK(find(cmds, "initiate", "ike", home_conn) != nullptr);
  CHECK(find(cmds, "initiate", "ike", home_conn)->message.str("child") == "mh");

  // The home MH child installed: the core hears it with the care-of
  // address; the MAP's lease is untouched; the payload child is asked for.
  charon.push("child-updown", sa_event(home_conn, "7", "mh", "INSTALLED", true));
  run_until(io, [&] { return !r.home_up.empty(); });
  REQUIRE(r.home_up == std::vector<std::pair<Ip6Addr, Ip6Addr>>{{kHa, kCoa1}});
  CHECK(r.map_up.empty());
  cmds = charon.take();
  CHECK(find(cmds, "initiate", "child", "traffic") != nullptr);
  charon.push("child-updown", sa_event(home_conn, "7", "traffic", "INSTALLED", true));
  run_until(io, [&] { return agent.counters()["ike_traffic_children_installed"] == 1; });
  CHECK(agent.counters()["ike_traffic_children_installed"] == 1);
  CHECK(r.home_up.size() == 1);  // the payload child is not the MH protection

  // A move: re-established from the new care-of address, make-before-break.
  agent.secure_home(mn::SecureHome{kHa, kHome, kCoa2, true});
  cmds = charon.take();
  REQUIRE(find(cmds, "load-conn") != nullptr);
  CHECK(find(cmds, "load-conn")->message.section(home_conn)->values("local_addrs") == vici::List{kCoa2.str()});
  CHECK(find(cmds, "terminate") == nullptr);  // the old IKE SA keeps protecting meanwhile
  charon.push("child-updown", sa_event(home_conn, "8", "mh", "INSTALLED", true));
  run_until(io, [&] { return r.home_up.size() == 2; });
  REQUIRE(r.home_up.size() == 2);
  CHECK(r.home_up[1] == std::pair<Ip6Addr, Ip6Addr>{kHa, kCoa2});
  bool old_terminated = false;
  run_until(io, [&] {
    for (const auto& c : charon.take()) old_terminated = old_terminated || (c.name == "terminate" && c.message.str("ike-id") == "7");
    return old_terminated;
  });
  CHECK(old_terminated);

  // The old IKE SA going is no loss; the current one going is.
  charon.push("ike-updown", sa_event(home_conn, "7", "", "", false));
  charon.push("ike-updown", sa_event(home_conn, "8", "", "", false));
  run_until(io, [&] { return !r.home_down.empty(); });
  REQUIRE(r.home_down == std::vector<std::pair<Ip6Addr, bool>>{{kHa, true}});
  CHECK(r.map_down.empty());

  // The core sets it up again; then releases it: terminated and unloaded,
  // the MAP's connections left alone.
  agent.secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
  charon.take();
  agent.release_home(kHa);
  cmds = charon.take();
  CHECK(find(cmds, "terminate", "ike", home_conn) != nullptr);
  CHECK(find(cmds, "unload-conn", "name", home_conn) != nullptr);
  CHECK(find(cmds, "unload-conn", "name", ike::mn_lease_conn_name(kHa)) == nullptr);
  agent.stop();
  std::filesystem::remove_all(dir);
}
