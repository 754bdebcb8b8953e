#include "ike_guard.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "hmip/ike/eap_secrets.h"

namespace hmip::mapd {

namespace {

bool is_generic(const std::string& conn) { return conn.rfind(std::string(ike::kMapConn), 0) == 0; }

// "hmip-home-": the prefix of ike::ha_mn_conn_name.
std::string home_prefix() {
  const std::string first = ike::ha_mn_conn_name(0);
  return first.substr(0, first.size() - 1);
}

bool is_home(const std::string& conn) { return conn.rfind(home_prefix(), 0) == 0; }

const std::vector<std::string> kEvents{"ike-updown", "child-updown", "ike-rekey", "child-rekey"};

}  // namespace

IkeGuard::IkeGuard(boost::asio::io_context& io, const map::MapdConfig& cfg, io::Logger& log, IkeSink sink)
    : cfg_(cfg),
      log_(log),
      sink_(std::move(sink)),
      link_(
          io, cfg.ike.vici_socket, [this](const io::ViciEvent& e) { on_event(e); },
          [this](const std::string& why) { on_lost(why); }),
      reconnect_(io),
      resync_(io),
      terminate_(io) {}

void IkeGuard::must(const io::ViciReply& r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error("charon at " + link_.uri() + ": " + what + ": " + r.error);
}

void IkeGuard::start() {
  const auto& c = cfg_.ike;
  std::string err;
  auto read = [&](const std::string& path) {
    auto data = io::read_file(path, err);
    if (!data) throw std::runtime_error(err);
    return *data;
  };
  ike_.map_address = cfg_.map_address;  // :: for a home agent only (no MAP connections then)
  ike_.local_id = c.identity;
  ike_.local_certs = {read(c.certificate)};
  for (const auto& ca : c.ca_certificates) ike_.ca_certs.push_back(read(ca));
  // RcoaPool and AuthorizedIdentity are the MAP role's (mapd.conf(5)).
  if (cfg_.map_role()) {
    ike_.authorized_ids = c.authorized_identities;
    if (c.pool) ike_.pool = ike::PoolRange{c.pool->first, c.pool->last};
  }
  ike_.dpd_delay_s = c.dpd_delay_s;
  key_pem_ = read(c.private_key);
  if (!c.eap_secrets.empty()) {
    auto parsed = ike::parse_eap_secrets(read(c.eap_secrets));
    if (const auto* e = std::get_if<ike::EapSecretsError>(&parsed))
      throw std::runtime_error(c.eap_secrets + (e->line > 0 ? ":" + std::to_string(e->line) : std::string()) + ": " +
                               e->message);
    eap_secrets_ = std::get<std::vector<ike::EapSecret>>(std::move(parsed));
    ike_.eap = true;
  }
  if (!link_.open(kEvents, err))
    throw std::runtime_error("cannot reach charon at " + link_.uri() + " (is it running with the vici plugin?): " + err);
  setup();
}

void IkeGuard::setup() {
  must(link_.load_key(key_pem_), "load-key " + cfg_.ike.private_key);
  for (std::size_t i = 0; i < eap_secrets_.size(); ++i)
    must(link_.command("load-shared", ike::eap_shared(eap_id(i), eap_secrets_[i])),
         "load-shared (EAP secret of " + eap_secrets_[i].identity + ")");
  unload_stale_secrets();
  if (ike_.pool) {
    must(link_.command("load-pool", ike::rcoa_pool(*ike_.pool)), "load-pool");
    pool_loaded_ = true;
  }
  generic_.clear();
  if (cfg_.map_role()) {
    for (const auto& conn : ike::map_generic_conns(ike_)) {
      must(link_.command("load-conn", conn), "load-conn");
      for (const auto& entry : conn.entries) generic_.push_back(entry.key);
    }
  }
  // The home agent role's connections: all of them (charon may have
  // restarted and lost them), then those an earlier mapd left beyond them.
  home_.clear();
  if (auto e = load_home(wanted_home()); !e.empty()) throw std::runtime_error("charon at " + link_.uri() + ": " + e);
  unload_stale_home();
  loaded_.clear();
  std::string err;
  auto sas = link_.list_sas(std::nullopt, err);
  if (!sas) throw std::runtime_error("charon at " + link_.uri() + ": list-sas: " + err);
  sink_.sas(*sas);
  for (const auto& sa : *sas) adopt(sa);
  terminate_disowned(*sas);
  std::string home;
  if (!home_.empty()) {
    std::size_t addresses = 0;
    for (const auto& h : home_) addresses += h.home_addresses.size();
    home = ", home agent " + home_.front().ha_address.str() + ": " + std::to_string(home_.size()) +
           " identities owning " + std::to_string(addresses) + " home address(es)" +
           (home_.front().traffic ? ", payload protection offered" : "");
  }
  log_.notice("IKEv2 through charon at " + link_.uri() + ": identity " + ike_.local_id + ", mobile nodes by " +
              (ike_.eap ? std::string(ike::kEapMethod) + " (" + std::to_string(eap_secrets_.size()) + " secrets)"
                        : std::string("certificate")) + home + ", " +
              std::to_string(sas->size()) + " IKE SA(s) adopted");
}

std::vector<IkeGuard::HomeConn> IkeGuard::wanted_home() const {
  std::vector<HomeConn> out;
  if (cfg_.insecure.enabled || !cfg_.home_agent) return out;
  const auto& ha = *cfg_.home_agent;
  for (const auto& o : ha.owners) {
    auto it = std::find_if(out.begin(), out.end(), [&](const HomeConn& h) { return h.identity == o.identity; });
    if (it == out.end()) {
      out.push_back(HomeConn{ike::ha_mn_conn_name(out.size()), o.identity, {}, ha.protect_traffic, ha.address});
      it = std::prev(out.end());
    }
    it->home_addresses.push_back(o.address);
  }
  return out;
}

std::string IkeGuard::load_home(const std::vector<HomeConn>& want) {
  ike::MapIke m = ike_;
  m.pool.reset();
  m.authorized_ids.clear();
  std::string first_error;
  std::vector<HomeConn> loaded;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const HomeConn& h = want[i];
    m.map_address = h.ha_address;
    if (auto r = link_.command("load-conn", ike::ha_mn_conn(m, i, h.identity, h.home_addresses, h.traffic)); !r.ok()) {
      ++counters_.home_load_failures;
      const std::string e = "load-conn " + h.name + " (home connection of " + h.identity + "): " + r.error;
      log_.error(e);
      if (first_error.empty()) first_error = e;
      continue;
    }
    ++counters_.home_conns_loaded;
    loaded.push_back(h);
  }
  // A name loaded before and not now (fewer identities, or a failed
  // replacement): charon must not keep the old definition.
  for (const auto& old : home_) {
    const bool kept =
        std::any_of(loaded.begin(), loaded.end(), [&](const HomeConn& h) { return h.name == old.name; });
    if (!kept) (void)link_.command("unload-conn", ike::unload(old.name));
  }
  home_ = std::move(loaded);
  return first_error;
}

