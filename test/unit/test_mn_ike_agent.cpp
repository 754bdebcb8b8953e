// mnd's IkeAgent (daemons/mnd/ike_agent.h) against an in-process fake
// charon (two VICI connections: commands and events): the home agent's
// protection (RFC 4877) beside a MAP's at the same address, kept apart by
// connection name; the MH child's installation reported with the care-of
// address, again after a make-before-break re-establishment from a new one
// (the old IKE SA terminated); ProtectTraffic's payload child asked for on
// each IKE SA; a deleted IKE SA reported as lost; the release unloading it.
// Then: only an IKE SA from the current care-of address becomes the
// protection (a late one from an address left since is terminated); a
// failed make-before-break re-establishment retried, the old protection
// kept; the payload child asked for again when refused (bounded) and set up
// again when lost alone.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

/// A charon that answers every command with success (list-sas: the SA a
/// test set, else none; a command a test made fail: an error), confirms
/// every event registration, records the commands and sends the events a
/// test pushes on the connection that registered child-updown.
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

  /// What list-sas answers for IKE SA `id`: a list-sa event ({conn: {...}}).
  void set_sa(const std::string& id, Section sa) {
    const std::lock_guard lock(mu_);
    sas_[id] = std::move(sa);
  }

  /// The next `n` commands `name` fail.
  void fail(const std::string& name, int n) {
    const std::lock_guard lock(mu_);
    fails_[name] = n;
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
      std::optional<Section> listed;
      bool failed = false;
      {
        const std::lock_guard lock(mu_);
        commands_.push_back(Command{p.name, p.message});
        if (auto f = fails_.find(p.name); f != fails_.end() && f->second > 0) {
          --f->second;
          failed = true;
        }
        if (const auto it = sas_.find(p.message.str("ike-id")); p.name == "list-sas" && it != sas_.end())
          listed = it->second;
      }
      if (listed) {
        const auto ev = vici::encode_packet(Packet{PacketType::event, "list-sa", *listed});
        const std::lock_guard lock(mu_);
        if (ev) (void)::send(c.fd.get(), ev->data(), ev->size(), MSG_NOSIGNAL);
      }
      r.type = PacketType::cmd_response;
      if (failed) r.message.set("success", "no").set("errmsg", "refused by the test");
      else r.message.set("success", "yes");
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
  std::map<std::string, Section> sas_;
  std::map<std::string, int> fails_;
  int events_fd_ = -1;
};

const Ip6Addr kHa = Ip6Addr::must("2001:db8:f00::1");  // also a MAP's address: one mapd, both roles
const Ip6Addr kHome = Ip6Addr::must("2001:db8:f00::10");
const Ip6Addr kCoa1 = Ip6Addr::must("2001:db8:100::1000");
const Ip6Addr kCoa2 = Ip6Addr::must("2001:db8:200::1000");
const Ip6Addr kCoa3 = Ip6Addr::must("2001:db8:300::1000");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:a1::1");
const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:a2::1");
const Ip6Addr kLcoa3 = Ip6Addr::must("2001:db8:a3::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:f00:1::5");

