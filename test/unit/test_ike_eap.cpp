// EAP inside IKEv2 (RFC 5380 §12.1): the secrets files mapd's EapSecrets
// and mnd's EapSecret name, their load-shared requests, and the connections
// built for EAP. test/topo/hmip/test_security.py runs them against charon.
#include <catch2/catch.hpp>

#include "hmip/ike/charon_conn.h"
#include "hmip/ike/eap_secrets.h"

using namespace hmip;
using ike::EapSecret;
using ike::EapSecretsError;
using vici::List;
using vici::Section;

namespace {

const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:1:11::10");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::100");

EapSecretsError secrets_error(std::string_view text) {
  auto r = ike::parse_eap_secrets(text);
  REQUIRE(std::holds_alternative<EapSecretsError>(r));
  return std::get<EapSecretsError>(r);
}

EapSecretsError secret_error(std::string_view text) {
  auto r = ike::parse_eap_secret(text);
  REQUIRE(std::holds_alternative<EapSecretsError>(r));
  return std::get<EapSecretsError>(r);
}

}  // namespace

TEST_CASE("EAP secrets file of the MAP: identity and secret per line", "[ike][eap]") {
  const auto r = ike::parse_eap_secrets(
      "# mobile nodes\n"
      "mn1@mn.example.net  s3cret   # trailing comment\n"
      "\n"
      "\tmn2@mn.example.net \"with space # and hash\"\r\n");
  REQUIRE(std::holds_alternative<std::vector<EapSecret>>(r));
  CHECK(std::get<std::vector<EapSecret>>(r) ==
        std::vector<EapSecret>{{"mn1@mn.example.net", "s3cret"}, {"mn2@mn.example.net", "with space # and hash"}});

  auto e = secrets_error("a x\nb y\na z\n");
  CHECK(e.line == 3);
  CHECK(e.message == "a already has a secret on line 1");
  e = secrets_error("a-secret-without-identity\n");
  CHECK(e.line == 1);
  CHECK(e.message == "one word only: expected 'IDENTITY SECRET'");  // the secret is not repeated
  e = secrets_error("a b c\n");
  CHECK(e.message.find("expected 'IDENTITY SECRET'") == 0);
  e = secrets_error("a \"open\n");
  CHECK(e.message == "unterminated '\"'");
  e = secrets_error("\"\" x\n");
  CHECK(e.message == "the identity is empty");
  e = secrets_error("a \"\"\n");
  CHECK(e.message == "one word only: expected 'IDENTITY SECRET'");
  e = secrets_error("# only comments\n\n");
  CHECK(e.line == 0);
  CHECK(e.message == "holds no 'IDENTITY SECRET' line");
  e = secrets_error(std::string_view("a b\0c\n", 6));
  CHECK(e.message == "contains a NUL byte");
}

TEST_CASE("EAP secret file of the mobile node: one secret", "[ike][eap]") {
  auto one = [](std::string_view t) {
    auto r = ike::parse_eap_secret(t);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
  };
  CHECK(one("s3cret\n") == "s3cret");
  CHECK(one("# mn1's EAP secret\n  two words  \n") == "two words");
  CHECK(one("\"  padded # not a comment \"") == "  padded # not a comment ");
  CHECK(one("  # comment\npa#ss\n") == "pa#ss");  // only whole lines are comments
  CHECK(secret_error("a\nb\n").line == 2);
  CHECK(secret_error("").message == "holds no secret");
  CHECK(secret_error("\"x\" y").message == "text after the quoted secret");
  CHECK(secret_error("\"\"").message == "the secret is empty");
}

TEST_CASE("EAP: load-shared and the connections of both sides", "[ike][eap]") {
  const auto s = ike::eap_shared("hmip-eap-1", EapSecret{"mn1@mn.example.net", "s3cret"});
  CHECK(s.str("id") == "hmip-eap-1");
  CHECK(s.str("type") == "EAP");
  CHECK(s.str("data") == "s3cret");
  CHECK(s.values("owners") == List{"mn1@mn.example.net"});
  CHECK(vici::encode_message(s));

  ike::MapIke m;
  m.map_address = kMap;
  m.local_id = "map1.example";
  m.local_certs = {"MAPCERT"};
  m.eap = true;
  const auto g = ike::map_generic_conn(m);
  const Section* remote = g.section("hmip-map")->section("remote");
  REQUIRE(remote != nullptr);
  CHECK(remote->str("auth") == "eap-md5");
  CHECK(remote->list("cacerts") == nullptr);
  CHECK(remote->value("eap_id") == nullptr);  // the EAP identity is the IKE identity
  // The MAP still proves itself with its certificate.
  CHECK(g.section("hmip-map")->section("local")->str("auth") == "pubkey");
  const auto p = ike::map_mn_conn(m, "mn1@mn.example.net", kRcoa);
  CHECK(p.section("hmip-rcoa-" + kRcoa.str())->section("remote")->str("auth") == "eap-md5");
  CHECK(p.section("hmip-rcoa-" + kRcoa.str())->section("remote")->str("id") == "mn1@mn.example.net");

  ike::MnIke n;
  n.map_address = kMap;
  n.local_id = "mn1@mn.example.net";
  n.ca_certs = {"CACERT"};
  n.eap = true;
  const auto c = ike::mn_conn(n, kLcoa, kRcoa);
  const Section* local = c.section("hmip-mn-" + kMap.str())->section("local");
  REQUIRE(local != nullptr);
  CHECK(local->str("auth") == "eap-md5");  // never a method the MAP picks, such as eap-gtc
  CHECK(local->str("id") == "mn1@mn.example.net");
  CHECK(local->list("certs") == nullptr);
  CHECK(c.section("hmip-mn-" + kMap.str())->section("remote")->str("auth") == "pubkey");
}
