#include "config_keywords.h"

#include <algorithm>
#include <vector>

namespace hmip::ar::detail {

namespace {

constexpr std::array<std::string_view, 3> kGlobalKw{"interface", "ControlSocket", "LogLevel"};
constexpr std::array<std::string_view, 24> kInterfaceKw{
    // Whether and when to advertise.
    "AdvSendAdvert", "MinRtrAdvInterval", "MaxRtrAdvInterval", "MinDelayBetweenRAs", "MaxRADelay",
    // The RA header and the options of its own.
    "AdvManagedFlag", "AdvOtherConfigFlag", "AdvLinkMTU", "AdvReachableTime", "AdvRetransTimer", "AdvCurHopLimit",
    "AdvDefaultLifetime", "AdvDefaultPreference", "AdvSourceLLAddress", "AdvIntervalOpt", "AdvRASolicitedUnicast",
    // Dynamic MAP discovery.
    "MapListen", "MapUpstream", "MapRelay",
    // Blocks.
    "prefix", "route", "RDNSS", "DNSSL", "map"};
constexpr std::array<std::string_view, 5> kPrefixKw{"AdvOnLink", "AdvAutonomous", "AdvRouterAddr", "AdvValidLifetime",
                                                    "AdvPreferredLifetime"};
constexpr std::array<std::string_view, 2> kRouteKw{"AdvRoutePreference", "AdvRouteLifetime"};
constexpr std::array<std::string_view, 1> kRdnssKw{"AdvRDNSSLifetime"};
constexpr std::array<std::string_view, 1> kDnsslKw{"AdvDNSSLLifetime"};
constexpr std::array<std::string_view, 12> kMapKw{"Dist",          "Pref",          "RFlag",
                                                  "ValidLifetime", "Probe",         "ProbeInterval",
                                                  "ProbeRetryInterval", "ProbeFailAfter", "ProbeTimeout",
                                                  "ProbeRestoreAfter", "ProbeFailMisses", "ProbeRestoreHoldDown"};
constexpr std::array<std::string_view, 24> kRadvdOnly{
    "IgnoreIfMissing",     "AdvHomeAgentFlag",     "AdvHomeAgentInfo",    "HomeAgentLifetime",
    "HomeAgentPreference", "AdvMobRtrSupportFlag", "UnicastOnly",         "UnrestrictedUnicast",
    "AdvRASrcAddress",     "clients",              "abro",                "nat64prefix",
    "lowpanco",            "AdvCaptivePortalAPI",  "DeprecatePrefix",     "DecrementLifetimes",
    "Base6Interface",      "Base6to4Interface",    "RemoveRoute",         "RemoveAdvOnExit",
    "FlushRDNSS",          "FlushDNSSL",           "AdvRDNSSPreference",  "AdvRDNSSOpen"};

}  // namespace

std::span<const std::string_view> keywords_of(Ctx c) {
  switch (c) {
    case Ctx::global: return kGlobalKw;
    case Ctx::interface: return kInterfaceKw;
    case Ctx::prefix: return kPrefixKw;
    case Ctx::route: return kRouteKw;
    case Ctx::rdnss: return kRdnssKw;
    case Ctx::dnssl: return kDnsslKw;
    case Ctx::map: return kMapKw;
  }
  return {};
}

std::string_view ctx_name(Ctx c) {
  switch (c) {
    case Ctx::global: return "the top level";
    case Ctx::interface: return "an interface block";
    case Ctx::prefix: return "a prefix block";
    case Ctx::route: return "a route block";
    case Ctx::rdnss: return "an RDNSS block";
    case Ctx::dnssl: return "a DNSSL block";
    case Ctx::map: return "a map block";
  }
  return "";
}

std::span<const std::string_view> radvd_only_keywords() { return kRadvdOnly; }

std::span<const std::string_view> all_keywords() {
  static const std::vector<std::string_view> all = [] {
    std::vector<std::string_view> v;
    for (const Ctx c : kAllCtx)
      for (const auto k : keywords_of(c)) v.push_back(k);
    v.insert(v.end(), kRadvdOnly.begin(), kRadvdOnly.end());
    return v;
  }();
  return all;
}

bool contains(std::span<const std::string_view> set, std::string_view w) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

}  // namespace hmip::ar::detail
