// mapd's sans-IO core: the Mobility Anchor Point acting as a local home
// agent for Regional Care-of Addresses (RFC 5380 §6.2, §8, §10; RFC 6275
// §9.5 and §10.3 wherever RFC 5380 says the MAP acts as a home agent), and
// the home agent role for home addresses (RFC 6275 §10.3, §10.4; a
// HomeAgent block in mapd.conf). Both roles share one binding cache, one
// set of caps and the same machinery; each binding carries its BindingRole
// (map_types.h), and every action names the role's address (MapAddress or
// HomeAgent Address) where it needs one.
//
// Events and the current time go in (handle_*), actions come out
// (poll_action(), hmip/map/map_types.h); no sockets, netlink or clocks. The
// daemon:
//   * decodes Mobility Headers with lib/wire and passes them to handle_mh,
//     decode failures to handle_invalid_mh;
//   * carries out the actions in order: InstallBinding (answer each with
//     handle_dataplane_result, synchronously is fine: the BA is queued by
//     that call), RemoveBinding, SendBa (with a transient route2 state when
//     it says so), SendBrr, SendBindingError, StartDad (report duplicates
//     with handle_dad_result, a group it cannot join with
//     handle_dad_failed), StopDad, SendUnsolicitedNa, RefreshProxies,
//     LogEvent;
//   * reports carrier changes of the RCoA links (handle_link_carrier);
//   * secure mode: feeds charon's SA events (hmip/ike/ike_sa.h
//     parse_sa_events) into handle_ike_event, its full SA list at every
//     (re)connect and for each ResyncIke into handle_ike_sas, and a lost
//     charon into handle_ike_lost. The core keeps the RCoA holder table and
//     decides itself whether a BU is protected; nothing on the BU path asks
//     charon;
//   * runs one OS timer at poll_timeout() and calls handle_timeout().
//
// Decisions where the RFCs leave a choice (mapd(8) repeats them):
//   * Order of checks on a BU: destination, malformed options, the
//     Alternate Care-of Address (secure mode), protection, flags, RCoA
//     prefix, sequence number, deregistration, LCoA, then lifetime (RFC
//     6275 §9.5.1 before §10.3.1, as a home agent does). Every check is an
//     in-memory lookup: the protection check reads the core's RCoA holder
//     table, never charon. Protection stays before flags and prefix so that
//     an unprotected BU is silently discarded (RFC 6275 §9.5.1) and never
//     draws a BA.
//   * A BU not sent to MapAddress: silently discarded, counted.
//   * A BU with a MalformedMobilityOption: silently discarded (RFC 6275
//     §9.2 treats a badly formed message so), counted; never touches the
//     binding. A malformed Binding Identifier option is the exception:
//     164 after the address-level checks (Multiple CoA, below).
//   * Secure mode (RFC 5380 §12.1, RFC 4877 §4): a BU is protected only if
//     an INSTALLED CHILD_SA of the one IKE identity holding the RCoA has the
//     RCoA as its single-host remote selector (so the kernel's IN policy of
//     that CHILD_SA admitted the BU only through it). A lease alone (the
//     RCoA as the IKE SA's virtual IP, no installed CHILD_SA) is not enough
//     (lease_only), nor is no IKE SA (no_ike_sa) or IKE SAs of two
//     identities naming it (contested): discarded silently, counted, logged
//     rate-limited. Protected, but the holder's IKE SAs come from another
//     care-of address than the bound one (the MN re-establishing IKE after a
//     move, make-before-break): accepted, counted (coa_moving); the CHILD_SA
//     is still required. The kernel drops a cleartext MH from the RCoA
//     prefixes to MapAddress before mapd sees it (mapd's prefix-wide ESP IN
//     policy, below charon's per-RCoA ones).
//   * Secure mode binds the Alternate Care-of Address option (inside ESP;
//     the HAO is outside it, RFC 6275 §6.2.5, §11.7.1, RFC 4877): a BU
//     without one is silently discarded, counted (bu_no_acoa). An ACoA that
//     differs from the HAO's care-of address is bound (RFC 6275 §10.3.1: the
//     ACoA is the care-of address; it is the one ESP authenticated, and it
//     must still pass the LcoaPrefix checks), counted (bu_acoa_differs) and
//     logged rate-limited; the BA goes to the ACoA.
//   * Unprotected BU in insecure testbed mode from a CoA outside its
//     TrustedPrefix list: silently discarded (RFC 6275 §9.5.1 discards BUs
//     that fail the IPsec check), counted, logged rate-limited.
//   * Roles: the BU's flags pick the role (M: a MAP registration; H without
//     M: a home registration), its destination must be an address mapd
//     answers BUs on (MapAddress with the MAP role, the HomeAgent Address
//     with the home agent role; they may be one address), else it is
//     silently discarded (bu_wrong_destination).
//   * Flags: neither M nor H -> 129 (not a local BU, and a correspondent
//     registration is not served). H and M both -> 129, counted
//     (bu_h_with_m): RFC 5380 §4 has M "distinguish this registration from
//     a BU being sent to the HA", so a BU claiming both is neither; no RFC
//     6275 status names the case, 129 is the generic refusal (until issue
//     14 a MAP accepted it as a local BU). H to an address without the
//     home agent role -> 131 (RFC 6275 §10.3.1); M to an address without
//     the MAP role (a home agent only, or its own address) -> 129 (no
//     status says "not a MAP"; 131 would tell the node its home
//     registration failed); both counted (bu_no_role). A clear -> 129 (RFC
//     5380 §4 for M; RFC 6275 §11.7.1 for H: the node MUST set it; a
//     refused BU always gets a BA, RFC 6275 §9.5.4). L: home role below;
//     a local BU's L is ignored (the RCoA's link-local counterpart is no
//     address the MAP serves); K: ignored, the IKE SA
//     does not move with the MN (MOBIKE off: mnd sets up a new IKE SA from
//     each new LCoA, hmip/ike/charon_conn.h; RFC 6275 §11.7.1); the BA
//     carries neither. R -> 140, P -> 152 (NEMO, Proxy MIPv6 not
//     served). Binding Identifier options: "Multiple CoA" below.
//   * An Alternate Care-of Address option replaces the HAO's CoA (RFC 6275
//     §6.2.5); in insecure mode both must be inside TrustedPrefix.
//   * Charon's SA events keep the holder table (ike::RcoaHolders, indexed by
//     RCoA); an event naming an IKE SA or CHILD_SA the table never saw
//     queues one ResyncIke (the daemon then hands in list-sas); a lost
//     charon empties it (every BU is refused until it is back).
//   * RCoA outside every RcoaPrefix (home address outside every
//     HomePrefix): 132; the address equal to MapAddress or the HomeAgent
//     Address: 134.
//   * Existing binding and a sequence number not greater (mod 2^16): 135 with
//     the last accepted number. A new binding accepts any number, and so
//     does an adopted one once (restart, below).
//   * Deregistration (lifetime 0, or CoA == RCoA): binding removed, BA 0
//     with lifetime 0; unknown RCoA: 133 (RFC 6275 §10.3.2). A pending
//     registration (DAD or install running) is cancelled the same way.
//   * LCoA inside an RCoA prefix (a tunnel into the MAP's own domain, RFC
//     5380 §6.1), or outside LcoaPrefix: 129; inside NeighbourPrefix: 129
//     for a new binding, accepted for an existing one (RFC 5380 §8).
//   * Lifetime: binding_rules.h (capped, rounded down to 4 s units; the
//     binding lives exactly what the BA says, counted from its commit, when
//     the BA is sent: at the BU's arrival for a refresh from the same LCoA,
//     after the kernel install for a move, after DAD and the install for a
//     new binding. The MN counts from sending the BU (RFC 6275 §11.7.3), so
//     the MAP's binding never ends before the MN expects it to).
//   * A new RCoA on a prefix with an interface and RcoaDad on: DAD first;
//     duplicate -> 134, no binding; else success after dad_timeout. BUs for
//     that RCoA meanwhile are absorbed (the newest one is answered). Any
//     BU for a key whose install is pending is absorbed (the MN retransmits).
//   * Caps (map_caps.cpp; issue 13 item 14), checked last, for a new RCoA
//     only (no binding; a BU for a pending one is absorbed): MaxBindings
//     (bindings plus new registrations pending), the per-node cap
//     (MaxBindingsPerIdentity: the IKE identity holding the RCoA, secure
//     mode; MaxBindingsPerTrustedPrefix: the first TrustedPrefix holding
//     the bound CoA, testbed mode; a binding is counted where its last
//     accepted BU put it), MaxPendingRegistrations (new registrations
//     waiting for DAD or the kernel), MaxConcurrentDad (when the RCoA needs
//     DAD). Over one: 130, counted per cap, logged rate-limited, the BA
//     limited like other refusals of a BU just received. A refresh or move
//     grows nothing and is never refused; nor is a reload's re-install. A
//     reload lowering a cap keeps everything above it. DAD that cannot join
//     its solicited-node group (handle_dad_failed): 130, never a binding
//     without DAD. A DAD cancelled early (deregistration, reload) queues
//     StopDad, so the groups the daemon holds stay within
//     MaxConcurrentDad. RCoA leases are charon's (bounded by RcoaPool in
//     all); an IKE SA coming up that takes its identity over
//     MaxBindingsPerIdentity leases (distinct virtual IPs of its SAs) is
//     terminated (TerminateIke) and dropped from the holder table,
//     counted (cap_leases); a resync terminates nothing.
//   * Kernel install failure: status 130 (insufficient resources: the
//     kernel refused to add state; the MN may retry later or elsewhere). A
//     new binding is then not created; a moved one keeps its previous LCoA
//     (the dataplane keeps the previous settings on a failed update).
//   * BRR brr_lead before expiry, then every brr_interval until expiry
//     (none when the granted lifetime is not longer than brr_lead); an
//     accepted BU reschedules it. Expiry removes the binding; bad input
//     never removes one.
//   * Reload keeps every binding whose RCoA is still inside an RcoaPrefix
//     (granted lifetimes stand; new limits, LcoaPrefix and NeighbourPrefix
//     apply from the next BU; unsent BRRs follow the new BrrLead), re-
//     installs in place those whose kernel settings changed (MapAddress, the
//     prefix's Interface, TunnelMtu; a failed re-install removes the
//     binding), removes the others, and refuses (132) pending registrations
//     whose RCoA left the prefixes (map_reload.cpp).
//   * Restart (issue 13 item 13; until bindings are persisted): at start
//     the daemon hands every complete binding a previous run left in the
//     kernel (kglue::Dataplane::adopt_map_bindings: tunnel, RCoA route,
//     proxy entry, route2 state and policy; the kernel went on forwarding
//     while no mapd ran) to adopt(). It is adopted unless the
//     configuration would refuse it now: RCoA outside every RcoaPrefix (or
//     the MAP's own address), another MapAddress, an LCoA outside
//     LcoaPrefix and NeighbourPrefix or inside an RCoA prefix, a lifetime
//     cap under 4 s, and in secure mode an RCoA no IKE identity (alone)
//     holds in charon's SA list (the daemon starts IkeGuard, which hands
//     in list-sas, before adopting: the node's IKE SA may have gone while
//     no mapd ran, and the pool may lease the RCoA to another node); those
//     are removed (RemoveBinding not_adopted), as the incomplete leftovers
//     are by reconcile. An adopted binding counts against its owner's cap
//     (the holder's identity, or its LCoA's TrustedPrefix). Neither the granted lifetime
//     nor the last sequence number survive, so an adopted binding:
//       - lives kAdoptedLifetime (capped like a granted lifetime), counted
//         from the start, then expires normally: a node that never
//         re-registers loses it then, not at its old expiry;
//       - gets a BRR at once (due at adoption: the daemon opens its MH
//         socket first) and again every BrrInterval until it expires or its node
//         re-registers (the near-expiry BRR path; sent even with BrrLead 0,
//         which only turns off the near-expiry BRRs of registered ones);
//       - accepts its first BU with any sequence number (then the usual
//         rule applies). Why that is safe: in secure mode the BU must still
//         pass the protection check (an installed CHILD_SA of the identity
//         holding the RCoA: charon outlives mapd, so its SAs come back
//         through list-sas before any MH is read), and ESP's anti-
//         replay window, kept by the kernel's SA across the restart,
//         rejects a replayed old BU; so only the holder's fresh BU can
//         use the exemption, and it would win anyway with a higher number.
//         In insecure testbed mode any trusted care-of address can create
//         a binding with any number already; the exemption adds nothing.
//       - keeps its kernel objects untouched (CN -> RCoA traffic goes on
//         through the restart); where the configuration now asks for other
//         kernel settings (the prefix's Interface, a TunnelMtu other than
//         0 and the tunnel's), it is re-installed in place (InstallBinding
//         adopt; a failure removes it).
//     Secure and insecure mode adopt alike (the kernel state was accepted
//     under the previous run's checks; adopting grants nothing a BU could
//     not). A reload treats an adopted binding like any other (kept while
//     its RCoA is in an RcoaPrefix) and leaves its adoption as it is: short
//     lifetime, BRR retries and the one any-sequence BU stay until its node
//     re-registers. Counted: bindings_adopted, adoption_refused,
//     adopted_reinstalled, brr_adopted_sent, adopted_reregistered,
//     adopted_expired, bu_adopted_any_sequence.
//   * The home agent role (RFC 6275 §10.3, §10.4; issue 14) runs home
//     registrations through the same machinery as local BUs, with these
//     differences:
//       - secure mode (RFC 4877; the default): the MAP's checks apply to
//         a home registration to the HomeAgent Address (the Alternate
//         Care-of Address required and bound; an installed CHILD_SA of
//         the one identity holding the home address, coa_moving accepted
//         and counted), and then that identity must be the home address's
//         owner (HomeAgentConfig::owners, HomeAddress): another identity,
//         or a home address no HomeAddress line names, is silently
//         discarded, counted (bu_home_not_owner), logged rate-limited.
//         The identity compared is the holder table's
//         (IkeSaView::peer_identity(): the EAP identity when the node
//         authenticated by EAP with an identity of its own, else the IKE
//         identity), against the HomeAddress line's as written (one
//         identity, never a pattern). charon enforces the same first (one
//         connection per owning identity, one child per home address it
//         owns, mapd's IkeGuard), and the kernel drops a cleartext MH from
//         a HomePrefix to the HomeAgent Address (mapd's prefix-wide ESP IN
//         policy, as for the RcoaPrefixes). A home BU (H without M) to a
//         mapd that is no home agent there goes the MAP's way (protected,
//         then 131). In the insecure testbed mode the care-of addresses
//         must be inside TrustedPrefix as for local BUs (else silently
//         discarded); HomeAddress lines are not used;
//       - the care-of address (HAO or ACoA) may be any unicast routable
//         address (an RCoA of this or another MAP, a plain LCoA): refused
//         with 129 are multicast, link-local, loopback and unspecified ones
//         (RFC 6275 §9.5.1), mapd's own addresses, and one inside a
//         HomePrefix (a node at home deregisters, §11.5.4; CoA == home
//         address is that deregistration). LcoaPrefix and NeighbourPrefix do
//         not apply;
//       - lifetime: min(asked, the HomeAgent MaxBindingLifetime, the
//         HomePrefix's ValidLifetime), in whole 4 s units (binding_rules.h;
//         no MAP option advertises the home prefix, so no
//         AdvertisedValidLifetime);
//       - a node back home deregisters from its home address on the home
//         link (RFC 6275 §11.5.5: no HAO, care-of address = home address),
//         so the TrustedPrefix check would look at the home address; and
//         trusting the home prefix would let any node on the home link
//         redirect any home address. Insecure mode (only: in secure mode
//         that BU needs the node's ESP SA, which does not depend on the
//         care-of address, like any other) lets exactly that BU
//         past TrustedPrefix: H without M to the HomeAgent Address, no HAO,
//         the care-of address (an Alternate Care-of Address included) equal
//         to the source, the source in a HomePrefix with an Interface, and
//         the packet received on that Interface (ReceivedMh::interface, the
//         daemon's IPV6_PKTINFO ifindex). What it lets a node on the home
//         link do: deregister a home address (sequence number rules and
//         133 as for any BU), which any trusted care-of address could do
//         anyway; it cannot create or move a binding (with Binding
//         Identifier options only if it can only deregister: Multiple CoA
//         below). A BU with a HAO, to
//         another care-of address, or from another link is checked as
//         before. Counted: home_bu_from_home_link;
//       - DAD (HomeDad, HomeDadTimeout) for a new home address on its
//         HomePrefix's Interface; with L also for fe80::<its interface
//         identifier> (§10.3.1: DAD fails "for the given home address or an
//         associated link local address" -> 134 for the whole BU): a second
//         StartDad, one solicited-node group, so one DAD for
//         MaxConcurrentDad (a retransmission asking L while DAD runs adds
//         the link-local DAD with the same deadline); a duplicate of either stops the other
//         (StopDad); early success of the link-local address alone ends
//         nothing (the timeout or the home address decides);
//       - L (§10.3.1, §10.4.1): InstallBinding::link_local_proxy (only with
//         an Interface), SendUnsolicitedNa for both addresses at create,
//         move and carrier-up; a refresh that changes L re-installs in
//         place (InstallReason::move). DAD results for a link-local address
//         are matched by interface identifier (any HomePrefix length). One
//         link-local address per link: a BU with L whose fe80::<interface
//         id> another binding (or pending registration) with L has on the
//         same link (two HomePrefixes of one link, one identifier) -> 134,
//         counted (home_link_local_taken): they would share one proxy
//         entry. Checked when L is new for the address (a scan of the
//         binding cache), not on refreshes of a binding that has it;
//       - BAs and BRRs come from the HomeAgent Address; the kernel side is
//         install_map_binding with it as the tunnel's local end;
//       - caps are shared: MaxBindings, MaxPendingRegistrations and
//         MaxConcurrentDad count both roles' bindings together, and the
//         per-node cap (the TrustedPrefix of the care-of address; in
//         secure mode the identity holding the address) counts a node's
//         local and home bindings together: one table, one budget;
//       - counters: home_bu_received, home_bu_accepted, home_bu_refused (by
//         status), home_bindings_created, home_deregistrations, a subset of
//         the totals;
//       - adoption: a leftover whose address lies in a HomePrefix is adopted
//         in the home role (tunnel local end the HomeAgent Address, its
//         care-of address one a home BU could bind), with the MAP's rules
//         otherwise, and in secure mode only if the identity holding the
//         home address is its owner (AdoptVerdict::not_owner); the L flag comes back from the kernel (a proxy entry
//         for the link-local address beside the home address's:
//         LeftoverBinding::link_local_proxy) and stays set, so that a
//         re-install keeps the link-local proxy and carrier-up announces it
//         (the node's next BU sets it anew); a link-local proxy entry on a
//         map binding, or with no home Interface now, is re-installed away;
//       - reload: a home binding whose address leaves every HomePrefix (or
//         whose HomeAgent block goes) is removed (prefix_removed), in
//         secure mode also one whose home address changed owner or lost
//         its HomeAddress line (owner_changed; a pending registration of
//         the former owner is refused with 129), a
//         new HomeAgent Address or home Interface re-installs in place, a
//         pending home registration whose prefix went gets 132.
//   * Multiple CoA (RFC 5648 §6.2, draft-ietf-monami6-multiplecoa-13 §5-6,
//     RFC 6089 BID-PRI; issue 15; mcoa.cpp), both roles alike: a BU with
//     Binding Identifier options, after the address-level checks above
//     (destination, ACoA, protection, flags, prefix, own address):
//       - MultipleCoa ignore: the options are skipped as an RFC 6275 node
//         skips an option it does not know (a malformed one too): a regular
//         BU, a BA without BID options, counted (bu_bid_ignored);
//       - 164 whole: a malformed BID option (other malformed options are
//         still discarded silently), BID 0, a BID twice, an IPv6 care-of
//         address field not unicast routable (link-local, multicast,
//         loopback, unspecified). Then 166 whole with MultipleCoa off, 168
//         whole for more than one option with BulkRegistration off;
//       - per BID: 169 for H (a simultaneous home and foreign binding is
//         not served, so status 5 MCOA RETURNHOME WO/NDP is never sent);
//         174 for an IPv4 care-of address field (DSMIPv6 not served);
//       - 165 whole while the address has a regular (BID 0) binding, or a
//         regular registration pending: RFC 5648 has no O flag, the node
//         deregisters it first. An adopted regular binding (the kernel keeps
//         no BID) is the exception: the BU is processed (any sequence
//         number, as for adoption) and the adopted binding removed
//         (RemoveReason::replaced) once a BID of it is bound;
//       - the sequence number is the address's, shared by its BIDs (and by
//         a regular BU for the address): 135 whole with the last accepted.
//         It becomes the BU's when a BID of it is deregistered or bound (a
//         BU whose every BID is refused is not accepted and leaves it, RFC
//         6275 §9.5.1), and never goes backwards (a BID of an older BU that
//         commits after a newer BU was accepted leaves it);
//       - lifetime 0: each BID removed (bound) or cancelled (pending); an
//         unknown BID -> that BID 133. A BID whose care-of address field is
//         the address is deregistered the same way in any BU;
//       - lifetime > 0: a BID binds its care-of address field; without one,
//         a single-BID BU binds the BU's care-of address (ACoA/HAO as
//         above), a bulk BU refreshes the BID's bound care-of address, or
//         that BID gets 167. Then per BID: in the insecure testbed mode a
//         care-of address field outside TrustedPrefix -> 129 (the HAO and
//         ACoA are checked by the protection check; a field is not);
//         coa_refusal -> 129 (existing: the address has any binding);
//         MaxCareOfAddresses (BID bindings of the address, the BU's new
//         ones included in option order, those it deregisters not; an
//         adopted regular one not) -> 130, counted
//         cap_care_of_addresses; then the caps for each new BID binding
//         (MaxBindings and the per-node caps count every BID binding,
//         MaxPendingRegistrations every pending one, MaxConcurrentDad the
//         one DAD of a new address) -> 130. In secure mode the BU itself is
//         ESP-protected, its care-of address fields included;
//       - each BID then goes through the machinery of a regular binding,
//         keyed {address, BID}: refresh (committed at once), move or rank
//         change (re-installed in place), create. A new address runs one
//         DAD (started by the first new BID, StartDad for the address),
//         shared by its BIDs and its result (134 for each on a duplicate,
//         130 if its group cannot be joined); cancelling the last BID
//         waiting for it stops it (StopDad);
//       - ONE BA per BU (Txn), sent when every BID is done (installs
//         answered, DAD over): all BIDs with one status -> the BA has it and
//         the options status 0; else BA status 4 (MCOA NOTCOMPLETE) with
//         each option's own. Every BID option of the BU is copied into it
//         (bid, H, BID-PRI and care-of address field as received; the status
//         is the outcome, 0 in a BA refusing the whole BU). Its
//         lifetime: the granted one if a BID was bound, else 0. It goes to
//         the BU's care-of address (transient route unless the address's
//         top-ranked binding is there). A BA refusing the whole BU (every
//         BID, or a whole-BU status) at its arrival is rate-limited like any
//         refusal; one after DAD or an install is not;
//       - a BU (with or without BIDs) for an address whose Multiple CoA BU
//         is in flight (DAD or installs) is absorbed (the node retransmits;
//         a newer retransmission of the same BU, the same options, care-of
//         address and lifetime, becomes the one answered: the BA and the
//         bindings carry its sequence number; any other keeps the first
//         one's, which is what gets bound), except a deregistration: it
//         proceeds and withdraws the BU in flight whose BIDs it cancels (no
//         BA for that one: its sequence number is older than the node's).
//         A withdrawn BU's other new BIDs are cancelled (counted
//         mcoa_bids_cancelled; an install already sent is answered as
//         unmatched and removed), its moves and rank changes of bound BIDs
//         complete without a BA (the kernel has them; the binding is
//         indexed, so deregistrations, caps and a replacing regular
//         binding see it);
//       - a BID pending for a BU in flight that goes for another reason
//         ends that BID in its BA: its binding expiring (130), a reload
//         removing its prefix (132) or, secure mode, changing its home
//         address's owner (129); a backstop withdraws a BU still in flight
//         2 x DadTimeout + kTxnMargin after its arrival (counted
//         mcoa_txn_abandoned), so an address never absorbs BUs for ever;
//       - insecure mode: the home-link deregistration exemption (home agent
//         role, above) holds for a BU with BID options only if it can only
//         deregister: lifetime 0 and every care-of address field absent or
//         the home address (else a field could bind the home address
//         elsewhere); otherwise it goes through the TrustedPrefix check
//         (dropped, counted home_bu_home_link_bid and
//         bu_unprotected_dropped);
//       - L on a BU with BID options is not served for the link-local
//         address (no proxy, no DAD for it); the home address is;
//       - a BU without BID option for an address with BID bindings:
//         lifetime 0 (or care-of address == address) removes them all (a
//         Multiple CoA BU in flight withdrawn); lifetime > 0 makes a
//         regular binding {address, 0} that replaces them, make-before-
//         break: installed first, ranked kRegularRank (above them), then
//         RemoveBinding (replaced) for each BID, then the BA. No cap and no
//         DAD: the address exists. Counted mcoa_regular_replaced;
//       - ranks (InstallBinding::rank; kglue: the highest carries the
//         address's traffic, equal ranks the lower BID): a BID binding gets
//         a recency stamp (a counter) when it is created or moved; in one
//         BU the created and moved BIDs are stamped in option order, and
//         the BID on the BU's own care-of address (the node sends from its
//         preferred interface) last, even if it was only refreshed.
//         McoaSelection recent: rank = stamp. priority: rank = (128 -
//         BID-PRI, or 0 for BID-PRI 0 = none) << 48 | stamp: the lowest
//         non-zero BID-PRI wins (RFC 6089), ties by recency. A regular
//         binding: kRegularRank while BID bindings of its address exist,
//         else 0 (alone: kglue's default; not re-installed when the BIDs
//         go). A refresh whose rank changed (a new BID-PRI in priority
//         mode, or the own-CoA restamp) re-installs in place
//         (InstallReason::rank, counted mcoa_rank_reinstalls) before the BA;
//       - BRR: per binding as before; a BID binding's carries a BID option
//         (RFC 5648 §6.4) and goes to its own care-of address, through a
//         transient route2 state unless it is the top-ranked binding
//         (SendBrr::bid, SendBrr::transient_route);
//       - reload: a new McoaSelection re-ranks every BID binding (re-
//         installed in place where the rank changed) and every pending one
//         (waiting for DAD: installed with the new rank; already installed:
//         re-installed in place once committed, as for a new MapAddress,
//         Interface or TunnelMtu); MultipleCoa off or
//         ignore keeps the BID bindings (granted lifetimes stand; the
//         node's next BU with BIDs gets 166, or is a regular BU replacing
//         them); a lower MaxCareOfAddresses keeps what is bound;
//       - adoption: the kernel keeps no BID (kglue adopts the top-ranked
//         tunnel of an address as its BID 0 binding), so adopted bindings
//         are regular ones, replaced by the node's BIDs as said above;
//       - the per-address index (Address: its bound BIDs, sequence number,
//         BU in flight, shared DAD) keeps every per-BU lookup O(log n) or
//         O(BIDs of the address), never a scan of the cache;
//       - views: BindingView::rank, active (top-ranked of its address),
//         bid_pri; MapState::flow_policies (FlowPolicy blocks with how many
//         bindings have their BID). Counters: mcoa_bu_received,
//         mcoa_bulk_bu, mcoa_bids_registered, mcoa_bids_refreshed (refreshes
//         and moves), mcoa_bids_deregistered, mcoa_ba_not_complete,
//         mcoa_regular_replaced, mcoa_adopted_replaced, mcoa_rank_reinstalls,
//         mcoa_txn_abandoned, mcoa_bids_cancelled, home_bu_home_link_bid;
//         a BID's refusal counts in bu_refused under its status (one per
//         option; a whole-BU refusal once), bu_accepted counts BAs with
//         status 0.
//   * Binding Errors (status 2, unknown MH type) are rate-limited to a burst
//     of kBindingErrorBurst, then one per kBindingErrorInterval. Each is
//     sent from the offending packet's destination when that is one of
//     mapd's addresses (MapAddress, the HomeAgent Address), else from
//     MapAddress, or the HomeAgent Address when mapd is a home agent only
//     (never from ::).
//   * BAs that refuse a received BU (status >= 128 from BU processing) are
//     rate-limited per sending care-of address, the packet's own, not an
//     ACoA (kRefusalBaLimits): junk BUs from a trusted
//     source get a few answers, not one each. A refusal without its BA is
//     still counted in bu_refused, and in ba_refusal_rate_limited. Refusals
//     that do not answer a BU just received (130, 134, 132 on reload) are
//     not limited. The "refused BU" log line is rate-limited (kLogInterval).
//   * Carrier back on an RCoA link (up after down, or first report) with
//     bindings proxied on it: the proxy entries are re-added (the kernel
//     flushes them when the link goes admin down; 6.1.0-57 keeps them on
//     a mere carrier loss, other kernels may not: test/kernel case 43), then
//     every RCoA proxied there is announced again with an unsolicited NA, as
//     for a new binding (RFC 6275 §10.4.1): neighbours may hold stale
//     entries from before the outage. Losing the link changes no binding.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hmip/core/rate_limit.h"
#include "hmip/core/time.h"
#include "hmip/ike/ike_sa.h"
#include "hmip/map/config.h"
#include "hmip/map/map_types.h"
#include "hmip/map/timer_queue.h"
#include "hmip/wire/error.h"
#include "hmip/wire/mh_options.h"

