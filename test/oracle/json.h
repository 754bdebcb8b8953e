// A minimal JSON value for the oracle vector program's output (one object
// per line). Objects keep insertion order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hmip::oracle {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : v_(nullptr) {}
  Json(std::nullptr_t) : v_(nullptr) {}                        // NOLINT
  Json(bool b) : v_(b) {}                                       // NOLINT
  Json(int i) : v_(static_cast<std::int64_t>(i)) {}             // NOLINT
  Json(unsigned i) : v_(static_cast<std::int64_t>(i)) {}        // NOLINT
  Json(std::int64_t i) : v_(i) {}                               // NOLINT
  Json(std::uint64_t i) : v_(static_cast<std::int64_t>(i)) {}   // NOLINT
  Json(const char* s) : v_(std::string(s)) {}                   // NOLINT
  Json(std::string s) : v_(std::move(s)) {}                     // NOLINT
  Json(Array a) : v_(std::move(a)) {}                           // NOLINT
  Json(Object o) : v_(std::move(o)) {}                          // NOLINT

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  /// Appends a member (objects) and returns *this.
  Json& set(std::string key, Json value) {
    std::get<Object>(v_).emplace_back(std::move(key), std::move(value));
    return *this;
  }
  /// Appends an element (arrays).
  Json& push(Json value) {
    std::get<Array>(v_).push_back(std::move(value));
    return *this;
  }

  [[nodiscard]] std::string dump() const {
    std::string out;
    dump_to(out);
    return out;
  }

 private:
  static void quote(const std::string& s, std::string& out) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20 || u >= 0x7f) {
        out += "\\u00";
        out += hex[u >> 4];
        out += hex[u & 15];
      } else {
        out += c;
      }
    }
    out += '"';
  }

  void dump_to(std::string& out) const {
    if (std::holds_alternative<std::nullptr_t>(v_)) {
      out += "null";
    } else if (const bool* b = std::get_if<bool>(&v_)) {
      out += *b ? "true" : "false";
    } else if (const auto* i = std::get_if<std::int64_t>(&v_)) {
      out += std::to_string(*i);
    } else if (const auto* s = std::get_if<std::string>(&v_)) {
      quote(*s, out);
    } else if (const auto* a = std::get_if<Array>(&v_)) {
      out += '[';
      for (std::size_t k = 0; k < a->size(); ++k) {
        if (k) out += ", ";
        (*a)[k].dump_to(out);
      }
      out += ']';
    } else {
      const auto& o = std::get<Object>(v_);
      out += '{';
      for (std::size_t k = 0; k < o.size(); ++k) {
        if (k) out += ", ";
        quote(o[k].first, out);
        out += ": ";
        o[k].second.dump_to(out);
      }
      out += '}';
    }
  }

  std::variant<std::nullptr_t, bool, std::int64_t, std::string, Array, Object> v_;
};

}  // namespace hmip::oracle
