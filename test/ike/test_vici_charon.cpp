// ViciClient against a real charon (run by run-charon.sh): the commands and
// events hmip's security work uses, with the message layouts charon really
// sends (strongSwan 5.9.8's vici plugin). Each case leaves charon as it
// found it (what it loads it unloads).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "hmip/ike/charon_conn.h"
#include "hmip/io/vici_client.h"

using namespace hmip;
using vici::List;
using vici::Section;

namespace {

const auto kTimeout = std::chrono::milliseconds(5000);

io::ViciClient connect() {
  const char* path = std::getenv("HMIP_VICI_SOCKET");
  REQUIRE(path != nullptr);
  std::string err;
  auto c = io::ViciClient::connect(path, err);
  INFO(err);
  REQUIRE(c.has_value());
  return std::move(*c);
}

// A MAP's responder connection as hmip will load it: certificates, a
// transport_proxy child protecting MH between the MAP and RCoAs.
Section map_conn() {
  Section child;
  child.set("mode", "transport_proxy")
      .set("local_ts", List{"2001:db8:1::1/128[mobility-header]"})
      .set("remote_ts", List{"2001:db8:99::/64[mobility-header]"})
      .set("esp_proposals", List{"aes128gcm16-x25519"})
      .set("policies", "no");
  Section conn;
  conn.set("version", "2")
      .set("local_addrs", List{"2001:db8:1::1"})
      .set("pools", List{"hmip-test-rcoa"})
      .set("local", Section{}.set("auth", "pubkey").set("id", "map1.hmip.test"))
      .set("remote", Section{}.set("auth", "pubkey"))
      .set("children", Section{}.set("mh", child));
  return Section{}.set("hmip-test-map", conn);
}

}  // namespace

TEST_CASE("charon answers version and stats", "[ike][vici]") {
  auto c = connect();
  auto v = c.command("version", {}, kTimeout);
  REQUIRE(v.ok());
  CHECK(v.message.str("daemon") == "charon");
  CHECK_FALSE(v.message.str("version").empty());
  auto s = c.command("stats", {}, kTimeout);
  REQUIRE(s.ok());
  REQUIRE(s.message.section("ikesas") != nullptr);
  CHECK(s.message.section("ikesas")->str("total") == "0");
}

TEST_CASE("load-conn, list-conns and unload-conn with a transport_proxy child", "[ike][vici]") {
  auto c = connect();
  auto r = c.command("load-conn", map_conn(), kTimeout);
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(r.message.str("success") == "yes");

  auto conns = c.streamed("list-conns", Section{}.set("ike", "hmip-test-map"), "list-conn", kTimeout);
  REQUIRE(conns.ok());
  REQUIRE(conns.events.size() == 1);
  const Section* conn = conns.events[0].section("hmip-test-map");
  REQUIRE(conn != nullptr);
  CHECK(conn->values("local_addrs") == List{"2001:db8:1::1"});
  const Section* children = conn->section("children");
  REQUIRE(children != nullptr);
  const Section* mh = children->section("mh");
  REQUIRE(mh != nullptr);
  CHECK(mh->str("mode") == "TRANSPORT_PROXY");
  CHECK(mh->values("local-ts") == List{"2001:db8:1::1/128[mobility-header]"});
  CHECK(mh->values("remote-ts") == List{"2001:db8:99::/64[mobility-header]"});

  auto u = c.command("unload-conn", Section{}.set("name", "hmip-test-map"), kTimeout);
  REQUIRE(u.ok());
  auto after = c.streamed("list-conns", Section{}.set("ike", "hmip-test-map"), "list-conn", kTimeout);
  REQUIRE(after.ok());
  CHECK(after.events.empty());
}

TEST_CASE("charon's refusals arrive as errors with its message", "[ike][vici]") {
  auto c = connect();
  Section bad = map_conn();
  std::get<Section>(bad.entries[0].value).set("rekey_time", "not-a-duration");
  auto r = c.command("load-conn", bad, kTimeout);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.error.empty());
  CHECK(r.message.str("success") == "no");

  auto u = c.command("unload-conn", Section{}.set("name", "no-such-conn"), kTimeout);
  CHECK_FALSE(u.ok());
  auto unk = c.command("hmip-no-such-command", {}, kTimeout);
  CHECK(unk.error == "charon knows no command 'hmip-no-such-command'");
  CHECK(c.connected());  // refusals keep the connection usable
  CHECK(c.command("version", {}, kTimeout).ok());
}

