// lib/ike: the charon configuration builders and the IKE SA views / RCoA
// holder check, on messages shaped like charon 5.9.8's (list-sa events as
// test/kernel cases 60-61 saw them). A real charon accepts the builders'
// requests in test/ike.
#include <catch2/catch.hpp>

#include "hmip/ike/charon_conn.h"
#include "hmip/ike/ike_sa.h"

using namespace hmip;
using ike::RcoaHolders;
using vici::List;
using vici::Section;

namespace {

const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:1:11::10");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::100");

ike::MapIke map_ike() {
  ike::MapIke m;
  m.map_address = kMap;
  m.local_id = "map1.example";
  m.local_certs = {"MAPCERT"};
  m.ca_certs = {"CACERT"};
  m.pool = ike::PoolRange{Ip6Addr::must("2001:db8:99::100"), Ip6Addr::must("2001:db8:99::1ff")};
  return m;
}

// One list-sa event as charon sends it for the MAP's side of an MN.
Section list_sa(const std::string& conn, const std::string& id, const std::string& remote_id,
                const std::string& remote_host, const std::string& vip, const std::string& state = "ESTABLISHED",
                const std::string& child_ts = "") {
  Section sa;
  sa.set("uniqueid", id)
      .set("version", "2")
      .set("state", state)
      .set("local-host", kMap.str())
      .set("local-id", "map1.example")
      .set("remote-host", remote_host)
      .set("remote-id", remote_id)
      .set("remote-vips", vip.empty() ? List{} : List{vip});
  if (!child_ts.empty()) {
    Section ch;
    ch.set("name", "mh")
        .set("uniqueid", "7")
        .set("reqid", "3")
        .set("state", "INSTALLED")
        .set("mode", "TRANSPORT_PROXY")
        .set("local-ts", List{kMap.str() + "/128[mobility-header]"})
        .set("remote-ts", List{child_ts});
    sa.set("child-sas", Section{}.set("mh-7", ch));
  }
  return Section{}.set(conn, sa);
}

}  // namespace

TEST_CASE("MAP connections: generic with the pool and no child, per RCoA with its child", "[ike]") {
  const auto g = ike::map_generic_conn(map_ike());
  const Section* c = g.section("hmip-map");
  REQUIRE(c != nullptr);
  CHECK(c->values("local_addrs") == List{"2001:db8:1::1"});
  CHECK(c->values("pools") == List{"hmip-rcoa"});
  CHECK(c->str("mobike") == "no");
  CHECK(c->section("children") == nullptr);
  CHECK(c->section("local")->str("id") == "map1.example");
  CHECK(c->section("local")->values("certs") == List{"MAPCERT"});
  CHECK(c->section("remote")->values("cacerts") == List{"CACERT"});
  CHECK(c->section("remote")->value("id") == nullptr);  // any identity the CA vouches for

  const auto p = ike::map_mn_conn(map_ike(), "mn1.example", kRcoa);
  const Section* pc = p.section("hmip-rcoa-2001:db8:99::100");
  REQUIRE(pc != nullptr);
  CHECK(pc->section("remote")->str("id") == "mn1.example");
  const Section* mh = pc->section("children")->section("mh");
  REQUIRE(mh != nullptr);
  CHECK(mh->str("mode") == "transport_proxy");
  CHECK(mh->values("local_ts") == List{"2001:db8:1::1/128[mobility-header]"});
  CHECK(mh->values("remote_ts") == List{"2001:db8:99::100/128[mobility-header]"});
  CHECK(mh->str("dpd_action") == "clear");  // the MAP never chases an MN

  const auto pool = ike::rcoa_pool(*map_ike().pool);
  CHECK(pool.section("hmip-rcoa")->str("addrs") == "2001:db8:99::100-2001:db8:99::1ff");

  auto a = map_ike();
  a.authorized_ids = {"*@mn.example", "mn9.example"};
  const auto conns = ike::map_generic_conns(a);
  REQUIRE(conns.size() == 2);
  CHECK(conns[0].section("hmip-map-1")->section("remote")->str("id") == "*@mn.example");
  CHECK(conns[1].section("hmip-map-2")->section("remote")->str("id") == "mn9.example");
  CHECK(ike::map_generic_conns(map_ike()).size() == 1);

  auto m = map_ike();
  m.pool.reset();
  CHECK(ike::map_generic_conn(m).section("hmip-map")->list("pools") == nullptr);
  // Everything encodes within VICI's limits.
  CHECK(vici::encode_message(g));
  CHECK(vici::encode_message(p));
}

