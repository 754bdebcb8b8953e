#include "object_set.h"

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace hmip::kglue::detail {
namespace {

bool gone(int err) { return err == -ENOENT || err == -ESRCH || err == -EADDRNOTAVAIL || err == -ENODEV; }

const KObj* find_key(const std::vector<KObj>& v, const KObj& o) {
  auto it = std::find_if(v.begin(), v.end(), [&](const KObj& x) { return same_key(x, o); });
  return it == v.end() ? nullptr : &*it;
}

template <class K, class S>
const S* find_setting(const std::vector<std::pair<K, S>>& v, const K& k) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& p) { return p.first == k; });
  return it == v.end() ? nullptr : &it->second;
}

}  // namespace

wire::Error kernel_error(int neg_errno, std::string_view rule, const std::string& what, std::string& detail) {
  const int e = neg_errno < 0 ? -neg_errno : neg_errno;
  detail = what + ": " + std::generic_category().message(e);
  return wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(e), rule};
}

ObjectDiff diff_objects(const std::vector<KObj>& current, const std::vector<KObj>& desired) {
  ObjectDiff d;
  for (const KObj& o : desired) {
    const KObj* old = find_key(current, o);
    if (old != nullptr && *old == o) continue;
    if (old != nullptr && replaceable(o)) {
      d.put.emplace_back(o, true);
      d.undo_replaced.push_back(*old);
    } else {
      d.put.emplace_back(o, false);
    }
  }
  for (auto it = current.rbegin(); it != current.rend(); ++it) {
    const KObj* now = find_key(desired, *it);
    if (now == nullptr || (!replaceable(*it) && !(*now == *it))) d.remove.push_back(*it);
  }
  return d;
}

Status apply_objects(RouteSocket& sock, std::uint8_t protocol, const std::vector<KObj>& current,
                     const std::vector<KObj>& desired, std::string& detail) {
  ObjectDiff d = diff_objects(current, desired);
  if (!d.put.empty()) {
    std::vector<NlRequest> batch;
    batch.reserve(d.put.size());
    for (const auto& [o, replace] : d.put) batch.push_back(NlRequest{build_add(o, protocol, replace), describe(o)});
    const std::vector<int> res = sock.run(batch);
    auto bad = std::find_if(res.begin(), res.end(), [](int r) { return r != 0; });
    if (bad != res.end()) {
      const auto idx = static_cast<std::size_t>(bad - res.begin());
      const wire::Error err = kernel_error(*bad, "kernel refused adding a binding's route, address, rule or proxy entry",
                                           "add " + batch[idx].what, detail);
      // Roll back what went in: delete the additions, restore the replaced.
      std::vector<NlRequest> undo;
      std::size_t replaced = 0;
      for (std::size_t i = 0; i < d.put.size(); ++i) {
        const bool was_replace = d.put[i].second;
        if (res[i] == 0) {
          if (was_replace) {
            undo.push_back(NlRequest{build_add(d.undo_replaced[replaced], protocol, true), "restore"});
          } else {
            undo.push_back(NlRequest{build_delete(d.put[i].first, protocol), "undo"});
          }
        }
        if (was_replace) ++replaced;
      }
      std::reverse(undo.begin(), undo.end());
      if (!undo.empty()) (void)sock.run(undo);
      return err;
    }
  }
  if (!d.remove.empty()) {
    std::vector<NlRequest> batch;
    batch.reserve(d.remove.size());
    for (const KObj& o : d.remove) batch.push_back(NlRequest{build_delete(o, protocol), describe(o)});
    const std::vector<int> res = sock.run(batch);
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (res[i] != 0 && !gone(res[i])) {
        return kernel_error(res[i], "kernel refused deleting a binding's route, address, rule or proxy entry",
                            "delete " + batch[i].what, detail);
      }
    }
  }
  return wire::Ok{};
}

Status apply_xfrm(XfrmTable& table, const XfrmSet& current, const XfrmSet& desired, std::string& detail) {
  std::vector<RoStateKey> put_states;
  std::vector<PolicyKey> put_policies;
  auto rollback = [&]() {
    for (const PolicyKey& k : put_policies) {
      if (const PolicySettings* old = find_setting(current.policies, k)) {
        (void)table.put_policy(k, *old);
      } else {
        (void)table.delete_policy(k);
      }
    }
    for (const RoStateKey& k : put_states) {
      if (const RoStateSettings* old = find_setting(current.states, k)) {
        (void)table.put_state(k, *old);
      } else {
        (void)table.delete_state(k);
      }
    }
  };
  for (const auto& [k, s] : desired.states) {
    const RoStateSettings* old = find_setting(current.states, k);
    if (old != nullptr && *old == s) continue;
    if (Status st = table.put_state(k, s); !st) {
      detail = table.last_error();
      rollback();
      return st;
    }
    put_states.push_back(k);
  }
  for (const auto& [k, s] : desired.policies) {
    const PolicySettings* old = find_setting(current.policies, k);
    if (old != nullptr && *old == s) continue;
    if (Status st = table.put_policy(k, s); !st) {
      detail = table.last_error();
      rollback();
      return st;
    }
    put_policies.push_back(k);
  }
  Status result = wire::Ok{};
  for (const auto& [k, s] : current.policies) {
    if (find_setting(desired.policies, k) != nullptr) continue;
    if (Status st = table.delete_policy(k); !st && result) {
      detail = table.last_error();
      result = st;
    }
  }
  for (const auto& [k, s] : current.states) {
    if (find_setting(desired.states, k) != nullptr) continue;
    if (Status st = table.delete_state(k); !st && result) {
      detail = table.last_error();
      result = st;
    }
  }
  return result;
}

}  // namespace hmip::kglue::detail
