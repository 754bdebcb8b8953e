#!/bin/bash
# Stage 2 of the test VM: PID 1 after switch_root into the host's / (read-only
# 9p under a tmpfs overlay). Runs the job that scripts/vm-run.sh wrote to the
# control share, records its exit status there and powers the VM off.
#
# Usage (by vm-init.sh only): vm-guest.sh CTL_DIR
#   CTL_DIR/job.sh    the job: environment, working directory, command
#   CTL_DIR/started   written here when the job starts (guest uptime)
#   CTL_DIR/status    written here when it ends: the job's exit status

CTL=${1:-/run/hmip-vm}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

exec </dev/null >/dev/console 2>&1

off() {
  sync
  # The host's /sbin/poweroff may be systemd's; busybox's -f and sysrq need
  # no init system. -no-reboot on the qemu side turns a reboot into an exit.
  busybox poweroff -f 2>/dev/null
  echo o >/proc/sysrq-trigger
  sleep 10
}
trap off EXIT

hostname hmip-vm 2>/dev/null || echo hmip-vm >/proc/sys/kernel/hostname
ip link set lo up 2>/dev/null
# Kernel chatter (e.g. "module verification failed") would interleave with
# the job's output on the console; keep only errors.
echo "3 4 1 3" >/proc/sys/kernel/printk 2>/dev/null

read -r up _ </proc/uptime
echo "$up" >"$CTL/started"
echo "vm: guest ready after ${up}s of guest uptime ($(uname -r))"

bash "$CTL/job.sh"
rc=$?

read -r up2 _ </proc/uptime
echo "vm: job exited with status $rc after $(awk -v a="$up" -v b="$up2" 'BEGIN{printf "%.1f", b-a}')s"
echo "$rc" >"$CTL/status.tmp" && mv "$CTL/status.tmp" "$CTL/status"
off
