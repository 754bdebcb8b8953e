// ike_probe: drives a charon through hmip's own VICI client and lib/ike
// builders, one step per invocation, for test/kernel case 62 (the flow mapd
// and mnd will run, with real CHILD_SAs on the distro kernel).
//
//   ike_probe map-setup  --vici S --map A --id ID --cert F --key F --ca F --pool LO-HI
//   ike_probe map-admit  --vici S --map A --id ID --cert F --ca F --pool LO-HI --peer ID --rcoa R
//   ike_probe map-check  --vici S --rcoa R --coa C        prints the RcoaHolders verdict
//   ike_probe mn-lease   --vici S --map A --map-id ID --id ID --cert F --key F --ca F --lcoa L
//                        childless IKE SA asking for an address; prints "rcoa R"
//   ike_probe mn-protect --vici S --map A --map-id ID --id ID --cert F --ca F --lcoa L --rcoa R
//                        the child for R on a fresh IKE SA; prints "child STATE MODE reqid N"
// Exit status 0 on success, 1 with a message on stderr otherwise.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "hmip/ike/charon_conn.h"
#include "hmip/ike/ike_sa.h"
#include "hmip/io/vici_client.h"

using namespace hmip;

namespace {

const auto kTimeout = std::chrono::milliseconds(60000);

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "ike_probe: %s\n", why.c_str());
  std::exit(1);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) die("cannot read " + path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

Ip6Addr addr(const std::map<std::string, std::string>& o, const std::string& k) {
  auto it = o.find(k);
  if (it == o.end()) die("missing --" + k);
  auto a = Ip6Addr::parse(it->second);
  if (!a) die("--" + k + " is not an IPv6 address");
  return *a;
}
std::string arg(const std::map<std::string, std::string>& o, const std::string& k) {
  auto it = o.find(k);
  if (it == o.end()) die("missing --" + k);
  return it->second;
}

io::ViciClient connect(const std::map<std::string, std::string>& o) {
  std::string err;
  auto c = io::ViciClient::connect(arg(o, "vici"), err);
  if (!c) die(err);
  return std::move(*c);
}

void must(const io::ViciReply& r, const std::string& what) {
  if (!r.ok()) die(what + ": " + r.error);
}

void load_key(io::ViciClient& c, const std::string& path) {
  must(c.command("load-key", vici::Section{}.set("type", "any").set("data", slurp(path)), kTimeout), "load-key");
}

ike::MapIke map_ike(const std::map<std::string, std::string>& o) {
  ike::MapIke m;
  m.map_address = addr(o, "map");
  m.local_id = arg(o, "id");
  m.local_certs = {slurp(arg(o, "cert"))};
  m.ca_certs = {slurp(arg(o, "ca"))};
  const auto pool = arg(o, "pool");
  const auto dash = pool.find('-');
  auto lo = Ip6Addr::parse(pool.substr(0, dash));
  auto hi = dash == std::string::npos ? std::nullopt : Ip6Addr::parse(pool.substr(dash + 1));
  if (!lo || !hi) die("--pool wants LO-HI");
  m.pool = ike::PoolRange{*lo, *hi};
  return m;
}

ike::MnIke mn_ike(const std::map<std::string, std::string>& o) {
  ike::MnIke m;
  m.map_address = addr(o, "map");
  m.map_id = arg(o, "map-id");
  m.local_id = arg(o, "id");
  m.local_certs = {slurp(arg(o, "cert"))};
  m.ca_certs = {slurp(arg(o, "ca"))};
  return m;
}

std::vector<ike::IkeSaView> list_sas(io::ViciClient& c) {
  auto r = c.streamed("list-sas", {}, "list-sa", kTimeout);
  must(r, "list-sas");
  std::vector<ike::IkeSaView> out;
  for (const auto& e : r.events) {
    auto sas = ike::parse_ike_sas(e);
    out.insert(out.end(), sas.begin(), sas.end());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: ike_probe map-setup|map-admit|map-check|mn-lease|mn-protect --name value ...");
  const std::string cmd = argv[1];
  std::map<std::string, std::string> o;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k.size() < 3 || k.substr(0, 2) != "--") die("options are --name value pairs");
    o[k.substr(2)] = argv[i + 1];
  }
  auto c = connect(o);

  if (cmd == "map-setup") {
    const auto m = map_ike(o);
    load_key(c, arg(o, "key"));
    must(c.command("load-pool", ike::rcoa_pool(*m.pool), kTimeout), "load-pool");
    must(c.command("load-conn", ike::map_generic_conn(m), kTimeout), "load-conn (generic)");
    std::printf("ok\n");
  } else if (cmd == "map-admit") {
    const auto m = map_ike(o);
    must(c.command("load-conn", ike::map_mn_conn(m, arg(o, "peer"), addr(o, "rcoa")), kTimeout), "load-conn (per RCoA)");
    std::printf("ok %s\n", ike::map_mn_conn_name(addr(o, "rcoa")).c_str());
  } else if (cmd == "map-check") {
    ike::RcoaHolders h;
    h.reset(list_sas(c));
    const auto v = h.check(addr(o, "rcoa"), addr(o, "coa"));
    const auto who = h.holder(addr(o, "rcoa"));
    std::printf("%s holder=%s sas=%zu\n", std::string(ike::to_string(v)).c_str(), who ? who->c_str() : "-", h.size());
  } else if (cmd == "mn-lease") {
    const auto m = mn_ike(o);
    load_key(c, arg(o, "key"));
    must(c.command("load-conn", ike::mn_conn(m, addr(o, "lcoa"), std::nullopt), kTimeout), "load-conn (lease)");
    must(c.command("initiate", ike::mn_initiate(m.map_address, 30000, true), kTimeout), "initiate (childless)");
    for (const auto& sa : list_sas(c)) {
      if (sa.conn == ike::mn_lease_conn_name(m.map_address) && sa.state == "ESTABLISHED" && !sa.local_vips.empty()) {
        std::printf("rcoa %s\n", sa.local_vips.front().str().c_str());
        return 0;
      }
    }
    die("no established IKE SA with a virtual IP");
  } else if (cmd == "mn-protect") {
    const auto m = mn_ike(o);
    const auto rcoa = addr(o, "rcoa");
    must(c.command("load-conn", ike::mn_conn(m, addr(o, "lcoa"), rcoa), kTimeout), "load-conn (child)");
    // A fresh IKE SA, so that the MAP picks the RCoA's own connection; the
    // leasing one goes (mnd will re-authenticate make-before-break).
    for (const auto& sa : list_sas(c)) {
      if (sa.conn == ike::mn_lease_conn_name(m.map_address)) {
        must(c.command("terminate", vici::Section{}.set("ike-id", sa.uniqueid).set("timeout", "10000"), kTimeout),
             "terminate");
      }
    }
    must(c.command("initiate", ike::mn_initiate(m.map_address, 30000), kTimeout), "initiate (child)");
    for (const auto& sa : list_sas(c)) {
      for (const auto& ch : sa.children) {
        if (ch.name == ike::kMhChild && ike::single_host(ch.local_ts.empty() ? "" : ch.local_ts.front()) == rcoa) {
          std::printf("child %s %s reqid %s vip %s\n", ch.state.c_str(), ch.mode.c_str(), ch.reqid.c_str(),
                      sa.local_vips.empty() ? "-" : sa.local_vips.front().str().c_str());
          return 0;
        }
      }
    }
    die("no child for the RCoA after initiate");
  } else {
    die("unknown command " + cmd);
  }
  return 0;
}
