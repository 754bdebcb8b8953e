// XFRM netlink messages for XfrmTable: built with libnl-xfrm-3 (xfrmnl_sa,
// xfrmnl_sp, xfrmnl_user_tmpl) plus the attributes libnl 3.7 gets wrong or
// leaves out (see xfrm_table.h), returned as plain bytes (one nlmsghdr with
// payload and attributes; sequence number and port id are filled in when
// sent), and parsed back from bytes into plain values: for the unit tests
// and for the kernel's dump replies. No libnl type appears here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/result.h"
#include "xfrm_table.h"

namespace hmip::kglue::detail {

using NlBytes = std::vector<std::uint8_t>;

/// IPPROTO_DSTOPTS (60) for hao, IPPROTO_ROUTING (43) for route2.
std::uint8_t ipproto_of(RoProto p) noexcept;

/// XFRM_MSG_NEWSA (create, exclusive) or, with `update`, XFRM_MSG_UPDSA for
/// a mode ro state: src/dst/proto from `key`, spi 0, `reqid`, the care-of
/// address as the one XFRMA_COADDR, XFRMA flag WILDRECV if asked, byte and
/// packet limits XFRM_INF. Fails (Errc::invalid_field) only if libnl does.
wire::Result<NlBytes> build_state_request(const RoStateKey& key, const RoStateSettings& s,
                                          std::uint32_t reqid, bool update);
/// XFRM_MSG_DELSA for the state `key`, with the XFRMA_SRCADDR libnl omits.
wire::Result<NlBytes> build_state_delete(const RoStateKey& key);
/// XFRM_MSG_NEWPOLICY (create, exclusive) or, with `update`,
/// XFRM_MSG_UPDPOLICY for a SUB policy with one ro template (reqid `reqid`,
/// level use for dir in, required for dir out), action allow.
wire::Result<NlBytes> build_policy_request(const PolicyKey& key, const PolicySettings& s,
                                           std::uint32_t priority, std::uint32_t reqid, bool update);
/// XFRM_MSG_DELPOLICY by selector and direction, with the
/// XFRMA_POLICY_TYPE (SUB) libnl omits.
wire::Result<NlBytes> build_policy_delete(const PolicyKey& key);
/// XFRM_MSG_DELPOLICY by kernel index (`dir` is XFRM_POLICY_IN/OUT/FWD) of
/// a SUB policy: how leftovers are removed, whatever their selector.
wire::Result<NlBytes> build_policy_delete_by_index(std::uint32_t index, std::uint8_t dir, bool main = false);

/// A state message (NEWSA/UPDSA: xfrm_usersa_info; DELSA: xfrm_usersa_id)
/// as the kernel would read it.
struct ParsedState {
  std::uint16_t msg_type = 0;
  std::uint16_t msg_flags = 0;
  Ip6Addr src, dst;  ///< for DELSA, src is the XFRMA_SRCADDR attribute (if any)
  std::uint32_t spi = 0;
  std::uint8_t proto = 0;
  std::uint16_t family = 0;
  std::uint8_t mode = 0;
  std::uint32_t reqid = 0;
  std::uint8_t flags = 0;
  std::uint64_t hard_byte_limit = 0, hard_packet_limit = 0;
  std::optional<Ip6Addr> coaddr;    ///< the XFRMA_COADDR attribute, if any
  std::size_t coaddr_count = 0;     ///< how many XFRMA_COADDR attributes
  std::size_t srcaddr_count = 0;    ///< how many XFRMA_SRCADDR attributes
};

struct ParsedTemplate {
  Ip6Addr src, dst;
  std::uint8_t proto = 0;
  std::uint16_t family = 0;
  std::uint8_t mode = 0;
  std::uint32_t reqid = 0;
  std::uint8_t optional = 0;
};

/// A policy message (NEWPOLICY/UPDPOLICY: xfrm_userpolicy_info; DELPOLICY:
/// xfrm_userpolicy_id).
struct ParsedPolicy {
  std::uint16_t msg_type = 0;
  std::uint16_t msg_flags = 0;
  Ip6Prefix src, dst;
  std::uint16_t sel_family = 0;
  std::uint8_t sel_proto = 0;
  std::uint8_t dir = 0;
  std::uint32_t priority = 0;
  std::uint32_t index = 0;
  std::uint8_t action = 0;
  std::optional<std::uint8_t> ptype;  ///< XFRMA_POLICY_TYPE; absent = MAIN to the kernel
  std::size_t ptype_count = 0;
  std::vector<ParsedTemplate> templates;
};

/// Parses one state message; a precise error for a truncated header,
/// payload or attribute, or another message type.
wire::Result<ParsedState> parse_state_message(std::span<const std::uint8_t> msg);
/// Parses one policy message; errors as parse_state_message.
wire::Result<ParsedPolicy> parse_policy_message(std::span<const std::uint8_t> msg);

}  // namespace hmip::kglue::detail
