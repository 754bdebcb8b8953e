#include "ike_agent.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <stdexcept>
#include <utility>

#include "hmip/ike/eap_secrets.h"

namespace hmip::mnd {

namespace {

const std::vector<std::string> kEvents{"ike-updown", "child-updown", "ike-rekey"};

bool has_child(const ike::IkeSaView& sa, std::string_view name, bool installed) {
  for (const auto& c : sa.children)
    if (c.name == name && (!installed || c.state == "INSTALLED")) return true;
  return false;
}

bool installed_mh_child(const ike::IkeSaView& sa) { return has_child(sa, ike::kMhChild, true); }

}  // namespace

IkeAgent::IkeAgent(boost::asio::io_context& io, const mn::MndConfig& cfg, io::Logger& log, Up up, Down down,
                   HomeUp home_up, HomeDown home_down, IkeAgentTiming timing)
    : io_(io),
      cfg_(cfg),
      log_(log),
      up_(std::move(up)),
      down_(std::move(down)),
      home_up_(std::move(home_up)),
      home_down_(std::move(home_down)),
      timing_(timing),
      link_(
          io, cfg.ike.vici_socket, [this](const io::ViciEvent& e) { on_event(e); },
          [this](const std::string& why) { on_lost(why); }),
      reconnect_(io),
      terminate_timer_(io),
      child_timer_(io),
      retry_timer_(io),
      restore_timer_(io),
      traffic_timer_(io),
      reestablish_timer_(io) {}

void IkeAgent::start() {
  std::string err;
  auto read = [&](const std::string& path) {
    auto data = io::read_file(path, err);
    if (!data) throw std::runtime_error(err);
    return *data;
  };
  for (const auto& ca : cfg_.ike.ca_certificates) cas_.push_back(read(ca));
  if (cfg_.ike.eap_secret.empty()) {
    certs_ = {read(cfg_.ike.certificate)};
    key_pem_ = read(cfg_.ike.private_key);
  } else {
    auto parsed = ike::parse_eap_secret(read(cfg_.ike.eap_secret));
    if (const auto* e = std::get_if<ike::EapSecretsError>(&parsed))
      throw std::runtime_error(cfg_.ike.eap_secret + (e->line > 0 ? ":" + std::to_string(e->line) : std::string()) +
                               ": " + e->message);
    eap_secret_ = std::get<std::string>(std::move(parsed));
  }
  if (!link_.open(kEvents, err))
    throw std::runtime_error("cannot reach charon at " + link_.uri() + " (is it running with the vici plugin?): " + err);
  if (auto r = load_credentials(); !r.ok())
    throw std::runtime_error("charon at " + link_.uri() + ": " +
                             (eap_secret_.empty() ? "load-key " + cfg_.ike.private_key : "load-shared (EAP secret)") +
                             ": " + r.error);
  log_.notice("IKEv2 through charon at " + link_.uri() + ": identity " + cfg_.ike.identity +
              (eap_secret_.empty() ? ", by certificate" : ", by EAP"));
}

io::ViciReply IkeAgent::load_credentials() {
  if (eap_secret_.empty()) return link_.load_key(key_pem_);
  return link_.command("load-shared", ike::eap_shared(kEapSecretId, ike::EapSecret{cfg_.ike.identity, eap_secret_}));
}

void IkeAgent::stop() {
  stopping_ = true;
  reconnect_.cancel();
  terminate_timer_.cancel();
  child_timer_.cancel();
  restore_timer_.cancel();
  retry_timer_.cancel();
  traffic_timer_.cancel();
  reestablish_timer_.cancel();
  while (!peers_.empty()) release(peers_.begin()->second.kind, peers_.begin()->second.addr);
  if (link_.connected() && !eap_secret_.empty())
    (void)link_.command("unload-shared", vici::Section{}.set("id", std::string(kEapSecretId)));
  link_.close();
}

ike::MnIke IkeAgent::mn_ike(const Ip6Addr& peer, const std::string& peer_id) const {
  ike::MnIke m;
  m.map_address = peer;
  m.map_id = peer_id;
  m.local_id = cfg_.ike.identity;
  m.local_certs = certs_;
  m.ca_certs = cas_;
  m.dpd_delay_s = cfg_.ike.dpd_delay_s;
  m.eap = !eap_secret_.empty();
  return m;
}

std::string IkeAgent::conn_name(Kind kind, const Ip6Addr& addr) {
  return kind == Kind::map ? ike::mn_conn_name(addr) : ike::mn_home_conn_name(addr);
}

std::string IkeAgent::who(Kind kind, const Ip6Addr& addr) {
  return (kind == Kind::map ? "MAP " : "home agent ") + addr.str();
}

vici::Section IkeAgent::protect_conn(const Peer& p) const {
  if (p.kind == Kind::map) return ike::mn_conn(mn_ike(p.addr, cfg_.ike.map_identity), p.lcoa, p.rcoa);
  const std::string ha_id = cfg_.home ? cfg_.home->home_agent_identity : std::string();
  return ike::mn_home_conn(mn_ike(p.addr, ha_id), p.lcoa, p.rcoa.value_or(Ip6Addr{}), p.traffic);
}

vici::Section IkeAgent::protect_initiate(const Peer& p) {
  return p.kind == Kind::map ? ike::mn_initiate(p.addr, -1) : ike::mn_home_initiate(p.addr, ike::kMhChild, -1);
}

bool IkeAgent::ok(const io::ViciReply& r, const Peer& p, const std::string& what) {
  if (r.ok()) return true;
  ++counters_.failures;
  fail_later(p, false, what + ": " + r.error);
  return false;
}

void IkeAgent::fail_later(Kind kind, const Ip6Addr& addr, bool lost, std::string why) {
  log_.warning("IKEv2 with " + who(kind, addr) + ": " + why);
  boost::asio::post(io_, [this, kind, addr, lost, why = std::move(why)] {
    if (stopping_) return;
    if (kind == Kind::map) down_(addr, lost, why);
    else home_down_(addr, lost, why);
  });
}

void IkeAgent::secure(const mn::SecureMap& a) {
  const std::string name = conn_name(Kind::map, a.map);
  if (!a.rcoa) {
    retries_.erase(name);  // a retry of an earlier attempt would be a second IKE SA
    Peer& p = peers_[name] = Peer{};
    p.addr = a.map;
    p.lcoa = a.lcoa;
    if (!ok(link_.command("load-conn", ike::mn_conn(mn_ike(a.map, cfg_.ike.map_identity), a.lcoa, std::nullopt)),
            p, "load-conn"))
      return;
    (void)ok(link_.command("initiate", ike::mn_initiate(a.map, -1, true)), p, "initiate");
    return;
  }
  // A move: the same protection from the new LCoA (a new IKE SA: the
  // replaced connection no longer equals the old SA's).
  const auto it = peers_.find(name);
  if (it == peers_.end() || it->second.phase != Phase::up) {
    // Lost meanwhile: the core hears it (fail_later) and sets it up anew.
    log_.debug("IKEv2 with MAP " + a.map.str() + ": nothing to re-establish from " + a.lcoa.str());
    return;
  }
  Peer& p = it->second;
  p.lcoa = a.lcoa;
  ++counters_.reestablished;
  log_.info("re-establishing IKEv2 with MAP " + a.map.str() + " from " + a.lcoa.str());
  reestablish(p);
}

// The HA: no lease, step 2 at once. Up already: a move, re-established
// from the new care-of address as for a MAP (make-before-break, the old IKE
// SA terminated once the new CHILD_SA is installed). Being set up from
// another care-of address: started again from the new one.
void IkeAgent::secure_home(const mn::SecureHome& a) {
  const std::string name = conn_name(Kind::home, a.home_agent);
  const auto it = peers_.find(name);
  const bool up = it != peers_.end() && it->second.phase == Phase::up;
  if (!up && it != peers_.end() && link_.connected())  // a setup from elsewhere: its IKE SAs are of no use
    (void)link_.command("terminate", vici::Section{}.set("ike", name).set("timeout", "-1"));
  if (!up) retries_.erase(name);  // a retry of that setup would be a second IKE SA
  Peer& p = up ? it->second : (peers_[name] = Peer{});
  p.kind = Kind::home;
  p.addr = a.home_agent;
  p.lcoa = a.coa;
  p.rcoa = a.home_address;
  p.traffic = a.protect_traffic;
  if (up) {
    ++counters_.reestablished;
    log_.info("re-establishing IKEv2 with home agent " + a.home_agent.str() + " from " + a.coa.str());
    reestablish(p);
    return;
  }
  p.phase = Phase::protecting;
  log_.info("IKEv2 with home agent " + a.home_agent.str() + " from " + a.coa.str() + " for home address " +
            a.home_address.str() + (a.protect_traffic ? " (MH and payload)" : ""));
  if (!ok(link_.command("load-conn", protect_conn(p)), p, "load-conn")) return;
  (void)ok(link_.command("initiate", protect_initiate(p)), p, "initiate");
}

void IkeAgent::reestablish(Peer& p) {
  p.reestablishing = true;
  p.child_retries = 0;
  p.childless_ike.clear();
  p.retrying_ike.clear();
  retries_.erase(conn_name(p.kind, p.addr));
  reestablish_attempt(p);
}

void IkeAgent::reestablish_attempt(Peer& p) {
  std::string what = "load-conn";
  auto r = link_.command(what, protect_conn(p));
  if (r.ok()) {
    what = "initiate";
    r = link_.command(what, protect_initiate(p));
  }
  if (r.ok()) {
    p.reestablish_due = std::chrono::steady_clock::now() + cfg_.ike.ike_timeout;
    arm_reestablish_check(p.reestablish_due);
    return;
  }
  ++counters_.failures;
  const std::string why = what + " from " + p.lcoa.str() + ": " + r.error;
  if (p.child_retries >= kChildRetries) {
    give_up_reestablishing(p, why);
    return;
  }
  ++p.child_retries;
  log_.warning("IKEv2 with " + who(p) + ": re-establishing failed (" + why + "); trying again (" +
               std::to_string(p.child_retries) + " of " + std::to_string(kChildRetries) +
               "), the IKE SA from " + (p.current_from ? p.current_from->str() : std::string("?")) +
               " keeps protecting meanwhile");
  schedule_retry(conn_name(p.kind, p.addr), timing_.child_grace);
}

// The old IKE SA keeps protecting (its ESP SAs do not depend on the care-of
// address) until it goes: then the loss is reported and the core sets the
// protection up again from where the node is.
void IkeAgent::give_up_reestablishing(Peer& p, const std::string& why) {
  p.reestablishing = false;
  ++counters_.reestablish_abandoned;
  log_.error("IKEv2 with " + who(p) + ": cannot re-establish from " + p.lcoa.str() + " (" + why + ") after " +
             std::to_string(kChildRetries) + " new attempts: given up; the IKE SA from " +
             (p.current_from ? p.current_from->str() : std::string("?")) + " protects until it goes");
}

void IkeAgent::arm_reestablish_check(std::chrono::steady_clock::time_point at) {
  // One timer for every peer (check_reestablishing looks at them all); an
  // earlier expiry wins.
  if (reestablish_timer_.expiry() > std::chrono::steady_clock::now() && reestablish_timer_.expiry() <= at) return;
  reestablish_timer_.expires_at(at);
  reestablish_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) check_reestablishing();
  });
}

