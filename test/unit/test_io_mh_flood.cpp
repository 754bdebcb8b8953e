// MhSocket under a flood (issue 13 item 15): the kernel socket filter
// program (run by a small classic-BPF interpreter here, and attached to a
// real socket on loopback when raw sockets may be opened), and the bound on
// datagrams delivered per wake-up.
#include <linux/filter.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "hmip/io/mh_socket.h"
#include "hmip/wire/mh.h"
#include "private_netns.h"

using namespace hmip;
using namespace hmip::io;

namespace {

// Classic BPF as the kernel runs a socket filter (the subset the filter
// uses; anything else fails the test): returns the filter's result, or
// nullopt for an instruction it does not know or a jump out of the program.
std::optional<std::uint32_t> run_bpf(const std::vector<BpfInsn>& prog, const wire::Bytes& pkt) {
  std::uint32_t a = 0;
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    const BpfInsn& i = prog[pc];
    switch (i.code) {
      case BPF_LD | BPF_W | BPF_LEN: a = static_cast<std::uint32_t>(pkt.size()); break;
      case BPF_LD | BPF_B | BPF_ABS:
        if (i.k >= pkt.size()) return 0;  // the kernel ends the program with 0 on an out-of-bounds load
        a = pkt[i.k];
        break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == i.k) ? i.jt : i.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += (a > i.k) ? i.jt : i.jf; break;
      case BPF_RET | BPF_K: return i.k;
      default: return std::nullopt;
    }
  }
  return std::nullopt;  // fell off the end: the kernel's checker refuses such a program
}

wire::Bytes mh_of_type(std::uint8_t type, std::size_t length = 8) {
  wire::Bytes b(length, 0);
  if (length > 0) b[0] = 59;
  if (length > 1) b[1] = static_cast<std::uint8_t>(length / 8 - 1);
  if (length > 2) b[2] = type;
  return b;
}

constexpr std::uint32_t kAll = 0xffffffffU;
constexpr std::uint32_t kMax = static_cast<std::uint32_t>(wire::kMhMaxLength);

const MhTypeFilter kMapdFilter{false,
                               {wire::mh_type::kBindingRefreshRequest, wire::mh_type::kBindingAck,
                                wire::mh_type::kBindingError}};

}  // namespace

TEST_CASE("mh filter: mapd's deny list keeps BUs and unknown types, drops BRR, BA, BE, runts and giants",
          "[io][mh][filter]") {
  const auto prog = mh_type_filter(kMapdFilter, kMax);
  CHECK(prog.size() <= BPF_MAXINSNS);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingUpdate, 16)) == kAll);
  CHECK(run_bpf(prog, mh_of_type(42)) == kAll);   // unknown: answered with a Binding Error
  CHECK(run_bpf(prog, mh_of_type(255)) == kAll);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingRefreshRequest)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingAck, 16)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingError, 24)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingUpdate, 2)) == 0u);  // no type octet
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingUpdate, 0)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingUpdate, 2048)) == kAll);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingUpdate, 2056)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(42, 2056)) == 0u);
}

TEST_CASE("mh filter: an allow list keeps only its types", "[io][mh][filter]") {
  const MhTypeFilter mn{true, {wire::mh_type::kBindingAck, wire::mh_type::kBindingRefreshRequest}};
  const auto prog = mh_type_filter(mn, kMax);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingAck, 16)) == kAll);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingRefreshRequest)) == kAll);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingUpdate, 16)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(42)) == 0u);
  CHECK(run_bpf(prog, mh_of_type(wire::mh_type::kBindingAck, 4096)) == 0u);
  // Every type from 0 to 255 against a long allow list: jumps stay in range.
  MhTypeFilter all{true, {}};
  for (int t = 0; t < 250; ++t) all.types.push_back(static_cast<std::uint8_t>(t));
  const auto big = mh_type_filter(all, kMax);
  for (int t = 0; t < 256; ++t)
    CHECK(run_bpf(big, mh_of_type(static_cast<std::uint8_t>(t))) == (t < 250 ? kAll : 0u));
  MhTypeFilter none{false, all.types};
  const auto deny = mh_type_filter(none, kMax);
  for (int t = 0; t < 256; ++t)
    CHECK(run_bpf(deny, mh_of_type(static_cast<std::uint8_t>(t))) == (t < 250 ? 0u : kAll));
  CHECK(run_bpf(deny, mh_of_type(251, 4096)) == 0u);
}

