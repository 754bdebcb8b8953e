"""Builds, with scapy 2.5, the packet an oracle vector's spec describes.

Everything here is written from the RFC figures and scapy's classes, never
from hmip's code. Where scapy has no class or a wrong default, the fix is
made here with the RFC text cited:

* Nonce Indices (RFC 6275 §6.2.6) has Option Length 4; scapy's
  MIP6OptNonceIndices defaults olen to 16, so olen=4 is passed.
* Binding Authorization Data (RFC 6275 §6.2.7): the Option Length is the
  authenticator's length (12 for the RFC's HMAC_SHA1 truncation); scapy's
  MIP6OptBindingAuthData defaults olen to 16 with a fixed 96-bit field, so
  olen is passed.
* Binding Identifier (RFC 5648 §6.1, type 35): scapy 2.5 has no class.
  _bid_option() encodes the RFC's Figure 5 with struct and wraps it in a
  MIP6OptUnknown subclass carrying the RFC's alignment (2n without a care-of
  address, 8n+2 with one) so that scapy's padding logic places it.
* HO Request/Response (draft-chowdhury-netmip6-01 §4.1/§4.2): no scapy class;
  ho_body() encodes the draft's figures with struct (the Response completed
  with a Reserved octet as hmip's ho.h documents), carried by ICMPv6Unknown
  (which computes the ICMPv6 checksum).
* The HO NAI option (hmip's definition in nd_options.h, type 253 from RFC
  4727) is built by nai_option(); scapy's ICMPv6NDOptUnknown computes `len`
  in octets instead of 8-octet units (RFC 4861 §4.6), so len is passed.
* Route Information (RFC 4191 §2.3): scapy sends 16 prefix octets (Length 3)
  unless told; the RFC's smallest Length for the prefix length is passed.
"""

import struct

from scapy.layers.inet6 import (
    HAO, ICMPv6HAADReply, ICMPv6HAADRequest, ICMPv6MPAdv, ICMPv6MPSol, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
    ICMPv6ND_RS, ICMPv6NDOptAdvInterval, ICMPv6NDOptDNSSL, ICMPv6NDOptDstLLAddr, ICMPv6NDOptHAInfo, ICMPv6NDOptMAP, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptRDNSS, ICMPv6NDOptRouteInfo, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptUnknown, ICMPv6Unknown, IPv6,
    IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, MIP6MH_BA, MIP6MH_BE, MIP6MH_BRR, MIP6MH_BU, MIP6OptAltCoA,
    MIP6OptBindingAuthData, MIP6OptBRAdvice, MIP6OptMNID, MIP6OptNonceIndices, MIP6OptUnknown)
from scapy.utils import inet_pton
import socket


def mac(hexstr):
    b = bytes.fromhex(hexstr)
    assert len(b) == 6, "the vectors use 6-octet (Ethernet) link-layer addresses"
    return ":".join("%02x" % x for x in b)


# --- Mobility options -------------------------------------------------------

class MIP6OptBID2n(MIP6OptUnknown):
    """Binding Identifier without a care-of address: alignment 2n (RFC 5648 §6.1)."""
    name = "MIPv6 Option - Binding Identifier (RFC 5648, no CoA)"
    x = 2
    y = 0


class MIP6OptBID8n2(MIP6OptUnknown):
    """Binding Identifier with a care-of address: alignment 8n+2 (RFC 5648 §6.1)."""
    name = "MIPv6 Option - Binding Identifier (RFC 5648, with CoA)"
    x = 8
    y = 2


def bid_data(o):
    """RFC 5648 Figure 5 after Type and Length:
    | Binding ID (16) | Status (8) |H| Reserved (7) | [IPv4 or IPv6 CoA] |
    The 7 bits after H are BID-PRI since RFC 6089 §6.1."""
    data = struct.pack("!HBB", o["bid"], o["status"], (0x80 if o["h"] else 0) | o["pri"])
    if "coa4" in o:
        data += socket.inet_aton(o["coa4"])
    elif "coa6" in o:
        data += inet_pton(socket.AF_INET6, o["coa6"])
    assert len(data) in (4, 8, 20)  # RFC 5648 §6.1: Length 4, 8 or 20
    return data


