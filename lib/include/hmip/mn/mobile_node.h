// mnd's sans-IO core: an HMIPv6-aware mobile node in local mobility mode
// (RFC 5380 §6.1, §7.1, §8, §9, §11; RFC 6275 §11.7-§11.8 for the Binding
// Update list and retransmission; RFC 6059's idea of recognising a return to
// a known link) and, with a Home block, an RFC 6275 mobile node registering
// its RCoA (or, in plain Mobile IPv6 mode, its LCoA) with its home agent.
//
// Events and the current time go in (handle_*), actions come out
// (poll_action(), hmip/mn/mn_types.h); no sockets, netlink, clocks or
// threads. The I/O side:
//   * feeds every link netlink reports (handle_link, handle_link_removed),
//     RAs received on the watched interfaces (decoded, hop limit 255
//     checked), Mobility Headers received (BA with the type 2 routing
//     header's address, BRR, BE), reloads and the stop;
//   * runs one OS timer set to poll_timeout() and calls handle_timeout();
//   * drains poll_action() after every call, in order: SendRs, SendBu (from
//     the RCoA; the binding's hao state puts the LCoA in the source; then
//     handle_bu_sent() with the time it left),
//     InstallBinding / RemoveBinding (kernel-glue's install_mn_binding /
//     remove_mn_binding), InstallHomeBinding / RemoveHomeBinding
//     (install_mn_home_binding / remove_mn_home_binding), SendDhaadRequest
//     (ICMPv6 144; the reply goes to handle_dhaad_reply), LogEvent;
//   * after handle_stop(), keeps going until finished() (at most one
//     deregistration round trip, initial_bindack_timeout).
//
// Behaviour, in short (the .cpp files cite the sections):
//   * MAP options are stored per interface with the RA's source and expiry;
//     an RA of a router replaces what that router advertised before (an
//     option it no longer carries is gone, §9 "no longer receives"); Valid
//     Lifetime 0 means the MAP failed: its bindings are removed at once
//     (§7.1, §10) and another MAP is chosen. A Valid Lifetime 0 counts only
//     from a router that advertised that MAP on that interface (link-local
//     source and interface): anyone else's is ignored and counted, so a
//     host on the link cannot make the MN drop its bindings.
//   * What RAs teach is capped per interface (routers, prefixes, MAPs:
//     kMax*PerInterface in mn_types.h); the excess is counted, not learned.
//   * An RA from a new router with only new prefixes, on a link that stayed
//     up, is taken as a move too (the link switched under the carrier).
//   * On a link coming up or changing, what was learned on it is dropped
//     (kept aside to recognise a return, RFC 6059) and an RS is sent at once
//     (then up to kMaxRtrSolicitations at kRtrSolicitationInterval until an
//     RA arrives); the first RA is acted on at once.
//   * The LCoA is a global address on the interface inside a prefix that a
//     router heard since the last link change advertises, not DAD-failed,
//     not tentative unless optimistic; a non-deprecated one preferred.
//   * Selection: hmip/mn/map_selection.h. A current MAP advertised with Pref
//     0 is kept (refresh only) when no other MAP is selectable.
//   * New binding: InstallBinding (not primary) so the RCoA exists, then a
//     BU (A, M; lifetime min(BindingLifetime, the MAP option's remaining
//     lifetime, the LCoA prefix's remaining valid lifetime), rounded down to
//     4-second units, never 0 units for a registration (0 reads as a
//     deregistration at the MAP: at least one unit, 4 s, whatever the
//     configuration; 0 only in deregistrations) retransmitted per RFC 6275
//     §11.8 (initial timeout
//     InitialBindackTimeoutFirstReg, doubled up to MaxBindackTimeout, then
//     at that rate indefinitely; a new sequence number per BU). An accepted
//     BA makes it primary; its lifetime counts from when that BU was sent;
//     a refresh is sent when refresh_percent of it is left.
//   * Intra-MAP move: InstallBinding with the new LCoA and one BU; RCoA kept.
//   * Inter-MAP move (eager, §9): a new binding at the new MAP, and the
//     previous binding becomes `previous`: not primary, one BU with the new
//     LCoA and PreviousMapLifetime (§8), never refreshed nor deregistered
//     (lazy, §9), removed when it expires.
//   * BA checks (RFC 5380 §6.1, RFC 6275 §11.7.3): a type 2 routing header
//     holding the RCoA of a binding, from that binding's MAP, with the
//     sequence number of its outstanding BU (except status 135, which
//     carries the MAP's last accepted number: we continue from it + 1).
//     134: a new random interface identifier, a new RCoA, retried (at most
//     kMaxDadRetries). Other refusals: the binding is removed and the MAP
//     held down for kRefusedMapHoldDown; another MAP is used if any.
//
// Multiple Care-of Addresses (RFC 5648 with RFC 6089's BID-PRI; mnd.conf
// MultipleCoa, on by default with 2+ Interfaces; lib/mn/mn_mcoa.cpp):
//   * One RCoA per MAP as before; one BID per interface (its Bid, default
//     its 1-based position in the file). Every interface hearing the
//     chosen MAP (lifetime > 0, R flag suiting the mode; Pref 0 is fine for
//     a member) with a usable LCoA is a member of the registration, with
//     its own kernel binding {map, rcoa, bid} (InstallBinding per BID).
//   * The signalling member: the registered member with the lowest
//     Priority (none = after every priority; the first in the file on a
//     tie), before any registration the best member. Its kernel binding
//     alone has `signalling` (the `from RCoA` rule, the hao state: every BU
//     leaves from its LCoA, with an Alternate CoA = that LCoA in secure
//     mode) and, once a BID is registered, `primary`. A change installs the
//     new one first, then the old one without (make-before-break); secure
//     mode re-establishes the IKE SA from the new LCoA (SecureMap with the
//     RCoA, as after an intra-MAP move; the RCoA's CHILD_SA protects BUs
//     whatever LCoA they leave from). The home binding nests in the
//     signalling member's binding (HomeSettings::via names its BID): it
//     is re-installed with the new signalling member's key BEFORE the old
//     key's kernel binding goes (loss, refusal, a binding taken back).
//   * BUs: the sequence number is the RCoA's (all BIDs share it), one BU
//     outstanding per binding. A registration BU carries the BID option
//     (BID-PRI = Priority) of every member needing it (new, moved, refresh,
//     expired: bulk when several), each with its LCoA in the CoA field
//     except a single-BID BU's own care-of address. A deregistration BU
//     (lifetime 0) carries the BIDs of lost members and no CoA field; it is
//     never combined with registrations, and supersedes an outstanding
//     registration BU (whose BIDs go again after its BA). Retransmission,
//     135 and refresh as for a lone binding; a refresh is one bulk BU of
//     every registered BID, due when refresh_percent of the earliest BID's
//     lifetime is left; a BID whose lifetime ran out is registered again.
//   * A member lost (carrier, or the MAP no longer heard there; up, no RA yet or no LCoA yet: waits as is)
//     while another remains: the signalling moves first (make-before-break),
//     then a lifetime-0 BU for its BID leaves (if the MAP had or was being
//     asked for it: the downlink waits for the MAP, so this goes before
//     anything else), then its kernel binding goes (after the home binding
//     was re-pointed). The last member is never dropped this way
//     (a lone binding waits for its link as before): "another remains"
//     means a member that stays or an interface that can join (its BID
//     not refused). An interface back with
//     an LCoA joins again (a BU with its BID and CoA field).
//   * A member's intra-MAP move (new LCoA, same MAP): its kernel binding
//     with the new LCoA, then a BU for its BID. It stays `registered` (the
//     MAP holds the BID at the old LCoA until the BA) and so keeps its rank:
//     the signalling member keeps the signalling (its BU leaves from the new
//     LCoA, one SecureMap from it in secure mode), never handed to another
//     member and back.
//   * BAs (same checks as for a lone binding): BID options present: the
//     BA's status applies to every BID unless it is 4 (each BID option's
//     own status); < 128 (not 4) accepts the BID for the BA's lifetime from
//     when the BU left; a refused BID's kernel binding goes and it is not
//     registered again for kRefusedMapHoldDown (its end is a deadline of
//     poll_timeout: it joins then, nothing else needed); every BID refused is a
//     refusal of the binding (hold-down, as now). 134 and other whole
//     refusals as for a lone binding. The BA to a deregistration (lifetime
//     0): any status but 164, 166 (fallback) and 168 (one BID per BU) means
//     its BIDs are gone at the MAP (133: it never knew them): they leave
//     `leaving`, never a refusal of the binding. Fallbacks (RFC 5648 §5.x, §6): a BA
//     without BID option (accepted, not 4: the MAP registered a regular
//     binding; status 4 without BID option is malformed: ignored and
//     counted, the BU retransmitted with backoff),
//     164, 166 or a Binding Error from the MAP while a BU with BID options
//     is outstanding: the MAP is remembered as not doing Multiple CoA for
//     kMcoaFallbackHoldDown (10 min; a reload clears it too). A Binding
//     Error counts only with status 2 (unrecognized MH type) and home
//     address == the RCoA, and never in secure mode (a BE is not protected:
//     anyone could forge it, as for home_be_ignored), the other members' kernel bindings go and the signalling
//     member's stays as a regular binding (its kernel key keeps its BID: a
//     name on this side only), a regular BU at once (not after an accepted
//     BA). 168: one BID per BU from then on (the next after each BA;
//     deregistrations too; 168 to a single-BID deregistration: gone). 167:
//     every BID option carries its CoA from then on (167 again: refused).
//     165: a lifetime-0 BU without BID option clears the MAP's regular
//     binding, then every member is registered again; a third 165 in a
//     row falls back (a BA accepting a BID starts the count again).
//   * Back at a MAP during its fallback hold-down (the regular binding is
//     `previous` there, under its kernel key {map, rcoa, bid}): the BUL
//     entry of that MAP and RCoA is taken back whatever its BID (key kept),
//     and registers as a regular binding; never a second entry for the
//     RCoA. After the hold-down a return makes a Multiple CoA binding anew.
//   * Reload: every member takes its BID, Priority, position and flows from
//     the new configuration (mcoa_reconfigure). A BID that changed is
//     registered under the new number first (a bulk BU with CoA fields;
//     kernel: the old keys go, then the new ones are installed, the
//     signalling member's make-before-break with the home binding
//     re-pointed) and the old number, if no member has it now, is
//     deregistered after that BA (`retired`, then `leaving`: RFC 5648 lets
//     a BU for a BID replace its binding, so the MAP always has a binding
//     for each care-of address and a BID taken over needs no
//     deregistration). Until its BA a renumbered member ranks as registered
//     for the signalling choice. A registration BU outstanding with the old
//     numbering is superseded. So no BU carries a BID twice (send_mcoa_bu
//     also drops a repeated one). A new Priority goes out in a BU (BID-PRI)
//     and may move the signalling; the refused BIDs are tried again, as the
//     MAPs that refused Multiple CoA are. Members of interfaces no longer
//     configured leave as lost ones do. MultipleCoa off now (or auto with
//     one Interface): collapsed to the signalling member at once and a
//     regular BU sent, which the MAP puts in place of the BIDs make-before-
//     break. The other way (MultipleCoa on now, a regular binding running)
//     waits for the next new registration (another MAP, a restart): RFC
//     5648 lets a BU with BIDs in only after the regular binding is
//     deregistered (165), and the MAP's DAD of the address anew would be an
//     outage of the RCoA. The same holds when a fallback hold-down ends.
//   * An inter-MAP move, MAP failure, hold-down, stop: the binding is
//     collapsed to its signalling member first (the others' kernel bindings
//     go); the previous MAP's BU and the stop's deregistration carry no BID
//     option, which removes every BID of the address at the MAP.
//   * FlowPolicy blocks: the selectors go with the BID's kernel binding
//     (BindingSettings::flows), installed while that BID is a member.
//   * Not done: simultaneous home and foreign bindings (the H flag is
//     never set), bulk registration across MAPs, Multiple CoA towards the
//     home agent in HMIPv6 mode (the RCoA is the one home care-of address:
//     the MAP's BIDs give the multihoming there) and in secure mode (below).
//
// Multiple CoA towards the home agent (plain mode: Hmipv6 off, or no MAP
// binding; lib/mn/mn_home_mcoa.cpp; the same MultipleCoa rule and
// Interface Bid/Priority as for MAPs):
//   * Every interface with a usable LCoA is a member of the home
//     registration under its BID. The primary member (registered first,
//     then the lowest Priority, then configuration order) is the home
//     binding's `coa`: its tunnel carries the uplink and the home BUs (hao
//     state); every other member is listed in HomeSettings::more_coas and
//     gets a receive-only home tunnel (kglue MnHomeCoa), so the downlink
//     arrives through whichever BID the HA ranks first. A new member's
//     tunnel is installed before the BU that registers it.
//   * Home BUs: H, A (L as before), the home address's sequence number
//     (one BU outstanding); a registration carries the BID option (BID-PRI
//     = Priority) of every member needing it, bulk when several (the CoA
//     field on each; a single BID whose CoA is the BU's own: none), a
//     deregistration (lifetime 0) the BIDs of lost members without CoA
//     field; never both in one BU; a deregistration supersedes an
//     outstanding registration (its BIDs go again after). Lifetime:
//     BindingLifetime, at most each registered LCoA's valid lifetime.
//     Retransmission, 135, BRR and refresh (one bulk BU of every BID, due
//     at refresh_percent of the earliest BID's lifetime) as for one CoA.
//   * A member lost (its interface down or without LCoA; up and waiting
//     for its first RA: kept as is) while another remains: the primary
//     moves first when it was the lost one (the BU must leave from a
//     remaining CoA: the lost primary's tunnel is the one that moves), then
//     the lifetime-0 BU for its BID goes out, THEN its receive tunnel goes
//     (an InstallHomeBinding without it; never a RemoveHomeBinding). The
//     last member is never dropped this way (it waits for its link, as one
//     CoA does). An interface back with an LCoA joins (a BU for its BID).
//   * BAs (the checks of a home BA): BID options present: the BA's status
//     applies to every BID unless it is 4 (each option's own status);
//     accepted BIDs for the granted lifetime from when the BU left; a
//     refused BID's tunnel goes and it is not asked again for
//     kRefusedMapHoldDown; every BID refused, or a whole refusal, is a
//     refusal of the home registration (as for one CoA). Status 4 without
//     BID options: malformed, ignored and counted (mcoa_ba_malformed), the
//     BU retransmitted. The BA to a deregistration: anything but 164, 166
//     and 168 to a bulk one means its BIDs are gone at the HA. No answer
//     to a deregistration of BIDs by MaxBindackTimeout: given up, the BIDs
//     leave `leaving` (their entries lapse at the HA) and the others'
//     registrations and refreshes go on. A refused BID's hold-down expiry
//     is a deadline (it joins again with no other event); every usable BID
//     refused: one CoA (a regular BU) until the first hold-down is over,
//     then the BIDs again (165 clears that regular binding). The hold-down
//     of an HA that refused Multiple CoA is a deadline too.
//   * Reload (home_mcoa_reconfigure, as mcoa_reconfigure for a MAP): every
//     member takes its BID, Priority and position from the new
//     configuration. A renumbered member is registered under its new BID
//     (it stays `registered` meanwhile: the HA holds its CoA); its old BID,
//     if the HA holds it and no member has it now, is deregistered after
//     the registration (`retired`, then `leaving`). A new Priority goes out
//     as BID-PRI and may move the primary. A registration BU outstanding
//     with the old numbering is dropped and sent again; the refused BIDs
//     are tried again. A member of an interface no longer configured
//     leaves as a lost one (deregistration first), unless a configured
//     member has its BID now (that registration replaces it: it goes at
//     once). No two members ever share a BID (a joining interface whose
//     BID is taken waits, logged) and no BU carries a BID twice.
//   * A BA to a BU with BID options arriving after Multiple CoA ended
//     (collapse): ignored, a regular BU sent (never read as "every BID
//     refused", which would remove the one-CoA home binding).
//   * Fallback to one CoA for kMcoaFallbackHoldDown (a reload clears it):
//     an accepted BA without BID options (the HA registered a regular
//     binding of the primary's CoA: kept as such), 164, 166, a Binding
//     Error 2 naming the home address while a BU with BID options is
//     outstanding (insecure mode only: secure mode never uses BIDs). The
//     extra tunnels go; a regular BU goes at once (except after the BA
//     without BID options). 168: one BID per BU from then on; 167: every
//     BID option carries its CoA (167 again: a refusal). 165, or starting
//     BIDs while the HA holds our regular binding (one CoA before, HMIPv6
//     mode before, the fallback's hold-down over): a lifetime-0 BU without
//     BID option clears it (RFC 5648 has no other way; the home address
//     is unreachable for that round trip and the HA's DAD), then every BID
//     is registered; a third 165 falls back.
//   * HMIPv6 mode, at home, MultipleCoa off after a reload: the extra
//     tunnels go and one CoA is registered (a BU without BID option
//     replaces every BID at the HA; at home the deregistration removes
//     them all). The stop's deregistration carries no BID option either.
//   * Secure mode (RFC 4877): not used, one CoA (logged once). The home BU
//     itself would be protected whatever CoA it names (the home address
//     <-> HA ESP SAs do not depend on it), but the IKE SA runs from one
//     care-of address and ProtectTraffic's payload SA is per care-of
//     address: the other BIDs' tunnels would carry traffic the HA's and
//     the node's policies drop. Supporting it needs a payload SA per BID.
//
// Home registration (the Home block; lib/mn/mn_home.cpp):
//   * Secure mode (the default; RFC 4877, lib/mn/mn_home_security.cpp):
//     never a home BU before the first protection with the HA is up. It is
//     asked for (SecureHome, IkeTimeout) from the care-of address to
//     register: the RCoA once the MAP accepted it, the LCoA in plain mode;
//     at home, when no protection is left to send the deregistration with,
//     from the home address (after the home address is on the home link).
//     A protection that cannot be set up (IkeTimeout, refused) is released
//     (ReleaseHome) and the registration held down kIkeFailureHoldDown (with
//     HomeAgent discover: the next HA listed); a lost one is released and
//     set up again at once, the home binding and its kernel state kept, the
//     home BUs waiting (the registration is refreshed once it is back).
//     After a move that changes the care-of address (a new RCoA, a new LCoA
//     in plain mode) the home BU goes AT ONCE, protected by the existing
//     ESP SAs (home address <-> HA: they do not depend on the care-of
//     address), and then the IKE SA is re-established from the new care-of
//     address (SecureHome again, make-before-break); an intra-MAP move
//     changes nothing. Home BUs carry the care-of address in an Alternate
//     Care-of Address option (ESP covers it, not the HAO or the source:
//     RFC 6275 §11.7.1, RFC 4877 §4). Once a deregistration is answered (at
//     home, on stop) the protection is released.
//   * What is registered, re-evaluated after every event: on the home link
//     (an RA on a watched, up interface advertises the Home block's prefix)
//     the home address itself; else, with Hmipv6 on and a current MAP
//     binding, its RCoA once the MAP accepted it (RFC 5380 §6.1 "SHOULD
//     wait": an unregistered current binding leaves the home binding as it
//     is); else (Hmipv6 off, or no current MAP binding: none advertised,
//     refused, held down) the LCoA (plain Mobile IPv6), the one registered
//     while it qualifies. Hmipv6 off also means no MAP binding at all.
//   * A new care-of address: InstallHomeBinding (its coa, via = the MAP
//     binding in HMIPv6 mode, ifindex/router of the LCoA in plain mode, the
//     tunnel MTU) BEFORE the home BU that needs it, then one home BU. So an
//     intra-MAP move (same RCoA) sends none; an inter-MAP move sends exactly
//     one, after the new MAP's BA; a plain-mode move one per new LCoA; the
//     switches plain <-> HMIPv6 one each. The previous MAP binding's lazy
//     expiry is untouched. A MAP binding removed (failure, refusal, expiry)
//     while the home binding nests in it takes the home binding's kernel
//     state down FIRST (RemoveHomeBinding before RemoveBinding); the home
//     registration then installs it where it can (plain mode, another MAP)
//     with one home BU.
//   * The home BU (RFC 6275 §11.7.1): H and A set, M clear, from the home
//     address to the HA, lcoa = the care-of address (the home binding's hao
//     state puts it in the source), L set when the home address has a
//     link-local address's interface identifier. Lifetime: the Home block's
//     BindingLifetime, at most what is left of the MAP's grant for the
//     RCoA's binding (RFC 5380 §6.1 MUST; recomputed for retransmissions),
//     in plain mode at most the LCoA's remaining valid lifetime; 4 s units
//     rounded down. The HA granting more than asked is taken as what was
//     asked. A MAP refresh that grants less is not chased: the next home BU
//     (refresh, BRR, move) asks for less. A home refresh due while the MAP
//     binding's own refresh is about to happen (or in flight) waits for the
//     MAP's BA (at most half the refresh window), so that it asks for the
//     new grant instead of the little left of the old one: one home refresh
//     per MAP refresh, not two.
//   * Never a home BU without the home binding installed (its kernel state
//     carries it): a BRR, a refresh or a retransmission due while none is
//     (the MAP binding it nested in went, nothing replaces it yet) sends
//     nothing. Never lifetime 0 but for a deregistration: with nothing left
//     of the MAP's grant (or the LCoA's valid lifetime) the BU waits for the
//     MAP's refresh or a new care-of address.
//   * Sequence numbers: random start, +1 per BU, 135 continues after the
//     HA's number, which must not be below the outstanding BU's (§9.5.1,
//     else ignored). 135 only resyncs: more than kMaxSequenceResyncs in a
//     row hold the registration down (no BU, BRRs ignored) but keep the
//     home binding, its kernel state and its registration (in insecure
//     mode forged 135s cannot take it down). Retransmission (§11.8):
//     InitialBindackTimeoutFirstReg while the HA holds no binding of ours
//     (it runs DAD), else InitialBindackTimeout, doubled up to
//     MaxBindackTimeout, then at that rate; with HomeAgent discover an HA
//     that never answers a first registration is replaced by the next one
//     DHAAD listed (or discovery again). Refresh at refresh_percent left.
//     Expiry unrefreshed: registered again as a first registration.
//   * A home BA counts only from the HA, with the home address in its type 2
//     routing header (or, deregistering at home, sent to the home address
//     without one), for the outstanding sequence number; the rest is
//     counted (home_ba_ignored). The home address, not the source, tells a
//     home BA from a MAP's: one mapd may be both at one address.
//   * Refusals: the HA keeps no binding for a refused BU, so the home
//     binding's kernel state goes (RemoveHomeBinding) and the registration
//     rests kHomeHoldDown, doubled per refusal in a row up to
//     kMaxHomeHoldDown, reset by an acceptance; the MAP binding (local
//     mobility) is kept. 134 (the home address is in use on the home link)
//     is logged as an error; there is nothing else to try. With HomeAgent
//     discover, 129/131/132/133 move on to the next HA listed. Lifetime 0
//     granted to a registration: held down likewise.
//   * Binding Error from the HA (§11.3.6): 1 (no binding for the home
//     address: the HA restarted) registers again at once as a first
//     registration; 2 (MH type unknown: no Mobile IPv6) holds down (discover:
//     the next HA). BRR from the HA: a home BU (§11.7.4).
//   * Return home (RFC 6275 §11.5.5): InstallHomeBinding(at_home: the home
//     address on the home link, no tunnel) first, then a home BU with
//     lifetime 0, care-of = home address, from the home address without HAO,
//     retransmitted (InitialBindackTimeout doubling) until its BA or until
//     the timeout reached MaxBindackTimeout (given up). No RemoveHomeBinding
//     afterwards: the at_home state, which replaced the away state in place,
//     IS the home address in use at home; it goes when the node leaves home
//     (InstallHomeBinding away, in place) or stops. Starting at home (mnd
//     restarted on the home link) with a known HA: the at_home state, then
//     one deregistration as on return (the HA may hold a binding from
//     before; without one it answers 133, logged as "nothing to
//     deregister"). The MAP bindings lapse at
//     home: the current one is demoted as after a move where no MAP is
//     advertised (a PreviousMapLifetime BU so in-flight packets follow),
//     none is made while at home.
//   * DHAAD (HomeAgent discover, §11.4.1): a SendDhaadRequest from the
//     care-of address (so in HMIPv6 mode after the MAP's BA) to the home
//     prefix's Home-Agents anycast address (wire::home_agents_anycast, RFC
//     2526; config validation refuses discover for a prefix over /121),
//     kInitialDhaadTimeout doubling, kDhaadRetries retransmissions with the
//     same identifier, then a hold-down and another round; a new care-of
//     address restarts it. The reply's first usable HA is used, up to
//     8 more kept in order.
//   * Tunnel MTU: the MAP tunnel's minus 40 (nested), the LCoA link's (or
//     the RA's smaller MTU option) minus 40 in plain mode, never below 1280
//     (where the link leaves less, the encapsulating packets get fragmented,
//     RFC 2473 §7); 0 when the link MTU is unknown.
//   * A failed InstallHomeBinding (handle_home_install_failed): the home
//     actions queued behind it dropped, RemoveHomeBinding first, the home
//     binding forgotten (not registered), the registration held down
//     (kHomeHoldDown doubling; at home too), then installed anew with a BU.
//   * Stop: with deregister_on_stop, the home binding first (lifetime 0, one
//     attempt, InitialBindackTimeout: it travels through the MAP binding's
//     tunnel), then, on its BA or timeout, RemoveHomeBinding and the MAP
//     deregistrations as before. (The daemon's stop grace must cover both.)
//   * Reload: the Home block's BindingLifetime applies from the next home
//     BU, Hmipv6 at once; a new Address or HomeAgent (or adding/removing the
//     block) takes effect at a restart (logged).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/core/time.h"
#include "hmip/mn/config.h"
#include "hmip/mn/map_selection.h"
#include "hmip/mn/mn_state.h"
#include "hmip/mn/mn_types.h"
#include "hmip/wire/nd.h"

