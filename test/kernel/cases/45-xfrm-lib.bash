# shellcheck shell=bash
# Helpers of the 45-xfrm-* cases (sourced after lib/common.sh): xfrm_probe
# driven through a fifo, and `ip xfrm` output as one line per object.

# The probes' pipes and answers live on the guest's own tmpfs (fifos do not
# work over the 9p share).
XP_DIR=$(mktemp -d)

# xp_start NAME NS ARGS...: `xfrm_probe serve ARGS` in namespace NS, fed
# through a fifo; `xp NAME CMD` talks to it.
xp_start() {
  local name=$1 ns=$2 fd
  shift 2
  rm -f "$XP_DIR/$name.in" "$XP_DIR/$name.out"
  mkfifo "$XP_DIR/$name.in"
  ip netns exec "$(hk_ns_name "$ns")" "$XPROBE" serve "$@" <"$XP_DIR/$name.in" >"$XP_DIR/$name.out" 2>&1 &
  HK_PIDS+=("$!")
  eval "XP_PID_$name=$!"
  exec {fd}>"$XP_DIR/$name.in"
  eval "XP_FD_$name=$fd XP_N_$name=0"
}

# xp NAME CMD...: sends CMD, waits for its answer line (in XP_ANS, shown);
# true if it starts with "ok".
xp() {
  local name=$1 fdv="XP_FD_$1" nv="XP_N_$1" pidv="XP_PID_$1" n i=0
  shift
  n=$((${!nv} + 1))
  eval "XP_N_$name=$n"
  echo "$*" >&"${!fdv}"
  while [ "$(grep -cE '^(ok|err)' "$XP_DIR/$name.out" || true)" -lt "$n" ]; do
    kill -0 "${!pidv}" 2>/dev/null || { cat "$XP_DIR/$name.out"; hk_fail "xfrm_probe $name exited"; }
    i=$((i + 1))
    [ "$i" -le 1200 ] || hk_fail "xfrm_probe $name: no answer to '$*' within 60 s"
    sleep 0.05
  done
  XP_ANS=$(grep -E '^(ok|err)' "$XP_DIR/$name.out" | sed -n "${n}p")
  echo "  $name> $* -> $XP_ANS"
  [[ $XP_ANS == ok* ]]
}

# One line per state / policy of NS as `ip xfrm` prints it.
records() { awk '/^src /{ if (r != "") print r; r = $0; next } { r = r " " $0 } END { if (r != "") print r }' | tr -s ' \t' ' '; }
states() { ip -n "$(hk_ns_name "$1")" xfrm state list | records; }
policies() { ip -n "$(hk_ns_name "$1")" xfrm policy list | records; }

# has RECORDS REGEXP...: some record matches every REGEXP.
has() {
  local recs=$1 r w ok
  shift
  while IFS= read -r r; do
    ok=1
    for w in "$@"; do grep -qE -- "$w" <<<"$r" || { ok=0; break; }; done
    [ "$ok" = 1 ] && return 0
  done <<<"$recs"
  return 1
}

expect_state() {
  local ns=$1
  shift
  has "$(states "$ns")" "$@" || { states "$ns" | sed 's/^/  state: /'; hk_fail "$ns: no XFRM state matching: $*"; }
}
expect_policy() {
  local ns=$1
  shift
  has "$(policies "$ns")" "$@" || { policies "$ns" | sed 's/^/  policy: /'; hk_fail "$ns: no XFRM policy matching: $*"; }
}

