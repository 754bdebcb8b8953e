// MapAgent: reload with the binding cache kept (hmip/map/map_agent.h,
// map_reload.cpp), and Binding Errors for unknown MH types (RFC 6275 §9.2),
// rate-limited.
#include "test_map_util.h"

using namespace maptest;

namespace {

const Ip6Addr kRcoaB = Ip6Addr::must("2001:db8:101::b1");

MapdConfig two_prefixes() {
  auto cfg = test_config();
  RcoaPrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:101::/64");
  p.interface = "map1";
  cfg.rcoa_prefixes.push_back(p);
  return cfg;
}

}  // namespace

TEST_CASE("map reload: unchanged configuration keeps every binding and does no kernel work", "[map]") {
  Harness h(two_prefixes());
  h.bu({});
  h.bu({.rcoa = kRcoaB});
  h.take_all();
  const auto before = h.agent.state(h.now).bindings;
  h.agent.reload(h.now, two_prefixes());
  h.drain();
  CHECK(h.take_all().empty());
  const auto after = h.agent.state(h.now).bindings;
  REQUIRE(after.size() == 2);
  CHECK(after[0].lcoa == before[0].lcoa);
  CHECK(after[0].remaining == before[0].remaining);
  CHECK(after[1].proxy_interface == "map1");
}

TEST_CASE("map reload: a removed RCoA prefix drops its bindings, the others stay", "[map]") {
  Harness h(two_prefixes());
  h.bu({});
  h.bu({.rcoa = kRcoaB});
  h.take_all();
  h.agent.reload(h.now, test_config());
  h.drain();
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].key.rcoa == kRcoaB);
  CHECK(rm[0].reason == RemoveReason::prefix_removed);
  CHECK(h.binding());
  CHECK_FALSE(h.binding(kRcoaB));
  CHECK(h.agent.counters().removed_by_reload == 1);
  // The expiry deadline of the removed binding went with it.
  h.advance(seconds(600));
  CHECK(h.agent.counters().expired == 1);
}

TEST_CASE("map reload: changed settings re-install in place; a failure removes the binding", "[map]") {
  Harness h(two_prefixes());
  h.bu({});
  h.bu({.rcoa = kRcoaB});
  h.take_all();
  auto cfg = two_prefixes();
  cfg.rcoa_prefixes[1].interface = "map2";
  SECTION("success") {
    h.agent.reload(h.now, cfg);
    h.drain();
    const auto all = h.take_all();
    REQUIRE(all.size() == 1);
    const auto& ib = std::get<InstallBinding>(all[0]);
    CHECK(ib.reason == InstallReason::reload);
    CHECK(ib.key.rcoa == kRcoaB);
    CHECK(ib.proxy_interface == "map2");
    CHECK(h.binding(kRcoaB)->proxy_interface == "map2");
    CHECK_FALSE(h.binding(kRcoaB)->install_pending);
  }
  SECTION("failure") {
    h.install_ok = false;
    h.agent.reload(h.now, cfg);
    h.drain();
    const auto all = h.take_all();
    REQUIRE(all.size() == 2);
    CHECK(std::holds_alternative<InstallBinding>(all[0]));
    CHECK(std::get<RemoveBinding>(all[1]).reason == RemoveReason::reload_failed);
    CHECK_FALSE(h.binding(kRcoaB));
    CHECK(h.binding());
  }
}

TEST_CASE("map reload: new limits apply from the next BU; a new BrrLead reschedules BRRs", "[map]") {
  Harness h;
  h.bu({.seq = 1});  // 600 s
  h.take_all();
  auto cfg = test_config();
  cfg.max_binding_lifetime = 100;
  cfg.brr_lead = seconds(30);
  h.agent.reload(h.now, cfg);
  h.drain();
  CHECK(h.binding()->remaining == seconds(600));
  CHECK(h.binding()->next_brr_in == seconds(570));
  h.bu({.seq = 2});
  CHECK(h.only_ba().ba.lifetime == 25);
}

TEST_CASE("map reload: a registration waiting for DAD on a removed prefix is refused with 132", "[map]") {
  auto cfg = two_prefixes();
  cfg.dad = true;
  Harness h(cfg);
  h.bu({.rcoa = kRcoaB});
  h.take_all();
  auto next = test_config(true);
  h.agent.reload(h.now, next);
  h.drain();
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kNotHomeSubnet);
  CHECK(h.agent.pending_count() == 0);
  CHECK_FALSE(h.agent.poll_timeout());
}