void IkeAgent::check_reestablishing() {
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> next;
  for (auto& [name, p] : peers_) {
    if (p.phase != Phase::up || !p.reestablishing) continue;
    // An IKE SA that came up without its CHILD_SA is check_children's, a
    // retry due is retry_timer_'s: looked at again shortly.
    if (!p.childless_ike.empty() || !p.retrying_ike.empty() || retries_.contains(name)) {
      next = std::min(next.value_or(now + timing_.child_grace), now + timing_.child_grace);
      continue;
    }
    if (p.reestablish_due > now) {
      next = std::min(next.value_or(p.reestablish_due), p.reestablish_due);
      continue;
    }
    // The attempt still going (charon retransmitting to no one) is ended:
    // a new initiate beside it would be a second IKE SA.
    std::string err;
    if (const auto sas = link_.list_sas(std::nullopt, err)) {
      for (const auto& sa : *sas)
        if (sa.conn == name && sa.uniqueid != p.current_ike && sa.local_host == p.lcoa)
          (void)link_.command("terminate", ike::terminate_ike(sa.uniqueid, -1));
    }
    const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(cfg_.ike.ike_timeout).count();
    const std::string why = "no IKE SA from " + p.lcoa.str() + " within IkeTimeout (" + std::to_string(s).substr(0, 4) +
                            " s)";
    if (p.child_retries >= kChildRetries) {
      give_up_reestablishing(p, why);
      continue;
    }
    ++p.child_retries;
    ++counters_.child_retries;
    log_.warning("IKEv2 with " + who(p) + ": re-establishing: " + why + "; trying again (" +
                 std::to_string(p.child_retries) + " of " + std::to_string(kChildRetries) + "), the IKE SA from " +
                 (p.current_from ? p.current_from->str() : std::string("?")) + " keeps protecting meanwhile");
    reestablish_attempt(p);  // re-arms the timer on success
  }
  if (next) arm_reestablish_check(*next);
}