namespace hmip::mn {

class MobileNode {
 public:
  /// `cfg` is assumed valid (config_parse checks it). `rng` draws the
  /// initial sequence numbers and the interface identifiers used after
  /// status 134 (seed it with a constant in tests).
  MobileNode(MndConfig cfg, core::Rng rng);

  /// A link appeared or changed (carrier, addresses, MTU, name). Links not
  /// named in the configuration are remembered (for a later reload) and
  /// otherwise ignored.
  void handle_link(TimePoint now, const LinkState& link);
  /// A link disappeared: treated as a watched interface going down.
  void handle_link_removed(TimePoint now, unsigned ifindex);
  /// A Router Advertisement received on `ifindex` from `src` (hop limit 255
  /// checked by the caller). Ignored (counted ra_ignored) on an interface
  /// not watched or down, or from a source that is not link-local (RFC 4861
  /// §6.1.2). Malformed options were already set apart by the decoder.
  void handle_ra(TimePoint now, unsigned ifindex, const Ip6Addr& src, const wire::RouterAdvertisement& ra);
  /// A Mobility Header received (see ReceivedMh). BAs failing the checks
  /// above are ignored and counted; a BU is ignored (mh_ignored).
  void handle_mh(TimePoint now, const ReceivedMh& mh);
  /// New configuration: interfaces kept keep their state; a new selection
  /// policy or new interfaces may change the chosen MAP; timers and
  /// lifetimes apply from the next BU.
  void handle_reload(TimePoint now, MndConfig cfg);
  /// Clean stop: with deregister_on_stop, one lifetime-0 BU per binding
  /// that is current (the MAP may hold it), then its kernel state removed
  /// when the BA comes or initial_bindack_timeout passes; everything else
  /// removed at once. Afterwards only BAs are processed.
  void handle_stop(TimePoint now);
  /// Does whatever is due at `now`.
  void handle_timeout(TimePoint now);