def mobility_option(o):
    kind = o["opt"]
    if kind == "bra":
        return MIP6OptBRAdvice(rinter=o["interval"])
    if kind == "acoa":
        return MIP6OptAltCoA(acoa=o["addr"])
    if kind == "ni":
        return MIP6OptNonceIndices(olen=4, hni=o["hni"], coni=o["coni"])
    if kind == "bad":
        auth = bytes.fromhex(o["auth"])
        assert len(auth) == 12, "scapy's class carries a 96-bit authenticator only"
        return MIP6OptBindingAuthData(olen=12, authenticator=int.from_bytes(auth, "big"))
    if kind == "mnid":
        return MIP6OptMNID(subtype=o["subtype"], id=bytes.fromhex(o["id"]))
    if kind == "bid":
        data = bid_data(o)
        cls = MIP6OptBID2n if len(data) == 4 else MIP6OptBID8n2
        return cls(otype=35, olen=len(data), odata=data)
    if kind == "unknown":
        return MIP6OptUnknown(otype=o["type"], odata=bytes.fromhex(o["data"]))
    raise ValueError("unknown mobility option %r" % kind)


def mobility_header(m):
    opts = [mobility_option(o) for o in m["options"]]
    kind = m["mh"]
    if kind == "bu":
        # scapy's 7-bit FlagsField "PRMKLHA": the first letter is the lowest bit,
        # so A is 0x40 of the field = 0x8000 of the flag word (RFC 6275 §6.1.7).
        flags = sum(1 << "PRMKLHA".index(k) for k in "AHLKMRP" if m[k])
        return MIP6MH_BU(res=0, seq=m["seq"], flags=flags, reserved=m["other"], mhtime=m["lifetime"],
                         options=opts)
    if kind == "ba":
        flags = sum(1 << "PRK".index(k) for k in "KRP" if m[k])
        return MIP6MH_BA(res=0, status=m["status"], flags=flags, res2=m["other"], seq=m["seq"],
                         mhtime=m["lifetime"], options=opts)
    if kind == "brr":
        return MIP6MH_BRR(res=0, res2=0, options=opts)
    if kind == "be":
        return MIP6MH_BE(res=0, status=m["status"], reserved=0, ha=m["home"], options=opts)
    raise ValueError("unknown MH type %r" % kind)


# --- ICMPv6 / ND --------------------------------------------------------------

def rio_length(plen):
    """RFC 4191 §2.3: Length 1 for /0, 2 up to /64, 3 above."""
    return 1 if plen == 0 else 2 if plen <= 64 else 3


