# shellcheck shell=bash
# Sourced by every test/kernel/cases/*.sh: namespaces, veth links, packet
# captures, and a cleanup that runs however the case ends.
#
# The runner (test/kernel/run-suite.sh) exports:
#   HMIP_BUILD_DIR   the CMake build directory (mh_probe lives in test/kernel/)
#   HMIP_KERNEL_OUT  a writable directory for this case's logs and pcaps
# Nothing here assumes a VM: the same cases run on any kernel that has
# ip6tnl, esp6 and MIPv6 (CONFIG_IPV6_MIP6).
set -euo pipefail
# HMIP_KERNEL_TRACE=1: trace every command with a timestamp (PS4 is not
# taken from the environment when running as root).
if [ "${HMIP_KERNEL_TRACE:-0}" = 1 ]; then
  PS4='+${EPOCHREALTIME} '
  set -x
fi

: "${HMIP_BUILD_DIR:?run the cases through test/kernel/run-suite.sh}"
: "${HMIP_KERNEL_OUT:?run the cases through test/kernel/run-suite.sh}"
mkdir -p "$HMIP_KERNEL_OUT"

# Names unique to this case run, so a leftover or a parallel run never
# collides: hk<pid>-<name>.
HK_PREFIX="hk$$"
HK_NS=()
HK_PIDS=()
# Scratch directories on a local file system (removed at exit): UNIX
# sockets cannot live on the VM's 9p share where HMIP_KERNEL_OUT is.
HK_TMPDIRS=()

hk_log() { echo "  $*"; }
hk_fail() {
  echo "FAIL: $*"
  exit 1
}

# Runs a command in namespace NAME (short name, as given to hk_ns).
hk_in() {
  local ns="$HK_PREFIX-$1"
  shift
  ip netns exec "$ns" "$@"
}

# Creates namespace NAME: lo up, IPv6 only, no DAD (no waits), no router
# solicitations.
hk_ns() {
  local ns="$HK_PREFIX-$1"
  ip netns add "$ns"
  HK_NS+=("$ns")
  hk_in "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv6.conf.default.accept_ra=0 >/dev/null
  ip -n "$ns" link set lo up
}

# hk_veth NS1 IF1 ADDR1/LEN NS2 IF2 ADDR2/LEN: a veth pair between two
# namespaces with one IPv6 address on each end.
hk_veth() {
  local ns1="$HK_PREFIX-$1" if1=$2 a1=$3 ns2="$HK_PREFIX-$4" if2=$5 a2=$6
  ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2"
  ip -n "$ns1" addr add "$a1" dev "$if1" nodad
  ip -n "$ns2" addr add "$a2" dev "$if2" nodad
  ip -n "$ns1" link set "$if1" up
  ip -n "$ns2" link set "$if2" up
}

# hk_ns_name NAME: the full namespace name, for `ip -n`.
hk_ns_name() { echo "$HK_PREFIX-$1"; }

# hk_bg NAME OUTFILE CMD...: starts CMD in namespace NAME in the background,
# output to OUTFILE; the pid is in HK_BG_PID and is waited for/killed at exit.
hk_bg() {
  local name=$1 out=$2
  shift 2
  # Not through hk_in: a backgrounded function runs in a subshell, and then
  # $! would be that subshell, not the process to wait for or stop.
  ip netns exec "$HK_PREFIX-$name" "$@" </dev/null >"$out" 2>&1 &
  HK_BG_PID=$!
  HK_PIDS+=("$HK_BG_PID")
}

# hk_wait_file FILE SECONDS: waits until FILE exists (and is not empty).
hk_wait_file() {
  local f=$1 limit=$(( $2 * 10 )) i=0
  while [ ! -s "$f" ]; do
    i=$((i + 1))
    [ "$i" -le "$limit" ] || return 1
    sleep 0.1
  done
}

# hk_mh_exchange RX TX KIND RECV_ARGS... -- SEND_ARGS...: starts
# `$PROBE recv-KIND RECV_ARGS` in namespace RX, waits until it listens, runs
# `$PROBE send-KIND SEND_ARGS` in namespace TX, prints both sides' output and
# returns the receiver's status (non-zero: it did not get what was sent).
# KIND is bu or ba (test/kernel/mh_probe.cpp).
hk_mh_exchange() {
  local rx_ns=$1 tx_ns=$2 kind=$3
  shift 3
  local recv_args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    recv_args+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  local ready="$HMIP_KERNEL_OUT/$kind.ready" log="$HMIP_KERNEL_OUT/recv-$kind.txt" rx rc=0
  rm -f "$ready"
  hk_bg "$rx_ns" "$log" "$PROBE" "recv-$kind" "${recv_args[@]}" --timeout 30 --ready "$ready"
  rx=$HK_BG_PID
  hk_wait_file "$ready" 30 || hk_fail "recv-$kind did not start"
  hk_in "$tx_ns" "$PROBE" "send-$kind" "$@" | sed 's/^/  send: /'
  wait "$rx" || rc=$?
  sed 's/^/  recv: /' "$log"
  return "$rc"
}

# hk_mh_wire PCAP: the Mobility Header packets of PCAP as tcpdump -v prints
# them, one per line, into PCAP.txt (also shown); grep that for the wire view.
hk_mh_wire() {
  tcpdump -v -n -r "$1" 2>/dev/null | tr -s ' \n' ' ' | sed 's/ IP6 /\nIP6 /g' | grep mobility >"$1.txt" || true
  sed 's/^/  wire: /' "$1.txt"
}

