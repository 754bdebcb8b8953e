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
  const char* path = std::getenv("HMIP_VICI_SOCKET");  // NOLINT(concurrency-mt-unsafe): single-threaded test
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
  const char* dir = std::getenv("HMIP_IKE_PKI");  // NOLINT(concurrency-mt-unsafe): single-threaded test
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

// ---- Home registrations (RFC 4877, issue 14) ----------------------------------------

namespace {

// The connection `name` as list-conns shows it (nullptr: not loaded).
const Section* listed(const io::ViciReply& conns, const std::string& name) {
  for (const auto& e : conns.events)
    if (const auto* s = e.section(name)) return s;
  return nullptr;
}

}  // namespace

TEST_CASE("charon takes lib/ike's home agent connections, with and without the traffic child", "[ike][vici][home]") {
  auto c = connect();
  ike::MapIke m;
  m.map_address = Ip6Addr::must("2001:db8:200::1");  // the HomeAgent Address
  m.local_id = "map1.hmip.test";
  m.local_certs = {slurp("map.pem")};
  m.ca_certs = {slurp("ca.pem")};
  const Ip6Addr hoa1 = Ip6Addr::must("2001:db8:200::10");
  const Ip6Addr hoa2 = Ip6Addr::must("2001:db8:200::11");
  const Ip6Addr hoa3 = Ip6Addr::must("2001:db8:200::12");

  // mn1 owns two home addresses, no payload protection; mn2 one, with it.
  auto a = c.command("load-conn", ike::ha_mn_conn(m, 0, "mn1@hmip.test", {hoa1, hoa2}, false), kTimeout);
  INFO(a.error);
  REQUIRE(a.ok());
  auto b = c.command("load-conn", ike::ha_mn_conn(m, 1, "mn2@hmip.test", {hoa3}, true), kTimeout);
  INFO(b.error);
  REQUIRE(b.ok());

  auto conns = c.streamed("list-conns", {}, "list-conn", kTimeout);
  REQUIRE(conns.ok());
  const Section* one = listed(conns, ike::ha_mn_conn_name(0));
  const Section* two = listed(conns, ike::ha_mn_conn_name(1));
  REQUIRE(one != nullptr);
  REQUIRE(two != nullptr);
  CHECK(one->values("local_addrs") == List{"2001:db8:200::1"});
  CHECK(one->section("local-1")->str("id") == "map1.hmip.test");
  CHECK(one->section("remote-1")->str("id") == "mn1@hmip.test");
  CHECK(two->section("remote-1")->str("id") == "mn2@hmip.test");
  const Section* kids = one->section("children");
  REQUIRE(kids != nullptr);
  const Section* mh1 = kids->section("mh-1");
  const Section* mh2 = kids->section("mh-2");
  REQUIRE(mh1 != nullptr);
  REQUIRE(mh2 != nullptr);
  CHECK(kids->section(std::string(ike::kTrafficChild)) == nullptr);
  CHECK(mh1->str("mode") == "TRANSPORT_PROXY");
  CHECK(mh1->values("local-ts") == List{"2001:db8:200::1/128[mobility-header]"});
  CHECK(mh1->values("remote-ts") == List{"2001:db8:200::10/128[mobility-header]"});
  CHECK(mh2->values("remote-ts") == List{"2001:db8:200::11/128[mobility-header]"});
  const Section* traffic = two->section("children")->section(std::string(ike::kTrafficChild));
  REQUIRE(traffic != nullptr);
  CHECK(traffic->str("mode") == "TRANSPORT");
  // Protocol 41 between the IKE endpoints (charon names it "ipv6").
  INFO("traffic local-ts: " << (traffic->values("local-ts").empty() ? "" : traffic->values("local-ts").front()));
  REQUIRE(traffic->values("local-ts").size() == 1);
  CHECK(traffic->values("local-ts").front().rfind("dynamic[", 0) == 0);
  CHECK(traffic->values("remote-ts").front().rfind("dynamic[", 0) == 0);
  CHECK(traffic->values("local-ts").front() != "dynamic");
  CHECK(two->section("children")->section("mh-1")->values("remote-ts") ==
        List{"2001:db8:200::12/128[mobility-header]"});

  // Loading a name again replaces it (mapd's reload): mn1 down to one address.
  auto again = c.command("load-conn", ike::ha_mn_conn(m, 0, "mn1@hmip.test", {hoa1}, false), kTimeout);
  REQUIRE(again.ok());
  conns = c.streamed("list-conns", {}, "list-conn", kTimeout);
  REQUIRE(conns.ok());
  one = listed(conns, ike::ha_mn_conn_name(0));
  REQUIRE(one != nullptr);
  CHECK(one->section("children")->section("mh-2") == nullptr);

  for (std::size_t i : {0, 1}) CHECK(c.command("unload-conn", ike::unload(ike::ha_mn_conn_name(i)), kTimeout).ok());
}

TEST_CASE("charon takes lib/ike's mobile node home connection, with and without the traffic child",
          "[ike][vici][home]") {
  auto c = connect();
  ike::MnIke m;
  m.map_address = Ip6Addr::must("2001:db8:200::1");  // the home agent
  m.map_id = "ha.hmip.test";
  m.local_id = "map1.hmip.test";  // any certificate of the test CA stands in for the node's
  m.local_certs = {slurp("map.pem")};
  m.ca_certs = {slurp("ca.pem")};
  const Ip6Addr coa = Ip6Addr::must("2001:db8:100::a1");  // the RCoA
  const Ip6Addr hoa = Ip6Addr::must("2001:db8:200::10");
  const std::string name = ike::mn_home_conn_name(m.map_address);

  for (bool traffic : {false, true}) {
    INFO("traffic child: " << traffic);
    auto r = c.command("load-conn", ike::mn_home_conn(m, coa, hoa, traffic), kTimeout);
    INFO(r.error);
    REQUIRE(r.ok());
    auto conns = c.streamed("list-conns", {}, "list-conn", kTimeout);
    REQUIRE(conns.ok());
    const Section* conn = listed(conns, name);
    REQUIRE(conn != nullptr);
    CHECK(conn->values("local_addrs") == List{"2001:db8:100::a1"});
    CHECK(conn->values("remote_addrs") == List{"2001:db8:200::1"});
    CHECK(conn->section("remote-1")->str("id") == "ha.hmip.test");
    const Section* mh = conn->section("children")->section(std::string(ike::kMhChild));
    REQUIRE(mh != nullptr);
    CHECK(mh->str("mode") == "TRANSPORT_PROXY");
    CHECK(mh->values("local-ts") == List{"2001:db8:200::10/128[mobility-header]"});
    CHECK(mh->values("remote-ts") == List{"2001:db8:200::1/128[mobility-header]"});
    const Section* tr = conn->section("children")->section(std::string(ike::kTrafficChild));
    CHECK((tr != nullptr) == traffic);
    if (tr != nullptr) CHECK(tr->str("mode") == "TRANSPORT");
  }
  CHECK(c.command("unload-conn", ike::unload(name), kTimeout).ok());
}
