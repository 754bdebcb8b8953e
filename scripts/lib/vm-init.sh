#!/bin/busybox sh
# Stage 1 of the test VM: the /init of the initramfs that scripts/vm-run.sh
# builds. Runs under Debian's busybox-static with nothing but the modules the
# initramfs carries (listed in load order in /modules/order).
#
# It mounts the host's / read-only over virtio-9p (tag "hostroot") under a
# tmpfs overlay, binds the unpacked kernel's module tree into the new root,
# mounts the control share (tag "hmipctl", writable) and, if asked, the
# output share (tag "hmipout", writable) at the host path it has on the host,
# then switch_roots into the stage-2 script named by the control share's
# boot.conf (scripts/lib/vm-guest.sh).
#
# See ../../../shared/notes/kernel-testbed.md (module order, 9p options).

/bin/busybox --install -s /bin
export PATH=/bin

die() {
  echo "vm-init: $*" >/dev/console
  # Nothing sensible to fall back to: end the VM so the host sees no status.
  echo o >/proc/sysrq-trigger
  sleep 5
  poweroff -f
}

mkdir -p /proc /sys /dev /lower /rw /newroot /ctl
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

while read -r m; do
  [ -n "$m" ] || continue
  insmod "/modules/$m" || die "insmod $m failed"
done </modules/order

# The host root is read-only and does not change under a test run: let the
# guest cache it. The writable shares go through to the host at once.
NINEP=trans=virtio,version=9p2000.L,msize=262144
NINEP_RO="$NINEP,cache=loose,ro"
NINEP_RW="$NINEP,cache=mmap"

mount -t 9p -o "$NINEP_RW" hmipctl /ctl || die "cannot mount the control share"
[ -r /ctl/boot.conf ] || die "no boot.conf on the control share"
# boot.conf: MODULES_DIR=..., KVER=..., STAGE2=..., OUT_DIR=... (host paths,
# no spaces; vm-run.sh checks that).
. /ctl/boot.conf

mount -t 9p -o "$NINEP_RO" hostroot /lower || die "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot \
  || die "cannot mount the overlay"

# Fresh kernel filesystems and scratch space in the new root. Order matters:
# /tmp and /run first, the shares after, so a share below /tmp stays visible.
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev 2>/dev/null || mount --bind /dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
# Host directories below /tmp or /run the job needs (vm-run.sh's BIND_DIRS),
# read-only from the host root, over the fresh tmpfs.
for d in $BIND_DIRS; do
  mkdir -p "/newroot$d"
  mount --bind "/lower$d" "/newroot$d" || die "cannot bind $d"
done

# The distro kernel's modules, so modprobe (and the kernel's auto-loading,
# which calls /sbin/modprobe in the real root) finds them after switch_root.
mkdir -p "/newroot/lib/modules/$KVER"
mount --bind "/lower$MODULES_DIR" "/newroot/lib/modules/$KVER" || die "cannot bind $MODULES_DIR"

if [ -n "$OUT_DIR" ]; then
  mkdir -p "/newroot$OUT_DIR"
  mount -t 9p -o "$NINEP_RW" hmipout "/newroot$OUT_DIR" || die "cannot mount the output share at $OUT_DIR"
fi

mkdir -p /newroot/run/hmip-vm
mount --move /ctl /newroot/run/hmip-vm || die "cannot move the control share"

umount /proc /sys 2>/dev/null
exec switch_root /newroot /bin/bash "$STAGE2" /run/hmip-vm
die "switch_root failed"
