// Writes the fuzzers' seed corpus: every oracle test vector (test/oracle),
// cut into the piece each decoder family reads.
//   mh/           the Mobility Header of each MH vector
//   icmpv6/       the ICMPv6 message of each ND and HO vector
//   ext_headers/  whole IPv6 packets, and each vector's type 2 routing header
//                 and Destination Options header on their own
//   ard_config/   the example ard.conf (daemons/ard/ard.conf.example),
//   mapd_config/  mapd.conf and mnd.conf alike: the example as shipped;
//   mnd_config/   without comments; with its commented-out statements
//                 ("#Keyword ...") switched on; and each top-level statement
//                 alone. Short seeds without comments are what lets the
//                 fuzzer reach the checks behind the keywords instead of
//                 mutating comments; <dir>.dict lists every word of the
//                 examples as a libFuzzer dictionary (run-fuzzer.sh uses it).
//   vici/         VICI packet bodies of the kinds hmip exchanges with charon
// Usage: hmip_fuzz_seeds DIR
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <variant>

#include "hmip/wire/ext_headers.h"
#include "hmip/vici/message.h"
#include "hmip/wire/ipv6.h"
#include "vectors.h"

namespace fs = std::filesystem;
using namespace hmip;
using namespace hmip::wire;

namespace {

void write(const fs::path& dir, const std::string& name, ByteSpan bytes) {
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + (dir / name).string());
}

void write_text(const fs::path& dir, const std::string& name, const std::string& text) {
  write(dir, name, ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// The example configuration of daemon `d` cut into seeds (see the file
// comment) and its words as a dictionary.
void write_config_seeds(const fs::path& root, const std::string& d) {
  const fs::path example = fs::path(HMIP_SOURCE_DIR) / "daemons" / d / (d + ".conf.example");
  const fs::path dir = root / (d + "_config");
  std::ifstream in(example);
  if (!in) throw std::runtime_error("cannot read " + example.string());
  std::string stripped, enabled, line;
  std::set<std::string> words;
  while (std::getline(in, line)) {
    const auto code = [](const std::string& l) {
      // '#' starts a comment outside "..." strings.
      bool str = false;
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (l[i] == '"') str = !str;
        if (l[i] == '#' && !str) return l.substr(0, i);
      }
      return l;
    };
    const auto first = line.find_first_not_of(" \t");
    std::string kept = code(line);
    // "#Keyword ..." (no blank after '#'): a statement shipped switched off.
    std::string on = kept;
    if (first != std::string::npos && line[first] == '#' && first + 1 < line.size() &&
        std::isalpha(static_cast<unsigned char>(line[first + 1])) != 0)
      on = line.substr(0, first) + code(line.substr(first + 1));
    if (kept.find_first_not_of(" \t") != std::string::npos) stripped += kept + "\n";
    if (on.find_first_not_of(" \t") != std::string::npos) enabled += on + "\n";
    std::string w;
    for (const char c : on + " ") {
      if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ';' || c == '{' || c == '}' || c == '"') {
        if (!w.empty()) words.insert(w);
        w.clear();
      } else {
        w += c;
      }
    }
  }
  fs::create_directories(dir);
  fs::copy_file(example, dir / example.filename(), fs::copy_options::overwrite_existing);
  write_text(dir, "stripped.conf", stripped);
  write_text(dir, "enabled.conf", enabled);
  // Each top-level statement of the enabled text on its own.
  int depth = 0, n = 0;
  std::string stmt;
  for (const char c : enabled) {
    stmt += c;
    if (c == '{') ++depth;
    if (c == '}') --depth;
    if (c == ';' && depth <= 0) {
      write_text(dir, "statement-" + std::to_string(++n) + ".conf", stmt + "\n");
      stmt.clear();
      depth = 0;
    }
  }
  std::string dict;
  for (const auto& w : words) {
    std::string e = "\"";
    for (const char c : w) {
      if (c == '\\' || c == '"') e += '\\';
      e += c;
    }
    dict += e + "\"\n";
  }
  write_text(root, d + "_config.dict", dict);
}

// Skips the routing and destination options headers of a vector's packet,
// writing each as an ext_headers seed; returns the upper-layer message.
ByteSpan upper_layer(const fs::path& root, const oracle::Vec& v, const Ipv6Packet& pkt) {
  ByteSpan rest = pkt.payload;
  std::uint8_t next = pkt.header.next_header;
  if (next == kIpProtoRouting) {
    auto rh = decode_rh2(rest);
    if (!rh) throw std::runtime_error(v.name + ": " + to_string(rh.error()));
    write(root / "ext_headers", v.name + ".rh2", rest.first(kRh2Length));
    next = rh->next_header;
    rest = rest.subspan(kRh2Length);
  }
  if (next == kIpProtoDstOpts) {
    auto d = decode_dstopts(rest);
    if (!d) throw std::runtime_error(v.name + ": " + to_string(d.error()));
    write(root / "ext_headers", v.name + ".dstopts", rest.first(d->length));
    rest = rest.subspan(d->length);
  }
  return rest;
}

// VICI packets (bodies, without the length prefix) like those charon and
// hmip exchange: a load-conn request, an event registration, a list-sa
// event, a response with success and errmsg, a bare confirm.
void write_vici_seeds(const fs::path& dir) {
  using vici::List;
  using vici::Packet;
  using vici::PacketType;
  using vici::Section;
  Section child;
  child.set("mode", "transport_proxy")
      .set("local_ts", List{"2001:db8:1::1/128[mobility-header]"})
      .set("remote_ts", List{"2001:db8:99::5/128[mobility-header]"});
  Section conn;
  conn.set("version", "2").set("local_addrs", List{"2001:db8:1::1"}).set("pools", List{"rcoa"});
  conn.set("local", Section{}.set("auth", "pubkey").set("certs", List{"map.pem"}));
  conn.set("children", Section{}.set("mh", child));
  Section sa;
  sa.set("state", "ESTABLISHED").set("remote-id", "CN=mn1").set("remote-vips", List{"2001:db8:99::5"});
  const Packet packets[] = {
      Packet{PacketType::cmd_request, "load-conn", Section{}.set("hmip-map", conn)},
      Packet{PacketType::event_register, "list-sa", {}},
      Packet{PacketType::event, "list-sa", Section{}.set("hmip-map", sa)},
      Packet{PacketType::cmd_response, "", Section{}.set("success", "no").set("errmsg", "no such pool")},
      Packet{PacketType::event_confirm, "", {}},
  };
  int i = 0;
  for (const auto& p : packets) {
    auto bytes = vici::encode_packet(p);
    if (!bytes) throw std::runtime_error("vici seed: " + to_string(bytes.error()));
    write(dir, "packet" + std::to_string(i++), ByteSpan(*bytes).subspan(4));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  try {
    int n = 0;
    for (const auto& v : oracle::all_vectors()) {
      const Bytes packet = oracle::build(v);
      auto pkt = parse_ipv6_packet(packet);
      if (!pkt) throw std::runtime_error(v.name + ": " + to_string(pkt.error()));
      write(root / "ext_headers", v.name + ".ipv6", packet);
      ByteSpan msg = upper_layer(root, v, *pkt);
      write(root / (std::holds_alternative<MhMessage>(v.msg) ? "mh" : "icmpv6"), v.name, msg);
      ++n;
    }
    for (const std::string d : {"ard", "mapd", "mnd"}) write_config_seeds(root, d);
    write_vici_seeds(root / "vici");
    std::printf("hmip_fuzz_seeds: %d vectors and the example configurations written under %s\n", n,
                root.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hmip_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
