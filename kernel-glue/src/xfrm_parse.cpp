// Parsing XFRM netlink messages (requests built here, and the kernel's dump
// replies) into plain values. Fields are copied out with memcpy, never read
// through a cast of the buffer.
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <cstring>

#include "xfrm_msg.h"

namespace hmip::kglue::detail {
namespace {

using wire::Errc;
using wire::Error;

template <class T>
T load(std::span<const std::uint8_t> b, std::size_t at) {
  T v{};
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}

Ip6Addr to_ip6(const xfrm_address_t& x) {
  Ip6Addr a;
  std::memcpy(a.b.data(), &x.a6, a.b.size());
  return a;
}

constexpr std::size_t align4(std::size_t n) { return (n + 3U) & ~std::size_t{3}; }

struct Attr {
  std::uint16_t type;
  std::span<const std::uint8_t> data;
  std::size_t offset;
};

/// The netlink header, checked against the buffer and `min_payload`.
wire::Result<nlmsghdr> header(std::span<const std::uint8_t> msg, std::size_t min_payload) {
  if (msg.size() < sizeof(nlmsghdr)) return Error{Errc::truncated, 0, "netlink message needs a 16-octet header"};
  const auto h = load<nlmsghdr>(msg, 0);
  if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > msg.size())
    return Error{Errc::bad_length, 0, "nlmsg_len disagrees with the message"};
  if (h.nlmsg_len < NLMSG_HDRLEN + min_payload)
    return Error{Errc::truncated, NLMSG_HDRLEN, "XFRM message shorter than its fixed payload"};
  return h;
}

/// Walks the attributes after the fixed payload; `fn(Attr)` for each.
template <class Fn>
wire::Result<wire::Ok> for_each_attr(std::span<const std::uint8_t> msg, const nlmsghdr& h, std::size_t payload,
                                     Fn&& fn) {
  std::size_t at = NLMSG_HDRLEN + align4(payload);
  const std::size_t end = h.nlmsg_len;
  while (at + sizeof(nlattr) <= end) {
    const auto a = load<nlattr>(msg, at);
    if (a.nla_len < sizeof(nlattr) || at + a.nla_len > end)
      return Error{Errc::bad_length, at, "netlink attribute length runs past the message"};
    fn(Attr{static_cast<std::uint16_t>(a.nla_type & NLA_TYPE_MASK),
            msg.subspan(at + sizeof(nlattr), a.nla_len - sizeof(nlattr)), at});
    at += align4(a.nla_len);
  }
  return wire::Ok{};
}

bool read_addr(const Attr& a, Ip6Addr& out) {
  if (a.data.size() < sizeof(xfrm_address_t)) return false;
  out = to_ip6(load<xfrm_address_t>(a.data, 0));
  return true;
}

Ip6Prefix prefix(const xfrm_address_t& x, std::uint8_t len) { return Ip6Prefix::of(to_ip6(x), len > 128 ? 128 : len); }

}  // namespace

