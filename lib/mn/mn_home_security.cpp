// MobileNode: secure mode for the home registration (RFC 4877; the model is
// in hmip/ike/charon_conn.h, "Home registrations"). charon protects MH
// between the home address and the HA with a CHILD_SA on an IKE SA from the
// care-of address the node registers (SecureHome); the core only sequences
// it: no home BU before the first protection, a failed setup holds the
// registration down (kIkeFailureHoldDown), a lost protection is set up
// again while the home binding stays, a move re-establishes the IKE SA from
// the new care-of address after the home BU went out (the ESP SAs do not
// depend on it), a deregistration answered releases it. The decisions are
// listed in hmip/mn/mobile_node.h.
#include <chrono>
#include <string>

#include "hmip/mn/mobile_node.h"

namespace hmip::mn {

void MobileNode::home_secure(const Ip6Addr& coa, TimePoint now) {
  if (!secure() || stopping_ || !home_ || !home_->ha) return;
  Home& h = *home_;
  if (h.sec && h.sec->ha != *h.ha) home_release();  // HomeAgent discover: another HA now
  if (h.held_until && h.ike_held) return;
  if (h.sec && h.sec->coa == coa) return;  // set up, or being set up, from there
  const bool up = h.sec && h.sec->up_from;
  if (!h.sec) h.sec = HomeSecurity{*h.ha, coa, std::nullopt, std::nullopt};
  h.sec->coa = coa;
  if (up) {
    ++counters_.home_ike_reestablished;
    log(LogLevel::info, "re-establishing IKEv2 with home agent " + h.ha->str() + " from " + coa.str() +
                            " (make-before-break: the ESP SAs keep protecting home BUs)");
  } else {
    h.sec->deadline = now + cfg_.ike.ike_timeout;
    ++counters_.home_ike_requested;
    log(LogLevel::info, "protecting the home registration of " + h.cfg.address.str() + " with home agent " +
                            h.ha->str() + " from " + coa.str() + " (IKEv2, RFC 4877)");
  }
  actions_.emplace_back(SecureHome{*h.ha, h.cfg.address, coa, h.cfg.protect_traffic});
}

void MobileNode::home_release() {
  if (!home_ || !home_->sec) return;
  actions_.emplace_back(ReleaseHome{home_->sec->ha});
  home_->sec.reset();
}

void MobileNode::service_home_security(TimePoint now) {
  const Home& h = *home_;
  if (!h.sec || h.sec->up_from || !h.sec->deadline || *h.sec->deadline > now) return;
  const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(cfg_.ike.ike_timeout).count();
  home_ike_failed("no protection within IkeTimeout (" + std::to_string(s).substr(0, 4) + " s)", now);
}

// Released; with HomeAgent discover (away) the next HA listed is tried, else
// the registration rests kIkeFailureHoldDown (a HA whose charon restarts should
// be used again soon) and the protection is asked for again afterwards.
void MobileNode::home_ike_failed(const std::string& why, TimePoint now) {
  Home& h = *home_;
  const Ip6Addr ha = h.sec->ha;
  ++counters_.home_ike_failed;
  home_release();
  if (stopping_) return;
  // Away only: at home the next HA would mean taking the home address off
  // the home link (DHAAD runs away), for a deregistration that can wait.
  if (!h.cfg.home_agent && h.ha == ha && !at_home()) {
    home_next_ha("cannot be reached by IKEv2 (" + why + ")", now);
    return;
  }
  h.ike_held = true;
  home_hold("IKEv2 with home agent " + ha.str() + " failed: " + why, false, now, kIkeFailureHoldDown);
}

void MobileNode::handle_home_security_up(TimePoint now, const Ip6Addr& home_agent, const Ip6Addr& coa) {
  service(now);
  if (!home_ || !home_->sec || home_->sec->ha != home_agent) {
    actions_.emplace_back(ReleaseHome{home_agent});  // nothing waits for it
    return;
  }
  Home& h = *home_;
  HomeSecurity& s = *h.sec;
  const bool first = !s.up_from;
  s.up_from = coa;
  if (!first) {
    log(LogLevel::info, "IKEv2 with home agent " + home_agent.str() + " re-established from " + coa.str());
    return;
  }
  s.deadline.reset();
  ++counters_.home_ike_established;
  log(LogLevel::notice, "home registration of " + h.cfg.address.str() + " with home agent " + home_agent.str() +
                            " protected by IKEv2/ESP (IKE SA from " + coa.str() + ")");
  service(now);  // the first home BU (or the deregistration at home)
  // Back after a loss: the registration the HA holds is refreshed at once
  // (a BU that waited; the HA may have restarted).
  if (!stopping_ && h.registered && !h.pending && !h.held_until && home_installed_away())
    (void)send_home_update(cfg_.initial_bindack_timeout, false, now);
}

void MobileNode::handle_home_security_down(TimePoint now, const Ip6Addr& home_agent, bool lost,
                                           const std::string& why) {
  service(now);
  if (!home_ || !home_->sec || home_->sec->ha != home_agent) return;
  Home& h = *home_;
  if (!lost || !h.sec->up_from) {
    home_ike_failed(why, now);
    return;
  }
  ++counters_.home_ike_lost;
  log(LogLevel::warning, "the IKEv2 protection with home agent " + home_agent.str() + " went away (" + why +
                             "): protecting again; home BUs wait, the home binding stays");
  home_release();
  // A deregistration at home goes again once protected (a BU outstanding
  // away stays: its answer may still come; retransmissions wait).
  if (h.pending && h.pending->lifetime_units == 0 && !h.stop_dereg) {
    h.pending.reset();
    h.dereg_due = true;
  }
  if (!stopping_) service_home(now);  // SecureHome from where the node is now
}

}  // namespace hmip::mn