/// An ike-updown / child-updown event (or, without `up`, a list-sa one) of
/// IKE SA `id` from `local`, with one child (none if `child` is empty).
Section sa_event(const std::string& conn, const std::string& id, const std::string& child, const std::string& state,
                 bool up, const Ip6Addr& local) {
  Section sa;
  sa.set("uniqueid", id).set("state", "ESTABLISHED").set("local-host", local.str());
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

/// The waits of the tests below: short, the order of the defaults kept.
mnd::IkeAgentTiming fast() {
  mnd::IkeAgentTiming t;
  t.child_grace = std::chrono::milliseconds(60);
  t.child_restore_wait = std::chrono::milliseconds(150);
  t.retry = std::chrono::milliseconds(20);
  return t;
}

/// mn1's secure configuration with a home agent at kHa (ProtectTraffic
/// as asked), its credential files written into `dir`, charon at `vici`.
mn::MndConfig agent_config(const std::filesystem::path& dir, const std::string& vici, bool protect_traffic) {
  std::filesystem::create_directories(dir);
  for (const auto* f : {"mn.pem", "key.pem", "ca.pem"}) std::ofstream(dir / f) << "-----BEGIN X-----\n";
  mn::MndConfig cfg;
  cfg.ike.configured = true;
  cfg.ike.vici_socket = "unix://" + vici;
  cfg.ike.identity = "mn1@hmip.test";
  cfg.ike.certificate = (dir / "mn.pem").string();
  cfg.ike.private_key = (dir / "key.pem").string();
  cfg.ike.ca_certificates = {(dir / "ca.pem").string()};
  cfg.home = mn::HomeConfig{};
  cfg.home->address = kHome;
  cfg.home->home_agent = kHa;
  cfg.home->home_agent_identity = "ha.hmip.test";
  cfg.home->protect_traffic = protect_traffic;
  return cfg;
}

/// An IkeAgent for mn1 with a home agent at kHa (ProtectTraffic as asked)
/// against a FakeCharon, with what it reports and logs.
struct Harness {
  explicit Harness(bool protect_traffic, mnd::IkeAgentTiming timing = fast()) {
    cfg = agent_config(dir, charon.path(), protect_traffic);
    log.set_sink([this](core::LogLevel l, std::string_view m) { logged.emplace_back(l, std::string(m)); });
    agent = std::make_unique<mnd::IkeAgent>(
        io, cfg, log, [this](const Ip6Addr& m, const Ip6Addr& rcoa) { r.map_up.emplace_back(m, rcoa); },
        [this](const Ip6Addr& m, bool lost, const std::string&) { r.map_down.emplace_back(m, lost); },
        [this](const Ip6Addr& ha, const Ip6Addr& coa) { r.home_up.emplace_back(ha, coa); },
        [this](const Ip6Addr& ha, bool lost, const std::string&) { r.home_down.emplace_back(ha, lost); }, timing);
    agent->start();
    (void)charon.take();
  }
  ~Harness() {
    agent->stop();
    std::filesystem::remove_all(dir);
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  /// Runs the loop for `ms`, collecting the commands sent meanwhile.
  std::vector<FakeCharon::Command> run_for(int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(std::chrono::milliseconds(5));
      for (auto& c : charon.take()) seen.push_back(std::move(c));
    }
    return std::exchange(seen, {});
  }
  /// Runs the loop until `done` holds of the commands sent so far (3 s at
  /// most); they are kept for the next call.
  bool wait_commands(const std::function<bool(const std::vector<FakeCharon::Command>&)>& done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (;;) {
      for (auto& c : charon.take()) seen.push_back(std::move(c));
      if (done(seen)) return true;
      if (std::chrono::steady_clock::now() >= end) return false;
      io.restart();
      io.run_for(std::chrono::milliseconds(5));
    }
  }
  std::uint64_t counter(const char* name) { return agent->counters()[name].get<std::uint64_t>(); }
  bool logged_at(core::LogLevel l, const std::string& text) const {
    return std::any_of(logged.begin(), logged.end(),
                       [&](const auto& e) { return e.first == l && e.second.find(text) != std::string::npos; });
  }

  FakeCharon charon;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("hmip-ike-agent-pem-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
  mn::MndConfig cfg;
  boost::asio::io_context io;
  io::Logger log{"test", io::Logger::Target::stderr_text, core::LogLevel::debug};
  std::vector<std::pair<core::LogLevel, std::string>> logged;
  Reports r;
  std::unique_ptr<mnd::IkeAgent> agent;
  std::vector<FakeCharon::Command> seen;
  static inline int serial = 0;
};

std::size_t count(const std::vector<FakeCharon::Command>& cs, const std::string& name, const std::string& key = {},
                  const std::string& value = {}) {
  return static_cast<std::size_t>(std::count_if(cs.begin(), cs.end(), [&](const FakeCharon::Command& c) {
    return c.name == name && (key.empty() || c.message.str(key) == value);
  }));
}

/// The ike-updown of a MAP's leasing IKE SA from `local` with `rcoa` leased.
Section lease_event(const Ip6Addr& map, const std::string& id, const Ip6Addr& local, const Ip6Addr& rcoa) {
  Section sa;
  sa.set("uniqueid", id).set("state", "ESTABLISHED").set("local-host", local.str());
  sa.set("local-vips", vici::List{rcoa.str()});
  Section m;
  m.set("up", "yes");
  return m.set(ike::mn_lease_conn_name(map), std::move(sa));
}

bool terminated(const std::vector<FakeCharon::Command>& cs, const std::string& id) {
  return count(cs, "terminate", "ike-id", id) > 0;
}

}  // namespace

TEST_CASE("IkeAgent: the home agent's protection beside a MAP's at one address, re-established, released",
          "[mnd][ike]") {
  FakeCharon charon;
  const auto dir = std::filesystem::temp_directory_path() / ("hmip-ike-agent-pem-" + std::to_string(::getpid()));
  const mn::MndConfig cfg = agent_config(dir, charon.path(), true);

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
  charon.push("child-updown", sa_event(home_conn, "7", "mh", "INSTALLED", true, kCoa1));
  run_until(io, [&] { return !r.home_up.empty(); });
  REQUIRE(r.home_up == std::vector<std::pair<Ip6Addr, Ip6Addr>>{{kHa, kCoa1}});
  CHECK(r.map_up.empty());
  cmds = charon.take();
  CHECK(find(cmds, "initiate", "child", "traffic") != nullptr);
  charon.push("child-updown", sa_event(home_conn, "7", "traffic", "INSTALLED", true, kCoa1));
  run_until(io, [&] { return agent.counters()["ike_traffic_children_installed"] == 1; });
  CHECK(agent.counters()["ike_traffic_children_installed"] == 1);
  CHECK(r.home_up.size() == 1);  // the payload child is not the MH protection

  // A move: re-established from the new care-of address, make-before-break.
  agent.secure_home(mn::SecureHome{kHa, kHome, kCoa2, true});
  cmds = charon.take();
  REQUIRE(find(cmds, "load-conn") != nullptr);
  CHECK(find(cmds, "load-conn")->message.section(home_conn)->values("local_addrs") == vici::List{kCoa2.str()});
  CHECK(find(cmds, "terminate") == nullptr);  // the old IKE SA keeps protecting meanwhile
  charon.push("child-updown", sa_event(home_conn, "8", "mh", "INSTALLED", true, kCoa2));
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
  charon.push("ike-updown", sa_event(home_conn, "7", "", "", false, kCoa1));
  charon.push("ike-updown", sa_event(home_conn, "8", "", "", false, kCoa2));
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

// Review 14b item 2a: the IKE SA that finishes last is not necessarily the
// one from where the node is; only the current care-of address's counts.
TEST_CASE("IkeAgent: only an IKE SA from the current care-of address becomes the protection", "[mnd][ike]") {
  Harness h(false);
  const std::string home_conn = ike::mn_home_conn_name(kHa);

  SECTION("home agent: two quick moves, the older re-establishment finishing last") {
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa1, false});
    h.charon.push("child-updown", sa_event(home_conn, "7", "mh", "INSTALLED", true, kCoa1));
    run_until(h.io, [&] { return !h.r.home_up.empty(); });
    REQUIRE(h.r.home_up == std::vector<std::pair<Ip6Addr, Ip6Addr>>{{kHa, kCoa1}});
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa3, false});
    (void)h.run_for(10);
    // The one from kCoa3 first: the protection, reported with kCoa3, the
    // one from kCoa1 terminated.
    h.charon.push("child-updown", sa_event(home_conn, "9", "mh", "INSTALLED", true, kCoa3));
    run_until(h.io, [&] { return h.r.home_up.size() == 2; });
    REQUIRE(h.r.home_up.size() == 2);
    CHECK(h.r.home_up[1] == std::pair<Ip6Addr, Ip6Addr>{kHa, kCoa3});
    // Then the one from kCoa2: terminated itself, the one from kCoa3 kept.
    h.charon.push("child-updown", sa_event(home_conn, "8", "mh", "INSTALLED", true, kCoa2));
    REQUIRE(h.wait_commands([](const auto& cs) { return terminated(cs, "7") && terminated(cs, "8"); }));
    const auto cmds = h.run_for(400);
    CHECK_FALSE(terminated(cmds, "9"));
    CHECK(h.r.home_up.size() == 2);
    CHECK(h.counter("ike_stale_sas") == 1);
    // The current one is "9": its loss is the loss; "8" going is none.
    h.charon.push("ike-updown", sa_event(home_conn, "8", "", "", false, kCoa2));
    (void)h.run_for(50);
    CHECK(h.r.home_down.empty());
    h.charon.push("ike-updown", sa_event(home_conn, "9", "", "", false, kCoa3));
    run_until(h.io, [&] { return !h.r.home_down.empty(); });
    CHECK(h.r.home_down == std::vector<std::pair<Ip6Addr, bool>>{{kHa, true}});
  }

  SECTION("home agent: a first setup re-aimed, the first attempt's CHILD_SA landing late") {
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa1, false});
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
    (void)h.run_for(10);
    h.charon.push("child-updown", sa_event(home_conn, "5", "mh", "INSTALLED", true, kCoa1));
    REQUIRE(h.wait_commands([](const auto& cs) { return terminated(cs, "5"); }));
    CHECK(h.r.home_up.empty());
    h.charon.push("child-updown", sa_event(home_conn, "6", "mh", "INSTALLED", true, kCoa2));
    run_until(h.io, [&] { return !h.r.home_up.empty(); });
    CHECK(h.r.home_up == std::vector<std::pair<Ip6Addr, Ip6Addr>>{{kHa, kCoa2}});
  }

  SECTION("MAP: two quick moves, the older re-establishment finishing last") {
    const std::string conn = ike::mn_conn_name(kHa);
    h.agent->secure(mn::SecureMap{kHa, kLcoa, std::nullopt});
    h.charon.push("ike-updown", lease_event(kHa, "1", kLcoa, kRcoa));
    REQUIRE(h.wait_commands([&](const auto& cs) { return count(cs, "initiate", "ike", conn) == 1; }));
    h.charon.push("child-updown", sa_event(conn, "2", "mh", "INSTALLED", true, kLcoa));
    run_until(h.io, [&] { return !h.r.map_up.empty(); });
    REQUIRE(h.r.map_up == std::vector<std::pair<Ip6Addr, Ip6Addr>>{{kHa, kRcoa}});
    h.agent->secure(mn::SecureMap{kHa, kLcoa2, kRcoa});
    h.agent->secure(mn::SecureMap{kHa, kLcoa3, kRcoa});
    (void)h.run_for(10);
    h.charon.push("child-updown", sa_event(conn, "4", "mh", "INSTALLED", true, kLcoa3));
    REQUIRE(h.wait_commands([](const auto& cs) { return terminated(cs, "2"); }));
    h.charon.push("child-updown", sa_event(conn, "3", "mh", "INSTALLED", true, kLcoa2));
    REQUIRE(h.wait_commands([](const auto& cs) { return terminated(cs, "3"); }));
    CHECK_FALSE(terminated(h.run_for(400), "4"));
    CHECK(h.r.map_up.size() == 1);
    // "4" is the protection: its loss is reported.
    h.charon.push("ike-updown", sa_event(conn, "4", "", "", false, kLcoa3));
    run_until(h.io, [&] { return !h.r.map_down.empty(); });
    CHECK(h.r.map_down == std::vector<std::pair<Ip6Addr, bool>>{{kHa, true}});
  }
}

