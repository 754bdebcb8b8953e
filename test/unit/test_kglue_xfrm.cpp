// XFRM requests of kernel-glue's XfrmTable, built with libnl-xfrm-3 plus
// hmip's fixes for libnl 3.7, parsed back attribute by attribute: what the
// kernel will read. (The kernel's answers: test/kernel/cases/45-xfrm-table.sh.)
#include <catch2/catch.hpp>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

// kernel-glue's internal headers (not installed, not on the tests' include path).
#include "../../kernel-glue/src/xfrm_msg.h"
#include "../../kernel-glue/src/xfrm_table.h"

using namespace hmip;
using namespace hmip::kglue;
using namespace hmip::kglue::detail;

namespace {

const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:1::10");
const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:2::10");
const Ip6Addr kAny{};
constexpr std::uint32_t kReqid = 0x4d490000;

Tags tags(std::uint32_t lo, std::uint32_t hi) {
  Tags t;
  t.xfrm_priority_lo = lo;
  t.xfrm_priority_hi = hi;
  return t;
}

template <class T>
T must(wire::Result<T> r) {
  if (!r) FAIL(wire::to_string(r.error()));
  return std::move(r).value();
}

}  // namespace

TEST_CASE("xfrm: a route2 state request carries the care-of address itself, once", "[kglue][xfrm]") {
  const RoStateKey key{kMap, kRcoa, RoProto::route2};
  const auto bytes = must(build_state_request(key, RoStateSettings{kLcoa, false}, kReqid, false));
  const auto st = must(parse_state_message(bytes));
  CHECK(st.msg_type == XFRM_MSG_NEWSA);
  CHECK((st.msg_flags & (NLM_F_CREATE | NLM_F_EXCL)) == (NLM_F_CREATE | NLM_F_EXCL));
  CHECK(st.src == kMap);
  CHECK(st.dst == kRcoa);
  CHECK(st.proto == IPPROTO_ROUTING);
  CHECK(st.mode == XFRM_MODE_ROUTEOPTIMIZATION);
  CHECK(st.family == AF_INET6);
  CHECK(st.spi == 0);
  CHECK(st.reqid == kReqid);
  CHECK(st.flags == 0);
  // libnl 3.7 copies its nl_addr object here when given the address; hmip
  // appends the address itself.
  CHECK(st.coaddr_count == 1);
  REQUIRE(st.coaddr.has_value());
  CHECK(*st.coaddr == kLcoa);
  // Zero limits would expire the state at its first use.
  CHECK(st.hard_byte_limit == ~std::uint64_t{0});
  CHECK(st.hard_packet_limit == ~std::uint64_t{0});
}

TEST_CASE("xfrm: the wildcard hao state is :: -> :: with WILDRECV and coa ::", "[kglue][xfrm]") {
  const auto bytes = must(build_state_request(RoStateKey{kAny, kAny, RoProto::hao}, RoStateSettings{kAny, true},
                                              kReqid, false));
  const auto st = must(parse_state_message(bytes));
  CHECK(st.proto == IPPROTO_DSTOPTS);
  CHECK(st.src == kAny);
  CHECK(st.dst == kAny);
  CHECK(st.flags == XFRM_STATE_WILDRECV);
  CHECK(st.coaddr_count == 1);
  CHECK(st.coaddr == kAny);
}

TEST_CASE("xfrm: a care-of address change is an UPDSA of the same state", "[kglue][xfrm]") {
  const RoStateKey key{kRcoa, kMap, RoProto::hao};
  const auto st = must(parse_state_message(must(build_state_request(key, RoStateSettings{kLcoa2}, kReqid, true))));
  CHECK(st.msg_type == XFRM_MSG_UPDSA);
  CHECK((st.msg_flags & NLM_F_EXCL) == 0);
  CHECK(st.src == kRcoa);
  CHECK(st.dst == kMap);
  CHECK(st.proto == IPPROTO_DSTOPTS);
  CHECK(st.coaddr_count == 1);
  CHECK(st.coaddr == kLcoa2);
}

TEST_CASE("xfrm: a state delete names the source the kernel needs for hao/route2", "[kglue][xfrm]") {
  const auto st = must(parse_state_message(must(build_state_delete(RoStateKey{kMap, kRcoa, RoProto::route2}))));
  CHECK(st.msg_type == XFRM_MSG_DELSA);
  CHECK(st.dst == kRcoa);
  CHECK(st.proto == IPPROTO_ROUTING);
  CHECK(st.family == AF_INET6);
  CHECK(st.spi == 0);
  CHECK(st.srcaddr_count == 1);  // absent in libnl 3.7's own request: EINVAL from the kernel
  CHECK(st.src == kMap);
  CHECK(st.coaddr_count == 0);
}

