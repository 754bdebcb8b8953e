// hmip_wire_vectors: prints the oracle vectors, one JSON object per line.
//
//   hmip_wire_vectors            the vectors
//   hmip_wire_vectors --mutate   one mutant per described field of every vector
//
// A vector line:
//   {"name", "hex" (the whole IPv6 packet), "spec" (what scapy builds it
//    from), "expect" ([[tshark field, value], ...] in dissection order),
//    "scapy_only" ([labels of values only the scapy comparison checks]),
//    "decode_error" ("" if our decoders give the vector back from "hex",
//    else why not; see check_decodes)}
// A mutant line: the same name/spec/expect as its vector (what the oracles
// must still expect), "hex" built with one field changed, "mutant_of", the
// changed field's "label" and "tshark" (its tshark name, or "" when only
// scapy can see it). Both oracles must then report a mismatch.
//
// Exit status 1 (with a message on stderr) if an encoder rejects a vector or
// a mutant, or if a mutation does not change the encoding (an encoder that
// drops a field).

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "describe_util.h"

using namespace hmip;
using namespace hmip::oracle;

namespace {

Json expect_of(const Description& d) {
  Json e = Json::array();
  for (const auto& f : d.fields)
    if (!f.tshark.empty()) e.push(Json::array().push(f.tshark).push(f.value));
  return e;
}

Json scapy_only_of(const Description& d) {
  Json s = Json::array();
  for (const auto& f : d.fields)
    if (f.tshark.empty()) s.push(f.label);
  return s;
}

int run(bool mutate) {
  int count = 0;
  for (const Vec& v : all_vectors()) {
    const Description d = describe(v);
    const wire::Bytes bytes = build(v);
    if (!mutate) {
      Json line = Json::object();
      std::string decode_error;
      try {
        check_decodes(v, bytes);
      } catch (const std::exception& e) {
        decode_error = e.what();
      }
      line.set("name", v.name).set("hex", hex(bytes)).set("spec", d.spec).set("expect", expect_of(d))
          .set("scapy_only", scapy_only_of(d)).set("decode_error", decode_error);
      std::printf("%s\n", line.dump().c_str());
      ++count;
      continue;
    }
    for (const Field& f : d.fields) {
      Vec m = v;
      f.mutate(m);
      const wire::Bytes mb = build(m);
      if (mb == bytes) {
        std::fprintf(stderr, "%s: mutating %s does not change the encoding\n", v.name.c_str(), f.label.c_str());
        return 1;
      }
      Json line = Json::object();
      line.set("name", v.name + "~" + f.label).set("mutant_of", v.name).set("label", f.label)
          .set("tshark", f.tshark).set("hex", hex(mb)).set("spec", d.spec).set("expect", expect_of(d));
      std::printf("%s\n", line.dump().c_str());
      ++count;
    }
  }
  std::fprintf(stderr, "hmip_wire_vectors: %d %s\n", count, mutate ? "mutants" : "vectors");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool mutate = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mutate") == 0) {
      mutate = true;
    } else {
      std::fprintf(stderr, "usage: %s [--mutate]\n", argv[0]);
      return 2;
    }
  }
  try {
    return run(mutate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hmip_wire_vectors: %s\n", e.what());
    return 1;
  }
}