namespace hmip::map {

inline constexpr std::uint32_t kBindingErrorBurst = 10;
inline constexpr Duration kBindingErrorInterval = core::milliseconds(100);
/// Rate-limited log lines (unprotected, malformed or refused BUs) at most this often.
inline constexpr Duration kLogInterval = core::seconds(10);
/// BAs refusing a received BU, per sending care-of address: a burst of 8, then 2 a second;
/// sources beyond 4096 share a bucket of 64, then 100 a second.
inline constexpr core::SourceLimits kRefusalBaLimits{8, core::milliseconds(500), 4096, 64, core::milliseconds(10)};
/// How long a binding adopted from a previous run lives unless its node
/// re-registers (capped like a granted lifetime; see the file comment): long
/// enough for BRRs every BrrInterval and the node's BU retransmissions, short
/// enough that a vanished node's binding goes soon.
inline constexpr Duration kAdoptedLifetime = core::seconds(20);
/// Multiple CoA backstop: a BU still in flight this long after twice its
/// role's DAD timeout (DAD, then the installs, which mapd answers at once)
/// is withdrawn (counted mcoa_txn_abandoned), so that an address never
/// absorbs its node's BUs forever, whatever went wrong.
inline constexpr Duration kTxnMargin = core::seconds(5);

class MapAgent {
 public:
  /// `cfg` is assumed valid (config_parse checks it). `rng_seed` is kept
  /// for jitter (none needed yet; the seam for BRR jitter).
  MapAgent(MapdConfig cfg, std::uint64_t rng_seed);