  /// Secure mode: charon holds the CHILD_SA protecting MH between `rcoa`
  /// (the MAP's lease) and `map`, as SecureMap asked; the binding is
  /// created (InstallBinding, BU). Ignored with a ReleaseMap when nothing
  /// waits for it.
  void handle_security_up(TimePoint now, const Ip6Addr& map, const Ip6Addr& rcoa);
  /// Secure mode: setting up IKE with `map` failed (`lost` false: the MAP is
  /// held down kIkeFailureHoldDown), or the protection went away (`lost`:
  /// dead peer detection, the MAP restarted). Either way the bindings with
  /// `map` are removed (the MAP would discard their BUs) and a MAP is
  /// selected again at once.
  void handle_security_down(TimePoint now, const Ip6Addr& map, bool lost, const std::string& why);

  /// Secure mode: charon holds the CHILD_SA protecting MH between the home
  /// address and `home_agent`, from the IKE SA at `coa`, as SecureHome
  /// asked. The first one lets the home registration send its BUs.
  /// Ignored with a ReleaseHome when nothing waits for it.
  void handle_home_security_up(TimePoint now, const Ip6Addr& home_agent, const Ip6Addr& coa);
  /// Secure mode: setting up IKE with `home_agent` failed (`lost` false: the
  /// home registration is held down kIkeFailureHoldDown, then tried again),
  /// or the protection went away (`lost`: DPD, the HA or charon restarted):
  /// set up again at once; the home binding stays, its BUs wait.
  void handle_home_security_down(TimePoint now, const Ip6Addr& home_agent, bool lost, const std::string& why);

