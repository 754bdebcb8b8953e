// MapAgent::adopt (issue 13 item 13): a restarted mapd takes over the
// complete bindings a previous run left in the kernel, asks each node to
// re-register with a BRR, gives the binding a short lifetime and accepts
// its first BU whatever its sequence number. hmip/map/map_agent.h
// ("Restart") lists the decisions tested here.
#include "test_map_util.h"

#include "hmip/ike/ike_sa.h"

using namespace maptest;

namespace {

LeftoverBinding leftover(const Ip6Addr& rcoa = kRcoa1, const Ip6Addr& lcoa = kLcoaAr1) {
  return LeftoverBinding{{rcoa, 0}, kMap, lcoa, "map0", 1460};
}

AdoptVerdict adopt(Harness& h, const LeftoverBinding& lb) {
  const AdoptVerdict v = h.agent.adopt(h.now, lb);
  h.drain();
  return v;
}

std::vector<core::Duration> brr_times(Harness& h, TimePoint t0, core::Duration span) {
  std::vector<core::Duration> at;
  const TimePoint end = h.now + span;
  while (auto t = h.agent.poll_timeout()) {
    if (*t > end) break;
    h.advance(std::chrono::duration_cast<core::Duration>(*t - h.now));
    for (const auto& brr : h.take<SendBrr>()) {
      CHECK(brr.rcoa == kRcoa1);
      CHECK(brr.lcoa == kLcoaAr1);
      CHECK(brr.src == kMap);
      at.push_back(std::chrono::duration_cast<core::Duration>(h.now - t0));
    }
  }
  return at;
}

}  // namespace

TEST_CASE("map adopt: a leftover binding gets BRRs at once and every BrrInterval, then expires", "[map][adopt]") {
  Harness h;
  const TimePoint t0 = h.now;
  CHECK(adopt(h, leftover()) == AdoptVerdict::adopted);
  // Nothing for the kernel (its objects stand), no BA: only the BRR, due now.
  CHECK(h.take_all().empty());
  CHECK(h.agent.poll_timeout() == t0);
  const auto b = h.binding();
  REQUIRE(b);
  CHECK(b->adopted);
  CHECK(b->lcoa == kLcoaAr1);
  CHECK(b->lifetime_units == 5);  // kAdoptedLifetime, 20 s
  CHECK(b->remaining == kAdoptedLifetime);
  CHECK(b->proxy_interface == "map0");
  CHECK(h.agent.counters().bindings_adopted == 1);

  const auto at = brr_times(h, t0, seconds(30));
  CHECK(at == std::vector<core::Duration>{seconds(0), seconds(2), seconds(4), seconds(6), seconds(8), seconds(10),
                                          seconds(12), seconds(14), seconds(16), seconds(18)});
  // No BU came: the binding expired normally at 20 s.
  CHECK_FALSE(h.binding());
  CHECK(h.agent.counters().brr_sent == 10);
  CHECK(h.agent.counters().brr_adopted_sent == 10);
  CHECK(h.agent.counters().expired == 1);
  CHECK(h.agent.counters().adopted_expired == 1);
  CHECK_FALSE(h.agent.poll_timeout());
}

TEST_CASE("map adopt: the expiry of an adopted binding removes its kernel state", "[map][adopt]") {
  Harness h;
  adopt(h, leftover());
  h.advance(kAdoptedLifetime);
  const auto removed = h.take<RemoveBinding>();
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].key == BindingKey{kRcoa1, 0});
  CHECK(removed[0].reason == RemoveReason::expired);
}

TEST_CASE("map adopt: the first BU is accepted with any sequence number, once", "[map][adopt]") {
  Harness h;
  adopt(h, leftover());
  h.advance(seconds(1));
  CHECK(h.take<SendBrr>().size() == 1);
  // The node answers the BRR with whatever its next number is; the MAP
  // lost the last one it accepted.
  h.bu({.seq = 40000});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 40000);
  CHECK(ba.ba.lifetime == 150);
  CHECK_FALSE(ba.transient_route);
  auto b = h.binding();
  REQUIRE(b);
  CHECK_FALSE(b->adopted);
  CHECK(b->sequence == 40000);
  CHECK(b->remaining == seconds(600));
  CHECK(b->brr_sent == 0);
  CHECK(b->next_brr_in == seconds(590));  // the usual near-expiry BRR only
  const auto& c = h.agent.counters();
  CHECK(c.bu_adopted_any_sequence == 1);
  CHECK(c.adopted_reregistered == 1);
  CHECK(c.bindings_refreshed == 1);
  CHECK(c.bindings_created == 0);

  // From now on the usual rule: an older number is out of the window.
  h.bu({.seq = 39999});
  const SendBa refused = h.only_ba();
  CHECK(refused.ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(refused.ba.sequence == 40000);
  CHECK(h.agent.counters().bu_adopted_any_sequence == 1);
  h.advance(seconds(30));
  CHECK(h.take<SendBrr>().empty());
}

