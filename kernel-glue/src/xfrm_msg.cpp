// Building XFRM requests with libnl-xfrm-3 and fixing what libnl 3.7 gets
// wrong (see xfrm_table.h for the list and where it was read).
#include "xfrm_msg.h"

#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

namespace hmip::kglue::detail {
namespace {

struct AddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct SaPut {
  void operator()(xfrmnl_sa* s) const { xfrmnl_sa_put(s); }
};
struct SpPut {
  void operator()(xfrmnl_sp* s) const { xfrmnl_sp_put(s); }
};
struct SelPut {
  void operator()(xfrmnl_sel* s) const { xfrmnl_sel_put(s); }
};
struct LtimePut {
  void operator()(xfrmnl_ltime_cfg* l) const { xfrmnl_ltime_cfg_put(l); }
};
struct TmplFree {
  void operator()(xfrmnl_user_tmpl* t) const { xfrmnl_user_tmpl_free(t); }
};
struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using Addr = std::unique_ptr<nl_addr, AddrPut>;
using Msg = std::unique_ptr<nl_msg, MsgFree>;

constexpr std::uint64_t kXfrmInf = ~std::uint64_t{0};  // XFRM_INF

wire::Error libnl_error(std::string_view rule) { return wire::Error{wire::Errc::invalid_field, 0, rule}; }

Addr make_addr(const Ip6Addr& a, std::uint8_t prefixlen = 128) {
  Addr out(nl_addr_build(AF_INET6, a.b.data(), a.b.size()));
  if (out) nl_addr_set_prefixlen(out.get(), prefixlen);
  return out;
}

xfrm_address_t xfrm_addr(const Ip6Addr& a) {
  xfrm_address_t x{};
  std::memcpy(&x.a6, a.b.data(), a.b.size());
  return x;
}

NlBytes to_bytes(nl_msg* msg) {
  const nlmsghdr* h = nlmsg_hdr(msg);
  const auto* p = reinterpret_cast<const std::uint8_t*>(h);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): libnl's buffer
  return {p, p + h->nlmsg_len};
}

/// Byte/packet limits XFRM_INF, as iproute2 sets them: with libnl's zeros
/// the kernel expires a state as soon as it is used.
std::unique_ptr<xfrmnl_ltime_cfg, LtimePut> infinite_lifetime() {
  std::unique_ptr<xfrmnl_ltime_cfg, LtimePut> l(xfrmnl_ltime_cfg_alloc());
  if (!l) return l;
  xfrmnl_ltime_cfg_set_soft_bytelimit(l.get(), kXfrmInf);
  xfrmnl_ltime_cfg_set_hard_bytelimit(l.get(), kXfrmInf);
  xfrmnl_ltime_cfg_set_soft_packetlimit(l.get(), kXfrmInf);
  xfrmnl_ltime_cfg_set_hard_packetlimit(l.get(), kXfrmInf);
  return l;
}

/// A selector src/len -> dst/len, upper-layer protocol `proto`, no ports.
std::unique_ptr<xfrmnl_sel, SelPut> make_selector(const PolicyKey& key) {
  std::unique_ptr<xfrmnl_sel, SelPut> sel(xfrmnl_sel_alloc());
  Addr s = make_addr(key.src.addr, key.src.len);
  Addr d = make_addr(key.dst.addr, key.dst.len);
  if (!sel || !s || !d) return nullptr;
  xfrmnl_sel_set_family(sel.get(), AF_INET6);
  xfrmnl_sel_set_saddr(sel.get(), s.get());  // takes its own reference
  xfrmnl_sel_set_daddr(sel.get(), d.get());
  xfrmnl_sel_set_prefixlen_s(sel.get(), key.src.len);
  xfrmnl_sel_set_prefixlen_d(sel.get(), key.dst.len);
  xfrmnl_sel_set_proto(sel.get(), key.proto);
  return sel;
}

std::uint8_t xfrm_dir(PolicyDir d) { return d == PolicyDir::in ? XFRM_POLICY_IN : XFRM_POLICY_OUT; }

/// Appends XFRMA_POLICY_TYPE = SUB (or MAIN).
bool put_sub_type(nl_msg* msg, bool main = false) {
  xfrm_userpolicy_type t{};
  t.type = main ? XFRM_POLICY_TYPE_MAIN : XFRM_POLICY_TYPE_SUB;
  return nla_put(msg, XFRMA_POLICY_TYPE, sizeof t, &t) == 0;
}

}  // namespace

std::uint8_t ipproto_of(RoProto p) noexcept { return p == RoProto::hao ? IPPROTO_DSTOPTS : IPPROTO_ROUTING; }