void IkeAgent::schedule_retry(const std::string& name, std::chrono::milliseconds after) {
  // One timer for every peer waiting (two may, around an inter-MAP move):
  // re-arming it would hold up the wait of the peer before.
  retries_.insert(name);
  if (retries_.size() > 1) return;  // the timer is running for the first
  retry_timer_.expires_after(after);
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // stopped, or re-armed for what is left
    if (!stopping_) run_retries();
  });
}

void IkeAgent::run_retries() {
  const auto todo = std::exchange(retries_, {});
  for (const auto& name : todo) {
    auto it = peers_.find(name);
    if (it == peers_.end()) continue;
    Peer& p = it->second;
    if (p.phase == Phase::protecting) (void)ok(link_.command("initiate", protect_initiate(p)), p, "initiate");
    else if (p.phase == Phase::up && p.reestablishing) reestablish_attempt(p);
  }
}

void IkeAgent::release(const Ip6Addr& map) { release(Kind::map, map); }

void IkeAgent::release_home(const Ip6Addr& ha) { release(Kind::home, ha); }

void IkeAgent::release(Kind kind, const Ip6Addr& peer) {
  // A copy: `peer` may be the erased Peer's own address (stop() passes it).
  const Ip6Addr addr = peer;
  std::vector<std::string> names{conn_name(kind, addr)};
  if (kind == Kind::map) names.push_back(ike::mn_lease_conn_name(addr));
  peers_.erase(names.front());
  if (!link_.connected()) return;
  for (const auto& name : names) {
    (void)link_.command("terminate", vici::Section{}.set("ike", name).set("timeout", "-1"));
    (void)link_.command("unload-conn", ike::unload(name));
  }
}