// Home connections an earlier mapd loaded and did not unload (it crashed
// with more identities configured): an identity that lost its HomeAddress
// lines must not keep its connection.
void IkeGuard::unload_stale_home() {
  const auto r = link_.command("get-conns", vici::Section{});
  if (!r.ok()) {
    log_.warning("cannot list charon's connections (get-conns): " + r.error);
    return;
  }
  const auto* conns = r.message.list("conns");
  if (conns == nullptr) return;
  for (const auto& name : *conns) {
    if (!is_home(name)) continue;
    if (std::any_of(home_.begin(), home_.end(), [&](const HomeConn& h) { return h.name == name; })) continue;
    if (auto u = link_.command("unload-conn", ike::unload(name)); u.ok())
      log_.notice("unloaded home connection " + name + " an earlier mapd left in charon");
    else
      log_.warning("cannot unload connection " + name + " from charon: " + u.error);
  }
}

void IkeGuard::reload_home() {
  auto want = wanted_home();
  if (want == home_ || !link_.connected()) return;  // not connected: the reconnect's setup() loads them
  const auto e = load_home(want);
  log_.notice("reload: home agent connections " + (e.empty() ? std::string("reloaded") : "reloaded with errors") +
              ": " + std::to_string(home_.size()) + " of " + std::to_string(want.size()) + " loaded");
  terminate_disowned();
}

// A reload that gave a home address to another identity (or dropped its
// line): the old owner's IKE SA still has the CHILD_SA for it (charon
// keeps established SAs when a connection is replaced), and the new
// owner's CHILD_SA would need the same selectors. Not from an event
// callback (reload runs from the control socket or SIGHUP), so list-sas
// may wait for charon.
void IkeGuard::terminate_disowned() {
  std::string err;
  const auto sas = link_.list_sas(std::nullopt, err);
  if (!sas) {
    log_.warning("reload: cannot list charon's IKE SAs to end the ones of former home address owners: " + err);
    return;
  }
  terminate_disowned(*sas);
}