  /// A decoded Mobility Header for the MAP (see ReceivedMh). Only Binding
  /// Updates are processed; BA, BE and BRR are counted and ignored.
  void handle_mh(TimePoint now, const ReceivedMh& mh);
  /// A Mobility Header that failed wire::decode_mh: counted by reason;
  /// an unknown MH type (error.code unknown_type, `mh_type` from
  /// wire::peek_mh_type) is answered with a Binding Error status 2 (RFC
  /// 6275 §9.2) to `lcoa` (the HAO's CoA) or `src`, rate-limited, from
  /// `dst` (the packet's destination) when that is one of mapd's addresses,
  /// else from MapAddress (the HomeAgent Address without the MAP role).
  void handle_invalid_mh(TimePoint now, const Ip6Addr& src, const Ip6Addr& dst, const std::optional<Ip6Addr>& lcoa,
                         const wire::Error& error, std::optional<std::uint8_t> mh_type);
  /// DAD for `rcoa` (asked with StartDad) found the address in use
  /// (`duplicate`): the pending BU gets 134. `duplicate` false ends DAD
  /// early with success. `rcoa` may also be the link-local address of a
  /// home registration with L (its second StartDad): a duplicate refuses
  /// the registration (134), a success alone ends nothing. Results for no
  /// running DAD are counted and ignored.
  void handle_dad_result(TimePoint now, const Ip6Addr& rcoa, bool duplicate);
  /// DAD for `rcoa` (asked with StartDad) could not run: the daemon could
  /// not join its solicited-node group (`why`, logged; the kernel's limit on
  /// a socket's memberships, say). The pending BU gets 130 rather than a
  /// binding without DAD; counted (dad_join_failed). For no running DAD:
  /// counted (dad_unmatched) and ignored.
  void handle_dad_failed(TimePoint now, const Ip6Addr& rcoa, std::string_view why);
  /// The result of an InstallBinding for `key`. ok: the registration is
  /// committed and its BA (and unsolicited NA) queued. Failure (`error`
  /// says why, logged): BA 130, a new binding is not created, a moved one
  /// keeps its previous LCoA, a reload re-install removes the binding.
  /// A result for no pending install is counted; if ok, RemoveBinding is
  /// queued for it (state nobody wants any more).
  void handle_dataplane_result(TimePoint now, const BindingKey& key, bool ok, std::string_view error);
  /// Carrier of `interface` changed. Up after down (or unknown) with
  /// bindings proxied on it: RefreshProxies{interface}, then one
  /// SendUnsolicitedNa per RCoA proxied there (sorted by RCoA).
  void handle_link_carrier(TimePoint now, const std::string& interface, bool up);
  /// Secure mode: one of charon's SA events. An event naming state the
  /// table never saw queues a ResyncIke (once until handle_ike_sas).
  void handle_ike_event(TimePoint now, const ike::SaEvent& e);
  /// Secure mode: all of charon's IKE SAs (list-sas at a (re)connect or
  /// after ResyncIke): replaces the holder table.
  void handle_ike_sas(TimePoint now, const std::vector<ike::IkeSaView>& sas);
  /// Secure mode: charon is gone; nothing is protected until it is back.
  void handle_ike_lost(TimePoint now);
  /// The RCoA holder table (hmipctl's view, tests).
  [[nodiscard]] const ike::RcoaHolders& ike_holders() const noexcept { return ike_; }
  /// Start-up: a complete binding a previous run left in the kernel (see
  /// the file comment). Adopted: in the cache with kAdoptedLifetime, a BRR
  /// due at once, the first BU accepted with any sequence number, and an
  /// InstallBinding (adopt) if its kernel settings differ from the
  /// configuration's. Refused: RemoveBinding (not_adopted). Counted, logged.
  AdoptVerdict adopt(TimePoint now, const LeftoverBinding& b);
  /// New configuration (see the file comment for what happens to bindings).
  void reload(TimePoint now, MapdConfig cfg);
  /// Does whatever is due at `now`: expiries, BRRs, finished DADs.
  void handle_timeout(TimePoint now);