TEST_CASE("xfrm: an out policy is SUB, proto 135, one required ro template with the tag reqid", "[kglue][xfrm]") {
  const PolicyKey key{Ip6Prefix::of(kRcoa, 128), Ip6Prefix::of(kMap, 128), 135, PolicyDir::out};
  const auto p = must(parse_policy_message(
      must(build_policy_request(key, PolicySettings{RoProto::hao, kRcoa, kMap}, 0x4d490007, kReqid, false))));
  CHECK(p.msg_type == XFRM_MSG_NEWPOLICY);
  CHECK((p.msg_flags & NLM_F_EXCL) == NLM_F_EXCL);
  CHECK(p.src == key.src);
  CHECK(p.dst == key.dst);
  CHECK(p.sel_family == AF_INET6);
  CHECK(p.sel_proto == 135);
  CHECK(p.dir == XFRM_POLICY_OUT);
  CHECK(p.priority == 0x4d490007);
  CHECK(p.action == XFRM_POLICY_ALLOW);
  CHECK(p.ptype_count == 1);
  CHECK(p.ptype == XFRM_POLICY_TYPE_SUB);
  REQUIRE(p.templates.size() == 1);
  const auto& t = p.templates[0];
  CHECK(t.src == kRcoa);
  CHECK(t.dst == kMap);
  CHECK(t.proto == IPPROTO_DSTOPTS);
  CHECK(t.mode == XFRM_MODE_ROUTEOPTIMIZATION);
  CHECK(t.family == AF_INET6);
  CHECK(t.reqid == kReqid);
  CHECK(t.optional == 0);
}

TEST_CASE("xfrm: the wildcard in policy has a template of :: addresses at level use", "[kglue][xfrm]") {
  const PolicyKey key{Ip6Prefix{}, Ip6Prefix{}, 135, PolicyDir::in};
  const auto p = must(parse_policy_message(
      must(build_policy_request(key, PolicySettings{RoProto::route2, kAny, kAny}, 1000, kReqid, true))));
  CHECK(p.msg_type == XFRM_MSG_UPDPOLICY);
  CHECK(p.src.len == 0);
  CHECK(p.dst.len == 0);
  CHECK(p.dir == XFRM_POLICY_IN);
  REQUIRE(p.templates.size() == 1);
  CHECK(p.templates[0].src == kAny);
  CHECK(p.templates[0].dst == kAny);
  CHECK(p.templates[0].proto == IPPROTO_ROUTING);
  CHECK(p.templates[0].optional == 1);
}

TEST_CASE("xfrm: a policy delete names the SUB type (else the kernel looks in MAIN)", "[kglue][xfrm]") {
  const PolicyKey key{Ip6Prefix::of(kMap, 128), Ip6Prefix::of(kRcoa, 128), 135, PolicyDir::out};
  const auto p = must(parse_policy_message(must(build_policy_delete(key))));
  CHECK(p.msg_type == XFRM_MSG_DELPOLICY);
  CHECK(p.src == key.src);
  CHECK(p.dst == key.dst);
  CHECK(p.sel_proto == 135);
  CHECK(p.sel_family == AF_INET6);
  CHECK(p.dir == XFRM_POLICY_OUT);
  CHECK(p.ptype_count == 1);
  CHECK(p.ptype == XFRM_POLICY_TYPE_SUB);

  const auto byidx = must(parse_policy_message(must(build_policy_delete_by_index(0x1234, XFRM_POLICY_IN))));
  CHECK(byidx.msg_type == XFRM_MSG_DELPOLICY);
  CHECK(byidx.index == 0x1234);
  CHECK(byidx.dir == XFRM_POLICY_IN);
  CHECK(byidx.ptype == XFRM_POLICY_TYPE_SUB);
}