TEST_CASE("MN connection: childless lease first, then the child for the RCoA", "[ike]") {
  ike::MnIke m;
  m.map_address = kMap;
  m.map_id = "map1.example";
  m.local_id = "mn1.example";
  m.local_certs = {"MNCERT"};
  const auto first = ike::mn_conn(m, kLcoa, std::nullopt);
  const Section* c = first.section("hmip-mn-lease-" + kMap.str());
  REQUIRE(c != nullptr);
  CHECK(c->values("vips") == List{"::"});
  CHECK(c->str("childless") == "force");
  CHECK(c->section("children") == nullptr);
  CHECK(c->values("local_addrs") == List{kLcoa.str()});
  CHECK(c->values("remote_addrs") == List{kMap.str()});
  CHECK(c->section("remote")->str("id") == "map1.example");

  const auto second = ike::mn_conn(m, kLcoa, kRcoa);
  const Section* c2 = second.section("hmip-mn-" + kMap.str());
  REQUIRE(c2 != nullptr);
  CHECK(c2->values("vips") == List{kRcoa.str()});
  CHECK(c2->value("childless") == nullptr);
  const Section* mh = c2->section("children")->section("mh");
  REQUIRE(mh != nullptr);
  CHECK(mh->values("local_ts") == List{"2001:db8:99::100/128[mobility-header]"});
  CHECK(mh->values("remote_ts") == List{"2001:db8:1::1/128[mobility-header]"});
  CHECK(mh->str("dpd_action") == "clear");  // mnd decides what to set up again
  CHECK(ike::mn_initiate(kMap, 5000).str("child") == "mh");
  CHECK(ike::mn_initiate(kMap, 5000).str("ike") == "hmip-mn-" + kMap.str());
  CHECK(ike::mn_initiate(kMap, -1, true).value("child") == nullptr);
  CHECK(ike::mn_initiate(kMap, -1, true).str("ike") == "hmip-mn-lease-" + kMap.str());
  CHECK(ike::mn_initiate(kMap, -1, true).str("timeout") == "-1");
  CHECK(ike::terminate_ike("7", -1).str("ike-id") == "7");
}

TEST_CASE("IKE SA views from list-sa and ike-updown messages", "[ike]") {
  auto msg = list_sa("hmip-rcoa-x", "5", "mn1.example", kLcoa.str(), kRcoa.str(), "ESTABLISHED",
                     kRcoa.str() + "/128[mobility-header]");
  auto sas = ike::parse_ike_sas(msg);
  REQUIRE(sas.size() == 1);
  CHECK(sas[0].conn == "hmip-rcoa-x");
  CHECK(sas[0].uniqueid == "5");
  CHECK(sas[0].remote_host == kLcoa);
  CHECK(sas[0].local_host == kMap);
  CHECK(sas[0].remote_vips == std::vector<Ip6Addr>{kRcoa});
  REQUIRE(sas[0].children.size() == 1);
  CHECK(sas[0].children[0].name == "mh");
  CHECK(sas[0].children[0].mode == "TRANSPORT_PROXY");
  CHECK(sas[0].children[0].reqid == "3");
  CHECK(sas[0].peer_identity() == "mn1.example");

  // Garbage addresses are dropped, the rest kept; EAP identity wins.
  Section odd = list_sa("c", "9", "CN=mn", "not-an-address", "also-not");
  std::get<Section>(odd.entries[0].value).set("remote-eap-id", "alice@example");
  auto o = ike::parse_ike_sas(odd);
  REQUIRE(o.size() == 1);
  CHECK_FALSE(o[0].remote_host.has_value());
  CHECK(o[0].remote_vips.empty());
  CHECK(o[0].peer_identity() == "alice@example");

  Section up = list_sa("hmip-map", "5", "mn1.example", kLcoa.str(), kRcoa.str());
  up.entries.insert(up.entries.begin(), vici::Entry{"up", std::string("yes")});
  auto u = ike::parse_ike_updown(up);
  REQUIRE(u.has_value());
  CHECK(u->up);
  CHECK(u->sa.uniqueid == "5");
  CHECK_FALSE(ike::parse_ike_updown(Section{}.set("up", "yes")).has_value());

  CHECK(ike::single_host("2001:db8:99::5/128[mobility-header]") == Ip6Addr::must("2001:db8:99::5"));
  CHECK(ike::single_host("2001:db8:99::5/128") == Ip6Addr::must("2001:db8:99::5"));
  CHECK_FALSE(ike::single_host("2001:db8:99::/64[mobility-header]"));
  CHECK_FALSE(ike::single_host("dynamic[mobility-header]"));
  CHECK_FALSE(ike::single_host("2001:db8:99::5"));
  // Only Mobility Header selectors (or protocol-less ones) name an address
  // for the holder table; the home traffic child's protocol 41 does not.
  CHECK(ike::mh_host("2001:db8:99::5/128[mobility-header]") == Ip6Addr::must("2001:db8:99::5"));
  CHECK(ike::mh_host("2001:db8:99::5/128[mobility-header/5]") == Ip6Addr::must("2001:db8:99::5"));
  CHECK(ike::mh_host("2001:db8:99::5/128") == Ip6Addr::must("2001:db8:99::5"));
  CHECK_FALSE(ike::mh_host("2001:db8:99::5/128[ipv6]"));
  CHECK_FALSE(ike::mh_host("2001:db8:99::5/128[tcp/80]"));
}

