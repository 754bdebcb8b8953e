// Builders of charon's VICI configuration requests (hmip/ike/charon_conn.h).
#include "hmip/ike/charon_conn.h"

#include <utility>

#include "hmip/ike/eap_secrets.h"

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
      // No MOBIKE: see charon_conn.h (the kernel would move the IKE SA onto
      // the RCoA); mnd re-establishes from a new LCoA.
      .set("mobike", "no")
      .set("dpd_delay", std::to_string(dpd_delay_s) + "s")
      // IKE fragmentation (RFC 7383): IKE_AUTH with certificates can exceed
      // the path MTU of an access link.
      .set("fragmentation", "yes");
  return c;
}

// Dead peer detection only clears, on both sides: the MAP cannot reach an
// MN that moved on (the MN comes back), and on the MN mnd decides what to
// set up again (a MAP that restarted leases anew).
Section child(std::string_view mode, std::string local_ts, std::string remote_ts, const Proposals& p) {
  Section ch;
  ch.set("mode", std::string(mode))
      .set("local_ts", List{std::move(local_ts)})
      .set("remote_ts", List{std::move(remote_ts)})
      .set("esp_proposals", List(p.esp.begin(), p.esp.end()))
      // Re-keyed before expiry, never left to lapse: the binding must not
      // lose its protection (make-before-break is charon's default for
      // CHILD_SA re-keying).
      .set("rekey_time", "1h")
      .set("dpd_action", "clear")
      .set("close_action", "none");
  return ch;
}

Section mh_child(const Ip6Addr& local, const Ip6Addr& remote, const Proposals& p) {
  return child("transport_proxy", mh_ts(local), mh_ts(remote), p);
}

}  // namespace

std::string map_mn_conn_name(const Ip6Addr& rcoa) { return "hmip-rcoa-" + rcoa.str(); }