TEST_CASE("xfrm: mapd's ESP requirement is a MAIN in policy with one required ESP transport template, any SA",
          "[kglue][xfrm]") {
  const PolicyKey key{*Ip6Prefix::parse("2001:db8:99::/64"), Ip6Prefix::of(kMap, 128), 135, PolicyDir::in, true};
  const auto p = must(parse_policy_message(
      must(build_policy_request(key, PolicySettings{RoProto::hao, kAny, kAny, true}, 0x4d490040, kReqid, false))));
  CHECK(p.msg_type == XFRM_MSG_NEWPOLICY);
  CHECK(p.src == key.src);
  CHECK(p.dst == key.dst);
  CHECK(p.sel_proto == 135);
  CHECK(p.dir == XFRM_POLICY_IN);
  CHECK(p.ptype == XFRM_POLICY_TYPE_MAIN);
  CHECK(p.priority > 0x10000);  // numerically above charon's (~2000): its /128 policies win
  REQUIRE(p.templates.size() == 1);
  const auto& t = p.templates[0];
  CHECK(t.proto == IPPROTO_ESP);
  CHECK(t.mode == XFRM_MODE_TRANSPORT);
  CHECK(t.reqid == 0);
  CHECK(t.optional == 0);
  CHECK(t.src == kAny);
  CHECK(t.dst == kAny);
  const auto d = must(parse_policy_message(must(build_policy_delete(key))));
  CHECK(d.ptype == XFRM_POLICY_TYPE_MAIN);
  const auto byidx = must(parse_policy_message(must(build_policy_delete_by_index(7, XFRM_POLICY_IN, true))));
  CHECK(byidx.ptype == XFRM_POLICY_TYPE_MAIN);
}

TEST_CASE("xfrm: policy priorities stay in the tag range, specific before general", "[kglue][xfrm]") {
  const Tags t = tags(0x4d490000, 0x4d49ffff);
  const PolicyKey host{Ip6Prefix::of(kRcoa, 128), Ip6Prefix::of(kMap, 128), 135, PolicyDir::out};
  const PolicyKey wild{Ip6Prefix{}, Ip6Prefix{}, 135, PolicyDir::in};
  CHECK(policy_priority(t, host) == 0x4d490000);
  CHECK(policy_priority(t, wild) == 0x4d490100);
  CHECK(policy_priority(t, host) < policy_priority(t, wild));
  const Tags narrow = tags(500, 510);
  CHECK(policy_priority(narrow, wild) == 510);
  CHECK(policy_priority(narrow, host) == 500);
}

TEST_CASE("xfrm: descriptions name the object as ip xfrm would", "[kglue][xfrm]") {
  CHECK(describe(RoStateKey{kAny, kAny, RoProto::hao}) == "xfrm state hao src :: dst ::");
  CHECK(describe(PolicyKey{Ip6Prefix::of(kMap, 128), Ip6Prefix::of(kRcoa, 128), 135, PolicyDir::out}) ==
        "xfrm policy sub out src 2001:db8:1::1/128 dst 2001:db8:99::5/128 proto 135");
}

TEST_CASE("xfrm: malformed netlink messages give precise errors", "[kglue][xfrm]") {
  auto good = must(build_state_request(RoStateKey{kMap, kRcoa, RoProto::route2}, RoStateSettings{kLcoa}, 1, false));

  SECTION("shorter than a netlink header") {
    const std::vector<std::uint8_t> tiny(good.begin(), good.begin() + 8);
    CHECK(parse_state_message(tiny).error().code == wire::Errc::truncated);
  }
  SECTION("nlmsg_len past the buffer") {
    auto cut = good;
    cut.resize(cut.size() - 4);
    CHECK(parse_state_message(cut).error().code == wire::Errc::bad_length);
  }
  SECTION("payload shorter than xfrm_usersa_info") {
    auto shortened = good;
    const std::uint32_t len = NLMSG_HDRLEN + 8;
    std::memcpy(shortened.data(), &len, sizeof len);
    CHECK(parse_state_message(shortened).error().code == wire::Errc::truncated);
  }
  SECTION("an attribute running past the message") {
    auto bad = good;
    // The last attribute is XFRMA_COADDR (4 + 16 octets); claim 40.
    const std::size_t at = bad.size() - 20;
    const std::uint16_t l = 40;
    std::memcpy(bad.data() + at, &l, sizeof l);
    const auto r = parse_state_message(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wire::Errc::bad_length);
    CHECK(r.error().offset == at);
  }
  SECTION("a policy parser given a state") {
    CHECK(parse_policy_message(good).error().code == wire::Errc::unknown_type);
  }
  SECTION("a state parser given a policy") {
    const auto pol = must(build_policy_delete_by_index(1, XFRM_POLICY_IN));
    CHECK(parse_state_message(pol).error().code == wire::Errc::unknown_type);
  }
}

TEST_CASE("xfrm: a table refuses an empty or inverted tag range before touching the kernel", "[kglue][xfrm]") {
  CHECK_THROWS_AS(XfrmTable(tags(0, 10)), std::invalid_argument);
  CHECK_THROWS_AS(XfrmTable(tags(10, 9)), std::invalid_argument);
}