namespace {

std::unique_ptr<MhSocket> open_or_warn(boost::asio::io_context& io, const MhSocketOptions& o) {
  try {
    return std::make_unique<MhSocket>(io, o);
  } catch (const std::system_error& e) {
    WARN("no raw MH socket here (" << e.what() << "): not run");
    return nullptr;
  }
}

// A Destination Options header with only padding (as in test_io_mh.cpp):
// send_with_header then computes the checksum over (::1, ::1).
const wire::Bytes kPadOnly{wire::kIpProtoMh, 0, 1, 4, 0, 0, 0, 0};
const Ip6Addr kLo = Ip6Addr::must("::1");

}  // namespace

// Needs CAP_NET_RAW; without it the test says so and checks nothing else.
TEST_CASE("mh socket: the kernel runs mapd's filter: BRR, BA, BE never reach the queue", "[io][mh][raw]") {
  const test::PrivateNetns ns;  // other tests' MH on loopback would be counted too
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): not run");
    return;
  }
  boost::asio::io_context io;
  MhSocketOptions o;
  o.type_filter = kMapdFilter;
  o.socket_receive_buffer = 1 << 20;
  auto rx = open_or_warn(io, o);
  if (!rx) return;
  CHECK(rx->counters().socket_receive_buffer >= (1u << 20));
  std::vector<std::uint8_t> types;
  rx->start_receive([&](const ReceivedMhPacket& p) { types.push_back(p.bytes.at(2)); }, {});
  const std::vector<std::uint8_t> sent{wire::mh_type::kBindingRefreshRequest, wire::mh_type::kBindingUpdate,
                                       wire::mh_type::kBindingAck, 42, wire::mh_type::kBindingError,
                                       wire::mh_type::kBindingUpdate};
  for (auto t : sent)
    REQUIRE_FALSE(rx->send_with_header(mh_of_type(t, 16), kLo, kLo, MhExtHeader::dstopts, kPadOnly, 1));
  for (int spins = 0; spins < 200 && types.size() < 3; ++spins) io.run_one_for(std::chrono::milliseconds(10));
  io.run_for(std::chrono::milliseconds(50));
  CHECK(types == std::vector<std::uint8_t>{wire::mh_type::kBindingUpdate, 42, wire::mh_type::kBindingUpdate});
  CHECK(rx->counters().received == 3);
}

TEST_CASE("mh socket: at most max_per_wakeup datagrams per handler, then the loop's other handlers run",
          "[io][mh][raw]") {
  const test::PrivateNetns ns;
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): not run");
    return;
  }
  boost::asio::io_context io;
  MhSocketOptions o;
  o.batch = 3;
  o.max_per_wakeup = 4;
  auto rx = open_or_warn(io, o);
  if (!rx) return;
  std::size_t got = 0;
  rx->start_receive([&](const ReceivedMhPacket&) { ++got; }, {});
  for (int i = 0; i < 10; ++i)
    REQUIRE_FALSE(rx->send_with_header(mh_of_type(wire::mh_type::kBindingUpdate, 16), kLo, kLo,
                                       MhExtHeader::dstopts, kPadOnly, 1));
  // The first wake-up delivers 4 and posts the rest behind what is ready.
  REQUIRE(io.run_one_for(std::chrono::seconds(2)) == 1);
  CHECK(got == 4);
  CHECK(rx->counters().yields == 1);
  std::optional<std::size_t> other_ran_at;
  boost::asio::post(io, [&] { other_ran_at = got; });
  REQUIRE(io.run_one() == 1);  // the posted continuation: 4 more
  CHECK(got == 8);
  REQUIRE(io.run_one() == 1);  // the other handler, before the last 2
  CHECK(other_ran_at == 8u);
  for (int spins = 0; spins < 100 && got < 10; ++spins) io.run_one_for(std::chrono::milliseconds(10));
  CHECK(got == 10);
  CHECK(rx->counters().received == 10);
  CHECK(rx->counters().read_calls >= 4);  // batches of at most 3
  // A closed socket's posted continuation does nothing.
  for (int i = 0; i < 6; ++i)
    REQUIRE_FALSE(rx->send_with_header(mh_of_type(wire::mh_type::kBindingUpdate, 16), kLo, kLo,
                                       MhExtHeader::dstopts, kPadOnly, 1));
  REQUIRE(io.run_one_for(std::chrono::seconds(2)) == 1);
  CHECK(got == 14);
  rx->close();
  io.run_for(std::chrono::milliseconds(20));
  CHECK(got == 14);
}