  /// A Home Agent Address Discovery Reply (ICMPv6 145, RFC 6275 §6.6) from
  /// `src` with identifier `id`, listing `home_agents` in the HA's order of
  /// preference. Ignored (dhaad_replies_ignored) unless it answers the
  /// outstanding SendDhaadRequest; otherwise the first HA listed is used
  /// and the others are kept to try, in order, when it refuses.
  void handle_dhaad_reply(TimePoint now, const Ip6Addr& src, std::uint16_t id,
                          const std::vector<Ip6Addr>& home_agents);
  /// The daemon could not install the home binding `key` (the
  /// InstallHomeBinding it is performing failed: `why`). The actions queued
  /// behind it that needed it (the home BU, further changes of that home
  /// binding, the unsolicited NA) are dropped, a RemoveHomeBinding goes
  /// first (kernel-glue rolled a failed update back to the previous state:
  /// that goes too), the core forgets the home binding and holds the home
  /// registration down (kHomeHoldDown, doubling), then installs it anew
  /// with a home BU. Call it from within the action loop, right after the
  /// failure.
  void handle_home_install_failed(TimePoint now, const HomeKey& key, const std::string& why);
  /// An InstallHomeBinding succeeded except for the receive-only tunnels
  /// of these Multiple CoA BIDs (kglue MnHomeObjects::failed_bids): those
  /// members are held down (kRefusedMapHoldDown, as a BID the HA refused),
  /// deregistered if registered, and the rest of the home registration
  /// stays.
  void handle_home_extras_failed(TimePoint now, const HomeKey& key, const std::vector<std::uint16_t>& bids,
                                 const std::string& why);

