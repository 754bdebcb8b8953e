// IKE SA views from VICI messages and the RCoA holder check (hmip/ike/ike_sa.h).
#include "hmip/ike/ike_sa.h"

#include <algorithm>

namespace hmip::ike {

namespace {

std::vector<Ip6Addr> addrs(const vici::Section& s, std::string_view key) {
  std::vector<Ip6Addr> out;
  for (const auto& v : s.values(key)) {
    if (auto a = Ip6Addr::parse(v)) out.push_back(*a);
  }
  return out;
}

std::optional<Ip6Addr> addr(const vici::Section& s, std::string_view key) {
  const auto* v = s.value(key);
  if (v == nullptr) return std::nullopt;
  return Ip6Addr::parse(*v);
}

IkeSaView view_of(const std::string& conn, const vici::Section& s) {
  IkeSaView v;
  v.conn = conn;
  v.uniqueid = s.str("uniqueid");
  v.state = s.str("state");
  v.local_id = s.str("local-id");
  v.remote_id = s.str("remote-id");
  v.remote_eap_id = s.str("remote-eap-id");
  v.local_host = addr(s, "local-host");
  v.remote_host = addr(s, "remote-host");
  v.local_vips = addrs(s, "local-vips");
  v.remote_vips = addrs(s, "remote-vips");
  if (const auto* children = s.section("child-sas")) {
    for (const auto& e : children->entries) {
      const auto* c = std::get_if<vici::Section>(&e.value);
      if (c == nullptr) continue;
      ChildSaView ch;
      ch.name = c->str("name", e.key);
      ch.uniqueid = c->str("uniqueid");
      ch.reqid = c->str("reqid");
      ch.state = c->str("state");
      ch.mode = c->str("mode");
      ch.local_ts = c->values("local-ts");
      ch.remote_ts = c->values("remote-ts");
      v.children.push_back(std::move(ch));
    }
  }
  return v;
}

}  // namespace

std::vector<IkeSaView> parse_ike_sas(const vici::Section& msg) {
  std::vector<IkeSaView> out;
  for (const auto& e : msg.entries) {
    if (const auto* s = std::get_if<vici::Section>(&e.value)) out.push_back(view_of(e.key, *s));
  }
  return out;
}

std::optional<IkeUpdown> parse_ike_updown(const vici::Section& msg) {
  for (const auto& e : msg.entries) {
    if (const auto* s = std::get_if<vici::Section>(&e.value)) {
      return IkeUpdown{msg.str("up") == "yes", view_of(e.key, *s)};
    }
  }
  return std::nullopt;
}

std::optional<Ip6Addr> single_host(std::string_view ts) {
  if (auto b = ts.find('['); b != std::string_view::npos) ts = ts.substr(0, b);
  const auto slash = ts.find('/');
  if (slash == std::string_view::npos || ts.substr(slash) != "/128") return std::nullopt;
  return Ip6Addr::parse(ts.substr(0, slash));
}

void RcoaHolders::update(const IkeSaView& sa) { sas_[sa.uniqueid] = sa; }

void RcoaHolders::remove(std::string_view uniqueid) {
  if (auto it = sas_.find(uniqueid); it != sas_.end()) sas_.erase(it);
}

void RcoaHolders::child_updown(const IkeSaView& sa, bool up) {
  auto it = sas_.find(sa.uniqueid);
  if (it == sas_.end()) {
    if (!up) return;
    it = sas_.emplace(sa.uniqueid, sa).first;
    it->second.children.clear();
  } else {
    auto children = std::move(it->second.children);
    it->second = sa;
    it->second.children = std::move(children);
  }
  auto& kids = it->second.children;
  for (const auto& c : sa.children) {
    kids.erase(std::remove_if(kids.begin(), kids.end(), [&](const ChildSaView& k) { return k.uniqueid == c.uniqueid; }),
               kids.end());
    if (up) kids.push_back(c);
  }
}

void RcoaHolders::ike_up(const IkeSaView& sa) {
  auto it = sas_.find(sa.uniqueid);
  if (it == sas_.end() || !sa.children.empty()) {
    update(sa);
    return;
  }
  auto children = std::move(it->second.children);
  it->second = sa;
  it->second.children = std::move(children);
}

const IkeSaView* RcoaHolders::find(std::string_view uniqueid) const {
  const auto it = sas_.find(uniqueid);
  return it == sas_.end() ? nullptr : &it->second;
}

void RcoaHolders::reset(const std::vector<IkeSaView>& sas) {
  sas_.clear();
  for (const auto& s : sas) update(s);
}

std::vector<const IkeSaView*> RcoaHolders::holding(const Ip6Addr& rcoa) const {
  std::vector<const IkeSaView*> out;
  for (const auto& [id, sa] : sas_) {
    if (sa.state != "ESTABLISHED") continue;
    bool holds = std::find(sa.remote_vips.begin(), sa.remote_vips.end(), rcoa) != sa.remote_vips.end();
    for (const auto& ch : sa.children) {
      for (const auto& ts : ch.remote_ts) holds = holds || single_host(ts) == rcoa;
    }
    if (holds) out.push_back(&sa);
  }
  return out;
}

RcoaHolders::Verdict RcoaHolders::check(const Ip6Addr& rcoa, const Ip6Addr& coa) const {
  const auto sas = holding(rcoa);
  if (sas.empty()) return Verdict::no_ike_sa;
  const auto& who = sas.front()->peer_identity();
  bool from_coa = false;
  for (const auto* sa : sas) {
    if (sa->peer_identity() != who) return Verdict::contested;
    from_coa = from_coa || sa->remote_host == coa;
  }
  return from_coa ? Verdict::held : Verdict::coa_mismatch;
}

std::optional<std::string> RcoaHolders::holder(const Ip6Addr& rcoa) const {
  const auto sas = holding(rcoa);
  if (sas.empty()) return std::nullopt;
  for (const auto* sa : sas) {
    if (sa->peer_identity() != sas.front()->peer_identity()) return std::nullopt;
  }
  return sas.front()->peer_identity();
}

std::string_view to_string(RcoaHolders::Verdict v) noexcept {
  switch (v) {
    case RcoaHolders::Verdict::held: return "held";
    case RcoaHolders::Verdict::no_ike_sa: return "no IKE SA holds the RCoA";
    case RcoaHolders::Verdict::contested: return "IKE SAs of different identities hold the RCoA";
    case RcoaHolders::Verdict::coa_mismatch: return "the holder's IKE SA comes from another care-of address";
  }
  return "unknown";
}

}  // namespace hmip::ike