# hk_capture_start NAME IFACE PCAP [FILTER...]: tcpdump on IFACE in
# namespace NAME, writing PCAP; returns once tcpdump listens.
hk_capture_start() {
  local name=$1 ifc=$2 pcap=$3
  shift 3
  local err="$pcap.stderr"
  # -Z root: write the file as root (Debian's tcpdump drops to its own user);
  # -U: write each packet at once, so stopping loses nothing.
  ip netns exec "$HK_PREFIX-$name" tcpdump -i "$ifc" -n -U -Z root -w "$pcap" "$@" \
    </dev/null >/dev/null 2>"$err" &
  HK_CAP_PID=$!
  HK_CAP_PCAP=$pcap
  HK_PIDS+=("$HK_CAP_PID")
  local i=0
  until grep -q 'listening on' "$err" 2>/dev/null; do
    kill -0 "$HK_CAP_PID" 2>/dev/null || { cat "$err"; hk_fail "tcpdump did not start"; }
    i=$((i + 1))
    [ "$i" -le 300 ] || hk_fail "tcpdump did not start listening within 30 s"
    sleep 0.1
  done
}

# hk_capture_stop [MIN_PACKETS]: stops the capture once the pcap holds at
# least MIN_PACKETS packets (default 0), waiting up to 15 s for them: under
# emulation tcpdump may lag well behind the packets it is to write.
hk_capture_stop() {
  local min=${1:-0} i=0
  while [ "$(tcpdump -n -r "$HK_CAP_PCAP" 2>/dev/null | wc -l)" -lt "$min" ]; do
    i=$((i + 1))
    [ "$i" -le 75 ] || { hk_log "capture: fewer than $min packets after 15 s"; break; }
    sleep 0.2
  done
  sleep 0.2
  # TERM, not INT: background jobs of a script start with SIGINT ignored.
  kill -TERM "$HK_CAP_PID" 2>/dev/null || true
  wait "$HK_CAP_PID" 2>/dev/null || true
}

# hk_pcap_count PCAP FILTER...: how many packets of PCAP match FILTER.
hk_pcap_count() {
  local pcap=$1
  shift
  tcpdump -n -r "$pcap" "$@" 2>/dev/null | wc -l
}

# The MIPv6 route-optimisation states and SUB policies of
# shared/notes/kernel-testbed.md, as mapd and mnd install them (the kernel's
# rules for signalling with a HAO or an RH2; case 30 shows each one at work).
# hk_mip6_mn NAME RCOA MAP LCOA: the kernel inserts the HAO on MH from the
#   RCoA to the MAP; an RH2 from anyone is accepted and MH with one let in.
hk_mip6_mn() {
  local ns="$HK_PREFIX-$1" rcoa=$2 map=$3 lcoa=$4
  ip -n "$ns" xfrm state add src "$rcoa" dst "$map" proto hao mode ro coa "$lcoa"
  ip -n "$ns" xfrm policy add src "$rcoa/128" dst "$map/128" proto 135 dir out ptype sub \
    tmpl src "$rcoa" dst "$map" proto hao mode ro
  ip -n "$ns" xfrm state add src :: dst :: proto route2 mode ro coa :: flag wildrecv
  ip -n "$ns" xfrm policy add src ::/0 dst ::/0 proto 135 dir in ptype sub \
    tmpl proto route2 mode ro level use
}
# hk_mip6_map NAME [MAP RCOA LCOA]: a HAO from anyone is accepted and MH with
#   one let in; with the addresses, the kernel inserts an RH2 carrying the
#   RCoA on MH from the MAP to the RCoA (the BA), sent to the LCoA.
hk_mip6_map() {
  local ns="$HK_PREFIX-$1"
  ip -n "$ns" xfrm state add src :: dst :: proto hao mode ro coa :: flag wildrecv
  ip -n "$ns" xfrm policy add src ::/0 dst ::/0 proto 135 dir in ptype sub \
    tmpl proto hao mode ro level use
  [ $# -ge 4 ] || return 0
  local map=$2 rcoa=$3 lcoa=$4
  ip -n "$ns" xfrm state add src "$map" dst "$rcoa" proto route2 mode ro coa "$lcoa"
  ip -n "$ns" xfrm policy add src "$map/128" dst "$rcoa/128" proto 135 dir out ptype sub \
    tmpl src "$map" dst "$rcoa" proto route2 mode ro
}

hk_cleanup() {
  local rc=$?
  local p ns
  for p in "${HK_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for ns in "${HK_NS[@]}"; do
    # Deleting the namespace drops its XFRM state, policies and links too;
    # flush explicitly so nothing outlives the case even if a link or socket
    # keeps the namespace alive a little longer.
    ip -n "$ns" xfrm state flush 2>/dev/null || true
    ip -n "$ns" xfrm policy flush 2>/dev/null || true
    ip -n "$ns" xfrm policy flush ptype sub 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  [ ${#HK_TMPDIRS[@]} -eq 0 ] || rm -rf "${HK_TMPDIRS[@]}"
  exit "$rc"
}
trap hk_cleanup EXIT
# Name the step that failed (set -e ends the case right after).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/} line $LINENO: $BASH_COMMAND (status $?)"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