TEST_CASE("map: unknown MH types get a Binding Error status 2, rate-limited", "[map]") {
  Harness h;
  const wire::Error unknown{wire::Errc::unknown_type, 2, "unknown MH type"};
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, unknown, 42);
  h.drain();
  auto be = h.take<SendBindingError>();
  REQUIRE(be.size() == 1);
  CHECK(be[0].dst == kLcoaAr1);
  CHECK(be[0].src == kMap);
  CHECK(be[0].be.status == wire::be_status::kUnrecognizedMhType);
  CHECK(be[0].be.home_address == kRcoa1);
  // Without a HAO: to the source, home address unspecified.
  h.agent.handle_invalid_mh(h.now, kLcoaAr2, kMap, std::nullopt, unknown, 42);
  h.drain();
  be = h.take<SendBindingError>();
  REQUIRE(be.size() == 1);
  CHECK(be[0].dst == kLcoaAr2);
  CHECK(be[0].be.home_address.is_unspecified());
  // The burst is kBindingErrorBurst; then one per kBindingErrorInterval.
  for (int i = 0; i < 20; ++i) h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, unknown, 42);
  h.drain();
  CHECK(h.take<SendBindingError>().size() == kBindingErrorBurst - 2);
  CHECK(h.agent.counters().be_rate_limited == 12);
  h.now += kBindingErrorInterval;
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, unknown, 42);
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, unknown, 42);
  h.drain();
  CHECK(h.take<SendBindingError>().size() == 1);
  CHECK(h.agent.counters().be_sent == kBindingErrorBurst + 1);
  CHECK(h.agent.counters().invalid_mh[static_cast<std::size_t>(InvalidMhReason::unknown_type)] == 24);
}

TEST_CASE("map: other undecodable MHs are counted by reason, never answered", "[map]") {
  Harness h;
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, wire::Error{wire::Errc::bad_checksum, 4, "x"}, 5);
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, wire::Error{wire::Errc::invalid_field, 0, "x"}, 5);
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, wire::Error{wire::Errc::bad_length, 1, "x"}, 5);
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, wire::Error{wire::Errc::truncated, 1, "x"}, std::nullopt);
  h.drain();
  CHECK(h.take_all().empty());
  const auto& c = h.agent.counters().invalid_mh;
  CHECK(c[static_cast<std::size_t>(InvalidMhReason::bad_checksum)] == 1);
  CHECK(c[static_cast<std::size_t>(InvalidMhReason::bad_payload_proto)] == 1);
  CHECK(c[static_cast<std::size_t>(InvalidMhReason::bad_length)] == 1);
  CHECK(c[static_cast<std::size_t>(InvalidMhReason::truncated)] == 1);
  CHECK(h.agent.counters().be_sent == 0);
}

TEST_CASE("map: state() lists bindings and pending registrations by key", "[map]") {
  Harness h(test_config(true));
  h.bu({.rcoa = kRcoa2});
  h.advance(seconds(1));
  h.bu({.rcoa = kRcoa1, .seq = 3});
  h.advance(milliseconds(250));
  const MapState s = h.agent.state(h.now);
  REQUIRE(s.bindings.size() == 1);
  CHECK(s.bindings[0].key.rcoa == kRcoa2);
  CHECK(s.bindings[0].remaining == milliseconds(600000 - 250));
  REQUIRE(s.pending.size() == 1);
  CHECK(s.pending[0].key.rcoa == kRcoa1);
  CHECK(s.pending[0].dad_running);
  CHECK(s.pending[0].dad_remaining == milliseconds(750));
  CHECK(s.pending[0].sequence == 3);
  CHECK(s.counters.dad_started == 2);
}

TEST_CASE("map reload: a move pending across a reload that reorders the prefixes keeps its link", "[map]") {
  Harness h(two_prefixes());
  h.bu({.rcoa = kRcoaB});
  h.take_all();
  h.auto_install = false;
  h.bu({.rcoa = kRcoaB, .lcoa = kLcoaAr2, .seq = 2});
  h.take_all();
  auto cfg = two_prefixes();
  std::swap(cfg.rcoa_prefixes[0], cfg.rcoa_prefixes[1]);
  h.agent.reload(h.now, cfg);
  h.drain();
  CHECK(h.take<InstallBinding>().empty());  // the binding's settings did not change
  h.agent.handle_dataplane_result(h.now, {kRcoaB, 0}, true, "");
  h.drain();
  const auto na = h.take<SendUnsolicitedNa>();
  REQUIRE(na.size() == 1);
  CHECK(na[0].interface == "map1");
  REQUIRE(h.binding(kRcoaB));
  CHECK(h.binding(kRcoaB)->lcoa == kLcoaAr2);
  CHECK(h.binding(kRcoaB)->proxy_interface == "map1");
}
