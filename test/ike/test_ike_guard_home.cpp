// mapd's IkeGuard against a real charon (run by run-charon.sh): the home
// agent role's connections (RFC 4877, issue 14). A home agent only loads no
// MAP connection and no pool, one connection per identity owning home
// addresses (HomeAddress lines grouped by identity, in the file's order),
// replaces them at a reload and removes the ones no longer wanted, unloads
// what an earlier mapd left beyond them, and unloads everything at stop.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "hmip/ike/charon_conn.h"
#include "hmip/io/vici_client.h"
#include "ike_guard.h"

using namespace hmip;
using vici::List;
using vici::Section;

namespace {

const auto kTimeout = std::chrono::milliseconds(5000);

std::string env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): the test is single-threaded
  REQUIRE(v != nullptr);
  return v;
}

io::ViciClient connect() {
  std::string err;
  auto c = io::ViciClient::connect(env("HMIP_VICI_SOCKET"), err);
  INFO(err);
  REQUIRE(c.has_value());
  return std::move(*c);
}

// The names of charon's connections starting with "hmip-".
std::vector<std::string> hmip_conns(io::ViciClient& c) {
  auto r = c.command("get-conns", {}, kTimeout);
  REQUIRE(r.ok());
  std::vector<std::string> out;
  if (const auto* l = r.message.list("conns"))
    for (const auto& n : *l)
      if (n.rfind("hmip-", 0) == 0) out.push_back(n);
  std::sort(out.begin(), out.end());
  return out;
}

const Section* listed(const io::ViciReply& conns, const std::string& name) {
  for (const auto& e : conns.events)
    if (const auto* s = e.section(name)) return s;
  return nullptr;
}

const Ip6Addr kHa = Ip6Addr::must("2001:db8:200::1");
const Ip6Addr kHoa1 = Ip6Addr::must("2001:db8:200::10");
const Ip6Addr kHoa2 = Ip6Addr::must("2001:db8:200::11");
const Ip6Addr kHoa3 = Ip6Addr::must("2001:db8:200::12");

map::MapdConfig home_agent_only() {
  const std::string pki = env("HMIP_IKE_PKI");
  map::MapdConfig c;
  c.insecure.enabled = false;
  c.ike.configured = true;
  c.ike.vici_socket = env("HMIP_VICI_SOCKET");
  c.ike.identity = "map1.hmip.test";
  c.ike.certificate = pki + "/map.pem";
  c.ike.private_key = pki + "/map.key";
  c.ike.ca_certificates = {pki + "/ca.pem"};
  // The MAP's statements: not used by a home agent alone.
  c.ike.pool = map::RcoaPoolConfig{Ip6Addr::must("2001:db8:100::1"), Ip6Addr::must("2001:db8:100::2"), 1};
  map::HomeAgentConfig ha;
  ha.address = kHa;
  ha.prefixes.push_back(map::HomePrefixConfig{*Ip6Prefix::parse("2001:db8:200::/64"), "", 0xffffffff, 1});
  ha.owners = {{kHoa1, "mn1@hmip.test", 1}, {kHoa2, "mn2@hmip.test", 2}, {kHoa3, "mn1@hmip.test", 3}};
  c.home_agent = ha;
  return c;
}

}  // namespace

TEST_CASE("IkeGuard: a home agent's connections at start, reload and stop", "[ike][vici][home]") {
  auto c = connect();
  // What a crashed mapd with more identities left behind.
  ike::MapIke stale;
  stale.map_address = kHa;
  stale.local_id = "map1.hmip.test";
  REQUIRE(c.command("load-conn", ike::ha_mn_conn(stale, 6, "gone@hmip.test", {kHoa1}, false), kTimeout).ok());
  REQUIRE(hmip_conns(c) == std::vector<std::string>{"hmip-home-7"});

  boost::asio::io_context io;
  io::Logger log("test", io::Logger::Target::stderr_text, core::LogLevel::warning);
  map::MapdConfig cfg = home_agent_only();
  mapd::IkeGuard guard(io, cfg, log, mapd::IkeSink{[](const ike::SaEvent&) {},
                                                   [](const std::vector<ike::IkeSaView>&) {}, [] {}});
  guard.start();
  // No MAP connection, no pool; one connection per identity; the stale one gone.
  CHECK(hmip_conns(c) == std::vector<std::string>{"hmip-home-1", "hmip-home-2"});
  auto pools = c.command("get-pools", {}, kTimeout);
  REQUIRE(pools.ok());
  CHECK(pools.message.section(std::string(ike::kRcoaPool)) == nullptr);
  auto conns = c.streamed("list-conns", {}, "list-conn", kTimeout);
  REQUIRE(conns.ok());
  const Section* one = listed(conns, "hmip-home-1");
  REQUIRE(one != nullptr);
  CHECK(one->section("remote-1")->str("id") == "mn1@hmip.test");
  CHECK(one->section("children")->section("mh-1")->values("remote-ts") == List{kHoa1.str() + "/128[mobility-header]"});
  CHECK(one->section("children")->section("mh-2")->values("remote-ts") == List{kHoa3.str() + "/128[mobility-header]"});
  CHECK(one->section("children")->section("traffic") == nullptr);

  // hmipctl mapd show ike
  const io::Json view = guard.view(ike::RcoaHolders{});
  REQUIRE(view["home_connections"].size() == 2);
  CHECK(view["home_connections"][0]["identity"] == "mn1@hmip.test");
  CHECK(view["home_connections"][0]["home_addresses"].size() == 2);
  CHECK(view["home_connections"][1]["connection"] == "hmip-home-2");
  CHECK(guard.counters()["ike_home_conns_loaded"] == 2);

  // A reload: mn2's line goes, payload protection on.
  cfg.home_agent->owners.erase(cfg.home_agent->owners.begin() + 1);
  cfg.home_agent->protect_traffic = true;
  guard.reload_home();
  CHECK(hmip_conns(c) == std::vector<std::string>{"hmip-home-1"});
  conns = c.streamed("list-conns", {}, "list-conn", kTimeout);
  REQUIRE(conns.ok());
  one = listed(conns, "hmip-home-1");
  REQUIRE(one != nullptr);
  CHECK(one->section("children")->section("traffic") != nullptr);
  CHECK(guard.counters()["ike_home_conns_loaded"] == 3);
  // Nothing changed: nothing loaded.
  guard.reload_home();
  CHECK(guard.counters()["ike_home_conns_loaded"] == 3);

  guard.stop();
  CHECK(hmip_conns(c).empty());
}