  /// The earliest deadline, if any (set the OS timer to it).
  [[nodiscard]] std::optional<TimePoint> poll_timeout() const;
  /// The next action, in order; nullopt when drained.
  std::optional<Action> poll_action();

  /// Full view (bindings sorted by key: O(n log n), for hmipctl).
  [[nodiscard]] MapState state(TimePoint now) const;
  /// One binding's view, if bound.
  [[nodiscard]] std::optional<BindingView> binding(const BindingKey& key, TimePoint now) const;
  /// Whether a Mobility Header from home address `home` (the HAO's care-of
  /// address `coa`; nullopt: no HAO) to `dst` skips the daemon's
  /// per-source flood limit, because no forger on an access link can send
  /// it: in secure mode `home` inside an RcoaPrefix and `dst` MapAddress, or
  /// `home` inside a HomePrefix and `dst` the HomeAgent Address (the kernel
  /// let it through only under ESP, mapd's IN policies, which name those
  /// destinations); in either mode `home` bound to `coa` (the refresh of an
  /// existing binding). Junk forging a victim's care-of address as its
  /// source then spends only the forger's own budget, not the victim's
  /// registrations.
  [[nodiscard]] bool source_limit_exempt(const Ip6Addr& home, const std::optional<Ip6Addr>& coa,
                                         const Ip6Addr& dst) const;
  [[nodiscard]] std::size_t binding_count() const noexcept { return bindings_.size(); }
  [[nodiscard]] std::size_t pending_count() const noexcept { return pending_.size(); }
  /// What the caps count now (also in state()).
  [[nodiscard]] CapUsage cap_usage() const;
  [[nodiscard]] const MapCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const MapdConfig& config() const noexcept { return cfg_; }

