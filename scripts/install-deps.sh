#!/usr/bin/env bash
# Installs every Debian package that building, testing, the demo and the
# test VM need. Idempotent: asks apt only for what is missing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang clang-tidy libclang-rt-14-dev
  catch2 libboost-dev libboost-program-options-dev nlohmann-json3-dev
  libnl-3-dev libnl-route-3-dev libnl-xfrm-3-dev libnftables-dev libsystemd-dev
  # oracles for the wire tests
  tshark python3-scapy python3-pytest
  # namespace testbeds and the distro-kernel VM
  iproute2 iputils-ping tcpdump nftables python3-matplotlib
  qemu-system-x86 busybox-static kmod cpio zstd xz-utils
  # IKEv2 between MN and MAP (RFC 5380 §12): charon, swanctl, pki, the
  # openssl plugin (ECDSA, X25519, AES-GCM) and the EAP methods
  strongswan-charon strongswan-swanctl strongswan-pki libstrongswan-standard-plugins
  libcharon-extra-plugins
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
