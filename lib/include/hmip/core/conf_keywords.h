// The keywords of mapd.conf(5) and mnd.conf(5), per block. Each parser
// needs both files' keywords: its own, and the other file's, so that a
// keyword of the other daemon gets a clear error ("a keyword of
// mnd.conf(5)") and, starting a line, ends a statement whose ';' is missing.
// The lists derived here are sets: only membership counts.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace hmip::core::conf::keywords {

using Keyword = std::string_view;

inline constexpr std::array<Keyword, 27> kMapdTop{
    "MapAddress", "MaxBindingLifetime", "AdvertisedValidLifetime", "BrrLead", "BrrInterval",
    "RcoaDad", "RcoaDadTimeout", "TunnelMtu", "ControlSocket", "LogLevel",
    "RcoaPrefix", "LcoaPrefix", "NeighbourPrefix", "InsecureTestbedSignalling", "TrustedPrefix", "Ike",
    "MaxBindings", "MaxBindingsPerIdentity", "MaxBindingsPerTrustedPrefix", "MaxPendingRegistrations",
    "MaxConcurrentDad", "HomeAgent",
    // Multiple Care-of Addresses (RFC 5648; issue 15)
    "MultipleCoa", "BulkRegistration", "MaxCareOfAddresses", "McoaSelection", "FlowPolicy"};
inline constexpr std::array<Keyword, 2> kMapdRcoa{"Interface", "ValidLifetime"};
/// mapd.conf's HomeAgent block (the home agent role, issue 14) and its HomePrefix blocks.
inline constexpr std::array<Keyword, 8> kMapdHomeAgent{"Address",        "HomePrefix", "MaxBindingLifetime",
                                                    "HomeDad",        "HomeDadTimeout", "Preference",
                                                    "HomeAddress",    "ProtectTraffic"};
inline constexpr std::array<Keyword, 2> kMapdHomePrefix{"Interface", "ValidLifetime"};
/// A FlowPolicy block (Multiple CoA flow policies, issue 15): mapd.conf's
/// (downlink) and mnd.conf's (uplink) share the syntax.
inline constexpr std::array<Keyword, 7> kFlowPolicy{"Bid",  "Protocol", "SourcePort", "DestinationPort",
                                                 "Dscp", "From",     "To"};
inline constexpr std::array<Keyword, 9> kMapdIke{"ViciSocket",    "Identity",           "Certificate", "PrivateKey",
                                              "CaCertificate", "AuthorizedIdentity", "RcoaPool",    "DpdDelay",
                                              "EapSecrets"};

inline constexpr std::array<Keyword, 17> kMndTop{"Interface",
                                              "MapSelection",
                                              "BindingLifetime",
                                              "PreviousMapLifetime",
                                              "RefreshPercent",
                                              "InitialBindackTimeoutFirstReg",
                                              "InitialBindackTimeout",
                                              "MaxBindackTimeout",
                                              "SolicitOnLinkChange",
                                              "DeregisterOnStop",
                                              "ControlSocket",
                                              "LogLevel",
                                              "InsecureTestbedSignalling",
                                              "Ike",
                                              "Home",
                                              "MultipleCoa",
                                              "FlowPolicy"};
/// mnd.conf's Interface block (issue 15, Multiple CoA): the interface's BID
/// and BID-PRI.
inline constexpr std::array<Keyword, 2> kMndInterface{"Bid", "Priority"};
inline constexpr std::array<Keyword, 9> kMndIke{"ViciSocket",    "Identity",    "Certificate", "PrivateKey",
                                             "CaCertificate", "MapIdentity", "DpdDelay",    "IkeTimeout",
                                             "EapSecret"};
/// mnd.conf's Home block (issue 14). BindingLifetime is also a top-level
/// keyword: inside this block it is not a sign of a missing '}'.
inline constexpr std::array<Keyword, 6> kMndHome{"Address", "HomeAgent",         "BindingLifetime",
                                              "Hmipv6",  "HomeAgentIdentity", "ProtectTraffic"};

/// The lists one after another.
template <std::size_t... N>
consteval auto join(const std::array<Keyword, N>&... lists) {
  std::array<Keyword, (N + ...)> out{};
  auto at = out.begin();
  ((at = std::copy(lists.begin(), lists.end(), at)), ...);
  return out;
}

/// How many entries of `from` are not in `minus`.
template <std::size_t N, std::size_t M>
consteval std::size_t count_without(const std::array<Keyword, N>& from, const std::array<Keyword, M>& minus) {
  return static_cast<std::size_t>(std::count_if(from.begin(), from.end(), [&](Keyword k) {
    return std::find(minus.begin(), minus.end(), k) == minus.end();
  }));
}

/// The entries of `From` that are not in `Minus`, in order.
template <const auto& From, const auto& Minus>
consteval auto without() {
  std::array<Keyword, count_without(From, Minus)> out{};
  std::copy_if(From.begin(), From.end(), out.begin(),
               [](Keyword k) { return std::find(Minus.begin(), Minus.end(), k) == Minus.end(); });
  return out;
}

inline constexpr auto kMapdAll = join(kMapdTop, kMapdRcoa, kMapdIke, kMapdHomeAgent, kMapdHomePrefix, kFlowPolicy);
inline constexpr auto kMndAll = join(kMndTop, kMndIke, kMndHome, kMndInterface, kFlowPolicy);
/// Both files' keywords (read_statements' statement-end heuristic).
inline constexpr auto kBoth = join(kMapdAll, kMndAll);
/// mnd.conf's keywords that mapd.conf does not have, and the other way round.
inline constexpr auto kMndOnly = without<kMndAll, kMapdAll>();
inline constexpr auto kMapdOnly = without<kMapdAll, kMndAll>();
/// The top-level keywords of both files.
inline constexpr auto kBothTop = join(kMndTop, kMapdTop);
/// What ends an mnd.conf block whose '}' is missing: the top-level keywords
/// of both files except those its blocks also have.
inline constexpr auto kMndBlockEnders = without<kBothTop, kMndHome>();

}  // namespace hmip::core::conf::keywords
