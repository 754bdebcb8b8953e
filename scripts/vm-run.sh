#!/usr/bin/env bash
# Runs a command inside Debian's distro kernel (linux-image-amd64, 6.1) under
# qemu, for tests that need kernel features the host kernel may lack
# (ip6tnl, esp6, MIPv6). The guest's root is the host's / (read-only 9p with a
# tmpfs overlay), so the repository, build outputs and Debian's tools are all
# there at their usual paths; network namespaces work as usual inside.
#
# Usage: scripts/vm-run.sh [--out DIR] [--timeout S] [--accel auto|kvm|tcg] -- CMD ARGS...
#        scripts/vm-run.sh --prepare      (fetch the kernel, build the initramfs, no boot)
#
#   --out DIR      share host DIR writable with the guest, at the same path
#                  (default: $HMIP_VM_OUT if set, else nothing is writable)
#   --timeout S    kill the VM after S seconds of wall time (default 600,
#                  or $HMIP_VM_TIMEOUT); the exit status is then 124
#   --accel A      kvm, tcg or auto (default: $HMIP_VM_ACCEL or auto: KVM if
#                  /dev/kvm answers a quick probe, else TCG emulation)
#
# The command runs in the caller's working directory with the caller's PATH,
# HOME, LANG, TERM and every HMIP_* variable, plus HMIP_IN_VM=1. Its output is
# streamed to stdout and vm-run.sh exits with its exit status; 125 means the
# VM never reported one (boot failure, panic), 124 a timeout.
#
# The kernel (apt-get download + dpkg-deb -x, nothing is installed) and the
# initramfs (busybox-static + virtio/9p/overlay modules) are cached in
# $HMIP_VM_CACHE (default <repo>/.cache/vm) and rebuilt only if missing.
# The host's /tmp and /run are NOT visible in the guest (fresh tmpfs there):
# keep what the guest needs under the repository or share it with --out.
#
# Other knobs: HMIP_VM_KERNEL_PKG (a linux-image-* package instead of what
# linux-image-amd64 depends on), HMIP_VM_KERNEL_ARGS (extra kernel command
# line), HMIP_VM_KVM_DEADLINE (seconds a KVM guest may take to reach the job
# before the run is redone under TCG; default 60), HMIP_VM_HOST_STATE (where
# this host's verdict on KVM is remembered; default /var/cache/hmip, else
# $VM_CACHE: see kvm_stalled_mark below).
# See shared/notes/kernel-testbed.md for why things are done this way.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)
VM_LIB=$SELF_DIR/lib
# shellcheck source=lib/vm-image.sh
. "$VM_LIB/vm-image.sh"

usage() { sed -n '/^# Usage/,/^#   --accel/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

OUT=${HMIP_VM_OUT:-}
TIMEOUT=${HMIP_VM_TIMEOUT:-600}
ACCEL=${HMIP_VM_ACCEL:-auto}
PREPARE_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --timeout=*) TIMEOUT=${1#--timeout=}; shift ;;
    --accel) ACCEL=$2; shift 2 ;;
    --accel=*) ACCEL=${1#--accel=}; shift ;;
    --prepare) PREPARE_ONLY=1; shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
if [ "$PREPARE_ONLY" -eq 0 ] && [ $# -eq 0 ]; then usage; fi
case "$ACCEL" in auto|kvm|tcg) ;; *) vm_log "--accel must be auto, kvm or tcg"; exit 2 ;; esac
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || { vm_log "--timeout wants whole seconds"; exit 2; }

command -v qemu-system-x86_64 >/dev/null ||
  { vm_log "qemu-system-x86_64 not found: run scripts/install-deps.sh"; exit 125; }

VM_CACHE=${HMIP_VM_CACHE:-$REPO/.cache/vm}
mkdir -p "$VM_CACHE"
VM_CACHE=$(cd "$VM_CACHE" && pwd -P)

# Several runs may share the cache (ctest -j): one prepares, the others wait.
exec 9>"$VM_CACHE/.lock"
flock 9
vm_prepare || { vm_log "preparing the VM failed"; exit 125; }
flock -u 9
exec 9>&-
[ "$PREPARE_ONLY" -eq 1 ] && { vm_log "ready: $VM_KPKG ($VM_KVER), $VM_INITRD"; exit 0; }

