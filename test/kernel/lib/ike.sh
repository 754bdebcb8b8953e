# shellcheck shell=bash
# Sourced by the IKEv2 cases (after common.sh): certificates made with
# strongSwan's `pki`, and one charon per namespace, each with its own
# strongswan.conf and swanctl directory under the case's output directory,
# its own VICI socket, and its own /run (a private tmpfs in the mount namespace that
# `ip netns exec` gives each command), so two charons run on one host.
#
#   ike_pki DIR NAME...      a CA (DIR/ca.{key,pem}) and, per NAME, a key and
#                            a certificate with subjectAltName NAME
#                            (DIR/NAME.{key,pem}); NAME=other-ca:X issues X
#                            from a second, untrusted CA instead
#   ike_charon NODE CONF     writes NODE's strongswan.conf, swanctl dir (with
#                            swanctl.conf = CONF, and the CA, NODE's cert and
#                            key from the pki dir of ike_pki), starts charon in
#                            NODE and waits until its VICI socket answers
#   ike_swanctl NODE CMD ARGS  swanctl CMD against NODE's charon (swanctl
#                            takes --uri after the command)
#   ike_vici NODE            NODE's VICI socket path
#   ike_mn_conf NODE LCOA MAP VIPS LOCAL_TS
#                            swanctl.conf of a mobile node: connection hmip-mn
#                            from LCOA to MAP (identity "map") with NODE's
#                            certificate, virtual IPs VIPS (- for none) and a
#                            transport_proxy child "mh" from LOCAL_TS to
#                            MAP/128[mobility-header]
#
# The VICI sockets live in /tmp (a local file system: the VM's 9p share,
# where the output directory is, cannot hold sockets) and the charons' /run
# is private, so swanctl reaches each charon only through its socket.
#
# charon logs to OUT/charon-NODE.log (ike, knl and cfg at level 2).

IKE_PKI=""
IKE_CHARON_BIN=${IKE_CHARON_BIN:-/usr/lib/ipsec/charon}

# pki loads every plugin strongswan.conf names and complains about the
# missing ones on stderr: give it a quiet configuration of its own.
ike_quiet_conf() {
  local f=$HMIP_KERNEL_OUT/pki-strongswan.conf
  [ -s "$f" ] || cat >"$f" <<'EOF'
pki {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey
}
EOF
  echo "$f"
}