wire::Result<NlBytes> build_state_request(const RoStateKey& key, const RoStateSettings& s, std::uint32_t reqid,
                                          bool update) {
  std::unique_ptr<xfrmnl_sa, SaPut> sa(xfrmnl_sa_alloc());
  Addr src = make_addr(key.src);
  Addr dst = make_addr(key.dst);
  auto lft = infinite_lifetime();
  if (!sa || !src || !dst || !lft) return libnl_error("XFRM state: libnl allocation failed");
  xfrmnl_sa_set_family(sa.get(), AF_INET6);
  xfrmnl_sa_set_daddr(sa.get(), dst.get());
  xfrmnl_sa_set_saddr(sa.get(), src.get());
  xfrmnl_sa_set_spi(sa.get(), 0);
  xfrmnl_sa_set_proto(sa.get(), ipproto_of(key.proto));
  xfrmnl_sa_set_mode(sa.get(), XFRM_MODE_ROUTEOPTIMIZATION);
  xfrmnl_sa_set_reqid(sa.get(), reqid);
  xfrmnl_sa_set_flags(sa.get(), s.wildrecv ? XFRM_STATE_WILDRECV : 0U);
  xfrmnl_sa_set_lifetime_cfg(sa.get(), lft.get());
  // Not xfrmnl_sa_set_coaddr(): libnl 3.7 would copy its nl_addr object
  // into the attribute. The right XFRMA_COADDR is appended below.
  nl_msg* raw = nullptr;
  const int flags = update ? 0 : NLM_F_CREATE | NLM_F_EXCL;
  const int err = update ? xfrmnl_sa_build_update_request(sa.get(), flags, &raw)
                         : xfrmnl_sa_build_add_request(sa.get(), flags, &raw);
  if (err < 0 || raw == nullptr) return libnl_error("XFRM state: libnl could not build the request");
  Msg msg(raw);
  const xfrm_address_t coa = xfrm_addr(s.coa);
  if (nla_put(msg.get(), XFRMA_COADDR, sizeof coa, &coa) < 0)
    return libnl_error("XFRM state: no room for XFRMA_COADDR");
  return to_bytes(msg.get());
}

wire::Result<NlBytes> build_state_delete(const RoStateKey& key) {
  std::unique_ptr<xfrmnl_sa, SaPut> sa(xfrmnl_sa_alloc());
  Addr dst = make_addr(key.dst);
  if (!sa || !dst) return libnl_error("XFRM state delete: libnl allocation failed");
  xfrmnl_sa_set_family(sa.get(), AF_INET6);
  xfrmnl_sa_set_daddr(sa.get(), dst.get());
  xfrmnl_sa_set_spi(sa.get(), 0);
  xfrmnl_sa_set_proto(sa.get(), ipproto_of(key.proto));
  nl_msg* raw = nullptr;
  if (xfrmnl_sa_build_delete_request(sa.get(), 0, &raw) < 0 || raw == nullptr)
    return libnl_error("XFRM state delete: libnl could not build the request");
  Msg msg(raw);
  // The kernel finds hao/route2 states by (dst, src, proto): it needs the
  // source, which libnl 3.7's delete request leaves out.
  const xfrm_address_t src = xfrm_addr(key.src);
  if (nla_put(msg.get(), XFRMA_SRCADDR, sizeof src, &src) < 0)
    return libnl_error("XFRM state delete: no room for XFRMA_SRCADDR");
  return to_bytes(msg.get());
}

