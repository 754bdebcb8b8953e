// MapAgent's caps (issue 13 item 14; hmip/map/map_agent.h): a new RCoA over
// MaxBindings, the per-node cap (MaxBindingsPerIdentity in secure mode,
// MaxBindingsPerTrustedPrefix in the testbed mode), MaxPendingRegistrations
// or MaxConcurrentDad is refused with 130 and counted; a refresh or a move
// never is; a removal frees a slot; a reload lowering a cap keeps what is
// bound; a DAD that cannot join its group refuses rather than skipping DAD;
// an IKE SA taking its identity over the cap in RCoA leases is terminated.
#include "test_map_util.h"

#include <algorithm>

#include "hmip/ike/ike_sa.h"
#include "hmip/io/map_view.h"

using namespace maptest;

namespace {

Ip6Addr rcoa(int i) { return Ip6Addr::must("2001:db8:100::" + std::to_string(0xb00 + i)); }

std::uint8_t last_status(Harness& h) { return h.only_ba().ba.status; }

// A new binding for rcoa(i): the BA's status (the actions are cleared).
std::uint8_t bind(Harness& h, int i, const Ip6Addr& lcoa = kLcoaAr1, std::uint16_t seq = 1) {
  h.bu({.rcoa = rcoa(i), .lcoa = lcoa, .seq = seq});
  return last_status(h);
}

std::size_t logs_with(Harness& h, std::string_view needle) {
  std::size_t n = 0;
  for (const auto& a : h.actions)
    if (const auto* l = std::get_if<LogEvent>(&a); l != nullptr && l->text.find(needle) != std::string::npos) ++n;
  return n;
}

MapdConfig capped(std::uint32_t max_bindings) {
  auto c = test_config();
  c.max_bindings = max_bindings;
  return c;
}

}  // namespace

TEST_CASE("MaxBindings: a new RCoA over it gets 130; refresh and move at the cap are accepted", "[map][caps]") {
  Harness h(capped(2));
  CHECK(bind(h, 1) == 0);
  CHECK(bind(h, 2) == 0);
  h.bu({.rcoa = rcoa(3), .lcoa = kLcoaAr1, .seq = 1});
  CHECK(logs_with(h, "MaxBindings 2 reached") == 1);
  const auto refused = h.only_ba();
  CHECK(refused.ba.status == wire::ba_status::kInsufficientResources);
  CHECK(refused.ba.lifetime == 0);
  CHECK(refused.lcoa == kLcoaAr1);
  CHECK(refused.transient_route);
  CHECK_FALSE(h.binding(rcoa(3)));
  CHECK(h.installs.size() == 2);  // nothing installed for it
  CHECK(h.agent.counters().cap_bindings == 1);
  CHECK(h.agent.counters().refused(wire::ba_status::kInsufficientResources) == 1);

  // At the cap: a refresh and a move of an existing binding.
  h.bu({.rcoa = rcoa(1), .lcoa = kLcoaAr1, .seq = 2});
  CHECK(last_status(h) == 0);
  h.bu({.rcoa = rcoa(2), .lcoa = kLcoaAr2, .seq = 2});
  CHECK(last_status(h) == 0);
  REQUIRE(h.binding(rcoa(2)));
  CHECK(h.binding(rcoa(2))->lcoa == kLcoaAr2);
  CHECK(h.agent.counters().cap_bindings == 1);
  CHECK(h.agent.binding_count() == 2);

  // A deregistration frees a slot; so does an expiry.
  h.bu({.rcoa = rcoa(2), .lcoa = kLcoaAr2, .seq = 3, .lifetime = 0});
  CHECK(last_status(h) == 0);
  CHECK(bind(h, 3) == 0);
  CHECK(bind(h, 4) == wire::ba_status::kInsufficientResources);
  h.advance(seconds(601));
  CHECK(h.agent.binding_count() == 0);
  h.actions.clear();
  CHECK(bind(h, 4) == 0);
  CHECK(h.agent.cap_usage().bindings == 1);
}