// ike-rekey: "<conn> = { old = {...}, new = {...} }": the IKE SA holding
// the CHILD_SA now has the new unique id.
void IkeAgent::on_ike_rekey(const vici::Section& msg) {
  for (const auto& entry : msg.entries) {
    const auto* s = std::get_if<vici::Section>(&entry.value);
    const auto* old_sa = s != nullptr ? s->section("old") : nullptr;
    const auto* new_sa = s != nullptr ? s->section("new") : nullptr;
    if (old_sa == nullptr || new_sa == nullptr) continue;
    const auto it = peers_.find(entry.key);
    if (it == peers_.end() || it->second.current_ike != old_sa->str("uniqueid")) continue;
    Peer& p = it->second;
    p.current_ike = new_sa->str("uniqueid");
    if (!p.traffic_wait_ike.empty()) p.traffic_wait_ike = p.current_ike;
    log_.debug("IKE SA with " + who(p) + " re-keyed: now " + p.current_ike);
  }
}

void IkeAgent::on_event(const io::ViciEvent& e) {
  if (e.name == "ike-rekey") return on_ike_rekey(e.message);
  const bool up = e.message.str("up") == "yes";
  for (const auto& sa : ike::parse_ike_sas(e.message)) {
    auto it = peers_.find(sa.conn);
    if (it == peers_.end())  // a MAP's leasing IKE SA
      it = std::find_if(peers_.begin(), peers_.end(), [&](const auto& kv) {
        return kv.second.kind == Kind::map && sa.conn == ike::mn_lease_conn_name(kv.second.addr);
      });
    if (it == peers_.end()) continue;
    Peer& p = it->second;  // the handlers may erase it: nothing after them
    if (e.name == "ike-updown" && up) on_ike_up(p, sa);
    else if (e.name == "ike-updown") on_ike_down(p, sa);
    else if (p.kind == Kind::home && has_child(sa, ike::kTrafficChild, false)) on_traffic_child(p, sa, up);
    else if (up) on_child_up(p, sa);
    else on_child_down(p, sa);
  }
}

