// The tag values of hmip's two daemons (dataplane.h, Tags).
#include "hmip/kglue/dataplane.h"

namespace hmip::kglue {

Tags Tags::mapd() {
  Tags t;
  t.link_prefix = "hmipm";
  t.route_protocol = 203;
  t.xfrm_priority_lo = 0x4d490000;  // "MI"
  t.xfrm_priority_hi = 0x4d49ffff;
  // The transient rule and table of a BA without a binding (binding_layout.h,
  // ba_objects): only lo of each is used.
  t.rule_priority_lo = 1900;
  t.rule_priority_hi = 1999;
  t.table_lo = 0x4d4900;
  t.table_hi = 0x4d49ff;
  t.nft_table = "hmip_mapd";
  t.link_group = 0x4d490000;
  return t;
}

Tags Tags::mnd() {
  Tags t;
  t.link_prefix = "hmipn";
  t.route_protocol = 204;
  t.xfrm_priority_lo = 0x4d4e0000;  // "MN"
  t.xfrm_priority_hi = 0x4d4effff;
  t.rule_priority_lo = 2000;
  t.rule_priority_hi = 2099;
  t.table_lo = 0x4d4e00;
  t.table_hi = 0x4d4eff;
  t.link_group = 0x4d4e0000;
  return t;
}

}  // namespace hmip::kglue
