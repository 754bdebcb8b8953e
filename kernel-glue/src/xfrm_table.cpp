// XfrmTable: route-optimisation states and SUB policies, mirrored, tagged,
// flushed and reconciled (see xfrm_table.h).
#include "xfrm_table.h"

#include <linux/xfrm.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include "xfrm_msg.h"
#include "xfrm_socket.h"

namespace hmip::kglue::detail {
namespace {

const char* proto_name(RoProto p) { return p == RoProto::hao ? "hao" : "route2"; }
const char* dir_name(std::uint8_t dir) {
  switch (dir) {
    case XFRM_POLICY_IN: return "in";
    case XFRM_POLICY_OUT: return "out";
    case XFRM_POLICY_FWD: return "fwd";
    default: return "?";
  }
}

bool gone(int err) { return err == ESRCH || err == ENOENT; }

}  // namespace

std::uint32_t policy_priority(const Tags& tags, const PolicyKey& key) {
  const std::uint32_t span = tags.xfrm_priority_hi - tags.xfrm_priority_lo;
  const std::uint32_t generality = 256U - key.src.len - key.dst.len;
  return tags.xfrm_priority_lo + std::min(span, generality);
}

std::string describe(const RoStateKey& key) {
  return std::string("xfrm state ") + proto_name(key.proto) + " src " + key.src.str() + " dst " + key.dst.str();
}

std::string describe(const PolicyKey& key) {
  return std::string(key.main ? "xfrm policy main " : "xfrm policy sub ") + dir_name(key.dir == PolicyDir::in ? XFRM_POLICY_IN : XFRM_POLICY_OUT) +
         " src " + key.src.str() + " dst " + key.dst.str() + " proto " + std::to_string(key.proto);
}

XfrmTable::XfrmTable(const Tags& tags) : tags_(tags) {
  if (tags.xfrm_priority_lo == 0 || tags.xfrm_priority_hi < tags.xfrm_priority_lo)
    throw std::invalid_argument("XfrmTable: the XFRM tag range must be non-zero with lo <= hi");
  sock_ = std::make_unique<XfrmSocket>();
}

XfrmTable::~XfrmTable() {
  (void)flush();  // best effort; the caller had its chance to see errors
}

Status XfrmTable::fail(std::string what, int err, std::string_view rule) {
  last_error_ = std::move(what);
  if (err != 0) last_error_ += std::string(": ") + std::strerror(err);  // NOLINT(concurrency-mt-unsafe): one thread per table
  return wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(err), rule};
}

Status XfrmTable::put_state(const RoStateKey& key, const RoStateSettings& settings) {
  const auto it = states_.find(key);
  if (it != states_.end() && it->second == settings) return wire::Ok{};
  // A changed state is deleted and added again rather than updated in place
  // (XFRM_MSG_UPDSA): an in-place update keeps the state's genid, so bundles
  // the kernel cached for it keep the route computed for the old care-of
  // address (measured: after a move the MN's BU queued on the old router's
  // neighbour entry until that failed, ~3 s). A new state invalidates them.
  // Only signalling uses these states, and it is sent after this call.
  std::optional<RoStateSettings> previous;
  if (it != states_.end()) {
    previous = it->second;
    if (Status st = delete_state(key); !st) return st;
  }
  auto req = build_state_request(key, settings, tags_.xfrm_priority_lo, false);
  if (!req) return fail(describe(key) + ": " + std::string(req.error().rule), 0, req.error().rule);
  if (const int err = sock_->request(*req); err != 0) {
    const std::string what = describe(key) + (previous ? ": replace" : ": add");
    // A failed replacement puts the previous state back (best effort), so a
    // failed update keeps the previous settings installed (dataplane.h).
    if (previous) {
      auto old = build_state_request(key, *previous, tags_.xfrm_priority_lo, false);
      if (old && sock_->request(*old) == 0) states_[key] = *previous;
    }
    return fail(what, err, "the kernel refused the XFRM state (offset = errno)");
  }
  states_[key] = settings;
  return wire::Ok{};
}

Status XfrmTable::delete_state(const RoStateKey& key) {
  const auto it = states_.find(key);
  if (it == states_.end()) return wire::Ok{};
  auto req = build_state_delete(key);
  if (!req) return fail(describe(key) + ": " + std::string(req.error().rule), 0, req.error().rule);
  if (const int err = sock_->request(*req); err != 0 && !gone(err))
    return fail(describe(key) + ": delete", err, "the kernel refused to delete the XFRM state (offset = errno)");
  states_.erase(it);
  return wire::Ok{};
}

Status XfrmTable::put_policy(const PolicyKey& key, const PolicySettings& settings) {
  const auto it = policies_.find(key);
  if (it != policies_.end() && it->second == settings) return wire::Ok{};
  const bool update = it != policies_.end();
  auto req = build_policy_request(key, settings, policy_priority(tags_, key), tags_.xfrm_priority_lo, update);
  if (!req) return fail(describe(key) + ": " + std::string(req.error().rule), 0, req.error().rule);
  if (const int err = sock_->request(*req); err != 0)
    return fail(describe(key) + (update ? ": update" : ": add"), err,
                update ? "the kernel refused the XFRM policy update (offset = errno)"
                       : "the kernel refused the XFRM policy (offset = errno)");
  policies_[key] = settings;
  return wire::Ok{};
}