 private:
  /// What an accepted-so-far BU asks for.
  struct Request {
    Ip6Addr src;             ///< the BU's destination (BA source)
    Ip6Addr lcoa;
    Ip6Addr sender;          ///< the packet's care-of address (the HAO's, else its source): what refusals are limited by
    std::uint16_t sequence = 0;
    std::uint16_t lifetime_units = 0;  ///< granted
    std::uint16_t prefix = 0;          ///< index into cfg_.rcoa_prefixes
    bool from_neighbour = false;
    bool home_flag = false;
    /// Who the binding counts against for the per-node cap: the IKE identity
    /// holding the RCoA (secure mode) or the TrustedPrefix of the CoA
    /// (insecure testbed mode); empty: none.
    std::string owner;
    BindingRole role = BindingRole::map;
    bool link_local = false;           ///< home role, L flag: proxy (and DAD) the link-local address too
    // Multiple CoA (mcoa.cpp).
    std::uint64_t rank = 0;            ///< InstallBinding::rank (committed into Binding::rank)
    std::uint64_t stamp = 0;           ///< recency stamp of a BID binding (McoaSelection recent)
    std::uint8_t bid_pri = 0;          ///< BID-PRI of its Binding Identifier option
    std::optional<std::uint64_t> txn;  ///< the Multiple CoA BU (Txn) this BID belongs to: its BA waits for it
  };
  struct Binding {
    Ip6Addr lcoa;
    TimePoint created;
    TimePoint registered;    ///< last accepted BU
    TimePoint expires;
    std::optional<TimePoint> next_brr;
    std::optional<TimePoint> timer;  ///< deadline set in timers_ (min of next_brr, expires)
    std::uint32_t brr_sent = 0;
    std::uint16_t sequence = 0;
    std::uint16_t lifetime_units = 0;
    std::uint16_t prefix = 0;
    bool from_neighbour = false;
    bool home_flag = false;
    std::string owner;       ///< counted in owner_load_ (Request::owner)
    bool adopted = false;  ///< from a previous run (adopt()), no BU accepted since
    BindingRole role = BindingRole::map;
    bool link_local = false;  ///< home role, L flag (Request::link_local)
    std::uint64_t rank = 0;   ///< as installed (InstallBinding::rank)
    std::uint64_t stamp = 0;  ///< Request::stamp
    std::uint8_t bid_pri = 0; ///< Request::bid_pri
  };
  struct Pending {
    Request req;
    std::optional<TimePoint> dad_deadline;  ///< DAD running until then (counted in dad_running_)
    bool dad_link_local = false;            ///< the DAD also covers the link-local address (L flag; one group)
    bool install_sent = false;
    InstallReason reason = InstallReason::create;
    std::string owner;       ///< create: counted in owner_load_ under this (req.owner when it began)
    bool awaiting_dad = false;  ///< Multiple CoA: waits for its address's DAD (Address::dad_deadline)
    /// A reload changed what its install (already sent) should have carried
    /// (the rank under a new McoaSelection, MapAddress, the Interface,
    /// TunnelMtu): re-installed in place (InstallReason::reload) once it is
    /// committed (map_reload.cpp).
    bool reinstall_after = false;
  };
  /// What the cache holds per address (the per-address index of BIDs, so
  /// that a BU never scans the cache), keyed BindingKey{address, 0}. Exists
  /// while the address has a binding, a Multiple CoA BU in flight or a DAD.
  struct Address {
    std::vector<std::uint16_t> bids;   ///< bound BIDs, sorted (0: a regular binding); at most MaxCareOfAddresses + 1
    std::uint16_t sequence = 0;        ///< last accepted sequence number (Multiple CoA: per address)
    std::optional<std::uint64_t> txn;  ///< the Multiple CoA BU in flight (DAD or installs)
    std::optional<TimePoint> dad_deadline;  ///< Multiple CoA: DAD of the new address, shared by its BIDs
    std::vector<std::uint16_t> dad_bids;  ///< the pending BIDs waiting for it (awaiting_dad)
  };
  /// One BID option of a Multiple CoA BU and what became of it.
  struct BidOutcome {
    wire::BindingIdentifierOption option;  ///< as received (status 0)
    std::uint8_t status = 0;
    bool done = false;
    bool registered = false;  ///< bound with the BU's lifetime (not a deregistration)
  };
  /// A Multiple CoA BU being processed: one BA when every BID is done.
  struct Txn {
    Ip6Addr addr;
    Ip6Addr src;     ///< the BU's destination (BA source)
    Ip6Addr lcoa;    ///< the BU's care-of address (BA destination)
    Ip6Addr sender;  ///< the packet's care-of address (refusals rate-limited by it)
    std::uint16_t sequence = 0;
    std::uint16_t lifetime_units = 0;  ///< granted
    std::uint16_t asked_lifetime = 0;  ///< the BU's own (a retransmission must match it)
    BindingRole role = BindingRole::map;
    std::vector<BidOutcome> bids;      ///< in option order
    std::size_t outstanding = 0;
    TimePoint received;
    /// Set when it outlives handle_bu (Address::txn): withdrawn then if still
    /// in flight (a backstop, TimerQueue::Kind::txn on {addr, 0}).
    std::optional<TimePoint> deadline;
    bool in_bu = true;  ///< still inside handle_bu: a refusal BA is rate-limited
  };
  /// What handle_bu found out before the Multiple CoA processing.
  struct BuContext {
    Ip6Addr addr;    ///< RCoA or home address
    Ip6Addr src;     ///< the BU's destination
    Ip6Addr coa;     ///< the BU's care-of address (ACoA, HAO, source)
    Ip6Addr sender;  ///< the packet's care-of address
    BindingRole role = BindingRole::map;
    std::uint16_t prefix = 0;
  };
  using PendingMap = std::unordered_map<BindingKey, Pending, BindingKeyHash>;
  struct RateLimitedLog {
    std::optional<TimePoint> last;
    std::uint64_t suppressed = 0;
  };