TEST_CASE("map adopt: a node that moved meanwhile re-registers from its new LCoA", "[map][adopt]") {
  Harness h;
  adopt(h, leftover());
  h.advance(seconds(1));
  CHECK(h.take<SendBrr>().size() == 1);
  h.bu({.lcoa = kLcoaAr2, .seq = 3});
  const auto all = h.take_all();
  REQUIRE(all.size() == 3);
  CHECK(std::get<InstallBinding>(all[0]).reason == InstallReason::move);
  CHECK(std::get<SendBa>(all[1]).ba.status == 0);
  CHECK(h.binding()->lcoa == kLcoaAr2);
  CHECK_FALSE(h.binding()->adopted);
  CHECK(h.agent.counters().adopted_reregistered == 1);
}

TEST_CASE("map adopt: a deregistration of an adopted binding with any number removes it", "[map][adopt]") {
  Harness h;
  adopt(h, leftover());
  h.bu({.seq = 0, .lifetime = 0});
  CHECK(h.only_ba().ba.status == 0);
  CHECK_FALSE(h.binding());
}

TEST_CASE("map adopt: what the configuration no longer allows is removed, not adopted", "[map][adopt]") {
  Harness h;
  LeftoverBinding lb = leftover();
  AdoptVerdict want = AdoptVerdict::adopted;
  SECTION("RCoA outside every RcoaPrefix") {
    lb.key.rcoa = kRcoaOther;
    want = AdoptVerdict::outside_prefixes;
  }
  SECTION("another MapAddress") {
    lb.map_address = Ip6Addr::must("2001:db8:100::2");
    want = AdoptVerdict::other_map_address;
  }
  SECTION("LCoA outside LcoaPrefix and NeighbourPrefix") {
    lb.lcoa = kLcoaForeign;
    want = AdoptVerdict::lcoa_not_allowed;
  }
  SECTION("LCoA inside an RCoA prefix") {
    lb.lcoa = kRcoa2;
    want = AdoptVerdict::lcoa_not_allowed;
  }
  CHECK(adopt(h, lb) == want);
  const auto all = h.take_all();
  REQUIRE(all.size() == 1);
  CHECK(std::get<RemoveBinding>(all[0]).key == lb.key);
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::not_adopted);
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.counters().adoption_refused == 1);
  CHECK(h.agent.counters().bindings_adopted == 0);
  CHECK_FALSE(h.agent.poll_timeout());
}

TEST_CASE("map adopt: a neighbouring domain's LCoA is adopted as such; twice is once", "[map][adopt]") {
  Harness h;
  CHECK(adopt(h, leftover(kRcoa1, kLcoaNeighbour)) == AdoptVerdict::adopted);
  CHECK(h.binding()->from_neighbour);
  CHECK(adopt(h, leftover(kRcoa1, kLcoaAr1)) == AdoptVerdict::already_bound);
  CHECK(h.binding()->lcoa == kLcoaNeighbour);
  CHECK(h.agent.counters().bindings_adopted == 1);
}

TEST_CASE("map adopt: kernel settings the configuration changed are re-installed in place", "[map][adopt]") {
  auto cfg = test_config();
  LeftoverBinding lb = leftover();
  SECTION("the prefix's Interface") { lb.proxy_interface = "old0"; }
  SECTION("a TunnelMtu other than the tunnel's") { cfg.tunnel_mtu = 1400; }
  Harness h(cfg);
  h.install_ok = true;
  CHECK(adopt(h, lb) == AdoptVerdict::adopted_reinstall);
  auto installs = h.take<InstallBinding>();
  REQUIRE(installs.size() == 1);
  CHECK(installs[0].reason == InstallReason::adopt);
  CHECK(installs[0].proxy_interface == "map0");
  CHECK(installs[0].lcoa == kLcoaAr1);
  CHECK(installs[0].tunnel_mtu == cfg.tunnel_mtu);
  REQUIRE(h.binding());
  CHECK(h.binding()->adopted);
  CHECK(h.agent.counters().adopted_reinstalled == 1);
  CHECK(h.agent.counters().ba_sent == 0);  // no BU to answer
}

TEST_CASE("map adopt: a failed re-install removes the adopted binding", "[map][adopt]") {
  Harness h;
  h.install_ok = false;
  LeftoverBinding lb = leftover();
  lb.proxy_interface.clear();
  CHECK(adopt(h, lb) == AdoptVerdict::adopted_reinstall);
  const auto removed = h.take<RemoveBinding>();
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].reason == RemoveReason::not_adopted);
  CHECK_FALSE(h.binding());
  CHECK(h.agent.counters().ba_sent == 0);
}