wire::Result<ParsedState> parse_state_message(std::span<const std::uint8_t> msg) {
  auto h0 = header(msg, 0);
  if (!h0) return h0.error();
  ParsedState st;
  st.msg_type = h0->nlmsg_type;
  st.msg_flags = h0->nlmsg_flags;
  const bool del = h0->nlmsg_type == XFRM_MSG_DELSA;
  if (!del && h0->nlmsg_type != XFRM_MSG_NEWSA && h0->nlmsg_type != XFRM_MSG_UPDSA)
    return Error{Errc::unknown_type, 4, "not an XFRM state message (NEWSA, UPDSA, DELSA)"};
  const std::size_t payload = del ? sizeof(xfrm_usersa_id) : sizeof(xfrm_usersa_info);
  auto h = header(msg, payload);
  if (!h) return h.error();
  if (del) {
    const auto id = load<xfrm_usersa_id>(msg, NLMSG_HDRLEN);
    st.dst = to_ip6(id.daddr);
    st.spi = id.spi;
    st.proto = id.proto;
    st.family = id.family;
  } else {
    const auto info = load<xfrm_usersa_info>(msg, NLMSG_HDRLEN);
    st.src = to_ip6(info.saddr);
    st.dst = to_ip6(info.id.daddr);
    st.spi = info.id.spi;
    st.proto = info.id.proto;
    st.family = info.family;
    st.mode = info.mode;
    st.reqid = info.reqid;
    st.flags = info.flags;
    st.hard_byte_limit = info.lft.hard_byte_limit;
    st.hard_packet_limit = info.lft.hard_packet_limit;
  }
  bool bad_addr = false;
  auto walked = for_each_attr(msg, *h, payload, [&](const Attr& a) {
    if (a.type == XFRMA_COADDR) {
      ++st.coaddr_count;
      Ip6Addr c;
      if (read_addr(a, c)) st.coaddr = c;
      else bad_addr = true;
    } else if (a.type == XFRMA_SRCADDR) {
      ++st.srcaddr_count;
      if (!read_addr(a, st.src)) bad_addr = true;
    }
  });
  if (!walked) return walked.error();
  if (bad_addr) return Error{Errc::bad_length, NLMSG_HDRLEN, "XFRMA_COADDR/SRCADDR shorter than an address"};
  return st;
}

wire::Result<ParsedPolicy> parse_policy_message(std::span<const std::uint8_t> msg) {
  auto h0 = header(msg, 0);
  if (!h0) return h0.error();
  ParsedPolicy p;
  p.msg_type = h0->nlmsg_type;
  p.msg_flags = h0->nlmsg_flags;
  const bool del = h0->nlmsg_type == XFRM_MSG_DELPOLICY;
  if (!del && h0->nlmsg_type != XFRM_MSG_NEWPOLICY && h0->nlmsg_type != XFRM_MSG_UPDPOLICY)
    return Error{Errc::unknown_type, 4, "not an XFRM policy message (NEWPOLICY, UPDPOLICY, DELPOLICY)"};
  const std::size_t payload = del ? sizeof(xfrm_userpolicy_id) : sizeof(xfrm_userpolicy_info);
  auto h = header(msg, payload);
  if (!h) return h.error();
  xfrm_selector sel{};
  if (del) {
    const auto id = load<xfrm_userpolicy_id>(msg, NLMSG_HDRLEN);
    sel = id.sel;
    p.index = id.index;
    p.dir = id.dir;
  } else {
    const auto info = load<xfrm_userpolicy_info>(msg, NLMSG_HDRLEN);
    sel = info.sel;
    p.index = info.index;
    p.dir = info.dir;
    p.priority = info.priority;
    p.action = info.action;
  }
  p.src = prefix(sel.saddr, sel.prefixlen_s);
  p.dst = prefix(sel.daddr, sel.prefixlen_d);
  p.sel_family = sel.family;
  p.sel_proto = sel.proto;
  bool bad = false;
  auto walked = for_each_attr(msg, *h, payload, [&](const Attr& a) {
    if (a.type == XFRMA_POLICY_TYPE) {
      ++p.ptype_count;
      if (a.data.size() < sizeof(xfrm_userpolicy_type)) bad = true;
      else p.ptype = load<xfrm_userpolicy_type>(a.data, 0).type;
    } else if (a.type == XFRMA_TMPL) {
      if (a.data.size() % sizeof(xfrm_user_tmpl) != 0) bad = true;
      for (std::size_t at = 0; at + sizeof(xfrm_user_tmpl) <= a.data.size(); at += sizeof(xfrm_user_tmpl)) {
        const auto t = load<xfrm_user_tmpl>(a.data, at);
        p.templates.push_back(ParsedTemplate{to_ip6(t.saddr), to_ip6(t.id.daddr), t.id.proto, t.family, t.mode,
                                             t.reqid, t.optional});
      }
    }
  });
  if (!walked) return walked.error();
  if (bad) return Error{Errc::bad_length, NLMSG_HDRLEN, "XFRMA_POLICY_TYPE/TMPL of the wrong size"};
  return p;
}

}  // namespace hmip::kglue::detail