void IkeAgent::on_ike_up(Peer& p, const ike::IkeSaView& sa) {
  const bool setting_up = p.phase == Phase::protecting || (p.phase == Phase::up && p.reestablishing);
  if (setting_up && sa.conn == conn_name(p.kind, p.addr)) {
    // Step 2's (or 3's) IKE SA: its CHILD_SA follows in the same exchange,
    // or the peer refused it (check_children). One from an address the node
    // has left is terminated once its CHILD_SA is up (on_child_up).
    if (sa.uniqueid == p.current_ike || sa.local_host != p.lcoa || installed_mh_child(sa)) return;
    p.childless_ike = sa.uniqueid;
    arm_child_check();
    return;
  }
  if (p.kind != Kind::map || p.phase != Phase::leasing || sa.conn != ike::mn_lease_conn_name(p.addr)) return;
  if (sa.local_vips.empty()) {
    ++counters_.failures;
    fail_later(p, false, "the MAP allocated no RCoA (no RcoaPool?)");
    return;
  }
  ++counters_.leases;
  p.rcoa = sa.local_vips.front();
  p.phase = Phase::protecting;
  log_.info("MAP " + p.addr.str() + " leased RCoA " + p.rcoa->str() + "; setting up its CHILD_SA");
  if (!ok(link_.command("load-conn", protect_conn(p)), p, "load-conn")) return;
  (void)ok(link_.command("initiate", protect_initiate(p)), p, "initiate");
}

void IkeAgent::arm_child_check() {
  // One timer for every peer: check_children looks at them all, so a
  // re-arm only delays the earlier peer's check by at most child_grace.
  child_timer_.expires_after(timing_.child_grace);
  child_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) check_children();
  });
}

void IkeAgent::arm_restore_check(std::chrono::milliseconds after) {
  // One timer for every peer (check_restores looks at them all); an earlier
  // expiry wins, so that a new loss is not held up by another's wait.
  const auto at = std::chrono::steady_clock::now() + after;
  if (restore_timer_.expiry() > std::chrono::steady_clock::now() && restore_timer_.expiry() <= at) return;
  restore_timer_.expires_at(at);
  restore_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) check_restores();
  });
}

void IkeAgent::check_restores() {
  for (auto it = peers_.begin(); it != peers_.end();) {
    Peer& p = it->second;
    ++it;  // restore_child may forget this peer
    if (p.phase != Phase::up || p.child_lost_ike.empty()) continue;
    restore_child(p);
  }
}

// A CHILD_SA going down: the one protecting our registration, on the IKE SA
// that holds it, and not because that IKE SA goes (its ike-updown follows
// the child's: check_children looks after child_grace, when it is gone).
// Re-keyed CHILD_SAs raise child-rekey, not this; replaced IKE SAs are no
// longer current_ike.
void IkeAgent::on_child_down(Peer& p, const ike::IkeSaView& sa) {
  if (p.phase != Phase::up || sa.conn != conn_name(p.kind, p.addr) || sa.uniqueid != p.current_ike) return;
  if (!p.child_lost_ike.empty()) return;  // already being restored
  ++counters_.children_lost;
  p.child_lost_ike = sa.uniqueid;
  p.restore_attempts = 0;
  log_.warning("IKEv2 with " + who(p) + ": the CHILD_SA protecting " + (p.kind == Kind::map ? "RCoA " : "home address ") +
               (p.rcoa ? p.rcoa->str() : std::string("?")) + " went down (IKE SA " + sa.uniqueid +
               " kept): setting it up again");
  arm_restore_check(timing_.child_grace);
}