Status XfrmTable::delete_policy(const PolicyKey& key) {
  const auto it = policies_.find(key);
  if (it == policies_.end()) return wire::Ok{};
  auto req = build_policy_delete(key);
  if (!req) return fail(describe(key) + ": " + std::string(req.error().rule), 0, req.error().rule);
  if (const int err = sock_->request(*req); err != 0 && !gone(err))
    return fail(describe(key) + ": delete", err, "the kernel refused to delete the XFRM policy (offset = errno)");
  policies_.erase(it);
  return wire::Ok{};
}

Status XfrmTable::flush() {
  // One batch (XfrmSocket::run: a window of requests in flight, each answer
  // matched to its request), policies before states as the kernel sees
  // them: a policy left without its state would block signalling. A
  // teardown of thousands of bindings was thousands of round trips one at
  // a time (issue 13 item 16).
  Status first = wire::Ok{};
  // The first failure only (its text stays in last_error_).
  auto keep_first = [&first, this](const std::string& what, int err, std::string_view rule) {
    if (first.ok()) first = fail(what, err, rule);
  };
  std::vector<NlBytes> batch;
  std::vector<PolicyKey> pkeys;
  std::vector<RoStateKey> skeys;
  batch.reserve(policies_.size() + states_.size());
  for (const auto& [k, v] : policies_) {
    auto req = build_policy_delete(k);
    if (!req) {
      keep_first(describe(k) + ": " + std::string(req.error().rule), 0, req.error().rule);
      continue;
    }
    batch.push_back(std::move(*req));
    pkeys.push_back(k);
  }
  for (const auto& [k, v] : states_) {
    auto req = build_state_delete(k);
    if (!req) {
      keep_first(describe(k) + ": " + std::string(req.error().rule), 0, req.error().rule);
      continue;
    }
    batch.push_back(std::move(*req));
    skeys.push_back(k);
  }
  if (batch.empty()) return first;
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < pkeys.size(); ++i) {
    if (res[i] == 0 || gone(res[i])) {
      policies_.erase(pkeys[i]);
    } else {
      keep_first(describe(pkeys[i]) + ": delete", res[i], "the kernel refused to delete the XFRM policy (offset = errno)");
    }
  }
  for (std::size_t i = 0; i < skeys.size(); ++i) {
    const int err = res[pkeys.size() + i];
    if (err == 0 || gone(err)) {
      states_.erase(skeys[i]);
    } else {
      keep_first(describe(skeys[i]) + ": delete", err, "the kernel refused to delete the XFRM state (offset = errno)");
    }
  }
  return first;
}

wire::Result<std::vector<std::string>> XfrmTable::remove_leftovers() {
  std::vector<std::string> removed;
  int err = 0;
  // Policies first: a policy left without its state would block signalling.
  const auto policies = sock_->dump(XFRM_MSG_GETPOLICY, err);
  if (err != 0) return fail("xfrm policy dump", err, "the kernel refused the XFRM policy dump (offset = errno)").error();
  for (const auto& bytes : policies) {
    auto p = parse_policy_message(bytes);
    if (!p) continue;  // not a policy (cannot happen for this dump); nothing to remove
    // SUB: hmip's route optimisation; MAIN in the tag range: mapd's ESP
    // requirement (charon's MAIN policies have priorities far below it).
    const bool main = p->ptype.value_or(XFRM_POLICY_TYPE_MAIN) == XFRM_POLICY_TYPE_MAIN;
    if (!main && p->ptype.value_or(XFRM_POLICY_TYPE_MAIN) != XFRM_POLICY_TYPE_SUB) continue;
    if (p->priority < tags_.xfrm_priority_lo || p->priority > tags_.xfrm_priority_hi) continue;
    const bool ours_now = (p->dir == XFRM_POLICY_IN || p->dir == XFRM_POLICY_OUT) &&
                          policies_.contains(PolicyKey{p->src, p->dst, p->sel_proto,
                                                       p->dir == XFRM_POLICY_IN ? PolicyDir::in : PolicyDir::out, main});
    if (ours_now) continue;
    const std::string what = std::string(main ? "xfrm policy main " : "xfrm policy sub ") + dir_name(p->dir) +
                             " src " + p->src.str() + " dst " + p->dst.str() + " proto " + std::to_string(p->sel_proto);
    auto req = build_policy_delete_by_index(p->index, p->dir, main);
    if (!req) return fail(what + ": " + std::string(req.error().rule), 0, req.error().rule).error();
    if (const int e = sock_->request(*req); e != 0 && !gone(e))
      return fail(what + ": delete", e, "the kernel refused to delete a leftover XFRM policy (offset = errno)").error();
    removed.push_back(what);
  }
  const auto states = sock_->dump(XFRM_MSG_GETSA, err);
  if (err != 0) return fail("xfrm state dump", err, "the kernel refused the XFRM state dump (offset = errno)").error();
  for (const auto& bytes : states) {
    auto s = parse_state_message(bytes);
    if (!s) continue;
    if (s->reqid != tags_.xfrm_priority_lo || s->mode != XFRM_MODE_ROUTEOPTIMIZATION) continue;
    if (s->proto != ipproto_of(RoProto::hao) && s->proto != ipproto_of(RoProto::route2)) continue;
    const RoStateKey key{s->src, s->dst, s->proto == ipproto_of(RoProto::hao) ? RoProto::hao : RoProto::route2};
    if (states_.contains(key)) continue;
    auto req = build_state_delete(key);
    if (!req) return fail(describe(key) + ": " + std::string(req.error().rule), 0, req.error().rule).error();
    if (const int e = sock_->request(*req); e != 0 && !gone(e))
      return fail(describe(key) + ": delete", e, "the kernel refused to delete a leftover XFRM state (offset = errno)")
          .error();
    removed.push_back(describe(key));
  }
  return removed;
}

}  // namespace hmip::kglue::detail