TEST_CASE("RcoaHolders: a lease alone holds but never protects; an installed child protects", "[ike]") {
  RcoaHolders h;
  const Ip6Addr other_lcoa = Ip6Addr::must("2001:db8:1:12::10");
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::no_ike_sa);

  // The lease alone (childless IKE SA) holds the RCoA, protects nothing.
  h.reset(ike::parse_ike_sas(list_sa("hmip-map", "1", "mn1.example", kLcoa.str(), kRcoa.str())));
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::lease_only);
  CHECK(h.check(kRcoa, other_lcoa) == RcoaHolders::Verdict::lease_only);
  CHECK(h.holder(kRcoa) == std::string("mn1.example"));
  CHECK(h.rcoas() == 1);

  // The identity's protecting IKE SA with its installed child: held from
  // its CoA, coa_moving from another one.
  h.update(ike::parse_ike_sas(list_sa("hmip-rcoa-x", "2", "mn1.example", kLcoa.str(), "", "ESTABLISHED",
                                      kRcoa.str() + "/128[mobility-header]"))[0]);
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::held);
  CHECK(h.check(kRcoa, other_lcoa) == RcoaHolders::Verdict::coa_moving);
  // The update replaces an SA by uniqueid (and its index entries).
  h.update(ike::parse_ike_sas(list_sa("hmip-rcoa-x", "2", "mn1.example", other_lcoa.str(), "", "ESTABLISHED",
                                      kRcoa.str() + "/128[mobility-header]"))[0]);
  CHECK(h.size() == 2);
  CHECK(h.check(kRcoa, other_lcoa) == RcoaHolders::Verdict::held);

  // Another identity naming the same RCoA: contested, no holder.
  h.update(ike::parse_ike_sas(list_sa("hmip-map", "3", "mn2.example", "2001:db8:2::10", "", "ESTABLISHED",
                                      kRcoa.str() + "/128[mobility-header]"))[0]);
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::contested);
  CHECK_FALSE(h.holder(kRcoa).has_value());
  h.remove("3");
  CHECK(h.check(kRcoa, other_lcoa) == RcoaHolders::Verdict::held);
  h.remove("2");
  CHECK(h.check(kRcoa, other_lcoa) == RcoaHolders::Verdict::lease_only);
  h.remove("1");
  CHECK(h.rcoas() == 0);  // the index empties with the table

  // SAs that are not established hold nothing; a child not INSTALLED protects nothing.
  h.reset(ike::parse_ike_sas(list_sa("hmip-rcoa-x", "4", "mn1.example", kLcoa.str(), kRcoa.str(), "CONNECTING",
                                     kRcoa.str() + "/128[mobility-header]")));
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::no_ike_sa);
  auto installing = ike::parse_ike_sas(list_sa("hmip-rcoa-x", "5", "mn1.example", kLcoa.str(), "", "ESTABLISHED",
                                               kRcoa.str() + "/128[mobility-header]"))[0];
  installing.children[0].state = "INSTALLING";
  h.update(installing);
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::lease_only);
  installing.children[0].state = "REKEYING";  // still installed while rekeyed
  h.update(installing);
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::held);
  h.remove("no-such-id");
  CHECK(h.size() == 2);
  h.clear();
  CHECK(h.size() == 0);
  CHECK(to_string(RcoaHolders::Verdict::contested) == "IKE SAs of different identities hold the RCoA");
}