TEST_CASE("MaxBindings counts new registrations still pending, and a failed install frees its slot", "[map][caps]") {
  Harness h(capped(1));
  h.auto_install = false;
  h.bu({.rcoa = rcoa(1)});
  REQUIRE(h.take<InstallBinding>().size() == 1);
  CHECK(h.agent.cap_usage().bindings == 1);
  CHECK(bind(h, 2) == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_bindings == 1);
  // The kernel refuses the first: its slot is free again.
  h.agent.handle_dataplane_result(h.now, {rcoa(1), 0}, false, "No buffer space");
  h.drain();
  CHECK(last_status(h) == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.cap_usage().bindings == 0);
  h.auto_install = true;
  CHECK(bind(h, 2) == 0);
}

TEST_CASE("per-TrustedPrefix cap (testbed mode): prefixes independent, a move in never refused", "[map][caps]") {
  auto c = test_config();
  c.insecure.trusted_prefixes = {*Ip6Prefix::parse("2001:db8:1:1::/64"), *Ip6Prefix::parse("2001:db8:1:2::/64")};
  c.max_bindings_per_trusted_prefix = 1;
  Harness h(c);
  CHECK(bind(h, 1, kLcoaAr1) == 0);
  h.bu({.rcoa = rcoa(2), .lcoa = Ip6Addr::must("2001:db8:1:1::11")});
  CHECK(logs_with(h, "MaxBindingsPerTrustedPrefix 1 reached by TrustedPrefix 2001:db8:1:1::/64") == 1);
  CHECK(last_status(h) == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_identity == 1);
  // Another prefix has its own count.
  CHECK(bind(h, 2, kLcoaAr2) == 0);
  // rcoa(1) moves into the full AR2 prefix: accepted; AR1's slot is free.
  h.bu({.rcoa = rcoa(1), .lcoa = Ip6Addr::must("2001:db8:1:2::11"), .seq = 2});
  CHECK(last_status(h) == 0);
  CHECK(h.agent.cap_usage().max_owner == 2);
  CHECK(bind(h, 3, kLcoaAr1) == 0);
  CHECK(bind(h, 4, Ip6Addr::must("2001:db8:1:2::12")) == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_identity == 2);
  CHECK(h.agent.binding_count() == 3);
}

TEST_CASE("MaxPendingRegistrations: new registrations waiting for the kernel; retransmissions absorbed",
          "[map][caps]") {
  auto c = test_config();
  c.max_pending_registrations = 1;
  Harness h(c);
  h.auto_install = false;
  h.bu({.rcoa = rcoa(1)});
  REQUIRE(h.take<InstallBinding>().size() == 1);
  h.bu({.rcoa = rcoa(1), .seq = 2});  // its retransmission: absorbed, not refused
  CHECK(h.take<SendBa>().empty());
  CHECK(bind(h, 2) == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_pending == 1);
  CHECK(h.agent.counters().bu_absorbed == 1);
  h.agent.handle_dataplane_result(h.now, {rcoa(1), 0}, true, "");
  h.drain();
  CHECK(last_status(h) == 0);
  CHECK(h.agent.cap_usage().pending == 0);
  // A move waits for the kernel too, but is never capped.
  h.bu({.rcoa = rcoa(1), .lcoa = kLcoaAr2, .seq = 3});
  REQUIRE(h.take<InstallBinding>().size() == 1);
  h.auto_install = true;
  CHECK(bind(h, 2) == 0);
  h.agent.handle_dataplane_result(h.now, {rcoa(1), 0}, true, "");
  h.drain();
  CHECK(last_status(h) == 0);
  CHECK(h.binding(rcoa(1))->lcoa == kLcoaAr2);
}

TEST_CASE("MaxConcurrentDad: a new RCoA over it gets 130, never a binding without DAD", "[map][caps]") {
  auto c = test_config(true);
  c.max_concurrent_dad = 1;
  Harness h(c);
  h.bu({.rcoa = rcoa(1)});
  CHECK(h.take<StartDad>().size() == 1);
  h.bu({.rcoa = rcoa(2)});
  CHECK(logs_with(h, "MaxConcurrentDad 1 reached") == 1);
  auto acts = h.take_all();
  REQUIRE(acts.size() == 1);  // the refusal only: no StartDad, no install
  CHECK(std::get<SendBa>(acts[0]).ba.status == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_dad == 1);
  CHECK(h.agent.cap_usage().dad_running == 1);
  // The first DAD ends (success at its timeout): the next may run.
  h.advance(milliseconds(1000));
  CHECK(h.binding(rcoa(1)));
  CHECK(h.agent.cap_usage().dad_running == 0);
  h.actions.clear();
  h.bu({.rcoa = rcoa(2)});
  CHECK(h.take<StartDad>().size() == 1);
}