  /// The BU `bu` (a SendBu this core emitted) actually left at `now`. The
  /// daemon performs the actions before it (InstallBinding: creating the
  /// tunnel, the addresses, the IPsec policies) first, which may take a
  /// while on a loaded host; the retransmission timeout (RFC 6275 §11.8)
  /// and the granted lifetime count from here, not from when the BU was
  /// decided. Without this call they count from the decision. A BU that is
  /// no longer outstanding (answered, replaced) is ignored.
  void handle_bu_sent(TimePoint now, const SendBu& bu);

  /// The earliest deadline, if any (set the OS timer to it).
  [[nodiscard]] std::optional<TimePoint> poll_timeout() const;
  /// The next action, in order; nullopt when drained.
  std::optional<Action> poll_action();
  /// True after handle_stop() once every binding is gone (the daemon exits).
  [[nodiscard]] bool finished() const noexcept {
    return stopping_ && bul_.empty() && (!home_ || !home_->pending);
  }

  [[nodiscard]] MnState state(TimePoint now) const;
  [[nodiscard]] const MnCounters& counters() const noexcept { return counters_; }
  /// Multiple CoA fallback with `map`: until when regular bindings are used
  /// (nullopt: never fell back since the last reload).
  [[nodiscard]] std::optional<TimePoint> mcoa_fallback_until(const Ip6Addr& map) const {
    const auto it = mcoa_refused_.find(map);
    return it == mcoa_refused_.end() ? std::nullopt : std::optional<TimePoint>(it->second);
  }
  [[nodiscard]] const MndConfig& config() const noexcept { return cfg_; }

 private:
  struct SeenMap {
    wire::MapOption opt;
    Ip6Addr router;                    ///< the router whose RA set `opt`
    std::vector<Ip6Addr> advertisers;  ///< routers that advertised it with a non-zero lifetime here