def nai_option(o_type, nai):
    """hmip's NAI option (nd_options.h): | Type | Length | NAI Length | NAI | zero padding to 8n |."""
    body = bytes([len(nai)]) + nai
    total = 2 + len(body)
    pad = (-total) % 8
    return ICMPv6NDOptUnknown(type=o_type, len=(total + pad) // 8, data=body + bytes(pad))


def nd_option(o):
    kind = o["opt"]
    if kind == "slla":
        return ICMPv6NDOptSrcLLAddr(lladdr=mac(o["lladdr"]))
    if kind == "tlla":
        return ICMPv6NDOptDstLLAddr(lladdr=mac(o["lladdr"]))
    if kind == "pi":
        return ICMPv6NDOptPrefixInfo(prefixlen=o["plen"], L=int(o["L"]), A=int(o["A"]), R=int(o["R"]),
                                     res1=o["res1"], validlifetime=o["valid"],
                                     preferredlifetime=o["preferred"], res2=o["res2"], prefix=o["prefix"])
    if kind == "mtu":
        return ICMPv6NDOptMTU(res=o["res"], mtu=o["mtu"])
    if kind == "advint":
        return ICMPv6NDOptAdvInterval(res=o["res"], advint=o["ms"])
    if kind == "hai":
        return ICMPv6NDOptHAInfo(res=o["res"], pref=o["pref"], lifetime=o["lifetime"])
    if kind == "map":
        return ICMPv6NDOptMAP(dist=o["dist"], pref=o["pref"], R=int(o["R"]), res=o["res"],
                              validlifetime=o["valid"], addr=o["addr"])
    if kind == "rio":
        # scapy splits the flags octet as res1(3) | prf(2) | res2(3).
        return ICMPv6NDOptRouteInfo(len=rio_length(o["plen"]), plen=o["plen"], res1=o["res"] >> 5,
                                    prf=o["prf"], res2=o["res"] & 0x7, rtlifetime=o["lifetime"],
                                    prefix=o["prefix"])
    if kind == "rdnss":
        return ICMPv6NDOptRDNSS(res=o["res"], lifetime=o["lifetime"], dns=o["servers"])
    if kind == "dnssl":
        return ICMPv6NDOptDNSSL(res=o["res"], lifetime=o["lifetime"], searchlist=o["domains"])
    if kind == "nai":
        return nai_option(253, o["nai"].encode())
    if kind == "unknown":
        data = bytes.fromhex(o["data"])
        return ICMPv6NDOptUnknown(type=o["type"], len=(len(data) + 2) // 8, data=data)
    raise ValueError("unknown ND option %r" % kind)


def ho_body(m):
    """draft-chowdhury-netmip6-01 §4.1 / §4.2, the octets after the checksum.
    Request:  | Identifier (16) |C|H| Reserved (14) |
    Response: | Identifier (16) | Status Code (8) | Reserved (8) |"""
    if m["icmp"] == "ho_req":
        return struct.pack("!HH", m["id"], (0x8000 if m["C"] else 0) | (0x4000 if m["H"] else 0) | m["res"])
    return struct.pack("!HBB", m["id"], m["status"], m["res"])


def icmpv6(m):
    opts = [nd_option(o) for o in m.get("options", [])]
    kind = m["icmp"]
    if kind == "haad_req":
        # RFC 6275 §6.5; scapy names RFC 3963's Mobile Router bit R.
        return ICMPv6HAADRequest(id=m["id"], R=int(m["R"]), res=m["res"])
    if kind == "haad_rep":
        return ICMPv6HAADReply(id=m["id"], R=int(m["R"]), res=m["res"], addresses=m["addresses"])
    if kind == "mps":
        return ICMPv6MPSol(id=m["id"], res=m["res"])
    if kind == "mpa":
        # RFC 6275 §6.8: |M|O| Reserved (14); scapy's 2-bit `flags` is M (2) | O (1).
        msg = ICMPv6MPAdv(id=m["id"], flags=(2 if m["M"] else 0) | (1 if m["O"] else 0), res=m["res"])
    elif kind == "rs":
        msg = ICMPv6ND_RS(res=m["res"])
    elif kind == "ra":
        # RA flags octet: M O H Prf(2) then 3 bits; scapy names the first of
        # those P (RFC 4389) and the last two res.
        msg = ICMPv6ND_RA(chlim=m["chlim"], M=int(m["M"]), O=int(m["O"]), H=int(m["H"]), prf=m["prf"],
                          P=m["res"] >> 2, res=m["res"] & 3, routerlifetime=m["routerlifetime"],
                          reachabletime=m["reachable"], retranstimer=m["retrans"])
    elif kind == "ns":
        msg = ICMPv6ND_NS(res=m["res"], tgt=m["tgt"])
    elif kind == "na":
        msg = ICMPv6ND_NA(R=int(m["R"]), S=int(m["S"]), O=int(m["O"]), res=m["res"], tgt=m["tgt"])
    elif kind in ("ho_req", "ho_resp"):
        # ICMPv6Unknown has no payload guessing: put the options' octets in the body.
        body = ho_body(m) + b"".join(bytes(o) for o in opts)
        return ICMPv6Unknown(type=m["type"], code=0, msgbody=body)
    else:
        raise ValueError("unknown ICMPv6 message %r" % kind)
    for o in opts:
        msg = msg / o
    return msg


# --- The packet ---------------------------------------------------------------

def packet(spec):
    ip = spec["ipv6"]
    pkt = IPv6(tc=ip["tc"], fl=ip["fl"], hlim=ip["hlim"], src=ip["src"], dst=ip["dst"])
    # RFC 8200 §4.1 order: Routing header, then the Destination Options
    # header that carries the HAO (RFC 6275 §6.3).
    if "rh2" in spec:
        pkt = pkt / IPv6ExtHdrRouting(type=2, segleft=1, reserved=0, addresses=[spec["rh2"]])
    if "hao" in spec:
        pkt = pkt / IPv6ExtHdrDestOpt(options=[HAO(hoa=spec["hao"])])
    msg = spec["msg"]
    pkt = pkt / (mobility_header(msg) if "mh" in msg else icmpv6(msg))
    return bytes(pkt)