TEST_CASE("a DAD whose group cannot be joined refuses with 130; a cancelled DAD is stopped", "[map][caps]") {
  Harness h(test_config(true));
  h.bu({.rcoa = rcoa(1)});
  REQUIRE(h.take<StartDad>().size() == 1);
  h.agent.handle_dad_failed(h.now, rcoa(1), "No buffer space available");
  h.drain();
  const auto ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kInsufficientResources);
  CHECK(ba.lcoa == kLcoaAr1);
  CHECK(h.agent.counters().dad_join_failed == 1);
  CHECK(h.agent.cap_usage().dad_running == 0);
  CHECK(h.agent.cap_usage().pending == 0);
  CHECK(h.agent.state(h.now).pending.empty());
  h.advance(seconds(2));
  CHECK_FALSE(h.binding(rcoa(1)));  // never bound without DAD
  CHECK(h.take<InstallBinding>().empty());
  // A report for no running DAD changes nothing.
  h.agent.handle_dad_failed(h.now, rcoa(1), "late");
  h.drain();
  CHECK(h.agent.counters().dad_unmatched == 1);
  CHECK(h.take_all().empty());

  // Deregistered while DAD runs: StopDad, so the daemon leaves the group at once.
  h.bu({.rcoa = rcoa(2)});
  REQUIRE(h.take<StartDad>().size() == 1);
  h.bu({.rcoa = rcoa(2), .seq = 2, .lifetime = 0});
  const auto stops = h.take<StopDad>();
  REQUIRE(stops.size() == 1);
  CHECK(stops[0].rcoa == rcoa(2));
  CHECK(h.agent.cap_usage().dad_running == 0);
  CHECK(h.agent.cap_usage().bindings == 0);
}

TEST_CASE("reload lowering a cap below the count keeps every binding and refuses only new RCoAs", "[map][caps]") {
  Harness h;
  for (int i = 1; i <= 3; ++i) REQUIRE(bind(h, i) == 0);
  h.agent.reload(h.now, capped(1));
  h.drain();
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.agent.binding_count() == 3);
  CHECK(bind(h, 4) == wire::ba_status::kInsufficientResources);
  h.bu({.rcoa = rcoa(1), .seq = 2});  // refresh
  CHECK(last_status(h) == 0);
  h.bu({.rcoa = rcoa(2), .lcoa = kLcoaAr2, .seq = 2});  // move
  CHECK(last_status(h) == 0);
  for (int i = 1; i <= 2; ++i) {
    h.bu({.rcoa = rcoa(i), .lcoa = i == 2 ? kLcoaAr2 : kLcoaAr1, .seq = 3, .lifetime = 0});
    CHECK(last_status(h) == 0);
    CHECK(bind(h, 4) == wire::ba_status::kInsufficientResources);  // still 1 bound: at the cap
  }
  h.bu({.rcoa = rcoa(3), .seq = 3, .lifetime = 0});
  CHECK(last_status(h) == 0);
  CHECK(bind(h, 4) == 0);
  CHECK(h.agent.counters().cap_bindings == 3);
}

TEST_CASE("cap refusals: BAs limited per sender, the log line rate-limited", "[map][caps]") {
  Harness h(capped(1));
  REQUIRE(bind(h, 1) == 0);
  std::size_t bas = 0;
  for (int i = 2; i < 40; ++i) {
    h.bu({.rcoa = rcoa(i)});
    bas += h.take<SendBa>().size();
  }
  CHECK(h.agent.counters().cap_bindings == 38);
  CHECK(h.agent.counters().refused(wire::ba_status::kInsufficientResources) == 38);
  CHECK(bas == kRefusalBaLimits.burst);
  CHECK(h.agent.counters().ba_refusal_rate_limited == 38 - kRefusalBaLimits.burst);
  h.bu({.rcoa = rcoa(50)});
  CHECK(logs_with(h, "MaxBindings") == 0);  // within kLogInterval of the first
  h.advance(kLogInterval);
  h.bu({.rcoa = rcoa(51)});
  CHECK(logs_with(h, "similar suppressed") == 1);
}