  // binding_update.cpp
  void handle_bu(TimePoint now, const ReceivedMh& mh, const wire::BindingUpdate& bu);
  /// Whether the BU passes the IPsec check (RFC 6275 §9.5.1); `home`: a
  /// home registration to the home agent role (secure mode: its holder must
  /// also be the home address's owner).
  [[nodiscard]] bool bu_protected(TimePoint now, const ReceivedMh& mh, const Ip6Addr& coa, bool home);
  /// Secure mode: the CoA the BU binds (its ACoA), or nullopt (dropped).
  [[nodiscard]] std::optional<Ip6Addr> secure_coa(TimePoint now, const ReceivedMh& mh,
                                                  const wire::BindingUpdate& bu, BindingRole role);
  void deregister(TimePoint now, const BindingKey& key, const Request& req);
  // mcoa.cpp (Multiple CoA, RFC 5648)
  /// A BU with Binding Identifier options, MultipleCoa on or off, past the
  /// address-level checks (map_agent.h, "Multiple CoA").
  void handle_mcoa_bu(TimePoint now, const wire::BindingUpdate& bu, const BuContext& c);
  /// BID `bid` of Multiple CoA BU `txn` is done with `status`; the BA goes
  /// when it was the last. An unknown `txn` (withdrawn) is ignored.
  void finish_bid(std::uint64_t txn, std::uint16_t bid, std::uint8_t status, bool registered);
  /// Sends the BA of `txn` (every BID done) and forgets it.
  void answer(std::uint64_t txn);
  /// `txn` out of the table with its backstop timer and its address's
  /// in-flight mark (answer, withdraw); nullopt if already gone.
  std::optional<Txn> take_txn(std::uint64_t txn);
  /// Forgets `txn` without a BA (a newer BU deregistered BIDs it was
  /// registering: its BA would carry an old sequence number; or the
  /// backstop). Its BIDs still pending: a new one (no binding yet) is
  /// cancelled, a move or rank change of a bound BID completes without a BA
  /// (its install is in the kernel's hands; the binding is indexed, so a
  /// deregistration, the caps and a replacing regular binding see it).
  void withdraw(std::uint64_t txn);
  /// The backstop timer of the BU in flight for `addr` popped: withdrawn, counted.
  void on_txn_timer(TimePoint now, const Ip6Addr& addr);
  /// refuse() for a pending registration: a BID of a Multiple CoA BU ends
  /// its BID (finish_bid), anything else gets its BA.
  void refuse_req(const BindingKey& key, const Request& req, std::uint8_t status);
  /// A pending BID dropped other than by its own outcome: its Multiple CoA
  /// BU, if still in flight, has it done with `status` (counted in
  /// bu_refused); a regular request (no txn) gets nothing (its node
  /// retransmits).
  void abort_bid(const BindingKey& key, const Request& req, std::uint8_t status);
  /// The address's last accepted sequence number becomes `seq` if newer (or
  /// `any`: the address had no binding, or an adopted one whose number is
  /// unknown); never backwards.
  void note_sequence(const Ip6Addr& addr, std::uint16_t seq, bool any);
  /// The rank of a binding of `key` (InstallBinding::rank) with recency
  /// `stamp` and BID-PRI `bid_pri` under the current McoaSelection.
  [[nodiscard]] std::uint64_t rank_of(const BindingKey& key, std::uint64_t stamp, std::uint8_t bid_pri) const;
  /// The per-address index (Address), if the address has an entry.
  [[nodiscard]] const Address* address_of(const Ip6Addr& addr) const;
  Address& address_entry(const Ip6Addr& addr);
  /// Drops the entry of `addr` if it holds nothing any more.
  void release_address(const Ip6Addr& addr);
  void index_binding(const BindingKey& key);
  void unindex_binding(const BindingKey& key);
  /// Whether `addr` has a bound BID binding (bid != 0).
  [[nodiscard]] bool has_bid_bindings(const Ip6Addr& addr) const;
  /// The binding carrying `addr`'s traffic by default: the highest rank,
  /// equal ranks the lower BID. O(BIDs of the address).
  [[nodiscard]] std::optional<BindingKey> top_of(const Ip6Addr& addr) const;
  /// Whether the route2 state of `addr` leads to `lcoa` now (its top-ranked
  /// binding is bound there): else a BA or BRR needs a transient one.
  [[nodiscard]] bool routed_to(const Ip6Addr& addr, const Ip6Addr& lcoa) const;
  /// Multiple CoA DAD of a new address (shared by its pending BIDs).
  void start_address_dad(const Ip6Addr& addr, BindingRole role, std::uint16_t prefix, TimePoint now);
  /// The address DAD is over: success (installs sent for its BIDs) or a
  /// refusal `status` for each (134 duplicate, 130 group not joined).
  void end_address_dad(const Ip6Addr& addr, std::optional<std::uint8_t> status);
  /// The cap a new registration would exceed, counted and logged; no BA.
  [[nodiscard]] bool cap_exceeded(TimePoint now, const BindingKey& key, const Request& req, bool needs_dad);
  /// The status and reason refusing a BU for its flags (RFC 5380 §4, RFC
  /// 6275 §10.3.1), given the role it asks for and whether mapd serves that
  /// role on the BU's destination; nullopt: the flags are acceptable.
  [[nodiscard]] std::optional<std::pair<std::uint8_t, std::string>> flag_refusal(const wire::BindingUpdate& bu,
                                                                                  BindingRole role,
                                                                                  bool served);
  /// Why care-of address `coa` cannot be bound to `addr` in `role` ("":
  /// it can). Map role: `existing` binding may come from NeighbourPrefix
  /// (sets `from_neighbour`). Shared by BU processing and adopt().
  [[nodiscard]] std::string coa_refusal(BindingRole role, const Ip6Addr& addr, const Ip6Addr& coa, bool existing,
                                        bool& from_neighbour) const;
  // home_registration.cpp
  /// Insecure testbed mode: whether the BU is a home agent's deregistration
  /// sent from the home link by a node back home (RFC 6275 §11.5.5: from
  /// the home address, no HAO, care-of address the home address) that
  /// skips the TrustedPrefix check (the file comment says why).
  [[nodiscard]] bool home_link_deregistration(const ReceivedMh& mh, BindingRole role, bool to_home,
                                              const Ip6Addr& coa) const;
  /// Whether a BU whose Binding Identifier options Multiple CoA processes
  /// can only deregister `home` (lifetime 0, every option's care-of address
  /// field absent or `home`): else it loses home_link_deregistration's
  /// exemption.
  [[nodiscard]] static bool only_deregisters(const wire::BindingUpdate& bu, const Ip6Addr& home);
  /// The HomeAddress line naming `home`, if any.
  [[nodiscard]] const HomeAddressOwner* home_owner(const Ip6Addr& home) const;
  /// Secure mode: whether the one identity holding `home` in the holder
  /// table is the owner its HomeAddress line names.
  [[nodiscard]] bool held_by_owner(const Ip6Addr& home) const;
  /// "its owner is X (HomeAddress, line N)" or why it has none, for logs.
  [[nodiscard]] std::string owner_text(const Ip6Addr& home) const;
  /// coa_refusal for the home role (RFC 6275 §9.5.1, §10.3.1).
  [[nodiscard]] std::string home_coa_refusal(const Ip6Addr& home, const Ip6Addr& coa) const;
  /// The key of the pending registration whose DAD covers `addr` (its
  /// address, or the link-local address of a home registration with L).
  [[nodiscard]] std::optional<BindingKey> dad_key(const Ip6Addr& addr) const;
  /// SendUnsolicitedNa for the binding's address (and its link-local one
  /// with L) on the prefix's link (RFC 6275 §10.4.1).
  void announce(const BindingKey& key, BindingRole role, std::uint16_t prefix, bool link_local);
  /// The home address of another binding or pending registration with L
  /// whose link-local address (fe80::<interface id>) is `key`'s, proxied on
  /// the same link as HomePrefix `prefix`; nullopt: none. O(bindings).
  [[nodiscard]] std::optional<Ip6Addr> link_local_holder(const BindingKey& key, std::uint16_t prefix) const;
  // map_caps.cpp
  /// The cap a new registration `req` would exceed (refused with 130,
  /// counted, logged rate-limited): true if refused.
  [[nodiscard]] bool over_cap(TimePoint now, const BindingKey& key, const Request& req, bool needs_dad);
  /// Request::owner for a BU for `rcoa` binding `coa`.
  [[nodiscard]] std::string owner_of(const Ip6Addr& rcoa, const Ip6Addr& coa) const;
  [[nodiscard]] std::size_t owner_cap() const;
  /// Secure mode: `sa` just came up with leases; if its identity now holds
  /// more than MaxBindingsPerIdentity, TerminateIke it (counted, logged).
  void check_leases(TimePoint now, const ike::IkeSaView& sa);
  Pending& add_pending(const BindingKey& key, const Request& req, InstallReason reason);
  /// Drops pending entry `it` (its DAD, caps and index) and returns its
  /// request: the caller ends its BID (commit, refuse_req, abort_bid).
  Request drop_pending(PendingMap::iterator it);
  /// drop_pending, then abort_bid with `status`: a BID of a Multiple CoA BU
  /// still in flight never stays undone (its BA would never go and its
  /// address would absorb every BU).
  void erase_pending(PendingMap::iterator it, std::uint8_t status);
  void start_dad(const BindingKey& key, Pending& p, TimePoint deadline);
  /// The DAD of `p` is over (its timer popped or cancelled by the caller).
  void end_dad(Pending& p);
  /// Cancels `p`'s running DAD (if any): timer, count, StopDad.
  void cancel_dad(const BindingKey& key, Pending& p);
  void load_owner(const std::string& owner);
  void unload_owner(const std::string& owner);
  void register_binding(TimePoint now, const BindingKey& key, const Request& req);
  void refuse(const BindingKey& key, const Ip6Addr& src, const Ip6Addr& lcoa, std::uint8_t status,
              std::uint16_t sequence, BindingRole role,
              const std::vector<wire::BindingIdentifierOption>* bids = nullptr);
  /// refuse() for a BU just received: its BA only if the token bucket of
  /// `sender`, the packet's care-of address, allows (counted either way).
  /// Not the Alternate Care-of Address: its sender picks it freely, and could
  /// rotate it past the limit or spend a victim's bucket with it.
  void refuse_bu(TimePoint now, const BindingKey& key, const Ip6Addr& src, const Ip6Addr& lcoa, const Ip6Addr& sender,
                 std::uint8_t status, std::uint16_t sequence, BindingRole role,
                 const std::vector<wire::BindingIdentifierOption>* bids = nullptr);
  // map_agent.cpp
  void service(TimePoint now);
  void on_binding_timer(TimePoint now, const BindingKey& key);
  void on_dad_timer(TimePoint now, const BindingKey& key);
  /// What a BID's BU learns when its pending entry goes with its binding (`why`).
  [[nodiscard]] static std::uint8_t removal_status(RemoveReason why) noexcept;
  /// Ends a pending registration whose DAD of `reported` the daemon
  /// stopped; returns its request.
  Request finish_dad(PendingMap::iterator it, const Ip6Addr& reported);
  void send_install(const BindingKey& key, Pending& p);
  void commit(TimePoint now, const BindingKey& key, const Request& req);
  void schedule(const BindingKey& key, Binding& b, TimePoint now);
  void remove_binding(const BindingKey& key, RemoveReason why);
  /// `bids`: Binding Identifier options to carry (a BA answering a Multiple CoA BU).
  void send_ba(const BindingKey& key, const Ip6Addr& src, const Ip6Addr& lcoa, std::uint8_t status,
               std::uint16_t sequence, std::uint16_t lifetime_units, bool transient,
               const std::vector<wire::BindingIdentifierOption>* bids = nullptr);
  /// A Request re-installing binding `b` as it is (reload, adopt).
  [[nodiscard]] Request reinstall_request(const Binding& b) const;
  [[nodiscard]] std::optional<std::uint16_t> prefix_of(BindingRole role, const Ip6Addr& addr) const;
  [[nodiscard]] const std::string& interface_of(BindingRole role, std::uint16_t prefix) const;
  [[nodiscard]] const Ip6Addr& own_address(BindingRole role) const;
  [[nodiscard]] BindingView view(const BindingKey& key, const Binding& b, TimePoint now) const;
  void log(LogLevel level, std::string text);
  void log_limited(RateLimitedLog& rl, TimePoint now, LogLevel level, std::string text);