if [ -n "$OUT" ]; then
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd -P)
fi
CWD=$(pwd -P)
# The guest mounts fresh tmpfs on /tmp and /run, hiding the host's: a repo,
# cache or working directory there (a CI clone in /tmp, say) is bound back
# from the read-only host root.
BIND_DIRS=
for p in $(printf '%s\n' "$(cd "$REPO" && pwd -P)" "$(cd "$VM_CACHE" && pwd -P)" "$CWD" | sort -u); do
  case "$p" in /tmp/*|/run/*) BIND_DIRS="$BIND_DIRS $p" ;; esac
done
# boot.conf is read by busybox sh and the guest mounts by path: no blanks.
for p in "$VM_CACHE" "$OUT" "$VM_LIB" "$REPO" "$CWD"; do
  case "$p" in *[[:space:]]*) vm_log "paths with blanks are not supported: '$p'"; exit 2 ;; esac
done

# RUN holds the console FIFO and CTL, the control share (job.sh in,
# started/status out).
RUN=$(mktemp -d "$VM_CACHE/run.XXXXXX")
CTL=$RUN/ctl
mkdir "$CTL"
QEMU_PID=
SED_PID=
cleanup() {
  if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; wait "$QEMU_PID" 2>/dev/null || true; fi
  if [ -n "$SED_PID" ]; then kill "$SED_PID" 2>/dev/null || true; fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$CTL/boot.conf" <<EOF
KVER=$VM_KVER
MODULES_DIR=$VM_KROOT/lib/modules/$VM_KVER
STAGE2=$VM_LIB/vm-guest.sh
OUT_DIR=$OUT
BIND_DIRS="$BIND_DIRS"
EOF

{
  echo "# written by scripts/vm-run.sh"
  for v in PATH HOME LANG LC_ALL TZ TERM; do
    [ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  while IFS= read -r v; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done < <(compgen -e | grep '^HMIP_' || true)
  echo "export HMIP_IN_VM=1"
  printf 'cd %q || { echo "vm: the working directory is not visible in the guest"; exit 126; }\n' "$CWD"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$CTL/job.sh"

# KVM works only where the host's (nested) virtualisation accepts the guest
# CPU; on the project's machines "-cpu host" fails with "failed to set MSR
# 0x10a" at CPU reset (and without that MSR the guest hangs), so the probe
# starts a paused VM and quits. A KVM guest that still has not started the job
# after $KVM_BOOT_DEADLINE seconds is killed and the run is redone under TCG.
KVM_BOOT_DEADLINE=${HMIP_VM_KVM_DEADLINE:-60}
kvm_probe() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  (echo quit | timeout 10 qemu-system-x86_64 -accel kvm -cpu host -nodefaults \
     -no-user-config -display none -S -m 64 -monitor stdio) >/dev/null 2>&1
}

# A KVM guest that passed the probe but never reached the job (this
# project's machines: the paused probe starts, the real guest stalls) costs
# the whole KVM deadline on every boot. The verdict is remembered per host
# (kernel, CPU model, qemu version: a change of any of them, or a week,
# tries KVM again) in a host-wide place, so later boots, other clones and CI runs on
# the same machine go straight to TCG. `--accel kvm` still tries, and a KVM
# guest that does start clears the mark.
HOST_STATE=${HMIP_VM_HOST_STATE:-/var/cache/hmip}
mkdir -p "$HOST_STATE" 2>/dev/null && [ -w "$HOST_STATE" ] || HOST_STATE=$VM_CACHE
KVM_MARK=$HOST_STATE/kvm-stalled
kvm_host_id() {
  printf '%s|%s|%s\n' "$(uname -r)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
    "$(qemu-system-x86_64 --version 2>/dev/null | head -n1)"
}
# A mark older than a week is tried again (a stall under one heavy load
# should not disable KVM for good).
kvm_marked_stalled() {
  [ -n "$(find "$KVM_MARK" -mtime -7 2>/dev/null)" ] && [ "$(cat "$KVM_MARK" 2>/dev/null)" = "$(kvm_host_id)" ]
}

case "$ACCEL" in
  tcg) MODE=tcg ;;
  kvm) kvm_probe || { vm_log "KVM was asked for but does not work here"; exit 125; }; MODE=kvm ;;
  auto)
    if kvm_marked_stalled; then
      MODE=tcg
      vm_log "KVM guests stall on this host ($KVM_MARK): using TCG"
    elif kvm_probe; then
      MODE=kvm
    else
      MODE=tcg
    fi ;;
esac

# Extra kernel arguments (debugging: e.g. HMIP_VM_KERNEL_ARGS=loglevel=7).
# no_timer_check is always given: on a loaded host the emulated CPU is too
# slow for the kernel's IO-APIC timer check, which then panics at boot ("IO-APIC
# + timer doesn't work!", seen here with both cores busy).
KERNEL_ARGS=${HMIP_VM_KERNEL_ARGS:-}

run_qemu() {
  local mode=$1
  local -a accel
  if [ "$mode" = kvm ]; then
    accel=(-accel kvm -cpu host -smp 2 -m 1024)
  else
    # shellcheck disable=SC2054 # commas belong to the -accel value
    accel=(-accel tcg,thread=multi -cpu max -smp 2 -m 1024)
  fi
  local -a shares=(
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$CTL,mount_tag=hmipctl,security_model=none,multidevs=remap"
  )
  [ -n "$OUT" ] && shares+=(-virtfs "local,path=$OUT,mount_tag=hmipout,security_model=none,multidevs=remap")
  rm -f "$CTL/started" "$CTL/status"
  shift
  vm_log "booting $VM_KPKG ($mode) for: $*"
  rm -f "$RUN/console" && mkfifo "$RUN/console"
  # The serial console is the guest's stdout; strip the CRs it adds.
  sed -u -e 's/\r$//' -e '/^\[ *[0-9.]*\] reboot: Power down$/d' <"$RUN/console" &
  SED_PID=$!
  T0=$(date +%s.%N)
  timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${accel[@]}" \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$VM_VMLINUZ" -initrd "$VM_INITRD" \
    -append "console=ttyS0 quiet panic=-1 no_timer_check rdinit=/init $KERNEL_ARGS" \
    -chardev stdio,id=con -serial chardev:con \
    "${shares[@]}" </dev/null >"$RUN/console" 2>&1 &
  QEMU_PID=$!
  QEMU_RC=0
  KVM_STALLED=0
  if [ "$mode" = kvm ]; then
    local waited=0
    while [ ! -e "$CTL/started" ] && kill -0 "$QEMU_PID" 2>/dev/null; do
      if [ "$waited" -ge $((KVM_BOOT_DEADLINE * 2)) ]; then
        KVM_STALLED=1
        kill "$QEMU_PID" 2>/dev/null || true
        break
      fi
      sleep 0.5
      waited=$((waited + 1))
    done
  fi
  wait "$QEMU_PID" || QEMU_RC=$?
  QEMU_PID=
  wait "$SED_PID" || true
  SED_PID=
  T1=$(date +%s.%N)
}

QEMU_RC=0
run_qemu "$MODE" "$@"
if [ "$MODE" = kvm ] && [ ! -e "$CTL/started" ] && { [ "$KVM_STALLED" = 1 ] || [ "$QEMU_RC" != 124 ]; }; then
  vm_log "the KVM guest never started the job (qemu status $QEMU_RC); redoing the run under TCG," \
    "and remembering it in $KVM_MARK"
  kvm_host_id >"$KVM_MARK.$$" && mv -f "$KVM_MARK.$$" "$KVM_MARK"
  MODE=tcg
  run_qemu tcg "$@"
elif [ "$MODE" = kvm ] && [ -e "$CTL/started" ]; then
  rm -f "$KVM_MARK"
fi

wall=$(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.1f", b-a}')
if [ -e "$CTL/started" ]; then
  ready=$(stat -c %.3Y "$CTL/started" 2>/dev/null || stat -c %Y "$CTL/started")
  boot=$(awk -v a="$T0" -v b="$ready" 'BEGIN{printf "%.1f", b-a}')
  vm_log "boot ($MODE): ${boot}s wall to the job's start ($(cat "$CTL/started")s guest uptime); total ${wall}s wall"
else
  vm_log "the guest never reached the job ($MODE, ${wall}s wall)"
fi

if [ -s "$CTL/status" ]; then
  exit "$(cat "$CTL/status")"
fi
if [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
  vm_log "timed out after ${TIMEOUT}s"
  exit 124
fi
vm_log "the VM reported no exit status (qemu status $QEMU_RC)"
exit 125