void IkeAgent::restore_child(Peer& p) {
  std::string err;
  const auto sas = link_.list_sas(p.child_lost_ike, err);
  if (!sas) {  // charon unreachable: on_lost follows
    arm_restore_check(timing_.child_grace);
    return;
  }
  if (sas->empty()) {  // the IKE SA went too: its ike-updown reports the loss
    p.child_lost_ike.clear();
    return;
  }
  if (installed_mh_child(sas->front())) {  // its child-updown is on its way
    p.child_lost_ike.clear();
    ++counters_.children_restored;
    return;
  }
  if (p.restore_attempts >= kChildRetries) {
    const std::string id = std::exchange(p.child_lost_ike, std::string());
    const Kind kind = p.kind;
    const Ip6Addr addr = p.addr;
    peers_.erase(conn_name(kind, addr));
    fail_later(kind, addr, true, "the CHILD_SA on IKE SA " + id + " could not be set up again");
    return;
  }
  ++p.restore_attempts;
  (void)ok(link_.command("initiate", protect_initiate(p)), p, "initiate");
  arm_restore_check(timing_.child_restore_wait);
}

void IkeAgent::check_children() {
  for (auto& [name, p] : peers_) {
    const bool reestablishing = p.phase == Phase::up && p.reestablishing;
    if ((p.phase != Phase::protecting && !reestablishing) || p.childless_ike.empty()) continue;
    const std::string id = std::exchange(p.childless_ike, std::string());
    // Its child-updown may still be on its way: ask charon.
    std::string err;
    if (const auto sas = link_.list_sas(id, err)) {
      if (sas->empty()) continue;  // gone already: nothing to retry
      if (installed_mh_child(sas->front())) continue;
    }
    if (p.child_retries >= kChildRetries && reestablishing) {
      // No IkeTimeout here: the old protection stands, this one would linger.
      (void)link_.command("terminate", ike::terminate_ike(id, -1));
      give_up_reestablishing(p, "IKE SA " + id + " came up without its CHILD_SA");
      continue;
    }
    if (p.child_retries >= kChildRetries) {
      log_.warning("IKEv2 with " + who(p) + ": IKE SA " + id + " still has no CHILD_SA after " +
                   std::to_string(p.child_retries) + " new attempts; leaving it to IkeTimeout");
      continue;
    }
    ++p.child_retries;
    ++counters_.child_retries;
    log_.info("IKEv2 with " + who(p) + ": IKE SA " + id + " came up without its CHILD_SA (refused by the peer, " +
              (p.kind == Kind::map ? "not ready for RCoA " : "not (yet) owning home address ") +
              (p.rcoa ? p.rcoa->str() : std::string("?")) + "?): setting it up anew");
    p.retrying_ike = id;
    (void)link_.command("terminate", ike::terminate_ike(id, -1));
  }
}

void IkeAgent::on_child_up(Peer& p, const ike::IkeSaView& sa) {
  if (sa.conn != conn_name(p.kind, p.addr) || !installed_mh_child(sa) || !p.rcoa) return;
  if (p.childless_ike == sa.uniqueid) p.childless_ike.clear();
  const bool renewed = sa.uniqueid != p.current_ike;  // not the current IKE SA's child set up again
  if (renewed && sa.local_host != p.lcoa) {
    // From an address the node has left: a setup or re-establishment that a
    // newer one (from p.lcoa) replaced finished late. Taking it would end
    // the newer one and tell the core the wrong care-of address.
    ++counters_.stale_sas;
    log_.info("IKEv2 with " + who(p) + ": IKE SA " + sa.uniqueid + " from " +
              (sa.local_host ? sa.local_host->str() : std::string("?")) + " installed its CHILD_SA after the move to " +
              p.lcoa.str() + ": terminated");
    terminate_later(ike::terminate_ike(sa.uniqueid, -1));
    return;
  }
  ++counters_.children_installed;
  if (p.kind == Kind::home) ++counters_.home_children_installed;
  if (!p.child_lost_ike.empty()) {
    // Back on the same IKE SA (restore_child's initiate), or a new IKE SA
    // took over (a move: the lost one is being replaced): nothing to restore.
    if (p.child_lost_ike == sa.uniqueid) {
      ++counters_.children_restored;
      log_.info("IKEv2 with " + who(p) + ": CHILD_SA for " + p.rcoa->str() + " installed again on IKE SA " +
                sa.uniqueid);
    }
    p.child_lost_ike.clear();
  }
  if (!renewed) return;  // same IKE SA, same address: nothing new to tell
  const std::string old = std::exchange(p.current_ike, sa.uniqueid);
  p.current_from = sa.local_host;
  p.reestablishing = false;
  p.retrying_ike.clear();
  p.child_retries = 0;
  // The IKE SAs this one replaces: a MAP's leasing one, or the one from the
  // previous care-of address (make-before-break). Not from inside the
  // event: charon holds the new IKE SA while it raises it, and terminate
  // looks at them all.
  if (p.kind == Kind::map) terminate_later(vici::Section{}.set("ike", ike::mn_lease_conn_name(p.addr)).set("timeout", "-1"));
  if (!old.empty()) terminate_later(ike::terminate_ike(old, -1));
  if (p.traffic) ask_traffic(p);
  if (p.phase == Phase::up) {
    if (p.kind == Kind::home && p.reported != p.current_from) report_up(p);  // re-established from a new care-of address
    return;
  }
  p.phase = Phase::up;
  report_up(p);
}