  MapdConfig cfg_;
  core::Rng rng_;
  std::unordered_map<BindingKey, Binding, BindingKeyHash> bindings_;
  PendingMap pending_;
  // Multiple CoA (mcoa.cpp)
  std::unordered_map<BindingKey, Address, BindingKeyHash> addresses_;  ///< per address, key {address, 0}
  std::unordered_map<std::uint64_t, Txn> txns_;  ///< Multiple CoA BUs in flight
  std::uint64_t next_txn_ = 1;
  std::uint64_t rank_clock_ = 0;  ///< recency stamps (McoaSelection recent)
  // What the caps count (map_caps.cpp), kept as pending_ and bindings_ change.
  std::size_t creates_pending_ = 0;  ///< pending_ entries of reason create
  std::size_t dad_running_ = 0;      ///< pending_ entries with a dad_deadline
  std::unordered_map<std::string, std::size_t> owner_load_;  ///< bindings + pending creates per non-empty owner
  TimerQueue timers_;
  std::deque<Action> actions_;
  MapCounters counters_;
  std::unordered_map<std::string, bool> carrier_;  ///< last reported carrier per interface
  // Binding Error token bucket (RFC 6275 §9.2 answers; rate-limited).
  std::uint32_t be_tokens_ = kBindingErrorBurst;
  std::optional<TimePoint> be_refill_;
  RateLimitedLog log_unprotected_, log_malformed_, log_wrong_dst_, log_invalid_, log_acoa_, log_refused_, log_cap_,
      log_owner_;
  ike::RcoaHolders ike_;       ///< secure mode: who holds which RCoA (charon's SA events)
  bool ike_resync_pending_ = false;
  // Refusal BAs per sending care-of address (issue 13 item 15: junk BUs from trusted sources).
  core::SourceRateLimiter refusal_limiter_;  ///< keyed from the seed
};

}  // namespace hmip::map
