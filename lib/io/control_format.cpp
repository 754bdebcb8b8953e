#include "hmip/io/control_format.h"

#include <algorithm>
#include <cctype>

namespace hmip::io {

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

std::string format_cell(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_primitive(); })) {
    if (v.empty()) return "-";
    std::string s;
    for (const auto& e : v) {
      if (!s.empty()) s += ',';
      s += format_cell(e);
    }
    return s;
  }
  return v.dump();
}

namespace {

std::string header(const std::string& key) {
  std::string h;
  for (char c : key) h += c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h;
}

bool is_row_list(const Json& v) {
  return v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); });
}

std::string format_rows(const Json& arr) {
  std::vector<std::string> keys;
  for (const auto& obj : arr)
    for (const auto& [k, val] : obj.items())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head;
  head.reserve(keys.size());
  for (const auto& k : keys) head.push_back(header(k));
  rows.push_back(std::move(head));
  for (const auto& obj : arr) {
    std::vector<std::string> row;
    row.reserve(keys.size());
    for (const auto& k : keys) {
      auto it = obj.find(k);
      row.push_back(it == obj.end() ? "-" : format_cell(*it));
    }
    rows.push_back(std::move(row));
  }
  return format_table(rows);
}

std::string format_pairs(const Json& obj) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : obj.items()) rows.push_back({k, format_cell(v)});
  return format_table(rows);
}

}  // namespace

std::string format_control_data(const Json& data) {
  if (data.is_array()) {
    if (data.empty()) return "(none)\n";
    if (is_row_list(data)) return format_rows(data);
    std::string s;
    for (const auto& e : data) s += format_cell(e) + "\n";
    return s;
  }
  if (data.is_object()) {
    const bool nested =
        std::any_of(data.begin(), data.end(), [](const Json& v) { return v.is_object() || is_row_list(v); });
    if (!nested) return format_pairs(data);
    std::string s;
    Json scalars = Json::object();
    for (const auto& [k, v] : data.items())
      if (!v.is_object() && !is_row_list(v)) scalars[k] = v;
    if (!scalars.empty()) s += format_pairs(scalars);
    for (const auto& [k, v] : data.items()) {
      if (!v.is_object() && !is_row_list(v)) continue;
      if (!s.empty()) s += '\n';
      s += k + ":\n";
      std::string body = format_control_data(v);
      // indent the section by two spaces
      std::string indented;
      std::size_t pos = 0;
      while (pos < body.size()) {
        const auto nl = body.find('\n', pos);
        const auto line = body.substr(pos, nl - pos);
        indented += line.empty() ? "\n" : "  " + line + "\n";
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
      s += indented;
    }
    return s;
  }
  return format_cell(data) + "\n";
}

}  // namespace hmip::io
