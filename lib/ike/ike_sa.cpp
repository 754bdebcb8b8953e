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

ChildSaView child_of(const std::string& key, const vici::Section& c) {
  ChildSaView ch;
  ch.name = c.str("name", key);
  ch.uniqueid = c.str("uniqueid");
  ch.reqid = c.str("reqid");
  ch.state = c.str("state");
  ch.mode = c.str("mode");
  ch.local_ts = c.values("local-ts");
  ch.remote_ts = c.values("remote-ts");
  return ch;
}

IkeSaView view_of(const std::string& conn, const vici::Section& s, bool with_children = true) {
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
  if (const auto* children = s.section("child-sas"); children != nullptr && with_children) {
    for (const auto& e : children->entries) {
      if (const auto* c = std::get_if<vici::Section>(&e.value)) v.children.push_back(child_of(e.key, *c));
    }
  }
  return v;
}

bool ike_established(std::string_view state) { return state == "ESTABLISHED" || state == "REKEYING"; }

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

std::vector<SaEvent> parse_sa_events(std::string_view name, const vici::Section& msg) {
  std::vector<SaEvent> out;
  const bool up = msg.str("up") == "yes";
  for (const auto& e : msg.entries) {
    const auto* s = std::get_if<vici::Section>(&e.value);
    if (s == nullptr) continue;
    if (name == "ike-updown") {
      out.emplace_back(IkeUpdownEvent{up, view_of(e.key, *s)});
    } else if (name == "child-updown") {
      out.emplace_back(ChildUpdownEvent{up, view_of(e.key, *s)});
    } else if (name == "ike-rekey") {
      const auto* o = s->section("old");
      const auto* n = s->section("new");
      if (o != nullptr && n != nullptr) out.emplace_back(IkeRekeyEvent{view_of(e.key, *o), view_of(e.key, *n)});
    } else if (name == "child-rekey") {
      const auto sa = view_of(e.key, *s, false);
      const auto* children = s->section("child-sas");
      if (children == nullptr) continue;
      for (const auto& c : children->entries) {
        const auto* cs = std::get_if<vici::Section>(&c.value);
        if (cs == nullptr) continue;
        const auto* o = cs->section("old");
        const auto* n = cs->section("new");
        if (o != nullptr && n != nullptr) out.emplace_back(ChildRekeyEvent{sa, child_of(c.key, *o), child_of(c.key, *n)});
      }
    }
  }
  return out;
}

bool child_installed(std::string_view state) noexcept { return state == "INSTALLED" || state == "REKEYING"; }

std::optional<Ip6Addr> single_host(std::string_view ts) {
  if (auto b = ts.find('['); b != std::string_view::npos) ts = ts.substr(0, b);
  const auto slash = ts.find('/');
  if (slash == std::string_view::npos || ts.substr(slash) != "/128") return std::nullopt;
  return Ip6Addr::parse(ts.substr(0, slash));
}

std::optional<Ip6Addr> mh_host(std::string_view ts) {
  if (const auto b = ts.find('['); b != std::string_view::npos && ts.substr(b + 1).rfind("mobility-header", 0) != 0)
    return std::nullopt;
  return single_host(ts);
}

void RcoaHolders::index(const IkeSaView& sa) {
  std::vector<Ip6Addr> named = sa.remote_vips;
  for (const auto& ch : sa.children) {
    for (const auto& ts : ch.remote_ts) {
      if (auto a = mh_host(ts)) named.push_back(*a);
    }
  }
  std::sort(named.begin(), named.end());
  named.erase(std::unique(named.begin(), named.end()), named.end());
  for (const auto& a : named) by_rcoa_[a].push_back(sa.uniqueid);
  if (sa.remote_vips.empty()) return;
  auto& leased = leases_[sa.peer_identity()];
  for (const auto& a : sa.remote_vips) ++leased[a];
}

void RcoaHolders::unindex(const IkeSaView& sa) {
  auto drop = [&](const Ip6Addr& a) {
    auto it = by_rcoa_.find(a);
    if (it == by_rcoa_.end()) return;
    auto& ids = it->second;
    ids.erase(std::remove(ids.begin(), ids.end(), sa.uniqueid), ids.end());
    if (ids.empty()) by_rcoa_.erase(it);
  };
  for (const auto& a : sa.remote_vips) drop(a);
  for (const auto& ch : sa.children) {
    for (const auto& ts : ch.remote_ts) {
      if (auto a = mh_host(ts)) drop(*a);
    }
  }
  if (sa.remote_vips.empty()) return;
  const auto it = leases_.find(sa.peer_identity());
  if (it == leases_.end()) return;
  for (const auto& a : sa.remote_vips) {
    const auto l = it->second.find(a);
    if (l != it->second.end() && --l->second == 0) it->second.erase(l);
  }
  if (it->second.empty()) leases_.erase(it);
}

std::size_t RcoaHolders::leases_of(std::string_view identity) const {
  const auto it = leases_.find(identity);
  return it == leases_.end() ? 0 : it->second.size();
}

void RcoaHolders::put(IkeSaView sa) {
  if (auto it = sas_.find(sa.uniqueid); it != sas_.end()) {
    unindex(it->second);
    it->second = std::move(sa);
    index(it->second);
    return;
  }
  auto id = sa.uniqueid;
  index(sas_.emplace(std::move(id), std::move(sa)).first->second);
}

void RcoaHolders::update(const IkeSaView& sa) { put(sa); }