    TimePoint received;
    TimePoint expires;
  };
  struct SeenPrefix {
    Ip6Prefix prefix;
    Ip6Addr router;
    TimePoint expires;
  };
  struct Iface {
    std::string name;
    std::optional<unsigned> ifindex;  ///< the link of that name, if known
    bool up = false;
    bool ra_seen = false;
    unsigned rs_remaining = 0;
    std::optional<TimePoint> next_rs;
    std::vector<std::pair<Ip6Addr, SeenMap>> maps;  ///< by MAP address
    std::vector<SeenPrefix> prefixes;
    std::optional<std::uint32_t> ra_mtu;
    // RFC 6059: the link before the last change.
    std::set<Ip6Addr, AddrLess> before_routers;
    std::vector<std::pair<Ip6Addr, std::uint8_t>> before_prefixes;  ///< sorted
  };
  /// Where a binding is registered from.
  struct Access {
    std::size_t iface = 0;
    BindingSettings settings;  ///< primary left false
  };
  struct Pending {
    std::uint16_t seq = 0;
    TimePoint sent;
    core::Duration timeout{};
    std::uint16_t lifetime_units = 0;
    unsigned resyncs = 0;
    /// Multiple CoA: the BIDs whose options it carries (empty: a BU
    /// without BID option, e.g. the stop's or a fallback's).
    std::vector<std::uint16_t> bids;
    bool clearing = false;  ///< 165: the lifetime-0 BU without BID clearing a regular binding
  };
  /// Multiple CoA (mn_mcoa.cpp): one BID of a registration, i.e. one
  /// interface with a care-of address registered for the binding's RCoA.
  struct Member {
    std::uint16_t bid = 0;
    std::string iface;
    std::uint8_t priority = 0;        ///< BID-PRI (0 = none)
    std::size_t order = 0;            ///< the interface's position (ties)
    BindingSettings settings;         ///< kernel state of key {map, rcoa, bid}
    bool registered = false;          ///< the MAP accepted this BID
    bool dirty = true;                ///< needs a BU (new, moved, refresh, re-registration)
    /// A reload gave it a new BID while the MAP held it under the old one:
    /// it ranks as registered for the signalling choice until its BA.
    bool renumbered = false;
    std::optional<TimePoint> expires;
    std::optional<std::uint8_t> last_status;  ///< this BID's status in the last BA
  };
  struct Binding {
    BindingKey key;
    BindingSettings settings;
    std::string iface;
    BindingRole role = BindingRole::current;
    bool registered = false;
    std::uint16_t next_seq = 0;
    std::optional<Pending> pending;
    std::optional<TimePoint> expires;
    std::optional<TimePoint> refresh_at;
    std::uint32_t requested_s = 0;
    std::uint32_t granted_s = 0;
    std::uint64_t bu_sent = 0;
    std::optional<std::uint8_t> last_status;
    unsigned dad_retries = 0;
    // Multiple CoA (mn_mcoa.cpp). With `mcoa` the binding is registered
    // with BID options: `members` hold one entry per interface, and key,
    // settings and iface above mirror the signalling member (the BID
    // whose kernel state carries the RCoA's own packets and the BUs).
    bool mcoa = false;
    std::vector<Member> members;
    std::vector<std::uint16_t> leaving;  ///< BIDs whose lifetime-0 BU is due (their interface was lost)
    /// BIDs a reload replaced: deregistered (moved to `leaving`) once the
    /// members are registered under their new BIDs, unless a member has
    /// that BID again.
    std::vector<std::uint16_t> retired;
    std::map<std::uint16_t, TimePoint> refused_bids;  ///< BIDs the MAP refused, not registered again until then
    /// Former members' kernel bindings kept receiving until the regular BU
    /// that replaces their BIDs at the MAP is accepted (MultipleCoa off by
    /// a reload: the MAP may send through them until then).
    std::vector<std::uint16_t> drop_after_ba;
    bool coa_field_always = false;       ///< after 167: every BID option carries its CoA
    bool one_bid_per_bu = false;         ///< after 168: no bulk registration
    unsigned clearings = 0;              ///< 165 answered with a clearing BU in a row (at most 2, then fallback; an accepted BID resets it)
  };
  /// Secure mode: the protection of signalling with one MAP.
  struct Security {
    Ip6Addr lcoa;                        ///< where the IKE SA runs from
    std::optional<Ip6Addr> rcoa;         ///< the lease, once protected
    std::optional<TimePoint> deadline;   ///< while being set up: IkeTimeout
  };
  struct HoldDown {
    TimePoint until;
    std::string reason;
  };
  /// The outstanding home BU.
  struct HomePending {
    std::uint16_t seq = 0;
    TimePoint sent;
    core::Duration timeout{};
    std::uint16_t lifetime_units = 0;
    unsigned resyncs = 0;
    Ip6Addr coa;           ///< the care-of address it registers (the home address: at home)
    bool first = false;    ///< a first registration (InitialBindackTimeoutFirstReg: the HA runs DAD)
    /// Multiple CoA (mn_home_mcoa.cpp): the BIDs whose options it carries
    /// (empty: a BU without BID option).
    std::vector<std::uint16_t> bids;
    bool clearing = false;  ///< 165: the lifetime-0 BU without BID clearing the HA's regular binding
  };
  /// Multiple CoA towards the HA (plain mode, mn_home_mcoa.cpp): one BID
  /// of the home registration, i.e. one interface's LCoA.
  struct HomeMember {
    std::uint16_t bid = 0;
    std::string iface;
    std::uint8_t priority = 0;        ///< BID-PRI (0 = none)
    std::size_t order = 0;            ///< the interface's position (ties)
    HomeCoa kernel;                   ///< its care-of address and tunnel settings
    bool registered = false;          ///< the HA accepted this BID
    bool dirty = true;                ///< needs a BU (new, moved, refresh, expired)
    std::optional<TimePoint> expires;
    std::optional<std::uint8_t> last_status;
  };
  struct Dhaad {
    std::uint16_t id = 0;
    Ip6Addr src;
    TimePoint sent;
    core::Duration timeout{};
    unsigned sent_count = 0;
  };
  /// Secure mode: the protection of the home registration (RFC 4877;
  /// mn_home_security.cpp).
  struct HomeSecurity {
    Ip6Addr ha;                          ///< the home agent it is with
    Ip6Addr coa;                         ///< where it runs from, or is being set up / re-established from
    std::optional<Ip6Addr> up_from;      ///< protected: the IKE SA's care-of address (the last one answered)
    std::optional<TimePoint> deadline;   ///< while being set up: IkeTimeout
  };
  /// The home registration (mn_home.cpp), present with a Home block.
  struct Home {
    HomeConfig cfg;                         ///< the Home block in effect (its address and HA change at a restart only)
    std::optional<Ip6Addr> ha;              ///< configured, or the DHAAD answer in use
    std::vector<Ip6Addr> other_has;         ///< DHAAD: the next ones to try, in order
    std::optional<Dhaad> dhaad;
    std::optional<HomeKey> installed_key;   ///< what the kernel has (InstallHomeBinding sent)
    HomeSettings installed;
    std::optional<HomePending> pending;
    std::optional<HomeSecurity> sec;        ///< secure mode: the protection with the HA, if any
    std::optional<TimePoint> expires;
    std::optional<TimePoint> refresh_at;
    std::optional<TimePoint> refresh_latest;  ///< waiting for the MAP's refresh ends here
    std::optional<TimePoint> held_until;
    core::Duration next_hold = kHomeHoldDown;
    std::string held_reason;
    std::uint64_t bu_sent = 0;
    std::uint32_t requested_s = 0;
    std::uint32_t granted_s = 0;
    std::uint16_t next_seq = 0;
    std::optional<std::uint8_t> last_status;
    bool registered = false;     ///< the HA accepted installed.coa (away)
    bool at_home = false;        ///< an RA on a watched link advertises the home prefix
    bool stop_dereg = false;     ///< the lifetime-0 BU of handle_stop
    bool waiting_map = false;    ///< the refresh waits for the MAP binding's BA
    bool install_held = false;   ///< the hold-down is for a failed InstallHomeBinding (it holds at home too)
    bool ike_held = false;       ///< the hold-down is for a failed IKEv2 setup (it holds at home too)
    bool dereg_due = false;      ///< at home: the deregistration waits for the protection
    bool lifetime_wait = false;  ///< a home BU waits for a lifetime to ask for (none left: never 0 by accident)
    // Multiple CoA (plain mode, mn_home_mcoa.cpp). With `mcoa` the home
    // registration carries BID options: `members` one per interface, the
    // primary one's CoA is installed.coa, the others installed.more_coas.
    bool mcoa = false;
    std::vector<HomeMember> members;
    std::vector<std::uint16_t> leaving;               ///< BIDs whose lifetime-0 BU is due (interface lost)
    /// BIDs a reload replaced (home_mcoa_reconfigure): moved to `leaving`
    /// once every member is registered under its new BID, unless a member
    /// has that BID again.
    std::vector<std::uint16_t> retired;
    std::map<std::uint16_t, TimePoint> refused_bids;  ///< BIDs the HA refused: not registered again until then
    bool coa_field_always = false;                    ///< after 167: every BID option carries its CoA
    bool one_bid_per_bu = false;                      ///< after 168: no bulk registration
    unsigned clearings = 0;                           ///< 165 answered with a clearing BU (at most 2, then fallback)
    std::optional<TimePoint> mcoa_refused_until;      ///< the HA does not do Multiple CoA: one CoA until then
    /// MultipleCoa off by a reload: the extra CoAs' receive tunnels stay
    /// (install_home keeps them) until the BA to the regular home BU.
    bool more_coas_until_ba = false;
    bool mcoa_secure_logged = false;                  ///< the "secure mode: one CoA" line was logged
  };