// Also at every setup() (review of phase 2, item 5): a restart, or a
// reload while charon was unreachable, would otherwise leave the former
// owner's CHILD_SA in place, and the holder table would see two identities
// holding the address and drop every BU of its new owner.
void IkeGuard::terminate_disowned(const std::vector<ike::IkeSaView>& sas) {
  for (const auto& sa : sas) {
    if (!is_home(sa.conn)) continue;
    bool disowned = false;
    for (const auto& ch : sa.children)
      for (const auto& ts : ch.remote_ts) {
        // MH selectors only: the traffic child names the care-of address.
        const auto hoa = ike::mh_host(ts);
        if (!hoa) continue;
        const map::HomeAddressOwner* o = cfg_.home_agent ? cfg_.home_agent->owner_of(*hoa) : nullptr;
        if (o == nullptr || o->identity != sa.peer_identity()) disowned = true;
      }
    if (!disowned) continue;
    ++counters_.home_disowned;
    log_.notice("terminating IKE SA " + sa.uniqueid + " of " + sa.peer_identity() +
                ": it holds a home address that identity does not own (HomeAddress)");
    terminate_later(sa.uniqueid);
  }
}

// EAP secrets an earlier mapd loaded and did not unload (it crashed, or
// its file had more lines): a removed mobile node's secret must not keep
// authenticating it.
void IkeGuard::unload_stale_secrets() {
  const auto r = link_.command("get-shared", vici::Section{});
  if (!r.ok()) {
    log_.warning("cannot list charon's shared keys (get-shared): " + r.error);
    return;
  }
  const auto* keys = r.message.list("keys");
  if (keys == nullptr) return;
  const std::string prefix = eap_id(0).substr(0, eap_id(0).size() - 1);  // "hmip-eap-"
  for (const auto& id : *keys) {
    if (id.rfind(prefix, 0) != 0) continue;
    bool current = false;
    for (std::size_t i = 0; i < eap_secrets_.size() && !current; ++i) current = id == eap_id(i);
    if (current) continue;
    if (auto u = link_.command("unload-shared", vici::Section{}.set("id", id)); u.ok())
      log_.notice("unloaded EAP secret " + id + " an earlier mapd left in charon");
    else
      log_.warning("cannot unload EAP secret " + id + " from charon: " + u.error);
  }
}

void IkeGuard::stop() {
  stopping_ = true;
  reconnect_.cancel();
  resync_.cancel();
  terminate_.cancel();
  if (link_.connected()) {
    for (const auto& [name, id] : loaded_) (void)link_.command("unload-conn", ike::unload(name));
    for (const auto& name : generic_) (void)link_.command("unload-conn", ike::unload(name));
    for (const auto& h : home_) (void)link_.command("unload-conn", ike::unload(h.name));
    // Refused while leases are online; charon then keeps the pool.
    if (pool_loaded_) (void)link_.command("unload-pool", ike::unload(ike::kRcoaPool));
    for (std::size_t i = 0; i < eap_secrets_.size(); ++i)
      (void)link_.command("unload-shared", vici::Section{}.set("id", eap_id(i)));
  }
  loaded_.clear();
  generic_.clear();
  home_.clear();
  link_.close();
}

void IkeGuard::resync() {
  std::string err;
  auto sas = link_.list_sas(std::nullopt, err);
  if (!sas) {
    ++counters_.resync_failures;
    log_.warning("cannot list charon's IKE SAs (trying again in 1 s): " + err);
    // The core still waits for these SAs (it asks only once): try again
    // until they come or charon is lost (which the core hears of too).
    schedule_resync(std::chrono::seconds(1));
    return;
  }
  ++counters_.resyncs;
  sink_.sas(*sas);
  for (const auto& sa : *sas) adopt(sa);
  terminate_disowned(*sas);
}

void IkeGuard::adopt(const ike::IkeSaView& sa) {
  if (sa.state != "ESTABLISHED" || !is_generic(sa.conn)) return;
  for (const auto& rcoa : sa.remote_vips) {
    const auto name = ike::map_mn_conn_name(rcoa);
    const auto& id = sa.remote_id;
    if (auto it = loaded_.find(name); it != loaded_.end() && it->second == id) continue;
    auto r = link_.command("load-conn", ike::map_mn_conn(ike_, id, rcoa));
    if (!r.ok()) {
      ++counters_.load_failures;
      log_.error("cannot load the connection of " + id + " for RCoA " + rcoa.str() + ": " + r.error);
      continue;
    }
    ++counters_.conns_loaded;
    loaded_[name] = id;
    log_.info("RCoA " + rcoa.str() + " leased to " + id + " (from " +
              (sa.remote_host ? sa.remote_host->str() : std::string("?")) + "): its CHILD_SA may now be set up");
  }
}

