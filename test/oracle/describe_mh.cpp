// describe() for Mobility Header messages and options: the scapy spec and the
// tshark fields (names from `tshark -G fields`, Wireshark 4.0
// epan/dissectors/packet-mip6.c), each with the mutation that changes it.

#include <variant>

#include "describe_util.h"

namespace hmip::oracle {

using namespace hmip::wire;

namespace {

template <class M>
M& mh(Vec& v) {
  return std::get<M>(std::get<MhMessage>(v.msg));
}

std::vector<MobilityOption>& mh_options(Vec& v) {
  return std::visit([](auto& m) -> std::vector<MobilityOption>& { return m.options; },
                    std::get<MhMessage>(v.msg));
}

template <class O>
O& mh_opt(Vec& v, std::size_t i) {
  return std::get<O>(mh_options(v)[i]);
}

template <class T>
void describe_one(Fields& f, Json& s, const T& o, std::size_t i) {
  if constexpr (std::is_same_v<T, BindingRefreshAdviceOption>) {
    s.set("opt", "bra").set("interval", o.refresh_interval);
    f.add("mip6.bra.interval", u(o.refresh_interval),
          [i](Vec& v) { mh_opt<BindingRefreshAdviceOption>(v, i).refresh_interval ^= 1; });
  } else if constexpr (std::is_same_v<T, AlternateCareOfAddressOption>) {
    s.set("opt", "acoa").set("addr", o.care_of_address.str());
    f.add("mip6.acoa.acoa", o.care_of_address.str(),
          [i](Vec& v) { flip(mh_opt<AlternateCareOfAddressOption>(v, i).care_of_address); });
  } else if constexpr (std::is_same_v<T, NonceIndicesOption>) {
    s.set("opt", "ni").set("hni", o.home_nonce_index).set("coni", o.care_of_nonce_index);
    f.add("mip6.ni.hni", u(o.home_nonce_index),
          [i](Vec& v) { mh_opt<NonceIndicesOption>(v, i).home_nonce_index ^= 1; });
    f.add("mip6.ni.cni", u(o.care_of_nonce_index),
          [i](Vec& v) { mh_opt<NonceIndicesOption>(v, i).care_of_nonce_index ^= 1; });
  } else if constexpr (std::is_same_v<T, BindingAuthorizationDataOption>) {
    s.set("opt", "bad").set("auth", hex(o.authenticator));
    f.add("mip6.bad.auth", colon_hex(o.authenticator),
          [i](Vec& v) { mh_opt<BindingAuthorizationDataOption>(v, i).authenticator.back() ^= 1; });
  } else if constexpr (std::is_same_v<T, MobileNodeIdentifierOption>) {
    s.set("opt", "mnid").set("subtype", o.subtype).set("id", hex(o.identifier));
    f.add("mip6.mnid.subtype", u(o.subtype),
          [i](Vec& v) { mh_opt<MobileNodeIdentifierOption>(v, i).subtype ^= 2; });
    f.add("mip6.mnid.identifier", std::string(o.identifier.begin(), o.identifier.end()),
          [i](Vec& v) { mh_opt<MobileNodeIdentifierOption>(v, i).identifier.front() ^= 1; });
  } else if constexpr (std::is_same_v<T, BindingIdentifierOption>) {
    s.set("opt", "bid").set("bid", o.bid).set("status", o.status).set("h", o.simultaneous_home_and_foreign)
        .set("pri", o.bid_pri);
    f.add("mip6.bi.bid", u(o.bid), [i](Vec& v) { mh_opt<BindingIdentifierOption>(v, i).bid ^= 0x100; });
    f.add("mip6.bi.status", u(o.status), [i](Vec& v) { mh_opt<BindingIdentifierOption>(v, i).status ^= 1; });
    f.add("mip6.bi.h_flag", b(o.simultaneous_home_and_foreign),
          [i](Vec& v) { flip(mh_opt<BindingIdentifierOption>(v, i).simultaneous_home_and_foreign); });
    // Wireshark 4.0 shows no field for the 7 bits after H (BID-PRI, RFC 6089 §6.1).
    f.scapy_only("bid.pri", [i](Vec& v) { mh_opt<BindingIdentifierOption>(v, i).bid_pri ^= 0x40; });
    if (const auto* a4 = std::get_if<Ip4Addr>(&o.care_of_address)) {
      s.set("coa4", a4->str());
      f.add("mip6.bi.coa_ipv4", a4->str(), [i](Vec& v) {
        std::get<Ip4Addr>(mh_opt<BindingIdentifierOption>(v, i).care_of_address).b[3] ^= 1;
      });
    } else if (const auto* a6 = std::get_if<Ip6Addr>(&o.care_of_address)) {
      s.set("coa6", a6->str());
      f.add("mip6.bi.coa_ipv6", a6->str(), [i](Vec& v) {
        flip(std::get<Ip6Addr>(mh_opt<BindingIdentifierOption>(v, i).care_of_address));
      });
    }
  } else if constexpr (std::is_same_v<T, UnknownMobilityOption>) {
    s.set("opt", "unknown").set("type", o.type).set("data", hex(o.data));
    f.scapy_only("unknown.data", [i](Vec& v) { mh_opt<UnknownMobilityOption>(v, i).data.back() ^= 1; });
  } else {
    // Written back raw and unpadded, exactly as scapy's MIP6OptUnknown
    // (no alignment) builds it. tshark dissects it by its type: for a
    // Binding Identifier of a wrong length it still shows the fixed fields
    // of RFC 5648 Figure 5, read here from the raw data.
    static_assert(std::is_same_v<T, MalformedMobilityOption>);
    s.set("opt", "unknown").set("type", o.type).set("data", hex(o.data));
    auto raw = [i](Vec& v) -> Bytes& { return mh_opt<MalformedMobilityOption>(v, i).data; };
    if (o.type == mh_opt::kBindingIdentifier && o.data.size() >= 4) {
      f.add("mip6.bi.bid", u((std::uint16_t{o.data[0]} << 8) | o.data[1]), [raw](Vec& v) { raw(v)[0] ^= 1; });
      f.add("mip6.bi.status", u(o.data[2]), [raw](Vec& v) { raw(v)[2] ^= 1; });
      f.add("mip6.bi.h_flag", b(o.data[3] & 0x80), [raw](Vec& v) { raw(v)[3] ^= 0x80; });
    }
    f.scapy_only("malformed.data", [raw](Vec& v) {
      auto& d = raw(v);
      if (d.empty()) d.push_back(0);
      else d.back() ^= 1;
    });
  }
}

Json describe_option(Fields& f, const MobilityOption& opt, std::size_t i) {
  Json s = Json::object();
  std::visit([&](const auto& o) { describe_one(f, s, o, i); }, opt);
  return s;
}

Json describe_options(Fields& f, const std::vector<MobilityOption>& opts) {
  Json a = Json::array();
  for (std::size_t i = 0; i < opts.size(); ++i) a.push(describe_option(f, opts[i], i));
  return a;
}

template <class T>
void describe_msg(Fields& f, Json& s, const T& m) {
  if constexpr (std::is_same_v<T, BindingUpdate>) {
    s.set("mh", "bu").set("seq", m.sequence).set("A", m.ack).set("H", m.home_registration)
        .set("L", m.link_local_compat).set("K", m.key_mgmt_compat).set("M", m.map_registration)
        .set("R", m.mobile_router).set("P", m.proxy_registration).set("other", m.other_flags)
        .set("lifetime", m.lifetime);
    f.add("mip6.bu.seqnr", u(m.sequence), [](Vec& v) { mh<BindingUpdate>(v).sequence ^= 1; });
    f.add("mip6.bu.a_flag", b(m.ack), [](Vec& v) { flip(mh<BindingUpdate>(v).ack); });
    f.add("mip6.bu.h_flag", b(m.home_registration), [](Vec& v) { flip(mh<BindingUpdate>(v).home_registration); });
    f.add("mip6.bu.l_flag", b(m.link_local_compat), [](Vec& v) { flip(mh<BindingUpdate>(v).link_local_compat); });
    f.add("mip6.bu.k_flag", b(m.key_mgmt_compat), [](Vec& v) { flip(mh<BindingUpdate>(v).key_mgmt_compat); });
    f.add("mip6.bu.m_flag", b(m.map_registration), [](Vec& v) { flip(mh<BindingUpdate>(v).map_registration); });
    f.add("mip6.nemo.bu.r_flag", b(m.mobile_router), [](Vec& v) { flip(mh<BindingUpdate>(v).mobile_router); });
    f.add("mip6.bu.p_flag", b(m.proxy_registration),
          [](Vec& v) { flip(mh<BindingUpdate>(v).proxy_registration); });
    // The low 9 bits: F (RFC 5555), T (RFC 5845), B (RFC 6058) are named by
    // Wireshark; the 6 below them are not.
    f.add("mip6.bu.f_flag", b(m.other_flags & 0x100), [](Vec& v) { mh<BindingUpdate>(v).other_flags ^= 0x100; });
    f.add("mip6.bu.t_flag", b(m.other_flags & 0x080), [](Vec& v) { mh<BindingUpdate>(v).other_flags ^= 0x080; });
    f.add("mip6.bu.b_flag", b(m.other_flags & 0x040), [](Vec& v) { mh<BindingUpdate>(v).other_flags ^= 0x040; });
    f.scapy_only("bu.other_flags.low", [](Vec& v) { mh<BindingUpdate>(v).other_flags ^= 0x001; });
    f.add("mip6.bu.lifetime", u(m.lifetime), [](Vec& v) { mh<BindingUpdate>(v).lifetime ^= 1; });
    s.set("options", describe_options(f, m.options));
  } else if constexpr (std::is_same_v<T, BindingAck>) {
    s.set("mh", "ba").set("status", m.status).set("K", m.key_mgmt_compat).set("R", m.mobile_router)
        .set("P", m.proxy_registration).set("other", m.other_flags).set("seq", m.sequence)
        .set("lifetime", m.lifetime);
    f.add("mip6.ba.status", u(m.status), [](Vec& v) { mh<BindingAck>(v).status ^= 1; });
    f.add("mip6.ba.k_flag", b(m.key_mgmt_compat), [](Vec& v) { flip(mh<BindingAck>(v).key_mgmt_compat); });
    f.add("mip6.nemo.ba.r_flag", b(m.mobile_router), [](Vec& v) { flip(mh<BindingAck>(v).mobile_router); });
    f.add("mip6.ba.p_flag", b(m.proxy_registration), [](Vec& v) { flip(mh<BindingAck>(v).proxy_registration); });
    f.add("mip6.ba.t_flag", b(m.other_flags & 0x10), [](Vec& v) { mh<BindingAck>(v).other_flags ^= 0x10; });
    f.add("mip6.ba.b_flag", b(m.other_flags & 0x08), [](Vec& v) { mh<BindingAck>(v).other_flags ^= 0x08; });
    f.scapy_only("ba.other_flags.low", [](Vec& v) { mh<BindingAck>(v).other_flags ^= 0x01; });
    f.add("mip6.ba.seqnr", u(m.sequence), [](Vec& v) { mh<BindingAck>(v).sequence ^= 1; });
    f.add("mip6.ba.lifetime", u(m.lifetime), [](Vec& v) { mh<BindingAck>(v).lifetime ^= 1; });
    s.set("options", describe_options(f, m.options));
  } else if constexpr (std::is_same_v<T, BindingRefreshRequest>) {
    s.set("mh", "brr");
    s.set("options", describe_options(f, m.options));
  } else if constexpr (std::is_same_v<T, BindingError>) {
    s.set("mh", "be").set("status", m.status).set("home", m.home_address.str());
    f.add("mip6.be.status", u(m.status), [](Vec& v) { mh<BindingError>(v).status ^= 3; });
    f.add("mip6.be.haddr", m.home_address.str(), [](Vec& v) { flip(mh<BindingError>(v).home_address); });
    s.set("options", describe_options(f, m.options));
  }
}

}  // namespace

Json describe_mh(Fields& f, const MhMessage& msg) {
  Json s = Json::object();
  std::visit([&](const auto& m) { describe_msg(f, s, m); }, msg);
  // tshark 4.0 does not verify the Mobility Header checksum (no
  // mip6.csum.status field): only scapy (in6_chksum, which applies the HAO
  // and RH2 address swap) and test_scapy.py's own RFC 1071 sum check it.
  f.scapy_only("mh.checksum", [](Vec& v) { v.wrong_pseudo_header = true; });
  return s;
}

}  // namespace hmip::oracle