namespace {

// How the MAP authenticates a mobile node: its certificate from a trusted
// CA, or EAP with the secret of its identity (no AUTH payload of its own).
Section map_remote_auth(const MapIke& m, std::string_view remote_id) {
  if (m.eap) return auth(kEapMethod, remote_id, {}, nullptr);
  return auth("pubkey", remote_id, {}, &m.ca_certs);
}

Section generic_conn(const MapIke& m, std::string_view remote_id) {
  Section c = base(m.map_address, m.proposals, m.dpd_delay_s);
  if (m.pool) c.set("pools", List{std::string(kRcoaPool)});
  c.set("local", auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", map_remote_auth(m, remote_id));
  return c;
}

}  // namespace

Section map_generic_conn(const MapIke& m) { return Section{}.set(std::string(kMapConn), generic_conn(m, "")); }

std::vector<Section> map_generic_conns(const MapIke& m) {
  if (m.authorized_ids.empty()) return {map_generic_conn(m)};
  std::vector<Section> out;
  for (std::size_t i = 0; i < m.authorized_ids.size(); ++i)
    out.push_back(Section{}.set(std::string(kMapConn) + "-" + std::to_string(i + 1),
                                generic_conn(m, m.authorized_ids[i])));
  return out;
}

Section map_mn_conn(const MapIke& m, std::string_view remote_id, const Ip6Addr& rcoa) {
  Section c = base(m.map_address, m.proposals, m.dpd_delay_s);
  if (m.pool) c.set("pools", List{std::string(kRcoaPool)});
  c.set("local", auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", map_remote_auth(m, remote_id));
  c.set("children", Section{}.set(std::string(kMhChild), mh_child(m.map_address, rcoa, m.proposals)));
  return Section{}.set(map_mn_conn_name(rcoa), std::move(c));
}

Section rcoa_pool(const PoolRange& r) {
  return Section{}.set(std::string(kRcoaPool), Section{}.set("addrs", r.first.str() + "-" + r.last.str()));
}

std::string mn_lease_conn_name(const Ip6Addr& map) { return "hmip-mn-lease-" + map.str(); }
std::string mn_conn_name(const Ip6Addr& map) { return "hmip-mn-" + map.str(); }

Section mn_conn(const MnIke& m, const Ip6Addr& lcoa, const std::optional<Ip6Addr>& rcoa) {
  Section c = base(lcoa, m.proposals, m.dpd_delay_s);
  c.set("remote_addrs", List{m.map_address.str()});
  c.set("vips", List{rcoa ? rcoa->str() : std::string("::")});
  // EAP pinned to kEapMethod: plain `eap` would answer any method the
  // MAP asks for, eap-gtc (the secret in clear inside IKE) included.
  c.set("local",
        m.eap ? auth(kEapMethod, m.local_id, {}, nullptr) : auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", auth("pubkey", m.map_id, {}, &m.ca_certs));
  if (rcoa) {
    c.set("children", Section{}.set(std::string(kMhChild), mh_child(*rcoa, m.map_address, m.proposals)));
    return Section{}.set(mn_conn_name(m.map_address), std::move(c));
  }
  // The first IKE SA only leases the RCoA (RFC 6023 childless).
  c.set("childless", "force");
  return Section{}.set(mn_lease_conn_name(m.map_address), std::move(c));
}

Section mn_initiate(const Ip6Addr& map, int timeout_ms, bool lease) {
  Section s;
  if (lease) {
    s.set("ike", mn_lease_conn_name(map));
  } else {
    s.set("child", std::string(kMhChild)).set("ike", mn_conn_name(map));
  }
  return s.set("timeout", std::to_string(timeout_ms));
}

namespace {

// RFC 4877 §5 with the ip6ip6 tunnel hmip runs: ESP transport over IP
// protocol 41 between the IKE endpoints (the care-of address and the HA).
Section traffic_child(const Proposals& p) { return child("transport", "dynamic[41]", "dynamic[41]", p); }

}  // namespace

std::string ha_mn_conn_name(std::size_t index) { return "hmip-home-" + std::to_string(index + 1); }

Section ha_mn_conn(const MapIke& m, std::size_t index, std::string_view remote_id,
                   const std::vector<Ip6Addr>& home_addresses, bool traffic) {
  Section c = base(m.map_address, m.proposals, m.dpd_delay_s);
  c.set("local", auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", map_remote_auth(m, remote_id));
  Section children;
  for (std::size_t i = 0; i < home_addresses.size(); ++i)
    children.set(std::string(kMhChild) + "-" + std::to_string(i + 1),
                 mh_child(m.map_address, home_addresses[i], m.proposals));
  if (traffic) children.set(std::string(kTrafficChild), traffic_child(m.proposals));
  c.set("children", std::move(children));
  return Section{}.set(ha_mn_conn_name(index), std::move(c));
}

std::string mn_home_conn_name(const Ip6Addr& ha) { return "hmip-mn-home-" + ha.str(); }

Section mn_home_conn(const MnIke& m, const Ip6Addr& coa, const Ip6Addr& home_address, bool traffic) {
  Section c = base(coa, m.proposals, m.dpd_delay_s);
  c.set("remote_addrs", List{m.map_address.str()});
  c.set("local",
        m.eap ? auth(kEapMethod, m.local_id, {}, nullptr) : auth("pubkey", m.local_id, m.local_certs, nullptr));
  c.set("remote", auth("pubkey", m.map_id, {}, &m.ca_certs));
  Section children;
  children.set(std::string(kMhChild), mh_child(home_address, m.map_address, m.proposals));
  if (traffic) children.set(std::string(kTrafficChild), traffic_child(m.proposals));
  c.set("children", std::move(children));
  return Section{}.set(mn_home_conn_name(m.map_address), std::move(c));
}

Section mn_home_initiate(const Ip6Addr& ha, std::string_view child, int timeout_ms) {
  return Section{}
      .set("child", std::string(child))
      .set("ike", mn_home_conn_name(ha))
      .set("timeout", std::to_string(timeout_ms));
}

Section terminate_ike(std::string_view uniqueid, int timeout_ms) {
  return Section{}.set("ike-id", std::string(uniqueid)).set("timeout", std::to_string(timeout_ms));
}

Section unload(std::string_view name) { return Section{}.set("name", std::string(name)); }

}  // namespace hmip::ike