// The events go to the core as they come: it keeps the holder table and
// asks for a resync (schedule_resync) only when an event names something it
// never saw. A lease (an IKE SA of a generic connection with a virtual IP)
// gets its identity's connection at once, before the MN's next IKE SA.
void IkeGuard::on_event(const io::ViciEvent& e) {
  for (const auto& ev : ike::parse_sa_events(e.name, e.message)) {
    if (const auto* u = std::get_if<ike::IkeUpdownEvent>(&ev); u != nullptr && u->up) adopt(u->sa);
    if (const auto* r = std::get_if<ike::IkeRekeyEvent>(&ev)) adopt(r->new_sa);
    sink_.event(ev);
  }
}

void IkeGuard::schedule_resync(std::chrono::milliseconds delay) {
  if (resync_pending_) return;
  resync_pending_ = true;
  resync_.expires_after(delay);
  resync_.async_wait([this](const boost::system::error_code& ec) {
    resync_pending_ = false;
    if (ec || stopping_ || !link_.connected()) return;
    resync();
  });
}

void IkeGuard::terminate_later(const std::string& uniqueid) {
  to_terminate_.push_back(uniqueid);
  if (to_terminate_.size() > 1) return;  // the timer is set
  terminate_.expires_after(std::chrono::milliseconds(0));
  terminate_.async_wait([this](const boost::system::error_code& ec) {
    auto ids = std::exchange(to_terminate_, {});
    if (ec || stopping_ || !link_.connected()) return;
    for (const auto& id : ids) {
      if (auto r = link_.command("terminate", ike::terminate_ike(id, -1)); r.ok()) {
        ++counters_.terminated;
      } else {
        ++counters_.terminate_failures;
        log_.warning("cannot terminate IKE SA " + id + ": " + r.error);
      }
    }
  });
}

void IkeGuard::on_lost(const std::string& why) {
  if (stopping_) return;
  ++counters_.charon_lost;
  log_.error("lost charon (" + why + "): binding updates are refused until it is back");
  sink_.lost();
  loaded_.clear();
  schedule_reconnect();
}

void IkeGuard::schedule_reconnect() {
  reconnect_.expires_after(std::chrono::seconds(1));
  reconnect_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    std::string err;
    if (!link_.open(kEvents, err)) {
      schedule_reconnect();
      return;
    }
    try {
      setup();
      ++counters_.reconnects;
    } catch (const std::runtime_error& e) {
      log_.error(e.what());
      link_.close();
      schedule_reconnect();
    }
  });
}

io::Json IkeGuard::counters() const {
  io::Json j = link_.counters_json();
  j["ike_list_sas"] = counters_.resyncs;
  j["ike_list_sas_failures"] = counters_.resync_failures;
  j["ike_conns_loaded"] = counters_.conns_loaded;
  j["ike_load_failures"] = counters_.load_failures;
  j["charon_lost"] = counters_.charon_lost;
  j["charon_reconnects"] = counters_.reconnects;
  j["ike_terminated"] = counters_.terminated;
  j["ike_terminate_failures"] = counters_.terminate_failures;
  j["ike_home_conns_loaded"] = counters_.home_conns_loaded;
  j["ike_home_load_failures"] = counters_.home_load_failures;
  j["ike_home_disowned"] = counters_.home_disowned;
  return j;
}

io::Json IkeGuard::view(const ike::RcoaHolders& holders) const {
  io::Json j;
  j["charon"] = link_.uri();
  j["connected"] = link_.connected();
  j["identity"] = ike_.local_id;
  io::Json leases = io::Json::array();
  for (const auto& [name, id] : loaded_) {
    io::Json l;
    l["connection"] = name;
    l["identity"] = id;
    leases.push_back(std::move(l));
  }
  j["connections"] = std::move(leases);
  io::Json home = io::Json::array();
  for (const auto& h : home_) {
    io::Json c;
    c["connection"] = h.name;
    c["identity"] = h.identity;
    c["home_agent"] = h.ha_address.str();
    io::Json addrs = io::Json::array();
    for (const auto& a : h.home_addresses) addrs.push_back(a.str());
    c["home_addresses"] = std::move(addrs);
    c["protect_traffic"] = h.traffic;
    home.push_back(std::move(c));
  }
  j["home_connections"] = std::move(home);
  j["ike_sas"] = holders.size();
  j["rcoas_named"] = holders.rcoas();
  return j;
}

}  // namespace hmip::mapd