TEST_CASE("an RCoA pool: load-pool, get-pools with leases, unload-pool", "[ike][vici]") {
  auto c = connect();
  Section pool;
  pool.set("addrs", "2001:db8:99::100-2001:db8:99::1ff");
  auto r = c.command("load-pool", Section{}.set("hmip-test-rcoa", pool), kTimeout);
  INFO(r.error);
  REQUIRE(r.ok());
  auto p = c.command("get-pools", Section{}.set("leases", "yes").set("name", "hmip-test-rcoa"), kTimeout);
  REQUIRE(p.ok());
  const Section* info = p.message.section("hmip-test-rcoa");
  REQUIRE(info != nullptr);
  CHECK(info->str("base") == "2001:db8:99::100");
  CHECK(info->str("size") == "256");
  CHECK(info->str("online") == "0");
  auto u = c.command("unload-pool", Section{}.set("name", "hmip-test-rcoa"), kTimeout);
  REQUIRE(u.ok());
  auto gone = c.command("get-pools", Section{}.set("name", "hmip-test-rcoa"), kTimeout);
  REQUIRE(gone.ok());
  CHECK(gone.message.section("hmip-test-rcoa") == nullptr);
}

TEST_CASE("event registration: ike-updown, child-updown; unknown events refused", "[ike][vici]") {
  auto c = connect();
  std::string err;
  REQUIRE(c.subscribe("ike-updown", kTimeout, err));
  REQUIRE(c.subscribe("child-updown", kTimeout, err));
  // Commands still work on a connection with subscriptions.
  CHECK(c.command("version", {}, kTimeout).ok());
  CHECK_FALSE(c.next_event(std::chrono::milliseconds(100)).has_value());
  CHECK(c.connected());
  CHECK_FALSE(c.subscribe("hmip-no-such-event", kTimeout, err));
  CHECK(err == "charon knows no event 'hmip-no-such-event'");
}

// ---- hmip's own requests (lib/ike) -----------------------------------------------

namespace {

std::string slurp(const std::string& name) {
  const char* dir = std::getenv("HMIP_IKE_PKI");
  REQUIRE(dir != nullptr);
  std::ifstream f(std::string(dir) + "/" + name, std::ios::binary);
  REQUIRE(f);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("charon takes lib/ike's MAP pool and connections", "[ike][vici]") {
  auto c = connect();
  ike::MapIke m;
  m.map_address = Ip6Addr::must("2001:db8:1::1");
  m.local_id = "map1.hmip.test";
  m.local_certs = {slurp("map.pem")};
  m.ca_certs = {slurp("ca.pem")};
  m.pool = ike::PoolRange{Ip6Addr::must("2001:db8:99::100"), Ip6Addr::must("2001:db8:99::1ff")};
  const Ip6Addr rcoa = Ip6Addr::must("2001:db8:99::100");

  auto pool = c.command("load-pool", ike::rcoa_pool(*m.pool), kTimeout);
  INFO(pool.error);
  REQUIRE(pool.ok());
  auto g = c.command("load-conn", ike::map_generic_conn(m), kTimeout);
  INFO(g.error);
  REQUIRE(g.ok());
  auto p = c.command("load-conn", ike::map_mn_conn(m, "mn1.hmip.test", rcoa), kTimeout);
  INFO(p.error);
  REQUIRE(p.ok());

  auto conns = c.streamed("list-conns", {}, "list-conn", kTimeout);
  REQUIRE(conns.ok());
  const Section* generic = nullptr;
  const Section* per_mn = nullptr;
  for (const auto& e : conns.events) {
    if (const auto* s = e.section(ike::kMapConn)) generic = s;
    if (const auto* s = e.section(ike::map_mn_conn_name(rcoa))) per_mn = s;
  }
  REQUIRE(generic != nullptr);
  REQUIRE(per_mn != nullptr);
  CHECK(generic->section("children")->empty());
  CHECK(generic->section("local-1")->str("id") == "map1.hmip.test");
  CHECK(per_mn->section("remote-1")->str("id") == "mn1.hmip.test");
  const Section* mh = per_mn->section("children")->section("mh");
  REQUIRE(mh != nullptr);
  CHECK(mh->str("mode") == "TRANSPORT_PROXY");
  CHECK(mh->values("remote-ts") == List{"2001:db8:99::100/128[mobility-header]"});

  for (const auto& name : {std::string(ike::kMapConn), ike::map_mn_conn_name(rcoa)}) {
    CHECK(c.command("unload-conn", Section{}.set("name", name), kTimeout).ok());
  }
  CHECK(c.command("unload-pool", Section{}.set("name", std::string(ike::kRcoaPool)), kTimeout).ok());
}
