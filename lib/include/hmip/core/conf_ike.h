// The `Ike { ... }` block mapd.conf(5) and mnd.conf(5) share: how the
// daemon drives strongSwan's charon to protect binding updates (RFC 5380
// §12). The statements both blocks have are read and checked here, on the
// readers of hmip/core/conf_reader.h; each parser reads its own (mapd's
// RcoaPool and AuthorizedIdentity, mnd's MapIdentity and IkeTimeout).
//
//   Ike {
//       ViciSocket "/run/charon.vici";             # or unix:///run/charon.vici
//       Identity "map1.example.net";
//       Certificate "/etc/swanctl/x509/map1.pem";
//       PrivateKey "/etc/swanctl/private/map1.pem";
//       CaCertificate "/etc/swanctl/x509ca/ca.pem";  # one or more, repeatable
//       DpdDelay 30;
//   };
//
// Parsing never opens the files the block names; check_files() does, for
// `--check-config`.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/conf_reader.h"

namespace hmip::core::conf {

/// A file a configuration names, for `--check-config`'s check that it can
/// be read.
struct FileRef {
  std::string keyword;  ///< the statement naming it ("Certificate")
  Token path;           ///< the path argument: its text is the path
};

/// The keywords both Ike blocks have.
inline constexpr std::array<std::string_view, 6> kIkeCommonKw{"ViciSocket",  "Identity",      "Certificate",
                                                              "PrivateKey",  "CaCertificate", "DpdDelay"};
/// DpdDelay's range (seconds).
inline constexpr std::uint64_t kMaxDpdDelay = 3600;

/// Where an Ike block's values came from.
struct IkeSources {
  Token block;                 ///< the `Ike` keyword (line 0: no block read)
  Seen seen;                   ///< the block's keywords
  std::vector<Token> ca;       ///< parallel to ca_certificates: each path argument
  std::vector<FileRef> files;  ///< Certificate, PrivateKey, CaCertificate paths, in the file's order
};

/// The fields both IKE configurations have (map::MapIkeConfig,
/// mn::MnIkeConfig), by reference: what read_ike_common() writes.
struct IkeCommonFields {
  std::string& vici_socket;
  std::string& identity;
  std::string& certificate;
  std::string& private_key;
  std::vector<std::string>& ca_certificates;
  std::uint32_t& dpd_delay_s;
};

template <class IkeConfig>
IkeCommonFields ike_fields(IkeConfig& c) {
  return IkeCommonFields{c.vici_socket, c.identity,        c.certificate,
                         c.private_key, c.ca_certificates, c.dpd_delay_s};
}

/// How messages name the daemon's side and give examples.
struct IkeWording {
  std::string_view node;      ///< "the MAP"
  std::string_view identity;  ///< an example identity: "map1.example.net"
  std::string_view file;      ///< the example files' stem: "map1"
  std::string_view peers;     ///< whose certificates the CAs certify: "mobile nodes"
};

/// The `Ike` statement `s` itself: errors for arguments, for no block and
/// for a second Ike block (then false: skip its statements). Notes the
/// block in `src` (`src.block`).
bool open_ike_block(StatementReader& r, const Statement& s, IkeSources& src);

/// Reads `s` if its keyword is one of kIkeCommonKw (returns true), else
/// returns false. Single-valued statements given twice warn (the later
/// wins); a CaCertificate path listed twice warns.
bool read_ike_common(StatementReader& r, const Statement& s, const IkeCommonFields& f, IkeSources& src,
                     const IkeWording& w);

/// The keywords of an Ike block and how one not valid there is reported
/// (report_unknown()'s arguments).
struct IkeBlockKeywords {
  const KeywordContext& here;                  ///< the Ike block: its name and keywords
  std::span<const KeywordContext> contexts;    ///< every context of the file
  std::span<const std::string_view> foreign;   ///< the other daemon's keywords
  std::string_view foreign_file;               ///< the other daemon's file ("mnd.conf(5)")
};

/// The statements of the Ike block `s`, in order: a keyword not valid there
/// is reported (report_unknown), a { ... } block after one too; the
/// statements both daemons have are read into `f` (read_ike_common); the
/// daemon's own are handed to `own`.
void read_ike_statements(StatementReader& r, const Statement& s, const IkeCommonFields& f, IkeSources& src,
                         const IkeWording& w, const IkeBlockKeywords& kw,
                         const std::function<void(const Statement&)>& own);

/// The Ike block `s` of mapd.conf or mnd.conf read into `ike` (a
/// map::MapIkeConfig or mn::MnIkeConfig): open_ike_block(), then `ike`
/// marked configured at the block's line and its statements read
/// (read_ike_statements).
template <class IkeConfig>
void read_ike_block(StatementReader& r, const Statement& s, IkeConfig& ike, IkeSources& src, const IkeWording& w,
                    const IkeBlockKeywords& kw, const std::function<void(const Statement&)>& own) {
  if (!open_ike_block(r, s, src)) return;
  ike.configured = true;
  ike.line = s.line();
  read_ike_statements(r, s, ike_fields(ike), src, w, kw, own);
}

/// Reads `s`, a single-valued file statement (mapd's EapSecrets, mnd's
/// EapSecret) into `out`; the path joins `src.files` for check_files().
void read_ike_file(StatementReader& r, const Statement& s, std::string& out, IkeSources& src,
                   std::string_view example);

/// Which credentials an Ike block needs besides Identity.
struct IkeRequired {
  bool own_certificate = true;  ///< Certificate and PrivateKey (not for an MN using EAP)
  bool peer_ca = true;          ///< CaCertificate (not for a MAP authenticating MNs by EAP)
};

/// Errors at the `Ike` keyword for each of Identity, Certificate,
/// PrivateKey and CaCertificate the block does not set (as `need` says).
void check_ike_required(const IkeSources& src, Diagnostics& d, const IkeWording& w, IkeRequired need = {});

/// The statements read_ike_common() reads, as configuration text indented
/// by 4 (the empty ones left out).
std::string ike_common_text(std::string_view vici_socket, std::string_view identity, std::string_view certificate,
                            std::string_view private_key, std::span<const std::string> ca_certificates,
                            std::uint32_t dpd_delay_s);

/// Appends an error (at the path's token) for each file of `files` that
/// cannot be opened, is a directory or is empty: what `--check-config`
/// adds to a parse.
void check_files(std::span<const FileRef> files, std::vector<ConfigError>& errors);

}  // namespace hmip::core::conf
