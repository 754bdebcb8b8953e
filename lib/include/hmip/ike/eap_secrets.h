// EAP secrets for IKEv2 with EAP-MD5 (RFC 5380 §12.1: EAP inside IKEv2, an
// option the MAP may offer): the files mapd's EapSecrets and mnd's
// EapSecret name, and the `load-shared` requests that hand them to charon.
// Pure: the daemons read the files.
//
// mapd's file, one mobile node per line ('#' starts a comment):
//
//     mn1@mn.example.net  s3cret-of-mn1
//     mn2@mn.example.net  "a secret with spaces"
//
// mnd's file holds its own secret only: its one line that is not a comment
// (a line starting with '#'; a '#' inside the secret is part of it),
// surrounding white space dropped, or quoted as above.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "hmip/vici/message.h"

namespace hmip::ike {

/// The EAP method hmip asks charon for: the one password method Debian's
/// libcharon-extra-plugins ships (eap-md5). Inside IKEv2 it runs under the
/// IKE SA's encryption, after the MAP proved itself with its certificate.
inline constexpr std::string_view kEapMethod = "eap-md5";

struct EapSecret {
  std::string identity;
  std::string secret;
  friend bool operator==(const EapSecret&, const EapSecret&) = default;
};

/// Why a secrets file was refused: its line (1-based) and what is wrong.
struct EapSecretsError {
  int line = 0;
  std::string message;
};

/// mapd's secrets file: identities must be unique and secrets non-empty.
std::variant<std::vector<EapSecret>, EapSecretsError> parse_eap_secrets(std::string_view text);
/// mnd's secret file: the one secret it holds.
std::variant<std::string, EapSecretsError> parse_eap_secret(std::string_view text);

/// `load-shared` for `s` (type EAP, owned by its identity), under the id
/// `id` (for unload-shared).
vici::Section eap_shared(std::string_view id, const EapSecret& s);

}  // namespace hmip::ike