// Review 14b item 2b: a make-before-break re-establishment that fails is
// retried like the first setup, the old protection kept meanwhile.
TEST_CASE("IkeAgent: a failed re-establishment is retried, the old protection kept", "[mnd][ike]") {
  Harness h(false);
  const std::string home_conn = ike::mn_home_conn_name(kHa);
  h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa1, false});
  h.charon.push("child-updown", sa_event(home_conn, "7", "mh", "INSTALLED", true, kCoa1));
  run_until(h.io, [&] { return !h.r.home_up.empty(); });
  REQUIRE(h.r.home_up.size() == 1);
  (void)h.run_for(10);

  SECTION("an initiate error, then an IKE SA without its CHILD_SA") {
    h.charon.fail("initiate", 1);
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
    // Logged, and tried again (load-conn from kCoa2 and initiate) on the
    // retry timer.
    CHECK(h.logged_at(core::LogLevel::warning, "re-establishing failed"));
    REQUIRE(h.wait_commands([&](const auto& cs) { return count(cs, "initiate", "ike", home_conn) == 2; }));
    auto cmds = h.run_for(10);
    CHECK(count(cmds, "load-conn") == 2);
    CHECK(h.r.home_down.empty());
    // The new IKE SA comes up without its CHILD_SA (the HA refused it):
    // terminated, and once it is gone set up again.
    Section childless = sa_event(home_conn, "8", "", "", true, kCoa2);
    h.charon.set_sa("8", sa_event(home_conn, "8", "", "", false, kCoa2));
    h.charon.push("ike-updown", childless);
    REQUIRE(h.wait_commands([](const auto& cs) { return terminated(cs, "8"); }));
    CHECK_FALSE(terminated(h.run_for(10), "7"));
    h.charon.push("ike-updown", sa_event(home_conn, "8", "", "", false, kCoa2));
    REQUIRE(h.wait_commands([&](const auto& cs) { return count(cs, "initiate", "ike", home_conn) == 1; }));
    CHECK(h.counter("ike_child_retries") == 1);
    CHECK(h.r.home_down.empty());
    CHECK(h.r.home_up.size() == 1);
    // This time with it: the protection from kCoa2, the old one terminated.
    h.charon.push("child-updown", sa_event(home_conn, "9", "mh", "INSTALLED", true, kCoa2));
    run_until(h.io, [&] { return h.r.home_up.size() == 2; });
    REQUIRE(h.r.home_up.size() == 2);
    CHECK(h.r.home_up[1] == std::pair<Ip6Addr, Ip6Addr>{kHa, kCoa2});
    CHECK(h.wait_commands([](const auto& cs) { return terminated(cs, "7"); }));
    CHECK(h.r.home_down.empty());
  }

  SECTION("always refused: given up after the retries, no IKE SA left behind, no loss until the old one goes") {
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
    (void)h.run_for(10);
    for (int k = 0; k <= 4; ++k) {
      const std::string id = std::to_string(20 + k);
      h.charon.set_sa(id, sa_event(home_conn, id, "", "", false, kCoa2));
      h.charon.push("ike-updown", sa_event(home_conn, id, "", "", true, kCoa2));
      REQUIRE(h.wait_commands([&](const auto& cs) { return terminated(cs, id); }));
      h.charon.push("ike-updown", sa_event(home_conn, id, "", "", false, kCoa2));
      if (k < 4) {  // set up again
        REQUIRE(h.wait_commands([&](const auto& cs) { return count(cs, "initiate", "ike", home_conn) == 1; }));
      }
      const auto cmds = h.run_for(k < 4 ? 1 : 200);
      CHECK(count(cmds, "initiate", "ike", home_conn) == (k < 4 ? 1U : 0U));
      CHECK_FALSE(terminated(cmds, "7"));
    }
    CHECK(h.counter("ike_reestablish_abandoned") == 1);
    CHECK(h.logged_at(core::LogLevel::error, "cannot re-establish from " + kCoa2.str()));
    CHECK(h.r.home_down.empty());
    h.charon.push("ike-updown", sa_event(home_conn, "7", "", "", false, kCoa1));
    run_until(h.io, [&] { return !h.r.home_down.empty(); });
    CHECK(h.r.home_down == std::vector<std::pair<Ip6Addr, bool>>{{kHa, true}});
  }

  SECTION("no answer: the attempt ended and made again after IkeTimeout, given up after the retries") {
    h.cfg.ike.ike_timeout = std::chrono::milliseconds(150);
    // charon's view: the attempt from kCoa2 hanging (charon reports no
    // ike-updown for an IKE SA that never came up).
    Section hanging = sa_event(home_conn, "30", "", "", false, kCoa2);
    h.charon.set_sa("", hanging);
    h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
    REQUIRE(h.wait_commands([&](const auto& cs) {
      return terminated(cs, "30") && count(cs, "initiate", "ike", home_conn) == 2;
    }));
    CHECK(h.logged_at(core::LogLevel::warning, "within IkeTimeout"));
    CHECK(h.r.home_down.empty());
    run_until(h.io, [&] { return h.counter("ike_reestablish_abandoned") == 1; });
    CHECK(h.counter("ike_reestablish_abandoned") == 1);
    const auto cmds = h.run_for(400);
    CHECK(count(cmds, "initiate", "ike", home_conn) == 5);  // the attempt and 4 retries, then nothing more
    CHECK(count(cmds, "terminate", "ike-id", "30") == 5);
    CHECK_FALSE(terminated(cmds, "7"));
    CHECK(h.logged_at(core::LogLevel::error, "cannot re-establish from " + kCoa2.str()));
    CHECK(h.r.home_down.empty());
  }

  SECTION("MAP: load-conn keeps failing: retried a bounded number of times, no loss reported") {
    const std::string conn = ike::mn_conn_name(kHa);
    h.agent->secure(mn::SecureMap{kHa, kLcoa, std::nullopt});
    h.charon.push("ike-updown", lease_event(kHa, "1", kLcoa, kRcoa));
    h.charon.push("child-updown", sa_event(conn, "2", "mh", "INSTALLED", true, kLcoa));
    run_until(h.io, [&] { return !h.r.map_up.empty(); });
    REQUIRE(h.r.map_up.size() == 1);
    (void)h.run_for(10);
    h.charon.fail("load-conn", 100);
    h.agent->secure(mn::SecureMap{kHa, kLcoa2, kRcoa});
    // The attempt and 4 retries, child_grace (60 ms) apart; then nothing more.
    run_until(h.io, [&] { return h.counter("ike_reestablish_abandoned") == 1; });
    CHECK(h.counter("ike_reestablish_abandoned") == 1);
    CHECK(count(h.run_for(300), "load-conn") == 5);
    CHECK(h.logged_at(core::LogLevel::error, "cannot re-establish from " + kLcoa2.str()));
    CHECK(h.r.map_down.empty());
    h.charon.fail("load-conn", 0);
  }
}

