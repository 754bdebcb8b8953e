#include "hmip/io/mh_cmsg.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "hmip/wire/ext_headers.h"

namespace hmip::io {

namespace {

using wire::Errc;
using wire::Error;

// The routing header type Mobile IPv6 uses (RFC 6275 §6.4).
constexpr std::uint8_t kRoutingType2 = 2;

std::size_t ext_data_len(const MhSendCmsgs& c) noexcept { return c.ext_header.size(); }

// Appends one control message at `pos` of `buf` (which has room: checked by
// the caller) and returns the position of the next one.
std::size_t put_cmsg(std::span<std::uint8_t> buf, std::size_t pos, int type, wire::ByteSpan data) noexcept {
  cmsghdr hdr{};
  hdr.cmsg_level = IPPROTO_IPV6;
  hdr.cmsg_type = type;
  hdr.cmsg_len = CMSG_LEN(data.size());
  std::memcpy(buf.data() + pos, &hdr, sizeof hdr);
  if (!data.empty()) std::memcpy(buf.data() + pos + CMSG_LEN(0), data.data(), data.size());
  return pos + CMSG_SPACE(data.size());
}

// Checks the length of an extension header handed up in a control message.
wire::Status check_received_ext(wire::ByteSpan data, std::size_t at) {
  if (data.size() < 2) return Error{Errc::bad_length, at, "extension header control message shorter than 2 octets"};
  const std::size_t declared = 8 * (static_cast<std::size_t>(data[1]) + 1);
  if (declared != data.size())
    return Error{Errc::bad_length, at, "extension header's Hdr Ext Len disagrees with its control message length"};
  return wire::Ok{};
}

}  // namespace

std::size_t mh_send_cmsg_space(const MhSendCmsgs& c) noexcept {
  std::size_t n = 0;
  if (c.src || c.ifindex != 0) n += CMSG_SPACE(sizeof(in6_pktinfo));
  if (c.hop_limit >= 0) n += CMSG_SPACE(sizeof(int));
  if (!c.ext_header.empty()) n += CMSG_SPACE(ext_data_len(c));
  return n;
}

wire::Status check_ext_header(MhExtHeader kind, wire::ByteSpan header) {
  if (header.size() < 8) return Error{Errc::truncated, header.size(), "extension header shorter than 8 octets"};
  const std::size_t declared = 8 * (static_cast<std::size_t>(header[1]) + 1);
  if (header.size() < declared)
    return Error{Errc::truncated, header.size(), "extension header shorter than its Hdr Ext Len declares"};
  if (header.size() != declared)
    return Error{Errc::bad_length, 1, "extension header longer than its Hdr Ext Len declares"};
  if (kind == MhExtHeader::rthdr) {
    if (header[2] != kRoutingType2)
      return Error{Errc::invalid_field, 2, "routing header to send is not type 2 (RFC 6275 §6.4)"};
    if (header[1] != 2) return Error{Errc::bad_length, 1, "type 2 routing header Hdr Ext Len is not 2"};
    if (header[3] != 1) return Error{Errc::invalid_field, 3, "type 2 routing header Segments Left is not 1"};
  }
  return wire::Ok{};
}

wire::Result<std::size_t> build_mh_send_cmsgs(std::span<std::uint8_t> buf, const MhSendCmsgs& c) {
  if (c.hop_limit > 255) return Error{Errc::invalid_field, 0, "IPV6_HOPLIMIT over 255"};
  if (c.ifindex < 0) return Error{Errc::invalid_field, 0, "negative interface index"};
  if (!c.ext_header.empty()) {
    const auto ok = check_ext_header(c.ext_kind, c.ext_header);
    if (!ok) return ok.error();
  }
  const std::size_t need = mh_send_cmsg_space(c);
  if (buf.size() < need) return Error{Errc::too_long, need, "control buffer too small for the control messages"};
  std::fill(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(need), std::uint8_t{0});
  std::size_t pos = 0;
  if (c.src || c.ifindex != 0) {
    in6_pktinfo pi{};
    const Ip6Addr src = c.src.value_or(Ip6Addr{});
    std::memcpy(pi.ipi6_addr.s6_addr, src.b.data(), 16);
    pi.ipi6_ifindex = static_cast<unsigned>(c.ifindex);
    std::array<std::uint8_t, sizeof pi> raw{};
    std::memcpy(raw.data(), &pi, sizeof pi);
    pos = put_cmsg(buf, pos, IPV6_PKTINFO, raw);
  }
  if (c.hop_limit >= 0) {
    std::array<std::uint8_t, sizeof(int)> raw{};
    std::memcpy(raw.data(), &c.hop_limit, sizeof(int));
    pos = put_cmsg(buf, pos, IPV6_HOPLIMIT, raw);
  }
  if (!c.ext_header.empty())
    pos = put_cmsg(buf, pos, c.ext_kind == MhExtHeader::dstopts ? IPV6_DSTOPTS : IPV6_RTHDR, c.ext_header);
  return pos;
}

wire::Result<MhReceiveCmsgs> parse_mh_receive_cmsgs(wire::ByteSpan control) {
  MhReceiveCmsgs out;
  bool have_pktinfo = false;
  bool have_hoplimit = false;
  std::size_t pos = 0;
  while (pos < control.size()) {
    const std::size_t left = control.size() - pos;
    if (left < sizeof(cmsghdr)) return Error{Errc::truncated, pos, "control data ends inside a cmsghdr"};
    cmsghdr hdr{};
    std::memcpy(&hdr, control.data() + pos, sizeof hdr);
    if (hdr.cmsg_len < CMSG_LEN(0)) return Error{Errc::bad_length, pos, "cmsg_len shorter than a cmsghdr"};
    if (hdr.cmsg_len > left) return Error{Errc::truncated, pos, "cmsg_len runs past the end of the control data"};
    if (hdr.cmsg_level != IPPROTO_IPV6)
      return Error{Errc::invalid_field, pos, "control message at a level other than IPPROTO_IPV6"};
    const wire::ByteSpan data = control.subspan(pos + CMSG_LEN(0), hdr.cmsg_len - CMSG_LEN(0));
    switch (hdr.cmsg_type) {
      case IPV6_PKTINFO: {
        if (data.size() != sizeof(in6_pktinfo)) return Error{Errc::bad_length, pos, "IPV6_PKTINFO of the wrong size"};
        if (have_pktinfo) return Error{Errc::invalid_field, pos, "a second IPV6_PKTINFO"};
        have_pktinfo = true;
        in6_pktinfo pi{};
        std::memcpy(&pi, data.data(), sizeof pi);
        Ip6Addr a;
        std::memcpy(a.b.data(), pi.ipi6_addr.s6_addr, 16);
        out.dst = a;
        out.ifindex = static_cast<int>(pi.ipi6_ifindex);
        break;
      }
      case IPV6_HOPLIMIT: {
        if (data.size() != sizeof(int)) return Error{Errc::bad_length, pos, "IPV6_HOPLIMIT of the wrong size"};
        if (have_hoplimit) return Error{Errc::invalid_field, pos, "a second IPV6_HOPLIMIT"};
        have_hoplimit = true;
        int hl = 0;
        std::memcpy(&hl, data.data(), sizeof hl);
        if (hl < 0 || hl > 255) return Error{Errc::invalid_field, pos, "IPV6_HOPLIMIT outside 0..255"};
        out.hop_limit = hl;
        break;
      }
      case IPV6_DSTOPTS:
      case IPV6_RTHDR: {
        const auto ok = check_received_ext(data, pos);
        if (!ok) return ok.error();
        auto& list = hdr.cmsg_type == IPV6_DSTOPTS ? out.dstopts : out.rthdrs;
        list.emplace_back(data.begin(), data.end());
        break;
      }
      default:
        break;  // another IPv6 control message: not ours to interpret
    }
    // The last message may lack its alignment padding.
    pos += std::min<std::size_t>(CMSG_ALIGN(hdr.cmsg_len), left);
  }
  return out;
}

wire::Result<std::optional<Ip6Addr>> hao_from_dstopts(std::span<const wire::Bytes> dstopts) {
  std::optional<Ip6Addr> hao;
  for (const auto& h : dstopts) {
    auto d = wire::decode_dstopts(h);
    if (!d) return d.error();
    if (!d->home_address) continue;
    if (hao) return Error{Errc::invalid_field, 0, "Home Address options in two Destination Options headers"};
    hao = d->home_address;
  }
  return hao;
}

wire::Result<std::optional<Ip6Addr>> rh2_from_rthdrs(std::span<const wire::Bytes> rthdrs) {
  if (rthdrs.empty()) return std::optional<Ip6Addr>{};
  if (rthdrs.size() > 1) return Error{Errc::invalid_field, 0, "more than one routing header"};
  auto r = wire::decode_rh2(rthdrs.front(), wire::Rh2Stage::processed);
  if (!r) return r.error();
  return std::optional<Ip6Addr>{r->home_address};
}

}  // namespace hmip::io