// ---------------------------------------------------------------------------
// Secure mode: per IKE identity.

namespace {

ike::IkeSaView held_by(const std::string& uid, const std::string& identity, const Ip6Addr& rc,
                       const Ip6Addr& lcoa = kLcoaAr1) {
  ike::ChildSaView ch;
  ch.name = "mh";
  ch.uniqueid = "c" + uid;
  ch.state = "INSTALLED";
  ch.mode = "TRANSPORT_PROXY";
  ch.local_ts = {kMap.str() + "/128[mobility-header]"};
  ch.remote_ts = {rc.str() + "/128[mobility-header]"};
  ike::IkeSaView v;
  v.conn = "hmip-map";
  v.uniqueid = uid;
  v.state = "ESTABLISHED";
  v.remote_id = identity;
  v.remote_host = lcoa;
  v.remote_vips = {rc};
  v.children = {ch};
  return v;
}

BuSpec sbu(const Ip6Addr& rc, std::uint16_t seq = 1, const Ip6Addr& lcoa = kLcoaAr1) {
  return {.rcoa = rc, .lcoa = lcoa, .seq = seq, .options = {wire::AlternateCareOfAddressOption{lcoa}}};
}

}  // namespace

TEST_CASE("MaxBindingsPerIdentity (secure mode): per IKE identity, others unaffected", "[map][caps]") {
  auto c = test_config();
  c.insecure.enabled = false;
  c.max_bindings_per_identity = 2;
  Harness h(c);
  std::vector<ike::IkeSaView> sas;
  for (int i = 1; i <= 3; ++i) sas.push_back(held_by(std::to_string(i), "mn1@hmip.test", rcoa(i)));
  sas.push_back(held_by("4", "mn2@hmip.test", rcoa(4), kLcoaAr2));
  h.agent.handle_ike_sas(h.now, sas);
  h.drain();
  for (int i = 1; i <= 2; ++i) {
    h.bu(sbu(rcoa(i)));
    CHECK(last_status(h) == 0);
  }
  h.bu(sbu(rcoa(3)));
  CHECK(logs_with(h, "MaxBindingsPerIdentity 2 reached by identity mn1@hmip.test") == 1);
  CHECK(last_status(h) == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_identity == 1);
  // Another identity is not held back by mn1's count.
  h.bu(sbu(rcoa(4), 1, kLcoaAr2));
  CHECK(last_status(h) == 0);
  // mn1 at its cap still refreshes and moves.
  h.bu(sbu(rcoa(1), 2));
  CHECK(last_status(h) == 0);
  h.agent.handle_ike_sas(h.now, {held_by("1", "mn1@hmip.test", rcoa(1), kLcoaAr2),
                                 held_by("2", "mn1@hmip.test", rcoa(2)), held_by("3", "mn1@hmip.test", rcoa(3)),
                                 held_by("4", "mn2@hmip.test", rcoa(4), kLcoaAr2)});
  h.drain();
  h.bu(sbu(rcoa(1), 3, kLcoaAr2));
  CHECK(last_status(h) == 0);
  CHECK(h.binding(rcoa(1))->lcoa == kLcoaAr2);
  // One of mn1's bindings goes: its third RCoA fits.
  h.bu({.rcoa = rcoa(2), .lcoa = kLcoaAr1, .seq = 2, .lifetime = 0,
        .options = {wire::AlternateCareOfAddressOption{kLcoaAr1}}});
  CHECK(last_status(h) == 0);
  h.bu(sbu(rcoa(3)));
  CHECK(last_status(h) == 0);
  const auto u = h.agent.cap_usage();
  CHECK(u.owners == 2);
  CHECK(u.max_owner == 2);
  CHECK(u.bindings == 3);
}