TEST_CASE("RcoaHolders from events: ike-updown then child-updown merge; a child down leaves the lease", "[ike]") {
  RcoaHolders h;
  const auto lease = ike::parse_ike_sas(list_sa("hmip-map", "5", "mn1.example", kLcoa.str(), kRcoa.str()));
  REQUIRE(lease.size() == 1);
  h.ike_up(lease[0]);
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::lease_only);

  const auto prot = ike::parse_ike_sas(
      list_sa("hmip-rcoa-x", "6", "mn1.example", kLcoa.str(), "", "ESTABLISHED", kRcoa.str() + "/128[mobility-header]"));
  REQUIRE(prot.size() == 1);
  auto bare = prot[0];
  bare.children.clear();
  h.ike_up(bare);
  CHECK(h.child_updown(prot[0], true));
  REQUIRE(h.find("6") != nullptr);
  CHECK(h.find("6")->children.size() == 1);
  h.ike_up(bare);  // an ike-updown listing no children keeps the known ones
  CHECK(h.find("6")->children.size() == 1);
  h.remove("5");   // the leasing SA goes: the child still protects it
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::held);
  CHECK(h.child_updown(prot[0], false));
  CHECK(h.find("6")->children.empty());
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::no_ike_sa);
  CHECK(h.child_updown(prot[0], false));  // a child never seen went down: nothing to revoke, no resync
  RcoaHolders empty;
  CHECK(empty.child_updown(prot[0], false));
  CHECK(empty.size() == 0);
}

TEST_CASE("SA events: parse_sa_events for the four events; apply follows rekeys", "[ike]") {
  // ike-updown / child-updown
  Section up = list_sa("hmip-rcoa-x", "6", "mn1.example", kLcoa.str(), "", "ESTABLISHED",
                       kRcoa.str() + "/128[mobility-header]");
  up.entries.insert(up.entries.begin(), vici::Entry{"up", std::string("yes")});
  auto ev = ike::parse_sa_events("child-updown", up);
  REQUIRE(ev.size() == 1);
  const auto* cu = std::get_if<ike::ChildUpdownEvent>(&ev[0]);
  REQUIRE(cu != nullptr);
  CHECK(cu->up);
  CHECK(cu->sa.children.size() == 1);
  ev = ike::parse_sa_events("ike-updown", list_sa("hmip-map", "5", "mn1.example", kLcoa.str(), kRcoa.str()));
  REQUIRE(ev.size() == 1);
  CHECK_FALSE(std::get<ike::IkeUpdownEvent>(ev[0]).up);
  CHECK(ike::parse_sa_events("log", up).empty());

  RcoaHolders h;
  CHECK(h.apply(ev[0]));  // a down of an IKE SA never seen (failed authentication): no resync
  CHECK(h.apply(ike::parse_sa_events("child-updown", up)[0]));
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::held);

  // ike-rekey: old and new sections without children; the children move.
  auto side = [](const std::string& id) {
    return Section{}.set("uniqueid", id).set("state", "ESTABLISHED").set("remote-id", "mn1.example")
        .set("remote-host", kLcoa.str());
  };
  Section rk = Section{}.set("hmip-rcoa-x", Section{}.set("old", side("6")).set("new", side("8")));
  ev = ike::parse_sa_events("ike-rekey", rk);
  REQUIRE(ev.size() == 1);
  CHECK(std::get<ike::IkeRekeyEvent>(ev[0]).new_sa.uniqueid == "8");
  CHECK(h.apply(ev[0]));
  CHECK(h.find("6") == nullptr);
  REQUIRE(h.find("8") != nullptr);
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::held);

  // child-rekey: the IKE SA with child-sas { mh = { old, new } }.
  auto ch = [](const std::string& id) {
    return Section{}.set("name", "mh").set("uniqueid", id).set("state", "INSTALLED")
        .set("remote-ts", List{kRcoa.str() + "/128[mobility-header]"});
  };
  Section crk = side("8");
  crk.set("child-sas", Section{}.set("mh", Section{}.set("old", ch("7")).set("new", ch("9"))));
  ev = ike::parse_sa_events("child-rekey", Section{}.set("hmip-rcoa-x", crk));
  REQUIRE(ev.size() == 1);
  const auto& cr = std::get<ike::ChildRekeyEvent>(ev[0]);
  CHECK(cr.old_child.uniqueid == "7");
  CHECK(cr.new_child.uniqueid == "9");
  CHECK(cr.sa.children.empty());
  CHECK(h.apply(ev[0]));
  REQUIRE(h.find("8")->children.size() == 1);
  CHECK(h.find("8")->children[0].uniqueid == "9");
  CHECK(h.check(kRcoa, kLcoa) == RcoaHolders::Verdict::held);
  // A rekey of a child never seen: applied, but reported as missed.
  CHECK_FALSE(h.apply(ev[0]));
}