  // mobile_node.cpp: frame, links, RAs
  void log(LogLevel level, std::string text);
  void service(TimePoint now);
  void link_changed(Iface& i, TimePoint now);
  void forget_link(Iface& i);
  void bind_ifaces();
  void learn_ra(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra, TimePoint now);
  [[nodiscard]] bool moved_without_link_change(const Iface& i, const Ip6Addr& src,
                                               const wire::RouterAdvertisement& ra) const;
  void map_failed(const Ip6Addr& map);
  [[nodiscard]] static bool knows_router(const Iface& i, const Ip6Addr& router);
  void expire(TimePoint now);
  [[nodiscard]] Iface* iface_by_index(unsigned ifindex);
  [[nodiscard]] const LinkState* link_of(const Iface& i) const;
  [[nodiscard]] std::optional<Ip6Addr> lcoa_of(const Iface& i, const std::optional<Ip6Addr>& keep) const;
  // mn_select.cpp: selection and moves
  void reconcile(TimePoint now);
  [[nodiscard]] std::vector<MapCandidate> candidates(TimePoint now, std::vector<std::size_t>& ifaces) const;
  [[nodiscard]] std::optional<Access> access_for(const Ip6Addr& map, bool allow_refresh_only) const;
  [[nodiscard]] std::optional<Access> any_access() const;
  [[nodiscard]] bool advertised(const Ip6Addr& map, bool refresh_only, TimePoint now) const;
  [[nodiscard]] std::uint32_t advertised_lifetime(const Ip6Addr& map, TimePoint now) const;
  void update_current(Binding& b, const Access& a, TimePoint now);
  void create_current(const Ip6Addr& map, const Access& a, TimePoint now);
  void demote(std::size_t idx, const std::optional<Access>& a, TimePoint now);
  void no_map(const std::string& why);
  // mn_bul.cpp: BUs, retransmission, BAs
  void send_bu(Binding& b, std::uint32_t lifetime_s, core::Duration timeout, TimePoint now);
  void service_bul(TimePoint now);
  void handle_ba(const ReceivedMh& mh, const wire::BindingAck& ba, TimePoint now);
  void handle_brr(const ReceivedMh& mh, TimePoint now);
  void accepted(std::size_t idx, const wire::BindingAck& ba, TimePoint now);
  void refused(std::size_t idx, std::uint8_t status, TimePoint now);
  void dad_failed(std::size_t idx, TimePoint now);
  void make_primary(Binding& b);
  /// `release`: false when a binding of the same MAP replaces it at once
  /// (create_mcoa: the MAP's protection stays).
  void remove_binding(std::size_t idx, bool release = true);
  void hold_down(const Ip6Addr& map, std::string reason, TimePoint now,
                 core::Duration how_long = kRefusedMapHoldDown);
  // mn_mcoa.cpp: Multiple CoA (RFC 5648) on the current MAP binding
  [[nodiscard]] bool mcoa_for(const Ip6Addr& map, TimePoint now) const {
    const auto it = mcoa_refused_.find(map);
    return cfg_.mcoa() && (it == mcoa_refused_.end() || it->second <= now);
  }
  [[nodiscard]] std::optional<Access> access_on(std::size_t k, const Ip6Addr& map, bool allow_refresh_only,
                                                const std::optional<Ip6Addr>& keep) const;
  /// Every interface hearing `map` with a usable LCoA, in configuration order.
  [[nodiscard]] std::vector<Access> mcoa_accesses(const Ip6Addr& map, const Binding* b) const;
  void create_mcoa(const Ip6Addr& map, const std::vector<Access>& acc, TimePoint now);
  void update_mcoa(Binding& b, TimePoint now);
  /// After a reload: the members' BIDs, priorities, positions and flows
  /// from the new configuration (a new BID: registered, then the old one
  /// deregistered; see mn_mcoa.cpp).
  void mcoa_reconfigure(Binding& b, TimePoint now);
  /// The MAP holds `m`'s BID, or may (a registration BU with it is out).
  [[nodiscard]] static bool mcoa_map_holds(const Binding& b, const Member& m);
  /// Sends what the members need: lifetime-0 BUs for `leaving`, then a
  /// (bulk) BU for the dirty members; nothing while a BU is outstanding
  /// unless it must be superseded.
  void mcoa_flush(Binding& b, TimePoint now);
  void send_mcoa_bu(Binding& b, std::vector<std::uint16_t> bids, bool dereg, core::Duration timeout, TimePoint now);
  /// The outstanding BU again, with a new sequence number (retransmission, 135).
  void resend(Binding& b, core::Duration timeout, TimePoint now);
  /// A refresh (timer, BRR) of a current binding.
  void refresh(Binding& b, TimePoint now);
  void mcoa_ba(std::size_t idx, const wire::BindingAck& ba, TimePoint now);
  /// RFC 5648: the MAP does not do Multiple CoA (no BID option in its BA,
  /// 164, 166, a Binding Error): one regular binding from the signalling
  /// member's LCoA; `send` a BU for it.
  void mcoa_fallback(std::size_t idx, const std::string& why, bool send, TimePoint now);
  /// The signalling/primary member: the registered one with the best
  /// Priority (configuration order breaks ties), else the best one.
  /// `configured_first`: a member of an interface the configuration still
  /// names is preferred to any other (a reload turning Multiple CoA off).
  void mcoa_pick_primary(Binding& b, bool configured_first = false);
  /// The home binding nesting in `old` (a member's kernel binding about to
  /// go) is re-installed with via = b.key first.
  void mcoa_repoint_home(const Binding& b, const BindingKey& old);
  void mcoa_install(const Binding& b, const Member& m);
  /// Inter-MAP move, stop: the binding keeps only its signalling member.
  /// `keep_receiving`: the other members' kernel bindings wait in
  /// drop_after_ba for the regular BU's BA instead of going at once.
  void mcoa_collapse(Binding& b, bool keep_receiving = false);
  void mcoa_expire(Binding& b, TimePoint now);
  [[nodiscard]] std::uint32_t mcoa_lifetime(const Binding& b, const std::vector<std::uint16_t>& bids, TimePoint now) const;
  [[nodiscard]] std::vector<FlowMatch> flows_for(std::uint16_t bid) const;
  // mn_security.cpp: secure mode (RFC 5380 §12)
  [[nodiscard]] bool secure() const noexcept { return !cfg_.insecure; }
  /// Whether a MAP's R flag rules it out in this mode.
  [[nodiscard]] bool r_flag_mismatch(bool r_flag) const noexcept { return r_flag == cfg_.insecure; }
  /// The RCoA protected with `map`, or nullopt after asking for it (SecureMap).
  std::optional<Ip6Addr> secured_rcoa(const Ip6Addr& map, const Access& a, TimePoint now);
  void reestablish(const Ip6Addr& map, const Ip6Addr& lcoa);
  /// Drops the protection of `map` when no binding uses it any more.
  void release_unused(const Ip6Addr& map);
  /// Drops protections still being set up, except the one with `keep`.
  void release_establishing(const std::optional<Ip6Addr>& keep);
  void service_security(TimePoint now);
  // mn_home.cpp: the home registration (RFC 6275 §11, RFC 5380 §6.1)
  void service_home(TimePoint now);
  [[nodiscard]] std::optional<std::size_t> home_link() const;
  [[nodiscard]] std::optional<HomeSettings> home_target(TimePoint now) const;
  [[nodiscard]] std::uint32_t home_lifetime(const HomeSettings& s, TimePoint now) const;
  void send_home_bu(std::uint32_t lifetime_s, core::Duration timeout, bool first, TimePoint now);
  /// A home BU (not a deregistration) for the installed away binding;
  /// false (and nothing sent) without one or with no lifetime to ask for.
  bool send_home_update(core::Duration timeout, bool first, TimePoint now);
  [[nodiscard]] bool home_installed_away() const {
    return home_ && home_->installed_key && home_->installed.mode == HomeMode::away;
  }
  void install_home(const HomeSettings& s);
  void remove_home();
  /// Holds the home registration down: `fixed` long, else kHomeHoldDown
  /// doubling per hold in a row.
  void home_hold(std::string reason, bool loud, TimePoint now, std::optional<core::Duration> fixed = std::nullopt);
  /// The away registration: a new care-of address installed and its home
  /// BU, or the settings of the same one updated in place.
  void home_register(const HomeSettings& target, TimePoint now);
  /// On the home link: the home address there, then the deregistration.
  void home_at_home(const HomeSettings& target, TimePoint now);
  /// A deregistration (at home, or the retransmission of one), only when
  /// protected; else it waits for the protection (dereg_due).
  void send_home_dereg(core::Duration timeout, bool first, TimePoint now);
  /// A deregistration answered, refused or given up: on stop the rest of
  /// the stop follows; at home the protection is no longer needed.
  void home_dereg_done(TimePoint now);
  // mn_home_mcoa.cpp: Multiple CoA towards the home agent (plain mode)
  /// The plain-mode home settings of interface `i` with care-of `lcoa`.
  [[nodiscard]] HomeSettings plain_home_settings(const Iface& i, const Ip6Addr& lcoa) const;
  /// Whether the plain-mode home registration uses BID options now
  /// (MultipleCoa, not secure mode, the HA not fallen back); logs why not
  /// once in secure mode.
  [[nodiscard]] bool home_mcoa_wanted(TimePoint now);
  /// The plain-mode registration with BID options: members joined, moved,
  /// lost; the kernel state and the BUs they need. False: every usable
  /// BID is refused (held down): the caller registers one CoA meanwhile.
  [[nodiscard]] bool home_mcoa(TimePoint now);
  /// Back to one CoA (HMIPv6 mode, at home, fallback, stop, a reload):
  /// only the primary's kernel state stays (`keep_receiving`: the extra
  /// CoAs' receive tunnels until the regular BU's BA); no BU.
  void home_mcoa_collapse(bool keep_receiving = false);
  /// Reload: the members' BIDs, priorities and order from the new
  /// configuration (handle_reload, before service).
  void home_mcoa_reconfigure(TimePoint now);
  void home_mcoa_pick_primary();
  void home_mcoa_install(const std::vector<HomeCoa>& also = {});
  void home_mcoa_flush(TimePoint now);
  void send_home_mcoa_bu(std::vector<std::uint16_t> bids, bool dereg, core::Duration timeout, bool first,
                         TimePoint now);
  /// The outstanding BID (or clearing) BU again (retransmission, 135).
  void home_mcoa_resend(core::Duration timeout, TimePoint now);
  void home_mcoa_ba(const wire::BindingAck& ba, TimePoint now);
  void home_mcoa_fallback(const std::string& why, bool send, TimePoint now);
  void home_mcoa_expire(TimePoint now);
  /// The base of every home BU (mn_home.cpp): flags, sequence, pending.
  SendBu home_bu_base(std::uint32_t lifetime_s, core::Duration timeout, bool first, TimePoint now);
  // mn_home_security.cpp: protection of the home registration (RFC 4877)
  /// Home BUs may go out: insecure mode, or the protection with the HA is up.
  [[nodiscard]] bool home_protected() const noexcept {
    return !secure() || (home_ && home_->sec && home_->sec->up_from);
  }
  /// Secure mode: a protection from `coa` (SecureHome): set up, or
  /// re-established after a move, or re-aimed while being set up; nothing
  /// while an IKE failure holds the registration down.
  void home_secure(const Ip6Addr& coa, TimePoint now);
  /// Drops the protection (ReleaseHome), if any.
  void home_release();
  void service_home_security(TimePoint now);
  void home_ike_failed(const std::string& why, TimePoint now);
  void home_next_ha(const std::string& why, TimePoint now);
  void service_home_bu(TimePoint now);
  void service_dhaad(const std::optional<HomeSettings>& target, TimePoint now);
  [[nodiscard]] bool home_mh(const ReceivedMh& mh, TimePoint now);
  void home_ba(const ReceivedMh& mh, const wire::BindingAck& ba, TimePoint now);
  void home_resync(const wire::BindingAck& ba, TimePoint now);
  void home_accepted(const wire::BindingAck& ba, TimePoint now);
  void home_refused(std::uint8_t status, TimePoint now);
  void home_be(const wire::BindingError& be, TimePoint now);
  /// handle_stop: the home deregistration first (true: one is outstanding).
  [[nodiscard]] bool home_stop(TimePoint now);
  void stop_map_bindings(TimePoint now);
  void home_reload(const std::optional<HomeConfig>& cfg);
  void home_deadlines(std::optional<TimePoint>& t) const;
  [[nodiscard]] std::optional<HomeView> home_view(TimePoint now) const;
  /// On the home link now (an RA there advertises the home prefix).
  [[nodiscard]] bool at_home() const { return home_ && home_link().has_value(); }
  [[nodiscard]] std::uint32_t current_lifetime(const Binding& b, TimePoint now) const;
  [[nodiscard]] std::uint32_t lcoa_lifetime(const Ip6Addr& lcoa, TimePoint now) const;
  [[nodiscard]] Binding* current();
  [[nodiscard]] Ip6Addr random_iid();

  MndConfig cfg_;
  core::Rng rng_;
  bool stopping_ = false;
  std::vector<Iface> ifaces_;
  std::map<unsigned, LinkState> links_;
  std::vector<Binding> bul_;
  std::map<Ip6Addr, HoldDown, AddrLess> held_;
  std::map<Ip6Addr, Ip6Addr, AddrLess> iid_for_map_;  ///< random identifiers chosen after status 134
  std::set<Ip6Addr, AddrLess> warned_r_flag_;
  std::map<Ip6Addr, Security, AddrLess> security_;  ///< secure mode: by MAP
  std::map<Ip6Addr, TimePoint, AddrLess> mcoa_refused_;  ///< MAPs that do not do Multiple CoA: until when (fallback)
  std::optional<Home> home_;                          ///< with a Home block
  bool no_map_logged_ = false;
  std::string status_ = "waiting for a Router Advertisement";
  std::deque<Action> actions_;
  MnCounters counters_;
};

}  // namespace hmip::mn