void IkeAgent::report_up(Peer& p) {
  if (p.kind == Kind::map) {
    const Ip6Addr map = p.addr;
    const Ip6Addr rcoa = *p.rcoa;
    up_(map, rcoa);
    return;
  }
  p.reported = p.current_from;
  const Ip6Addr ha = p.addr;
  const Ip6Addr coa = *p.current_from;
  home_up_(ha, coa);
}

// RFC 4877 §5 (ProtectTraffic): the payload child on the IKE SA that holds
// the MH child. ProtectTraffic on means the payload must be protected: the
// kernel drops the home tunnel's packets without it, so a refusal (no
// child-updown within child_restore_wait) is an error, and the child is
// asked for again, kChildRetries initiates at most on one IKE SA (the next
// IKE SA asks again). MH stays protected whatever happens to it.
void IkeAgent::ask_traffic(Peer& p) {
  p.traffic_wait_ike = p.current_ike;
  p.traffic_attempts = 0;
  request_traffic(p);
}

void IkeAgent::request_traffic(Peer& p) {
  ++p.traffic_attempts;
  if (const auto r = link_.command("initiate", ike::mn_home_initiate(p.addr, ike::kTrafficChild, -1)); !r.ok())
    log_.warning("IKEv2 with " + who(p) + ": cannot ask for the payload child (ProtectTraffic): " + r.error);
  arm_traffic_check(timing_.child_restore_wait);  // checked (and asked again) either way
}

void IkeAgent::arm_traffic_check(std::chrono::milliseconds after) {
  // One timer for every peer (check_traffic looks at them all; only the HA
  // has a payload child).
  traffic_timer_.expires_after(after);
  traffic_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) check_traffic();
  });
}

void IkeAgent::check_traffic() {
  for (auto& [name, p] : peers_) {
    if (p.traffic_wait_ike.empty()) continue;
    std::string err;
    const auto sas = link_.list_sas(p.traffic_wait_ike, err);
    if (!sas) {  // charon unreachable: on_lost follows
      arm_traffic_check(timing_.child_grace);
      continue;
    }
    // Installed (its event is late), or that IKE SA is gone (its successor,
    // if any, asks again).
    if (sas->empty() || has_child(sas->front(), ike::kTrafficChild, true)) {
      p.traffic_wait_ike.clear();
      continue;
    }
    const std::string id = p.traffic_wait_ike;
    if (p.traffic_attempts > 0) {
      ++counters_.traffic_children_refused;
      log_.error("IKEv2 with " + who(p) + ": the home agent refused the payload protection (ProtectTraffic, RFC 4877 "
                 "§5; is its own ProtectTraffic on?) on IKE SA " + id +
                 ": home-address traffic is dropped until it accepts" +
                 (p.traffic_attempts < kChildRetries ? "; asking again" : std::string()));
    }
    if (p.traffic_attempts >= kChildRetries) {
      p.traffic_wait_ike.clear();
      log_.error("IKEv2 with " + who(p) + ": no payload child on IKE SA " + id + " after " +
                 std::to_string(kChildRetries) + " requests: asked for again at the next IKE SA (a move, or the "
                 "protection set up again); home-address traffic is dropped until then");
      continue;
    }
    request_traffic(p);
  }
}