TEST_CASE("Home registration connections (RFC 4877): the HA's per identity, the MN's from its care-of address",
          "[ike][home]") {
  const Ip6Addr ha = Ip6Addr::must("2001:db8:200::1");
  const Ip6Addr hoa1 = Ip6Addr::must("2001:db8:200::10");
  const Ip6Addr hoa2 = Ip6Addr::must("2001:db8:200::11");
  auto m = map_ike();
  m.map_address = ha;
  const auto h = ike::ha_mn_conn(m, 1, "mn1.example", {hoa1, hoa2}, false);
  const Section* c = h.section("hmip-home-2");
  REQUIRE(c != nullptr);
  CHECK(c->values("local_addrs") == List{ha.str()});
  CHECK(c->list("pools") == nullptr);  // home addresses are configured, never leased
  CHECK(c->section("remote")->str("id") == "mn1.example");
  const Section* kids = c->section("children");
  REQUIRE(kids != nullptr);
  CHECK(kids->section("traffic") == nullptr);
  const Section* mh2 = kids->section("mh-2");
  REQUIRE(mh2 != nullptr);
  CHECK(mh2->str("mode") == "transport_proxy");
  CHECK(mh2->values("local_ts") == List{"2001:db8:200::1/128[mobility-header]"});
  CHECK(mh2->values("remote_ts") == List{"2001:db8:200::11/128[mobility-header]"});
  CHECK(kids->section("mh-1")->values("remote_ts") == List{"2001:db8:200::10/128[mobility-header]"});
  const auto t = ike::ha_mn_conn(m, 0, "mn1.example", {hoa1}, true);
  const Section* tr = t.section("hmip-home-1")->section("children")->section("traffic");
  REQUIRE(tr != nullptr);
  CHECK(tr->str("mode") == "transport");
  CHECK(tr->values("local_ts") == List{"dynamic[41]"});
  CHECK(vici::encode_message(h));

  ike::MnIke n;
  n.map_address = ha;
  n.map_id = "ha.example";
  n.local_id = "mn1.example";
  n.local_certs = {"MNCERT"};
  const auto mc = ike::mn_home_conn(n, kRcoa, hoa1, true);
  const Section* mcc = mc.section("hmip-mn-home-2001:db8:200::1");
  REQUIRE(mcc != nullptr);
  CHECK(mcc->values("local_addrs") == List{kRcoa.str()});
  CHECK(mcc->values("remote_addrs") == List{ha.str()});
  CHECK(mcc->list("vips") == nullptr);
  CHECK(mcc->section("remote")->str("id") == "ha.example");
  const Section* mmh = mcc->section("children")->section("mh");
  REQUIRE(mmh != nullptr);
  CHECK(mmh->str("mode") == "transport_proxy");
  CHECK(mmh->values("local_ts") == List{"2001:db8:200::10/128[mobility-header]"});
  CHECK(mmh->values("remote_ts") == List{"2001:db8:200::1/128[mobility-header]"});
  CHECK(mcc->section("children")->section("traffic") != nullptr);
  CHECK(ike::mn_home_conn(n, kRcoa, hoa1, false).section("hmip-mn-home-2001:db8:200::1")->section("children")->section(
            "traffic") == nullptr);
  const auto in = ike::mn_home_initiate(ha, ike::kTrafficChild, -1);
  CHECK(in.str("child") == "traffic");
  CHECK(in.str("ike") == "hmip-mn-home-2001:db8:200::1");
}