wire::Result<NlBytes> build_policy_request(const PolicyKey& key, const PolicySettings& s, std::uint32_t priority,
                                           std::uint32_t reqid, bool update) {
  std::unique_ptr<xfrmnl_sp, SpPut> sp(xfrmnl_sp_alloc());
  auto sel = make_selector(key);
  auto lft = infinite_lifetime();
  std::unique_ptr<xfrmnl_user_tmpl, TmplFree> tmpl(xfrmnl_user_tmpl_alloc());
  Addr tsrc = make_addr(s.tmpl_src);
  Addr tdst = make_addr(s.tmpl_dst);
  if (!sp || !sel || !lft || !tmpl || !tsrc || !tdst) return libnl_error("XFRM policy: libnl allocation failed");
  xfrmnl_sp_set_sel(sp.get(), sel.get());
  xfrmnl_sp_set_lifetime_cfg(sp.get(), lft.get());
  xfrmnl_sp_set_priority(sp.get(), priority);
  xfrmnl_sp_set_dir(sp.get(), xfrm_dir(key.dir));
  xfrmnl_sp_set_action(sp.get(), XFRM_POLICY_ALLOW);
  xfrmnl_sp_set_share(sp.get(), XFRM_SHARE_ANY);
  xfrmnl_sp_set_userpolicy_type(sp.get(), key.main ? XFRM_POLICY_TYPE_MAIN : XFRM_POLICY_TYPE_SUB);
  // Both template addresses always set: libnl 3.7 dereferences them unchecked.
  xfrmnl_user_tmpl_set_family(tmpl.get(), AF_INET6);
  xfrmnl_user_tmpl_set_daddr(tmpl.get(), tdst.get());
  xfrmnl_user_tmpl_set_saddr(tmpl.get(), tsrc.get());
  xfrmnl_user_tmpl_set_spi(tmpl.get(), 0);
  xfrmnl_user_tmpl_set_share(tmpl.get(), XFRM_SHARE_ANY);
  if (s.esp) {
    xfrmnl_user_tmpl_set_proto(tmpl.get(), IPPROTO_ESP);
    xfrmnl_user_tmpl_set_mode(tmpl.get(), XFRM_MODE_TRANSPORT);
    xfrmnl_user_tmpl_set_reqid(tmpl.get(), 0);  // any SA: charon's /128 policies name theirs
    xfrmnl_user_tmpl_set_optional(tmpl.get(), 0);
  } else {
    xfrmnl_user_tmpl_set_proto(tmpl.get(), ipproto_of(s.tmpl));
    xfrmnl_user_tmpl_set_mode(tmpl.get(), XFRM_MODE_ROUTEOPTIMIZATION);
    xfrmnl_user_tmpl_set_reqid(tmpl.get(), reqid);
    xfrmnl_user_tmpl_set_optional(tmpl.get(), key.dir == PolicyDir::in ? 1U : 0U);
  }
  xfrmnl_user_tmpl_set_aalgos(tmpl.get(), ~0U);
  xfrmnl_user_tmpl_set_ealgos(tmpl.get(), ~0U);
  xfrmnl_user_tmpl_set_calgos(tmpl.get(), ~0U);
  xfrmnl_sp_add_usertemplate(sp.get(), tmpl.release());  // the policy frees it
  nl_msg* raw = nullptr;
  const int flags = update ? 0 : NLM_F_CREATE | NLM_F_EXCL;
  const int err = update ? xfrmnl_sp_build_update_request(sp.get(), flags, &raw)
                         : xfrmnl_sp_build_add_request(sp.get(), flags, &raw);
  if (err < 0 || raw == nullptr) return libnl_error("XFRM policy: libnl could not build the request");
  Msg msg(raw);
  return to_bytes(msg.get());
}

wire::Result<NlBytes> build_policy_delete(const PolicyKey& key) {
  std::unique_ptr<xfrmnl_sp, SpPut> sp(xfrmnl_sp_alloc());
  auto sel = make_selector(key);
  if (!sp || !sel) return libnl_error("XFRM policy delete: libnl allocation failed");
  xfrmnl_sp_set_sel(sp.get(), sel.get());
  xfrmnl_sp_set_dir(sp.get(), xfrm_dir(key.dir));
  nl_msg* raw = nullptr;
  if (xfrmnl_sp_build_delete_request(sp.get(), 0, &raw) < 0 || raw == nullptr)
    return libnl_error("XFRM policy delete: libnl could not build the request");
  Msg msg(raw);
  // libnl 3.7 leaves the policy type out of delete requests; without it the
  // kernel looks for a MAIN policy.
  if (!put_sub_type(msg.get(), key.main)) return libnl_error("XFRM policy delete: no room for XFRMA_POLICY_TYPE");
  return to_bytes(msg.get());
}

wire::Result<NlBytes> build_policy_delete_by_index(std::uint32_t index, std::uint8_t dir, bool main) {
  std::unique_ptr<xfrmnl_sp, SpPut> sp(xfrmnl_sp_alloc());
  if (!sp) return libnl_error("XFRM policy delete: libnl allocation failed");
  xfrmnl_sp_set_index(sp.get(), index);
  xfrmnl_sp_set_dir(sp.get(), dir);
  nl_msg* raw = nullptr;
  if (xfrmnl_sp_build_delete_request(sp.get(), 0, &raw) < 0 || raw == nullptr)
    return libnl_error("XFRM policy delete: libnl could not build the request");
  Msg msg(raw);
  if (!put_sub_type(msg.get(), main)) return libnl_error("XFRM policy delete: no room for XFRMA_POLICY_TYPE");
  return to_bytes(msg.get());
}

}  // namespace hmip::kglue::detail
