#!/usr/bin/env bash
# A ping protected by an ESP transport-mode SA pair (esp6) between two
# namespaces joined by veth, with fixed test keys. Checks: the ping answers;
# each side's inbound SA counts the packets it decrypted; on the veth the
# echoes travel as ESP and never in clear.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

A=2001:db8:1::1
B=2001:db8:1::2
# Test keys only: AES-128-CBC and HMAC-SHA-256 truncated to 128 bits.
ENC_AB=0x000102030405060708090a0b0c0d0e0f
ENC_BA=0x0f0e0d0c0b0a09080706050403020100
AUTH_AB=0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
AUTH_BA=0x2f2e2d2c2b2a292827262524232221201f1e1d1c1b1a19181716151413121110
SPI_AB=0x00001001
SPI_BA=0x00001002

hk_ns a
hk_ns b
hk_veth a va "$A/64" b vb "$B/64"

for ns in a b; do
  n=$(hk_ns_name "$ns")
  ip -n "$n" xfrm state add src "$A" dst "$B" proto esp spi "$SPI_AB" reqid 1 mode transport \
    enc 'cbc(aes)' "$ENC_AB" auth-trunc 'hmac(sha256)' "$AUTH_AB" 128
  ip -n "$n" xfrm state add src "$B" dst "$A" proto esp spi "$SPI_BA" reqid 2 mode transport \
    enc 'cbc(aes)' "$ENC_BA" auth-trunc 'hmac(sha256)' "$AUTH_BA" 128
done

# Protect the echoes only (ICMPv6 types 128/129): Neighbour Discovery stays
# in clear. Inbound policies are "required": a clear echo would be dropped.
na=$(hk_ns_name a)
nb=$(hk_ns_name b)
ip -n "$na" xfrm policy add src "$A/128" dst "$B/128" proto ipv6-icmp type 128 dir out \
  tmpl src "$A" dst "$B" proto esp reqid 1 mode transport
ip -n "$na" xfrm policy add src "$B/128" dst "$A/128" proto ipv6-icmp type 129 dir in \
  tmpl src "$B" dst "$A" proto esp reqid 2 mode transport
ip -n "$nb" xfrm policy add src "$A/128" dst "$B/128" proto ipv6-icmp type 128 dir in \
  tmpl src "$A" dst "$B" proto esp reqid 1 mode transport
ip -n "$nb" xfrm policy add src "$B/128" dst "$A/128" proto ipv6-icmp type 129 dir out \
  tmpl src "$B" dst "$A" proto esp reqid 2 mode transport

PCAP=$HMIP_KERNEL_OUT/esp.pcap
# ESP and any echo that would cross in clear (no Neighbour Discovery).
hk_capture_start b vb "$PCAP" "ip6 proto 50 or (icmp6 and (ip6[40] == 128 or ip6[40] == 129))"
hk_in a ping -6 -n -c 3 -i 0.2 -W 5 "$B" || hk_fail "ESP-protected ping $A -> $B failed"
hk_capture_stop 6

# "lifetime current:" is followed by "N(bytes), M(packets)".
sa_packets() {
  ip -n "$1" -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
    sed -n 's/.*(bytes), *\([0-9]*\)(packets).*/\1/p' | head -n1
}
b_in=$(sa_packets "$nb" "$A" "$B" "$SPI_AB")
a_in=$(sa_packets "$na" "$B" "$A" "$SPI_BA")
hk_log "SA packet counters: b (in, a->b) $b_in, a (in, b->a) $a_in"
[ "${b_in:-0}" -ge 3 ] || hk_fail "b's inbound SA counted ${b_in:-?} packets, want >= 3"
[ "${a_in:-0}" -ge 3 ] || hk_fail "a's inbound SA counted ${a_in:-?} packets, want >= 3"

esp_ab=$(hk_pcap_count "$PCAP" "ip6 proto 50 and src $A and dst $B")
esp_ba=$(hk_pcap_count "$PCAP" "ip6 proto 50 and src $B and dst $A")
clear=$(hk_pcap_count "$PCAP" "icmp6 and (ip6[40] == 128 or ip6[40] == 129)")
hk_log "on the veth: ESP a->b $esp_ab, ESP b->a $esp_ba, clear echoes $clear"
tcpdump -n -r "$PCAP" 2>/dev/null | grep ESP | head -n2 | sed 's/^/    /'
[ "$esp_ab" -ge 3 ] || hk_fail "want >= 3 ESP packets a->b on the veth"
[ "$esp_ba" -ge 3 ] || hk_fail "want >= 3 ESP packets b->a on the veth"
[ "$clear" -eq 0 ] || hk_fail "echoes crossed the veth in clear"
hk_log "xfrm_stat errors (b): $(hk_in b awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' ')"
echo "ok: ping protected by ESP transport SAs"
