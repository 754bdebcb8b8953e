// Builders of charon's VICI configuration requests (hmip/ike/charon_conn.h).
#include "hmip/ike/charon_conn.h"

namespace hmip::ike {

namespace {

using vici::List;
using vici::Section;

std::string mh_ts(const Ip6Addr& a) { return a.str() + "/128[mobility-header]"; }

Section auth(std::string_view method, std::string_view id, const std::vector<std::string>& certs,
             const std::vector<std::string>* cacerts) {
  Section s;
  s.set("auth", std::string(method));
  if (!id.empty()) s.set("id", std::string(id));
  if (!certs.empty()) s.set("certs", List(certs.begin(), certs.end()));
  if (cacerts != nullptr && !cacerts->empty()) s.set("cacerts", List(cacerts->begin(), cacerts->end()));
  return s;
}

// The settings every hmip connection shares.
Section base(const Ip6Addr& local, const Proposals& p, unsigned dpd_delay_s) {
  Section c;
  c.set("version", "2")
      .set("local_addrs", List{local.str()})
      .set("proposals", List(p.ike.begin(), p.ike.end()))
      .set("mobike", "yes")
      .set("dpd_delay", std::to_string(dpd_delay_s) + "s")
      // IKE fragmentation (RFC 7383): IKE_AUTH with certificates can exceed
      // the path MTU of an access link.
      .set("fragmentation", "yes");
  return c;
}

// `initiator`: the MN's side, which re-establishes a CHILD_SA dead peer
// detection found gone; the MAP's side only clears it (it cannot reach an
// MN that moved on; the MN comes back).
Section mh_child(const Ip6Addr& local, const Ip6Addr& remote, const Proposals& p, bool initiator) {
  Section ch;
  ch.set("mode", "transport_proxy")
      .set("local_ts", List{mh_ts(local)})
      .set("remote_ts", List{mh_ts(remote)})
      .set("esp_proposals", List(p.esp.begin(), p.esp.end()))
      // Re-keyed before expiry, never left to lapse: the binding must not
      // lose its protection (make-before-break is charon's default for
      // CHILD_SA re-keying).
      .set("rekey_time", "1h")
      .set("dpd_action", initiator ? "restart" : "clear")
      .set("close_action", "none");
  return ch;
}

}  // namespace

std::string map_mn_conn_name(const Ip6Addr& rcoa) { return "hmip-rcoa-" + rcoa.str(); }

Section map_generic_conn(const MapIke& m) {
  Section c = base(m.map_address, m.proposals, m.dpd_delay_s);
  if (m.pool) c.set("pools", List{std::string(kRcoaPool)});
  c.set("local", auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", auth("pubkey", "", {}, &m.ca_certs));
  return Section{}.set(std::string(kMapConn), std::move(c));
}

Section map_mn_conn(const MapIke& m, std::string_view remote_id, const Ip6Addr& rcoa) {
  Section c = base(m.map_address, m.proposals, m.dpd_delay_s);
  if (m.pool) c.set("pools", List{std::string(kRcoaPool)});
  c.set("local", auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", auth("pubkey", remote_id, {}, &m.ca_certs));
  c.set("children", Section{}.set(std::string(kMhChild), mh_child(m.map_address, rcoa, m.proposals, false)));
  return Section{}.set(map_mn_conn_name(rcoa), std::move(c));
}

Section rcoa_pool(const PoolRange& r) {
  return Section{}.set(std::string(kRcoaPool), Section{}.set("addrs", r.first.str() + "-" + r.last.str()));
}

Section mn_conn(const MnIke& m, const Ip6Addr& lcoa, const std::optional<Ip6Addr>& rcoa) {
  Section c = base(lcoa, m.proposals, m.dpd_delay_s);
  c.set("remote_addrs", List{m.map_address.str()});
  c.set("vips", List{rcoa ? rcoa->str() : std::string("::")});
  c.set("local", auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", auth("pubkey", m.map_id, {}, &m.ca_certs));
  if (rcoa) {
    c.set("children", Section{}.set(std::string(kMhChild), mh_child(*rcoa, m.map_address, m.proposals, true)));
  } else {
    // The first IKE SA only leases the RCoA (RFC 6023 childless).
    c.set("childless", "force");
  }
  return Section{}.set(std::string(kMnConn), std::move(c));
}

Section mn_initiate(unsigned timeout_ms) {
  return Section{}
      .set("child", std::string(kMhChild))
      .set("ike", std::string(kMnConn))
      .set("timeout", std::to_string(timeout_ms));
}

}  // namespace hmip::ike