ike_pki() {
  local dir=$1
  shift
  mkdir -p "$dir"
  IKE_PKI=$dir
  local conf
  conf=$(ike_quiet_conf)
  local ca
  for ca in ca other-ca; do
    STRONGSWAN_CONF=$conf pki --gen --type ecdsa --size 256 --outform pem >"$dir/$ca.key"
    STRONGSWAN_CONF=$conf pki --self --ca --lifetime 30 --in "$dir/$ca.key" \
      --dn "C=XX, O=hmip test, CN=hmip $ca" --outform pem >"$dir/$ca.pem"
  done
  local n issuer
  for n in "$@"; do
    issuer=ca
    if [ "${n#other-ca:}" != "$n" ]; then
      issuer=other-ca
      n=${n#other-ca:}
    fi
    STRONGSWAN_CONF=$conf pki --gen --type ecdsa --size 256 --outform pem >"$dir/$n.key"
    STRONGSWAN_CONF=$conf pki --pub --in "$dir/$n.key" --outform pem |
      STRONGSWAN_CONF=$conf pki --issue --cacert "$dir/$issuer.pem" --cakey "$dir/$issuer.key" \
        --lifetime 30 --dn "C=XX, O=hmip test, CN=$n" --san "$n" --outform pem >"$dir/$n.pem"
  done
}

ike_dir() { echo "$HMIP_KERNEL_OUT/ike-$1"; }
ike_vici() { echo "/tmp/$HK_PREFIX-ike-$1/charon.vici"; }

# Loads esp6 and the default proposals' crypto modules once: adds and
# deletes one ESP transport state per algorithm. Otherwise the first
# CHILD_SA's XFRM_MSG_NEWSA loads them from inside charon, which on the
# emulated VM (modprobe over 9p) took 17-40 s and made the first CHILD_SA
# of a case that runs first time out (issue 13 item 2; hmip_secure.warm_esp).
ike_warm_esp() {
  [[ -n ${IKE_ESP_WARM:-} ]] && return 0
  IKE_ESP_WARM=1
  local a=2001:db8:ffff::1 b=2001:db8:ffff::2
  ip -6 xfrm state add src $a dst $b proto esp spi 0xf001 mode transport \
    aead 'rfc4106(gcm(aes))' 0x$(printf '11%.0s' {1..20}) 128 2>/dev/null || true
  ip -6 xfrm state add src $a dst $b proto esp spi 0xf002 mode transport \
    enc 'cbc(aes)' 0x$(printf '22%.0s' {1..16}) auth-trunc 'hmac(sha256)' 0x$(printf '33%.0s' {1..32}) 128 \
    2>/dev/null || true
  ip -6 xfrm state delete src $a dst $b proto esp spi 0xf001 2>/dev/null || true
  ip -6 xfrm state delete src $a dst $b proto esp spi 0xf002 2>/dev/null || true
}

ike_charon() {
  local node=$1 conf=$2 d
  ike_warm_esp
  d=$(ike_dir "$node")
  local sock
  sock=$(ike_vici "$node")
  mkdir -p "$d/swanctl/x509ca" "$d/swanctl/x509" "$d/swanctl/private" "${sock%/*}"
  HK_TMPDIRS+=("${sock%/*}")
  cat >"$d/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-netlink socket-default vici
  # MIPv6 signalling keeps its own routes and addresses (RFC 4877).
  install_routes = no
  install_virtual_ip = no
  retransmit_timeout = 1.0
  retransmit_tries = 3
  plugins {
    vici {
      socket = unix://$sock
    }
  }
  filelog {
    hmip {
      path = $HMIP_KERNEL_OUT/charon-$node.log
      time_format = %T
      # Each line at once: the cases grep the log right after an exchange.
      flush_line = yes
      default = 1
      ike = 2
      knl = 2
      cfg = 2
    }
  }
}
swanctl {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey
}
EOF
  printf '%s\n' "$conf" >"$d/swanctl/swanctl.conf"
  cp "$IKE_PKI/ca.pem" "$d/swanctl/x509ca/"
  if [ -s "$IKE_PKI/$node.pem" ]; then
    cp "$IKE_PKI/$node.pem" "$d/swanctl/x509/"
    cp "$IKE_PKI/$node.key" "$d/swanctl/private/"
  fi
  # A private /run: charon's pid file is /run/charon.pid.
  hk_bg "$node" "$d/charon.stdout" env STRONGSWAN_CONF="$d/strongswan.conf" \
    unshare --mount --propagation private sh -c "mount -t tmpfs none /run && exec $IKE_CHARON_BIN"
  local t0=$SECONDS
  until [ -S "$sock" ] && ike_swanctl "$node" --stats >"$d/stats.txt" 2>&1; do
    [ $((SECONDS - t0)) -le 60 ] || {
      cat "$d/charon.stdout" "$d/stats.txt"
      hk_fail "charon in $node did not answer on $sock within 60 s"
    }
    sleep 0.2
  done
  ike_swanctl "$node" --load-all >"$d/load.txt" 2>&1 || { cat "$d/load.txt"; hk_fail "swanctl --load-all in $node"; }
}

ike_swanctl() {
  local node=$1 d
  shift
  d=$(ike_dir "$node")
  hk_in "$node" env STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d/swanctl" \
    swanctl "$1" --uri "unix://$(ike_vici "$node")" "${@:2}"
}

ike_mn_conf() {
  local node=$1 lcoa=$2 map=$3 vips=$4 ts=$5
  echo "connections {
  hmip-mn {
    local_addrs = $lcoa
    remote_addrs = $map"
  [ "$vips" = - ] || echo "    vips = $vips"
  echo "    local {
      auth = pubkey
      certs = $node.pem
      id = $node
    }
    remote {
      auth = pubkey
      id = map
    }
    children {
      mh {
        mode = transport_proxy
        local_ts = $ts
        remote_ts = $map/128[mobility-header]
        esp_proposals = aes128gcm16-x25519
      }
    }
    proposals = aes128-sha256-x25519
  }
}"
}