void IkeAgent::on_traffic_child(Peer& p, const ike::IkeSaView& sa, bool up) {
  if (sa.conn != conn_name(p.kind, p.addr) || sa.uniqueid != p.current_ike) return;
  if (up && has_child(sa, ike::kTrafficChild, true)) {
    ++counters_.traffic_children_installed;
    p.traffic_wait_ike.clear();
    log_.info("IKEv2 with " + who(p) + ": payload child installed (home-address traffic in ESP, RFC 4877 §5)");
    return;
  }
  if (up || p.phase != Phase::up || !p.traffic) return;
  ++counters_.traffic_children_lost;
  log_.warning("IKEv2 with " + who(p) + ": the payload child on IKE SA " + sa.uniqueid +
               " went down: home-address traffic is dropped until it is back; setting it up again");
  if (!p.traffic_wait_ike.empty()) return;  // being asked for already
  // As for the MH child (restore_child): after child_grace, on that IKE SA,
  // unless it goes too.
  p.traffic_wait_ike = sa.uniqueid;
  p.traffic_attempts = 0;
  arm_traffic_check(timing_.child_grace);
}

void IkeAgent::terminate_later(vici::Section request) {
  terminations_.push_back(std::move(request));
  if (terminations_.size() > 1) return;  // the timer runs
  terminate_timer_.expires_after(std::chrono::milliseconds(200));
  terminate_timer_.async_wait([this](const boost::system::error_code& ec) {
    auto todo = std::move(terminations_);
    terminations_.clear();
    if (ec || stopping_) return;
    for (const auto& t : todo) (void)link_.command("terminate", t);
  });
}

// Only the IKE SA holding the installed CHILD_SA counts: replaced ones go
// down on purpose. A CHILD_SA the peer refuses leaves its IKE SA up without
// it: check_children terminates it and, once it is down, it is set up anew
// here (kChildRetries times; then the core's IkeTimeout decides).
void IkeAgent::on_ike_down(Peer& p, const ike::IkeSaView& sa) {
  const bool setting_up = p.phase == Phase::protecting || (p.phase == Phase::up && p.reestablishing);
  if (setting_up && !p.retrying_ike.empty() && sa.uniqueid == p.retrying_ike) {
    p.retrying_ike.clear();
    // Not from inside the event (see on_child_up): shortly after.
    schedule_retry(conn_name(p.kind, p.addr), timing_.retry);
    return;
  }
  if (p.phase != Phase::up || sa.uniqueid != p.current_ike) return;
  const Kind kind = p.kind;
  const Ip6Addr addr = p.addr;
  peers_.erase(conn_name(kind, addr));
  fail_later(kind, addr, true, "IKE SA " + sa.uniqueid + " with the " + (kind == Kind::map ? "MAP" : "home agent") +
                                   " was deleted");
}

void IkeAgent::on_lost(const std::string& why) {
  if (stopping_) return;
  ++counters_.charon_lost;
  log_.error("lost charon (" + why + ")");
  auto peers = std::move(peers_);
  peers_.clear();
  for (const auto& [name, p] : peers) fail_later(p, true, "charon went away");
  schedule_reconnect();
}

void IkeAgent::schedule_reconnect() {
  reconnect_.expires_after(std::chrono::seconds(1));
  reconnect_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    std::string err;
    if (!link_.open(kEvents, err) || !load_credentials().ok()) {
      link_.close();
      schedule_reconnect();
      return;
    }
    log_.notice("charon at " + link_.uri() + " is back");
  });
}

io::Json IkeAgent::counters() const {
  io::Json j = link_.counters_json();
  j["ike_leases"] = counters_.leases;
  j["ike_children_installed"] = counters_.children_installed;
  j["ike_agent_failures"] = counters_.failures;
  j["ike_child_retries"] = counters_.child_retries;
  j["ike_children_lost"] = counters_.children_lost;
  j["ike_children_restored"] = counters_.children_restored;
  j["ike_stale_sas"] = counters_.stale_sas;
  j["ike_reestablish_abandoned"] = counters_.reestablish_abandoned;
  j["charon_lost"] = counters_.charon_lost;
  j["ike_home_children_installed"] = counters_.home_children_installed;
  j["ike_traffic_children_installed"] = counters_.traffic_children_installed;
  j["ike_traffic_children_refused"] = counters_.traffic_children_refused;
  j["ike_traffic_children_lost"] = counters_.traffic_children_lost;
  return j;
}

}  // namespace hmip::mnd
