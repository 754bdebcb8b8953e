#include "hmip/core/conf_ike.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

namespace hmip::core::conf {

namespace {

std::string str(std::string_view s) { return std::string(s); }

// Certificate / PrivateKey: one file.
void single_file(StatementReader& r, const Statement& s, std::string& out, IkeSources& src, std::string_view example) {
  r.duplicate(src.seen, s);
  if (auto v = r.one_file(s, example)) {
    out = std::move(*v);
    src.files.push_back(FileRef{s.keyword.text, s.args[0]});
  }
}

// CaCertificate: one or more files per statement, the statement repeatable.
void ca_files(StatementReader& r, const Statement& s, const IkeCommonFields& f, IkeSources& src) {
  src.seen.note(s);
  if (s.args.empty()) {
    r.err(s.keyword, "CaCertificate needs one or more absolute file paths, as in 'CaCertificate "
                     "\"/etc/swanctl/x509ca/ca.pem\";'");
    return;
  }
  for (const auto& a : s.args) {
    if (!r.file_path(a, s.keyword.text)) continue;
    const auto it = std::find(f.ca_certificates.begin(), f.ca_certificates.end(), a.text);
    if (it != f.ca_certificates.end()) {
      r.warn(a, "CaCertificate '" + q(a.text) + "' is already listed on line " +
                    std::to_string(src.ca[static_cast<std::size_t>(it - f.ca_certificates.begin())].line));
      continue;
    }
    f.ca_certificates.push_back(a.text);
    src.ca.push_back(a);
    src.files.push_back(FileRef{s.keyword.text, a});
  }
}

// What is wrong with the file at `path` for charon to load it, if anything.
std::optional<std::string> unreadable(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec) return "cannot open it: " + ec.message();
  if (std::filesystem::is_directory(st)) return "it is a directory, not a file";
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    return "cannot open it: " + (e != 0 ? std::generic_category().message(e) : std::string("unknown error"));
  }
  if (in.peek() == std::ifstream::traits_type::eof()) return in.bad() ? "cannot read it" : "the file is empty";
  return std::nullopt;
}

}  // namespace

bool open_ike_block(StatementReader& r, const Statement& s, IkeSources& src) {
  if (src.block.line != 0) {
    r.err(s.keyword, "an Ike block is already configured on line " + std::to_string(src.block.line) +
                         ": one Ike block per file");
    return false;
  }
  if (!s.args.empty())
    r.err(s.args[0], "Ike takes no value, only a block: 'Ike { Identity ...; Certificate ...; };'");
  if (!s.has_block) {
    r.err(s.keyword, "Ike needs a { ... } block, as in 'Ike { Identity ...; Certificate ...; PrivateKey ...; "
                     "CaCertificate ...; };'");
    return false;
  }
  src.block = s.keyword;
  return true;
}

bool read_ike_common(StatementReader& r, const Statement& s, const IkeCommonFields& f, IkeSources& src,
                     const IkeWording& w) {
  const std::string& k = s.keyword.text;
  if (k == "CaCertificate") {
    ca_files(r, s, f, src);
  } else if (k == "Certificate") {
    single_file(r, s, f.certificate, src, "/etc/swanctl/x509/" + str(w.file) + ".pem");
  } else if (k == "PrivateKey") {
    single_file(r, s, f.private_key, src, "/etc/swanctl/private/" + str(w.file) + ".pem");
  } else if (k == "ViciSocket") {
    r.duplicate(src.seen, s);
    if (auto v = r.vici_socket(s)) f.vici_socket = std::move(*v);
  } else if (k == "Identity") {
    r.duplicate(src.seen, s);
    const Token* a = r.one_arg(s, "an IKE identity, as in 'Identity \"" + str(w.identity) + "\";'");
    if (a != nullptr && r.identity_arg(*a, k, w.identity)) f.identity = a->text;
  } else if (k == "DpdDelay") {
    r.duplicate(src.seen, s);
    if (auto v = r.number(s, 1, kMaxDpdDelay, " seconds")) f.dpd_delay_s = static_cast<std::uint32_t>(*v);
  } else {
    return false;
  }
  return true;
}

void read_ike_statements(StatementReader& r, const Statement& s, const IkeCommonFields& f, IkeSources& src,
                         const IkeWording& w, const IkeBlockKeywords& kw,
                         const std::function<void(const Statement&)>& own) {
  for (const auto& c : s.block) {
    if (std::find(kw.here.keywords.begin(), kw.here.keywords.end(), c.keyword.text) == kw.here.keywords.end()) {
      report_unknown(r, c, kw.here, kw.contexts, kw.foreign, kw.foreign_file);
      continue;
    }
    r.no_block(c);
    if (!read_ike_common(r, c, f, src, w)) own(c);
  }
}

void read_ike_file(StatementReader& r, const Statement& s, std::string& out, IkeSources& src,
                   std::string_view example) {
  single_file(r, s, out, src, example);
}

void check_ike_required(const IkeSources& src, Diagnostics& d, const IkeWording& w, IkeRequired required) {
  const std::string node(w.node);
  const std::string file(w.file);
  const auto need = [&](std::string_view kw, const std::string& what, const std::string& example) {
    if (src.seen.find(kw) != nullptr) return;
    d.err(src.block, "the Ike block has no " + str(kw) + ": " + what + " (add '" + str(kw) + " \"" + example +
                         "\";')");
  };
  need("Identity", node + "'s IKE identity, as its certificate's subjectAltName names it", str(w.identity));
  if (required.own_certificate) {
    need("Certificate", "the PEM file of " + node + "'s certificate", "/etc/swanctl/x509/" + file + ".pem");
    need("PrivateKey", "the PEM file of " + node + "'s private key", "/etc/swanctl/private/" + file + ".pem");
  }
  if (required.peer_ca)
    need("CaCertificate", "the PEM file(s) of the CA(s) that certify the " + str(w.peers) + "' certificates",
       "/etc/swanctl/x509ca/ca.pem");
}

std::string ike_common_text(std::string_view vici_socket, std::string_view identity, std::string_view certificate,
                            std::string_view private_key, std::span<const std::string> ca_certificates,
                            std::uint32_t dpd_delay_s) {
  std::string o = "    ViciSocket " + conf::quoted(vici_socket) + ";\n";
  const auto line = [&o](std::string_view kw, std::string_view v) {
    if (!v.empty()) o += "    " + str(kw) + " " + conf::quoted(v) + ";\n";
  };
  line("Identity", identity);
  line("Certificate", certificate);
  line("PrivateKey", private_key);
  if (!ca_certificates.empty()) {
    o += "    CaCertificate";
    for (const auto& c : ca_certificates) o += " " + conf::quoted(c);
    o += ";\n";
  }
  o += "    DpdDelay " + std::to_string(dpd_delay_s) + ";\n";
  return o;
}

void check_files(std::span<const FileRef> files, std::vector<ConfigError>& errors) {
  for (const auto& f : files) {
    if (auto why = unreadable(f.path.text))
      errors.push_back(ConfigError{f.path.line, f.path.column, f.keyword + " " + q(f.path.text) + ": " + *why});
  }
}

}  // namespace hmip::core::conf
