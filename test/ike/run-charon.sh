#!/usr/bin/env bash
# Starts a private charon and runs a test program against its VICI socket.
# Usage: run-charon.sh WORKDIR PROGRAM [ARGS...]
# The program gets HMIP_VICI_SOCKET=unix://WORKDIR/charon.vici and
# HMIP_IKE_PKI=WORKDIR/pki (ca.pem, map.pem, map.key: made with strongSwan's
# pki, ECDSA, the MAP's certificate with subjectAltName map1.hmip.test); charon's log
# is WORKDIR/charon.log (shown when the program fails). charon runs in a
# mount namespace with its own /run (its pid file is /run/charon.pid), so a
# system charon, if any, is left alone.
set -euo pipefail
work=$1
shift
charon=${HMIP_CHARON:-/usr/lib/ipsec/charon}
[ "$(id -u)" -eq 0 ] || { echo "run-charon: needs root (mount namespace, charon's netlink sockets)" >&2; exit 1; }
[ -x "$charon" ] || { echo "run-charon: $charon missing (scripts/install-deps.sh installs strongswan-charon)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cat >"$work/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-netlink socket-default vici
  install_routes = no
  install_virtual_ip = no
  # Never bind the IKE ports of the host: this charon only answers VICI.
  port = 0
  port_nat_t = 0
  plugins {
    vici {
      socket = unix://$work/charon.vici
    }
  }
  filelog {
    hmip {
      path = $work/charon.log
      default = 1
      cfg = 2
    }
  }
}
CONF
# Certificates for the load-conn tests (pki's own plugin list keeps it quiet).
mkdir -p "$work/pki"
printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' >"$work/pki.conf"
(
  cd "$work/pki"
  export STRONGSWAN_CONF=$work/pki.conf
  pki --gen --type ecdsa --size 256 --outform pem >ca.key
  pki --self --ca --lifetime 30 --in ca.key --dn "C=XX, O=hmip test, CN=hmip ca" --outform pem >ca.pem
  pki --gen --type ecdsa --size 256 --outform pem >map.key
  pki --pub --in map.key --outform pem |
    pki --issue --cacert ca.pem --cakey ca.key --lifetime 30 --dn "C=XX, O=hmip test, CN=map1.hmip.test" \
      --san map1.hmip.test --outform pem >map.pem
)
STRONGSWAN_CONF=$work/strongswan.conf unshare --mount --propagation private \
  sh -c "mount -t tmpfs none /run && exec $charon" </dev/null >"$work/charon.stdout" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  [ -S "$work/charon.vici" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/charon.stdout" "$work/charon.log" 2>/dev/null; exit 1; }
  sleep 0.1
done
[ -S "$work/charon.vici" ] || { echo "run-charon: no VICI socket after 10 s" >&2; exit 1; }
rc=0
HMIP_VICI_SOCKET=unix://$work/charon.vici HMIP_IKE_PKI=$work/pki "$@" || rc=$?
[ "$rc" -eq 0 ] || { echo "--- charon.log"; tail -n 50 "$work/charon.log" 2>/dev/null || true; }
exit "$rc"