void RcoaHolders::remove(std::string_view uniqueid) {
  if (auto it = sas_.find(uniqueid); it != sas_.end()) {
    unindex(it->second);
    sas_.erase(it);
  }
}

// A child never seen going down leaves nothing to revoke; one coming up
// brings its IKE SA's data along. Neither needs a resync: a child-updown
// can only ever make the table grant less than charon, never more.
bool RcoaHolders::child_updown(const IkeSaView& sa, bool up) {
  const auto* known = find(sa.uniqueid);
  if (known == nullptr && !up) return true;
  IkeSaView merged = sa;
  merged.children = known != nullptr ? known->children : std::vector<ChildSaView>{};
  for (const auto& c : sa.children) {
    merged.children.erase(std::remove_if(merged.children.begin(), merged.children.end(),
                                         [&](const ChildSaView& k) { return k.uniqueid == c.uniqueid; }),
                          merged.children.end());
    if (up) merged.children.push_back(c);
  }
  put(std::move(merged));
  return true;
}

void RcoaHolders::ike_up(const IkeSaView& sa) {
  const auto* known = find(sa.uniqueid);
  if (known == nullptr || !sa.children.empty()) {
    put(sa);
    return;
  }
  IkeSaView merged = sa;
  merged.children = known->children;
  put(std::move(merged));
}

bool RcoaHolders::apply(const SaEvent& e) {
  if (const auto* u = std::get_if<IkeUpdownEvent>(&e)) {
    if (u->up) {
      ike_up(u->sa);
      return true;
    }
    // An IKE SA never seen going down (one that failed to authenticate:
    // charon raises ike-updown for those too) leaves nothing to revoke.
    remove(u->sa.uniqueid);
    return true;
  }
  if (const auto* c = std::get_if<ChildUpdownEvent>(&e)) return child_updown(c->sa, c->up);
  if (const auto* r = std::get_if<IkeRekeyEvent>(&e)) {
    // charon moves the children to the new IKE SA; the event lists none.
    const auto* old = find(r->old_sa.uniqueid);
    const bool known = old != nullptr;
    IkeSaView fresh = r->new_sa;
    if (known && fresh.children.empty()) fresh.children = old->children;
    remove(r->old_sa.uniqueid);
    put(std::move(fresh));
    return known;
  }
  const auto& r = std::get<ChildRekeyEvent>(e);
  const auto* known = find(r.sa.uniqueid);
  IkeSaView merged = r.sa;
  bool consistent = known != nullptr;
  if (known != nullptr) merged.children = known->children;
  auto& kids = merged.children;
  const auto n = kids.size();
  kids.erase(std::remove_if(kids.begin(), kids.end(),
                            [&](const ChildSaView& k) { return k.uniqueid == r.old_child.uniqueid; }),
             kids.end());
  consistent = consistent && kids.size() != n;
  kids.push_back(r.new_child);
  put(std::move(merged));
  return consistent;
}

const IkeSaView* RcoaHolders::find(std::string_view uniqueid) const {
  const auto it = sas_.find(uniqueid);
  return it == sas_.end() ? nullptr : &it->second;
}

void RcoaHolders::reset(const std::vector<IkeSaView>& sas) {
  clear();
  for (const auto& s : sas) put(s);
}

void RcoaHolders::clear() {
  sas_.clear();
  by_rcoa_.clear();
  leases_.clear();
}

std::vector<const IkeSaView*> RcoaHolders::holding(const Ip6Addr& rcoa) const {
  std::vector<const IkeSaView*> out;
  const auto it = by_rcoa_.find(rcoa);
  if (it == by_rcoa_.end()) return out;
  for (const auto& id : it->second) {
    const auto* sa = find(id);
    if (sa != nullptr && ike_established(sa->state)) out.push_back(sa);
  }
  return out;
}

namespace {

bool protects(const IkeSaView& sa, const Ip6Addr& rcoa) {
  return std::any_of(sa.children.begin(), sa.children.end(), [&](const ChildSaView& ch) {
    return child_installed(ch.state) &&
           std::any_of(ch.remote_ts.begin(), ch.remote_ts.end(), [&](const std::string& ts) { return mh_host(ts) == rcoa; });
  });
}

}  // namespace

RcoaHolders::Verdict RcoaHolders::check(const Ip6Addr& rcoa, const Ip6Addr& coa) const {
  const auto sas = holding(rcoa);
  if (sas.empty()) return Verdict::no_ike_sa;
  const auto& who = sas.front()->peer_identity();
  bool child = false;
  bool from_coa = false;
  for (const auto* sa : sas) {
    if (sa->peer_identity() != who) return Verdict::contested;
    child = child || protects(*sa, rcoa);
    from_coa = from_coa || sa->remote_host == coa;
  }
  if (!child) return Verdict::lease_only;
  return from_coa ? Verdict::held : Verdict::coa_moving;
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
    case RcoaHolders::Verdict::held: return "protected by the holder's CHILD_SA";
    case RcoaHolders::Verdict::no_ike_sa: return "no IKE SA holds the RCoA";
    case RcoaHolders::Verdict::contested: return "IKE SAs of different identities hold the RCoA";
    case RcoaHolders::Verdict::coa_moving: return "protected, the holder's IKE SA from another care-of address";
    case RcoaHolders::Verdict::lease_only: return "leased, but no installed CHILD_SA protects the RCoA";
  }
  return "unknown";
}

}  // namespace hmip::ike
