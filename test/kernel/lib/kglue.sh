# shellcheck shell=bash
# Sourced by the kernel-glue cases (40-43, 46, after common.sh): kglue_probe
# driven line by line through a fifo. The case sets KPROBE (the probe's path).
# kglue_start NS ARGS...: starts the probe in NS reading commands from a fifo.
kglue_start() {
  local ns=$1
  shift
  # The fifo lives in /tmp: the VM shares the repository over 9p, which has no fifos.
  KG_IN=$(mktemp -u /tmp/kglue.in.XXXXXX)
  KG_OUT=$HMIP_KERNEL_OUT/kglue.out.$RANDOM
  rm -f "$KG_IN"
  mkfifo "$KG_IN"
  hk_bg "$ns" "$KG_OUT" bash -c "exec \"\$0\" \"\$@\" <\"$KG_IN\"" "$KPROBE" "$@"
  KG_PID=$HK_BG_PID
  exec {KG_FD}>"$KG_IN"
  hk_wait_file "$KG_OUT" 30 || hk_fail "kglue_probe did not start"
  grep -q '^ready' "$KG_OUT" || { cat "$KG_OUT"; hk_fail "kglue_probe failed to start"; }
}
# kg_exchange CMD...: sends one command to the current probe and waits for
# its answer line (in KG_REPLY).
kg_exchange() {
  local n i=0
  n=$(wc -l <"$KG_OUT")
  echo "$*" >&"$KG_FD"
  while [ "$(wc -l <"$KG_OUT")" -le "$n" ]; do
    i=$((i + 1))
    [ "$i" -le 3000 ] || hk_fail "kglue_probe: no answer to '$*'"
    sleep 0.01
  done
  KG_REPLY=$(tail -n 1 "$KG_OUT")
  hk_log "kglue: $* -> $KG_REPLY"
}
# kg CMD...: sends one command, waits for its answer (in KG_REPLY), fails on error.
kg() {
  kg_exchange "$@"
  case "$KG_REPLY" in ok*) ;; *) hk_fail "kglue_probe: '$*' failed: $KG_REPLY" ;; esac
}
# kg_error CMD...: like kg, but the command must fail.
kg_error() {
  kg_exchange "$@"
  case "$KG_REPLY" in error*) ;; *) hk_fail "kglue_probe: '$*' succeeded, want a failure" ;; esac
}
# kg_save NAME / kg_use NAME: remember the probe kglue_start just started
# as NAME, and switch kg to it (cases driving probes in several namespaces).
kg_save() { eval "KG_IN_$1=\$KG_IN KG_OUT_$1=\$KG_OUT KG_FD_$1=\$KG_FD KG_PID_$1=\$KG_PID"; }
kg_use() { eval "KG_IN=\$KG_IN_$1 KG_OUT=\$KG_OUT_$1 KG_FD=\$KG_FD_$1 KG_PID=\$KG_PID_$1"; }
