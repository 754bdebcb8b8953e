// kernel-glue's batched rtnetlink and NETLINK_XFRM exchanges against the
// running kernel, in a private network namespace: a batch far larger than
// the receive buffer holds acks for still reports every request's own
// outcome, and the socket serves the next exchange at once (issue 13 item
// 16: before the window, a 2000-binding flush overflowed the buffer, lost
// acks and then waited forever on the next request; the XFRM deletes of a
// flush were one round trip each). XFRM: policies with an ESP template (the
// XFRM core of any kernel takes them; route-optimisation states and
// templates need CONFIG_IPV6_MIP6, which the kernel cases have).
#include <linux/xfrm.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "../../kernel-glue/src/nl_batch.h"
#include "../../kernel-glue/src/nl_objects.h"
#include "../../kernel-glue/src/xfrm_msg.h"
#include "../../kernel-glue/src/xfrm_socket.h"
#include "../../kernel-glue/src/xfrm_table.h"
#include "hmip/core/prefix.h"
#include "private_netns.h"

using namespace hmip;
namespace kd = hmip::kglue::detail;

namespace {

kd::RouteObj route(int i) {
  char text[32];
  std::snprintf(text, sizeof text, "2001:db8:%x::/64", static_cast<unsigned>(i));
  kd::RouteObj r;
  r.dst = *Ip6Prefix::parse(text);
  r.oif = 1;  // lo
  return r;
}

/// A MAIN IN policy for MH from 2001:db8:<i>::/64 with an ESP template
/// (mapd's RFC 4877 entry, xfrm_table.h), distinct per i.
kd::PolicyKey esp_policy(int i) {
  char text[32];
  std::snprintf(text, sizeof text, "2001:db8:%x::/64", static_cast<unsigned>(i));
  return kd::PolicyKey{*Ip6Prefix::parse(text), *Ip6Prefix::parse("2001:db8:ffff::1/128"), 135, kd::PolicyDir::in,
                       true};
}
const kd::PolicySettings kEsp{kd::RoProto::hao, Ip6Addr{}, Ip6Addr{}, true};
constexpr std::uint32_t kPrio = 0x4d490100;

kd::NlBytes add_policy(int i) { return *kd::build_policy_request(esp_policy(i), kEsp, kPrio, 0, false); }
kd::NlBytes delete_policy(int i) { return *kd::build_policy_delete(esp_policy(i)); }

/// How many policies the kernel holds (a dump on a socket of its own).
std::size_t kernel_policies() {
  kd::XfrmSocket s;
  int err = 0;
  const auto all = s.dump(XFRM_MSG_GETPOLICY, err);
  REQUIRE(err == 0);
  return all.size();
}

}  // namespace

TEST_CASE("xfrm socket: 3000 requests with a small buffer, each answered in order, then the next exchange",
          "[kglue][raw]") {
  const test::PrivateNetns ns;
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): not run");
    return;
  }
  kd::XfrmSocket sock(64 * 1024);  // a few hundred acks at most without the window
  constexpr int kN = 3000;
  std::vector<kd::NlBytes> batch;
  batch.reserve(kN);
  for (int i = 0; i < kN; ++i) batch.push_back(delete_policy(i));
  const std::vector<int> res = sock.run(batch);
  REQUIRE(res.size() == static_cast<std::size_t>(kN));
  int not_found = 0;
  for (const int r : res) not_found += r == ENOENT ? 1 : 0;
  CHECK(not_found == kN);  // each the kernel's own answer, none lost (EIO)

  // Each answer belongs to its own request, whatever the others got.
  const std::vector<kd::NlBytes> mixed{add_policy(1), add_policy(1), delete_policy(1), delete_policy(1), add_policy(2)};
  CHECK(sock.run(mixed) == std::vector<int>{0, EEXIST, 0, ENOENT, 0});
  CHECK(sock.request(delete_policy(2)) == 0);
  CHECK(kernel_policies() == 0);
}

TEST_CASE("xfrm table: flush deletes thousands of policies in one batch; one already gone counts as deleted",
          "[kglue][raw]") {
  const test::PrivateNetns ns;
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): not run");
    return;
  }
  kglue::Tags tags = kglue::Tags::mapd();
  kd::XfrmTable table(tags);
  constexpr int kN = 2000;
  for (int i = 0; i < kN; ++i) REQUIRE(table.put_policy(esp_policy(i), kEsp).ok());
  REQUIRE(kernel_policies() == static_cast<std::size_t>(kN));
  kd::XfrmSocket other;  // someone else removes one behind the table's back
  REQUIRE(other.request(*kd::build_policy_delete(esp_policy(7))) == 0);
  const auto st = table.flush();
  CHECK(st.ok());
  CHECK(table.last_error().empty());
  CHECK(table.policy_count() == 0);
  CHECK(kernel_policies() == 0);
  CHECK(table.flush().ok());  // nothing left to do
}

TEST_CASE("route socket: 3000 requests with a small buffer, each answered, then the next exchange", "[kglue][raw]") {
  const test::PrivateNetns ns;
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): not run");
    return;
  }
  kd::RouteSocket sock(64 * 1024);  // a few hundred acks at most without the window
  constexpr int kN = 3000;
  std::vector<kd::NlRequest> batch;
  batch.reserve(kN);
  for (int i = 0; i < kN; ++i)
    batch.push_back(kd::NlRequest{kd::build_delete(kd::KObj{route(i)}, 203), "delete route " + std::to_string(i)});
  const std::vector<int> res = sock.run(batch);
  REQUIRE(res.size() == static_cast<std::size_t>(kN));
  int not_found = 0;
  for (const int r : res) not_found += r == -ESRCH ? 1 : 0;
  CHECK(not_found == kN);  // each the kernel's own answer, none lost (-EIO)

  std::vector<kd::NlRequest> one;
  one.push_back(kd::NlRequest{kd::build_add(kd::KObj{route(1)}, 203, false), "add route"});
  CHECK(sock.run(one) == std::vector<int>{0});
  std::vector<kd::NlRequest> again;
  again.push_back(kd::NlRequest{kd::build_delete(kd::KObj{route(1)}, 203), "delete route"});
  CHECK(sock.run(again) == std::vector<int>{0});
}