TEST_CASE("map adopt: a TunnelMtu of 0 keeps the tunnel's MTU; caps shorten the lifetime", "[map][adopt]") {
  auto cfg = test_config();
  cfg.max_binding_lifetime = 9;  // two 4 s units
  Harness h(cfg);
  CHECK(adopt(h, leftover()) == AdoptVerdict::adopted);
  CHECK(h.take<InstallBinding>().empty());
  CHECK(h.binding()->remaining == seconds(8));
  cfg.max_binding_lifetime = 3;
  Harness h3(cfg);
  CHECK(adopt(h3, leftover()) == AdoptVerdict::lifetime_capped);
  CHECK(h3.take<RemoveBinding>().size() == 1);
}

TEST_CASE("map adopt: BrrLead 0 and a reload keep the adoption's BRRs", "[map][adopt]") {
  auto cfg = test_config();
  cfg.brr_lead = core::Duration::zero();
  Harness h(cfg);
  const TimePoint t0 = h.now;
  adopt(h, leftover());
  h.advance(seconds(3));
  CHECK(h.take<SendBrr>().size() == 2);  // 0, 2
  h.agent.reload(h.now, cfg);
  h.drain();
  REQUIRE(h.binding());
  CHECK(h.binding()->adopted);
  CHECK(h.binding()->next_brr_in == seconds(1));
  const auto at = brr_times(h, t0, seconds(30));
  CHECK(at.size() == 8);  // 4 .. 18
  CHECK_FALSE(h.binding());
}

namespace {

/// charon outlived mapd: list-sas hands the holder's lease SA and its
/// protecting SA with the CHILD_SA.
std::vector<ike::IkeSaView> holder_sas(bool with_child) {
  ike::ChildSaView child;
  child.name = "mh";
  child.uniqueid = "c1";
  child.state = "INSTALLED";
  child.mode = "TRANSPORT_PROXY";
  child.local_ts = {kMap.str() + "/128[mobility-header]"};
  child.remote_ts = {kRcoa1.str() + "/128[mobility-header]"};
  ike::IkeSaView lease;
  lease.conn = "hmip-map";
  lease.uniqueid = "1";
  lease.state = "ESTABLISHED";
  lease.remote_id = "mn1@hmip.test";
  lease.remote_host = kLcoaAr1;
  lease.remote_vips = {kRcoa1};
  ike::IkeSaView prot = lease;
  prot.conn = "hmip-rcoa-" + kRcoa1.str();
  prot.uniqueid = "2";
  prot.remote_vips.clear();
  if (with_child) prot.children = {child};
  return {lease, prot};
}

}  // namespace

TEST_CASE("map adopt: secure mode adopts only an RCoA an identity holds", "[map][adopt][ike]") {
  auto cfg = test_config();
  cfg.insecure.enabled = false;
  Harness h(cfg);
  // No IKE SA holds it (its node's IKE SA went while mapd was down): removed.
  CHECK(adopt(h, leftover()) == AdoptVerdict::no_holder);
  CHECK_FALSE(h.binding());
  CHECK(h.take<RemoveBinding>().size() == 1);
  CHECK(h.agent.counters().adoption_refused == 1);

  // Held (lease and CHILD_SA): adopted, counted against its identity.
  Harness h2(cfg);
  h2.agent.handle_ike_sas(h2.now, holder_sas(true));
  CHECK(adopt(h2, leftover()) == AdoptVerdict::adopted);
  REQUIRE(h2.binding());
  CHECK(h2.agent.cap_usage().owners == 1);
}

TEST_CASE("map adopt: secure mode still requires the CHILD_SA for the any-sequence BU", "[map][adopt][ike]") {
  auto cfg = test_config();
  cfg.insecure.enabled = false;
  Harness h(cfg);
  // The lease alone (its CHILD_SA not there yet): adopted, but its BU is
  // not protected.
  h.agent.handle_ike_sas(h.now, holder_sas(false));
  adopt(h, leftover());
  const BuSpec s{.seq = 9, .options = {wire::AlternateCareOfAddressOption{kLcoaAr1}}};
  h.bu(s);
  CHECK(h.take<SendBa>().empty());  // no installed CHILD_SA: dropped
  CHECK(h.agent.counters().bu_ike_lease_only == 1);
  CHECK(h.agent.counters().bu_adopted_any_sequence == 0);
  CHECK(h.binding()->adopted);

  // The CHILD_SA installed: the any-sequence BU is accepted once.
  h.agent.handle_ike_sas(h.now, holder_sas(true));
  h.bu(s);
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 9);
  CHECK_FALSE(h.binding()->adopted);
  CHECK(h.agent.counters().bu_adopted_any_sequence == 1);
}
