// XfrmTable::find_leftovers(): a previous run's tagged route-optimisation
// states and policies, read from the kernel's dumps (the same selection as
// remove_leftovers(), nothing removed), so that NetlinkDataplane can adopt
// the ones of complete MAP bindings (issue 13 item 13).
#include <linux/in.h>
#include <linux/xfrm.h>

#include "xfrm_msg.h"
#include "xfrm_socket.h"
#include "xfrm_table.h"

namespace hmip::kglue::detail {

wire::Result<XfrmTable::Found> XfrmTable::find_leftovers() {
  Found found;
  int err = 0;
  const auto policies = sock_->dump(XFRM_MSG_GETPOLICY, err);
  if (err != 0) return fail("xfrm policy dump", err, "the kernel refused the XFRM policy dump (offset = errno)").error();
  for (const auto& bytes : policies) {
    auto p = parse_policy_message(bytes);
    if (!p || (p->dir != XFRM_POLICY_IN && p->dir != XFRM_POLICY_OUT)) continue;
    const std::uint8_t ptype = p->ptype.value_or(XFRM_POLICY_TYPE_MAIN);
    if (ptype != XFRM_POLICY_TYPE_MAIN && ptype != XFRM_POLICY_TYPE_SUB) continue;
    if (p->priority < tags_.xfrm_priority_lo || p->priority > tags_.xfrm_priority_hi) continue;
    if (p->templates.size() != 1) continue;  // hmip's have exactly one
    const PolicyKey key{p->src, p->dst, p->sel_proto, p->dir == XFRM_POLICY_IN ? PolicyDir::in : PolicyDir::out,
                        ptype == XFRM_POLICY_TYPE_MAIN};
    if (policies_.contains(key)) continue;
    const ParsedTemplate& t = p->templates.front();
    PolicySettings ps{RoProto::hao, t.src, t.dst, t.proto == IPPROTO_ESP};
    if (t.proto == ipproto_of(RoProto::route2)) ps.tmpl = RoProto::route2;
    else if (t.proto != ipproto_of(RoProto::hao) && !ps.esp) continue;
    found.policies.emplace(key, ps);
  }
  const auto states = sock_->dump(XFRM_MSG_GETSA, err);
  if (err != 0) return fail("xfrm state dump", err, "the kernel refused the XFRM state dump (offset = errno)").error();
  for (const auto& bytes : states) {
    auto s = parse_state_message(bytes);
    if (!s || s->reqid != tags_.xfrm_priority_lo || s->mode != XFRM_MODE_ROUTEOPTIMIZATION) continue;
    if (s->proto != ipproto_of(RoProto::hao) && s->proto != ipproto_of(RoProto::route2)) continue;
    const RoStateKey key{s->src, s->dst, s->proto == ipproto_of(RoProto::hao) ? RoProto::hao : RoProto::route2};
    if (states_.contains(key)) continue;
    found.states.emplace(key, RoStateSettings{s->coaddr.value_or(Ip6Addr{}), (s->flags & XFRM_STATE_WILDRECV) != 0});
  }
  return found;
}

}  // namespace hmip::kglue::detail
