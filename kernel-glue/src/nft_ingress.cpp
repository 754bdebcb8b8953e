#include "hmip/kglue/nft_ingress.h"

#include <nftables/libnftables.h>

#include <cerrno>
#include <charconv>
#include <system_error>

namespace hmip::kglue {
namespace {

wire::Error nft_error(std::string_view rule) { return wire::Error{wire::Errc::invalid_field, 0, rule}; }

std::optional<std::uint64_t> number_after(std::string_view s, std::string_view word) {
  const auto at = s.find(word);
  if (at == std::string_view::npos) return std::nullopt;
  s.remove_prefix(at + word.size());
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end == s.data()) return std::nullopt;
  return v;
}

}  // namespace

std::string nft_ingress_script(const Tags& tags) {
  const std::string t = "inet " + tags.nft_table;
  std::string s;
  s += "add table " + t + "\n";
  s += "flush table " + t + "\n";
  s += "add chain " + t + " " + std::string(kIngressChain) +
       " { type filter hook prerouting priority filter; policy accept; }\n";
  const std::string rule = "add rule " + t + " " + std::string(kIngressChain) + " iifname \"" + tags.link_prefix + "*\" ";
  s += "add set " + t + " " + std::string(kMcoaPathSet) + " { type ipv6_addr . ifname; }\n";
  s += rule + "ip6 saddr fe80::/10 counter drop\n";
  // Multiple CoA: the fib lookup below is not restricted to the input
  // device for global addresses (nft_fib6: only link-local and VRF
  // lookups are), so it yields the RCoA's best route, the top-ranked
  // binding's tunnel: the others' (RCoA, tunnel) pairs pass here
  // (nft_ingress.h). No counter: counter() sums the drop rules'.
  s += rule + "ip6 saddr . iifname @" + std::string(kMcoaPathSet) + " accept\n";
  s += rule + "fib saddr . iif oif 0 counter drop\n";
  return s;
}

std::string nft_paths_script(const Tags& tags, const std::vector<NftPath>& add, const std::vector<NftPath>& del) {
  auto elements = [](const std::vector<NftPath>& v) {
    std::string e;
    for (const NftPath& p : v) e += (e.empty() ? "" : ", ") + p.addr.str() + " . \"" + p.ifname + "\"";
    return e;
  };
  const std::string set = "inet " + tags.nft_table + " " + std::string(kMcoaPathSet);
  std::string s;
  if (!add.empty()) s += "add element " + set + " { " + elements(add) + " }\n";
  if (!del.empty()) s += "delete element " + set + " { " + elements(del) + " }\n";
  return s;
}

std::optional<NftCounter> parse_nft_counter(std::string_view listing) {
  std::optional<NftCounter> sum;
  for (auto at = listing.find("counter packets "); at != std::string_view::npos;
       at = listing.find("counter packets ")) {
    listing.remove_prefix(at);
    auto packets = number_after(listing, "counter packets ");
    auto bytes = number_after(listing, " bytes ");
    if (!packets || !bytes) return std::nullopt;
    if (!sum) sum = NftCounter{};
    sum->packets += *packets;
    sum->bytes += *bytes;
    listing.remove_prefix(1);
  }
  return sum;
}

NftIngress::NftIngress(Tags tags) : tags_(std::move(tags)), ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (ctx_ == nullptr) throw std::system_error(ENOMEM, std::generic_category(), "nft_ctx_new");
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
}

NftIngress::~NftIngress() {
  if (installed_) (void)remove();
  nft_ctx_free(ctx_);
}

int NftIngress::run(const std::string& cmd) {
  const int rc = nft_run_cmd_from_buffer(ctx_, cmd.c_str());
  const char* out = nft_ctx_get_output_buffer(ctx_);
  const char* err = nft_ctx_get_error_buffer(ctx_);
  out_ = out != nullptr ? out : "";
  if (rc != 0) last_error_ = "nft: " + std::string(err != nullptr ? err : "") + " (running: " + cmd + ")";
  return rc;
}

wire::Status NftIngress::install() {
  if (tags_.nft_table.empty()) return nft_error("nftables ingress check: no table name in the tags");
  if (run(nft_ingress_script(tags_)) != 0) {
    return nft_error("nftables refused the ingress check table (fib expression or table name)");
  }
  installed_ = true;
  return wire::Ok{};
}

wire::Status NftIngress::remove() {
  if (!installed_) return wire::Ok{};
  installed_ = false;
  return remove_any();
}

bool NftIngress::exists() { return run("list table inet " + tags_.nft_table) == 0; }

wire::Status NftIngress::remove_any() {
  if (!exists()) return wire::Ok{};
  if (run("delete table inet " + tags_.nft_table) != 0) return nft_error("nftables refused deleting the table");
  return wire::Ok{};
}

wire::Status NftIngress::update_paths(const std::vector<NftPath>& add, const std::vector<NftPath>& del) {
  if (add.empty() && del.empty()) return wire::Ok{};
  if (!installed_) return nft_error("nftables ingress check is not installed");
  if (run(nft_paths_script(tags_, add, del)) != 0) {
    return nft_error("nftables refused updating the Multiple CoA path set");
  }
  return wire::Ok{};
}

wire::Result<NftCounter> NftIngress::counter() {
  if (run("list chain inet " + tags_.nft_table + " " + std::string(kIngressChain)) != 0) {
    return nft_error("nftables ingress check table is not there");
  }
  auto c = parse_nft_counter(out_);
  if (!c) {
    last_error_ = "nft: no counter in: " + out_;
    return nft_error("nftables ingress check chain has no counter");
  }
  return *c;
}

}  // namespace hmip::kglue