TEST_CASE("lease cap (secure mode): the IKE SA taking its identity over MaxBindingsPerIdentity is terminated",
          "[map][caps]") {
  auto c = test_config();
  c.insecure.enabled = false;
  c.max_bindings_per_identity = 2;
  Harness h(c);
  const auto up = [&](const ike::IkeSaView& v) {
    h.agent.handle_ike_event(h.now, ike::IkeUpdownEvent{true, v});
    h.drain();
  };
  up(held_by("1", "mn1@hmip.test", rcoa(1)));
  up(held_by("2", "mn1@hmip.test", rcoa(2)));
  up(held_by("9", "mn2@hmip.test", rcoa(9), kLcoaAr2));
  // The same lease named again (a second SA of mn1 for rcoa(1)) is no new lease.
  up(held_by("3", "mn1@hmip.test", rcoa(1), kLcoaAr2));
  CHECK(h.take<TerminateIke>().empty());
  CHECK(h.agent.ike_holders().leases_of("mn1@hmip.test") == 2);
  // A third lease for mn1: its SA is terminated and forgotten.
  up(held_by("4", "mn1@hmip.test", rcoa(3)));
  const auto t = h.take<TerminateIke>();
  REQUIRE(t.size() == 1);
  CHECK(t[0].uniqueid == "4");
  CHECK(h.agent.counters().cap_leases == 1);
  CHECK(h.agent.ike_holders().leases_of("mn1@hmip.test") == 2);
  CHECK_FALSE(h.agent.ike_holders().holder(rcoa(3)));
  h.bu(sbu(rcoa(3)));
  CHECK(h.take<SendBa>().empty());  // held by no one: dropped (no IKE SA)
  // mn1's other leases and mn2 unaffected.
  h.bu(sbu(rcoa(1)));
  CHECK(last_status(h) == 0);
  h.bu(sbu(rcoa(9), 1, kLcoaAr2));
  CHECK(last_status(h) == 0);
  // One of mn1's SAs goes: a new lease fits again.
  h.agent.handle_ike_event(h.now, ike::IkeUpdownEvent{false, held_by("2", "mn1@hmip.test", rcoa(2))});
  h.drain();
  up(held_by("5", "mn1@hmip.test", rcoa(3)));
  CHECK(h.take<TerminateIke>().empty());
  CHECK(h.agent.ike_holders().leases_of("mn1@hmip.test") == 2);
  // A resync with more never terminates anything (judged as they come up).
  h.agent.handle_ike_sas(h.now, {held_by("1", "mn1@hmip.test", rcoa(1)), held_by("2", "mn1@hmip.test", rcoa(2)),
                                 held_by("5", "mn1@hmip.test", rcoa(3))});
  h.drain();
  CHECK(h.take<TerminateIke>().empty());
  CHECK(h.agent.ike_holders().leases_of("mn1@hmip.test") == 3);
  h.agent.handle_ike_lost(h.now);
  CHECK(h.agent.ike_holders().leases_of("mn1@hmip.test") == 0);
}

TEST_CASE("hmipctl mapd show counters / config: the cap refusals, what the caps count, the caps", "[map][caps]") {
  Harness h(capped(1));
  REQUIRE(bind(h, 1) == 0);
  CHECK(bind(h, 2) == wire::ba_status::kInsufficientResources);
  const auto st = h.agent.state(h.now);
  const auto j = io::mapd_show_json("counters", st, h.agent.config(), io::Json::object());
  CHECK(j["cap_refused"]["bindings"] == 1);
  CHECK(j["cap_refused"]["identity"] == 0);
  CHECK(j["cap_refused"]["dad_join_failed"] == 0);
  CHECK(j["cap_refused"]["leases"] == 0);
  CHECK(j["bu_refused"]["130"] == 1);
  CHECK(j["cap_usage"]["bindings"] == 1);
  CHECK(j["cap_usage"]["owners"] == 1);  // the testbed's one TrustedPrefix
  const auto c = io::mapd_show_json("config", st, h.agent.config(), io::Json::object());
  CHECK(c["max_bindings"] == 1);
  CHECK(c["max_concurrent_dad"] == kDefaultMaxConcurrentDad);
  CHECK(c["max_bindings_per_trusted_prefix"].is_null());
}