// Review 14b item 1c (mnd): ProtectTraffic on means the payload must be
// protected (the kernel drops the home tunnel's packets without the payload
// child): a refusal is an error, asked for again (bounded); a payload child
// lost alone is set up again.
TEST_CASE("IkeAgent: the payload child asked for again when refused, set up again when lost", "[mnd][ike]") {
  Harness h(true);
  const std::string home_conn = ike::mn_home_conn_name(kHa);
  h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa1, true});
  h.charon.set_sa("7", sa_event(home_conn, "7", "mh", "INSTALLED", false, kCoa1));  // no payload child
  h.charon.push("child-updown", sa_event(home_conn, "7", "mh", "INSTALLED", true, kCoa1));
  run_until(h.io, [&] { return !h.r.home_up.empty(); });
  REQUIRE(h.r.home_up.size() == 1);

  SECTION("refused: an error, asked for again every child_restore_wait, four requests in all") {
    // 4 requests 150 ms apart, and a check after the last; then nothing more.
    run_until(h.io, [&] { return h.counter("ike_traffic_children_refused") == 4; });
    CHECK(h.counter("ike_traffic_children_refused") == 4);
    CHECK(count(h.run_for(1), "initiate", "child", "traffic") == 4);
    CHECK(h.logged_at(core::LogLevel::error, "refused the payload protection"));
    CHECK(h.logged_at(core::LogLevel::error, "home-address traffic is dropped until it accepts"));
    CHECK_FALSE(h.logged_at(core::LogLevel::warning, "goes without ESP"));
    CHECK(h.r.home_down.empty());  // MH stays protected
    CHECK(count(h.run_for(400), "initiate", "child", "traffic") == 0);
  }

  SECTION("accepted at the second request") {
    REQUIRE(h.wait_commands([](const auto& cs) { return count(cs, "initiate", "child", "traffic") == 2; }));
    h.charon.push("child-updown", sa_event(home_conn, "7", "traffic", "INSTALLED", true, kCoa1));
    run_until(h.io, [&] { return h.counter("ike_traffic_children_installed") == 1; });
    CHECK(h.counter("ike_traffic_children_refused") == 1);
    (void)h.run_for(1);  // the requests so far
    CHECK(count(h.run_for(400), "initiate", "child", "traffic") == 0);
  }

  SECTION("lost alone under the IKE SA: set up again on it") {
    REQUIRE(h.wait_commands([](const auto& cs) { return count(cs, "initiate", "child", "traffic") == 1; }));
    h.charon.push("child-updown", sa_event(home_conn, "7", "traffic", "INSTALLED", true, kCoa1));
    run_until(h.io, [&] { return h.counter("ike_traffic_children_installed") == 1; });
    (void)h.run_for(200);
    h.charon.push("child-updown", sa_event(home_conn, "7", "traffic", "DELETED", false, kCoa1));
    run_until(h.io, [&] { return h.counter("ike_traffic_children_lost") == 1; });
    REQUIRE(h.wait_commands([](const auto& cs) { return count(cs, "initiate", "child", "traffic") == 1; }));
    CHECK(find(h.run_for(10), "initiate", "ike", home_conn) != nullptr);
    h.charon.push("child-updown", sa_event(home_conn, "7", "traffic", "INSTALLED", true, kCoa1));
    run_until(h.io, [&] { return h.counter("ike_traffic_children_installed") == 2; });
    CHECK(h.counter("ike_traffic_children_installed") == 2);
    CHECK(h.counter("ike_traffic_children_refused") == 0);
    CHECK(h.r.home_down.empty());
  }
}

// Review 14b item 2c: a setup re-aimed while a retry of the old one waits
// does not get a second IKE SA from that retry.
TEST_CASE("IkeAgent: a re-aimed setup drops the retry of the previous one", "[mnd][ike]") {
  mnd::IkeAgentTiming t = fast();
  t.retry = std::chrono::milliseconds(300);
  Harness h(false, t);
  const std::string home_conn = ike::mn_home_conn_name(kHa);
  h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa1, false});
  h.charon.set_sa("5", sa_event(home_conn, "5", "", "", false, kCoa1));
  h.charon.push("ike-updown", sa_event(home_conn, "5", "", "", true, kCoa1));  // without its CHILD_SA
  REQUIRE(h.wait_commands([](const auto& cs) { return terminated(cs, "5"); }));
  h.charon.push("ike-updown", sa_event(home_conn, "5", "", "", false, kCoa1));
  (void)h.run_for(50);  // its retry now waits
  h.agent->secure_home(mn::SecureHome{kHa, kHome, kCoa2, false});
  const auto cmds = h.run_for(500);
  CHECK(count(cmds, "initiate", "ike", home_conn) == 1);  // the re-aimed setup's own
}
