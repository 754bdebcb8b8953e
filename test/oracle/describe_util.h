// Helpers shared by the describe_*.cpp files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "vectors.h"

namespace hmip::oracle {

/// Collects the fields of one vector, giving repeated tshark names unique
/// labels ("icmpv6.opt.map.distance#1" for the second MAP option).
class Fields {
 public:
  void add(const std::string& tshark, std::string value, std::function<void(Vec&)> mutate) {
    if (!tshark_dissects) {
      scapy_only(tshark, std::move(mutate));
      return;
    }
    out_.push_back(Field{label(tshark), tshark, std::move(value), std::move(mutate)});
  }
  /// A value only the byte comparison with scapy can check.
  void scapy_only(const std::string& what, std::function<void(Vec&)> mutate) {
    out_.push_back(Field{label("scapy:" + what), "", "", std::move(mutate)});
  }
  std::vector<Field> take() { return std::move(out_); }

  /// False while describing a part tshark does not dissect (the options of
  /// the netmip6 HO messages): add() then records scapy-only values.
  bool tshark_dissects = true;

 private:
  std::string label(const std::string& base) {
    const int n = seen_[base]++;
    return n == 0 ? base : base + "#" + std::to_string(n);
  }
  std::vector<Field> out_;
  std::map<std::string, int> seen_;
};

inline std::string u(std::uint64_t v) { return std::to_string(v); }
inline std::string b(bool v) { return v ? "1" : "0"; }
inline void flip(bool& v) { v = !v; }
inline void flip(Ip6Addr& a) { a.b[15] ^= 1; }

inline std::string hex(const wire::Bytes& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto x : bytes) {
    s += digits[x >> 4];
    s += digits[x & 15];
  }
  return s;
}

/// tshark's FT_BYTES rendering: "01:02:0a".
inline std::string colon_hex(const wire::Bytes& bytes) {
  std::string h = hex(bytes), s;
  for (std::size_t i = 0; i < h.size(); i += 2) {
    if (i) s += ':';
    s += h.substr(i, 2);
  }
  return s;
}

Json describe_mh(Fields& f, const wire::MhMessage& msg);
Json describe_icmp(Fields& f, const wire::IcmpMessage& msg);

}  // namespace hmip::oracle
