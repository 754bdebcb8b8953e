# shellcheck shell=bash
# Sourced by scripts/vm-run.sh: fetches Debian's distro kernel and builds the
# test VM's initramfs, both cached under $VM_CACHE. Idempotent: each step is
# skipped when its result is already there, and results appear atomically
# (built under a temporary name, then renamed), so an interrupted run leaves
# nothing half-made behind. Callers hold $VM_CACHE/.lock while this runs.
#
# Sets: VM_KPKG (package), VM_KVER (uname -r), VM_KROOT (unpacked tree),
#       VM_VMLINUZ, VM_INITRD.

# Modules the initramfs loads, in load order: each depends on the ones before
# it (see shared/notes/kernel-testbed.md).
VM_INITRD_MODULES=(
  virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  netfs fscache 9pnet 9pnet_virtio 9p overlay
)

vm_log() { echo "vm-run: $*" >&2; }

# The linux-image-6.1*-amd64 package that linux-image-amd64 points at.
vm_resolve_kernel_pkg() {
  if [ -n "${HMIP_VM_KERNEL_PKG:-}" ]; then
    echo "$HMIP_VM_KERNEL_PKG"
    return
  fi
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
    vm_log "apt has no package lists yet: apt-get update"
    apt-get update -qq >&2 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  echo "$pkg"
}

vm_fetch_kernel() {
  if ! vm_fetch_kernel_once; then
    # Stale package lists name a version the archive no longer has.
    [ "$(id -u)" -eq 0 ] || return 1
    vm_log "retrying after apt-get update"
    apt-get update -qq >&2 || true
    vm_fetch_kernel_once
  fi
}

vm_fetch_kernel_once() {
  local pkg
  pkg=$(vm_resolve_kernel_pkg)
  if [ -z "$pkg" ]; then
    # No apt lists (offline?): fall back to a kernel fetched earlier.
    pkg=$(ls -1 "$VM_CACHE/kernel" 2>/dev/null | sort -V | tail -n1)
    [ -n "$pkg" ] || { vm_log "cannot resolve linux-image-amd64 (apt-cache depends) and no kernel is cached"; return 1; }
    vm_log "apt-cache cannot resolve linux-image-amd64; using cached $pkg"
  fi
  case "$pkg" in
    linux-image-6.1*-amd64) ;;
    *) vm_log "warning: expected a linux-image-6.1*-amd64 package, got $pkg" ;;
  esac
  # shellcheck disable=SC2034 # used by vm-run.sh
  VM_KPKG=$pkg
  VM_KROOT=$VM_CACHE/kernel/$pkg
  if [ ! -e "$VM_KROOT/.complete" ]; then
    vm_log "fetching $pkg (apt-get download) into $VM_CACHE"
    local tmp=$VM_CACHE/kernel/.tmp-$pkg.$$
    rm -rf "$tmp" && mkdir -p "$tmp/deb" "$tmp/root"
    # Root's download would otherwise warn that the _apt sandbox user cannot
    # write here.
    (cd "$tmp/deb" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) \
      || { rm -rf "$tmp"; vm_log "apt-get download $pkg failed"; return 1; }
    dpkg-deb -x "$tmp"/deb/*.deb "$tmp/root"
    local ver
    ver=$(ls -1 "$tmp/root/lib/modules" | head -n1)
    # The package's postinst would run depmod; without modules.dep/alias the
    # guest's modprobe (and the kernel's auto-loading) finds nothing.
    depmod -b "$tmp/root" "$ver"
    echo "$ver" >"$tmp/root/.kver"
    touch "$tmp/root/.complete"
    rm -rf "$VM_KROOT"
    mv "$tmp/root" "$VM_KROOT"
    rm -rf "$tmp"
  fi
  VM_KVER=$(cat "$VM_KROOT/.kver")
  VM_VMLINUZ=$VM_KROOT/boot/vmlinuz-$VM_KVER
  [ -r "$VM_VMLINUZ" ] || { vm_log "no kernel image at $VM_VMLINUZ"; return 1; }
}

# Copies module NAME (.ko, .ko.xz, .ko.zst or .ko.gz) from the kernel tree,
# decompressed, to DIR/NAME.ko.
vm_copy_module() {
  local name=$1 dir=$2 f
  f=$(find "$VM_KROOT/lib/modules/$VM_KVER/kernel" -name "$name.ko*" | head -n1)
  [ -n "$f" ] || { vm_log "module $name not in $VM_KROOT"; return 1; }
  case "$f" in
    *.ko) cp "$f" "$dir/$name.ko" ;;
    *.ko.xz) xz -dc "$f" >"$dir/$name.ko" ;;
    *.ko.zst) zstd -qdc "$f" >"$dir/$name.ko" ;;
    *.ko.gz) gzip -dc "$f" >"$dir/$name.ko" ;;
    *) vm_log "unknown module format: $f"; return 1 ;;
  esac
}

vm_build_initrd() {
  local busybox
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || { vm_log "busybox not found (install busybox-static: scripts/install-deps.sh)"; return 1; }
  if ldd "$busybox" >/dev/null 2>&1; then
    vm_log "$busybox is dynamically linked; install busybox-static"
    return 1
  fi
  # The initramfs depends on the init script, the module list, the kernel and
  # busybox: its name carries a hash of them, so editing vm-init.sh rebuilds.
  local key
  key=$( { cat "$VM_LIB/vm-init.sh"; echo "${VM_INITRD_MODULES[*]}"; echo "$VM_KVER";
           sha256sum "$busybox"; } | sha256sum | cut -c1-12)
  VM_INITRD=$VM_CACHE/initramfs-$VM_KVER-$key.cpio.gz
  [ -s "$VM_INITRD" ] && return 0

  vm_log "building $(basename "$VM_INITRD")"
  local tmp=$VM_CACHE/.initrd.$$
  rm -rf "$tmp" && mkdir -p "$tmp/bin" "$tmp/modules" "$tmp/dev"
  cp "$busybox" "$tmp/bin/busybox"
  cp "$VM_LIB/vm-init.sh" "$tmp/init"
  chmod 0755 "$tmp/init" "$tmp/bin/busybox"
  local m
  : >"$tmp/modules/order"
  for m in "${VM_INITRD_MODULES[@]}"; do
    vm_copy_module "$m" "$tmp/modules" || { rm -rf "$tmp"; return 1; }
    echo "$m.ko" >>"$tmp/modules/order"
  done
  (cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
    gzip -1 >"$VM_INITRD.tmp"
  mv "$VM_INITRD.tmp" "$VM_INITRD"
  rm -rf "$tmp"
  # Older initramfs images for this kernel are stale now.
  find "$VM_CACHE" -maxdepth 1 -name "initramfs-$VM_KVER-*.cpio.gz" ! -name "$(basename "$VM_INITRD")" -delete
}

vm_prepare() {
  mkdir -p "$VM_CACHE/kernel"
  vm_fetch_kernel && vm_build_initrd
}
