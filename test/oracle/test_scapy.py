"""Oracle: scapy 2.5 (Debian python3-scapy) builds every vector from its field
values; the octets must equal hmip's, checksums included (scapy's in6_chksum
applies the HAO source and RH2 destination of RFC 6275 §6.1.1). Run with
/usr/bin/python3 -m pytest test_scapy.py --vectors-bin PATH.

Also here: an RFC 1071 checksum computed in plain Python (no scapy) over the
pseudo-header the upper layer sees, byte-by-byte checks of the messages
scapy has no class for (BID option, netmip6 HO messages) against the RFC and
draft figures, and the mutation check: every mutant (one encoded field
changed) must differ from what scapy builds.
"""

import ipaddress
import struct

import pytest

import scapy_build


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


def describe_difference(ours, theirs):
    i = first_difference(ours, theirs)
    lo = max(0, i - 8)
    return ("first difference at offset %d (lengths %d/%d)\n  ours:  ...%s\n  scapy: ...%s" %
            (i, len(ours), len(theirs), ours[lo:i + 16].hex(), theirs[lo:i + 16].hex()))


def test_vector_matches_scapy(vector):
    ours = bytes.fromhex(vector["hex"])
    theirs = scapy_build.packet(vector["spec"])
    assert ours == theirs, describe_difference(ours, theirs)


def test_our_decoders_give_the_vector_back(vector):
    """hmip_wire_vectors decodes each vector's octets (which scapy has just
    confirmed) with our decoders, checksum verified, and compares the result
    with the structs it encoded (check_decodes in build.cpp)."""
    assert vector["decode_error"] == ""


# --- An independent checksum -------------------------------------------------

def rfc1071(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def walk_to_upper_layer(pkt):
    """(next header, upper-layer octets, pseudo src, pseudo dst), reading the
    extension headers with plain Python, per RFC 8200 §8.1 and RFC 6275
    §6.1.1: the HAO's address replaces the source, the RH2's the
    destination."""
    assert pkt[0] >> 4 == 6
    plen = struct.unpack("!H", pkt[4:6])[0]
    assert len(pkt) == 40 + plen, "Payload Length"
    nh, src, dst = pkt[6], pkt[8:24], pkt[24:40]
    off = 40
    while nh in (43, 60):
        hdr_len = 8 * (pkt[off + 1] + 1)
        hdr = pkt[off:off + hdr_len]
        if nh == 43:
            assert hdr[2] == 2 and hdr[3] == 1 and hdr[1] == 2, "type 2 routing header"
            dst = hdr[8:24]
        else:
            i = 2
            while i < hdr_len:
                if hdr[i] == 0:
                    i += 1
                    continue
                if hdr[i] == 0xC9:
                    assert i % 8 == 6 and hdr[i + 1] == 16, "HAO at 8n+6, length 16"
                    src = hdr[i + 2:i + 18]
                i += 2 + hdr[i + 1]
        nh = hdr[0]
        off += hdr_len
    return nh, pkt[off:], src, dst


def test_upper_layer_checksum_independent(vector):
    nh, upper, src, dst = walk_to_upper_layer(bytes.fromhex(vector["hex"]))
    assert nh in (58, 135)
    pseudo = src + dst + struct.pack("!IxxxB", len(upper), nh)
    assert rfc1071(pseudo + upper) == 0xFFFF, "upper-layer checksum does not verify"
    if nh == 135:
        # RFC 6275 §6.1: the MH is a multiple of 8 octets, Header Len in 8-octet units after the first 8.
        assert len(upper) % 8 == 0 and len(upper) == 8 * (upper[1] + 1)
        assert upper[0] == 59, "Payload Proto"


# --- Byte-by-byte checks against the figures (no scapy class) ----------------

def find_vector(vectors, name):
    return next(v for v in vectors if v["name"] == name)


def test_bid_option_matches_rfc5648_figure(vectors):
    """RFC 5648 §6.1 Figure 5, Type 35 (IANA), Length 20 with an IPv6 CoA at
    8n+2 from the start of the Mobility Header."""
    v = find_vector(vectors, "bu.bid_ipv6_coa_h_pri")
    nh, mh, _, _ = walk_to_upper_layer(bytes.fromhex(v["hex"]))
    assert nh == 135 and mh[2] == 5
    i = 12  # BU options start after the 6 octets of BU data
    while mh[i] != 35:
        i += 1 if mh[i] == 0 else 2 + mh[i + 1]
    assert i % 8 == 2, "8n+2 alignment with a care-of address"
    expect = bytes([35, 20]) + bytes.fromhex("fedc") + bytes([0, 0x80 | 0x55]) + \
        ipaddress.IPv6Address("2001:db8:2::22").packed
    assert mh[i:i + 22] == expect


def test_ho_request_matches_draft_figure(vectors):
    """draft-chowdhury-netmip6-01 §4.1: Type, Code, Checksum, Identifier,
    C|H|Reserved, options (the NAI option, hmip's nd_options.h format)."""
    v = find_vector(vectors, "ho.request_c_h")
    nh, msg, _, _ = walk_to_upper_layer(bytes.fromhex(v["hex"]))
    assert nh == 58
    nai = b"mn-17@hmip.example"
    opt = bytes([253, 3, len(nai)]) + nai + bytes(3)
    assert msg[0:2] == bytes([200, 0])
    assert msg[4:8] == bytes([0x5A, 0x5A, 0xC0, 0x00])
    assert msg[8:] == opt


def test_ho_response_matches_draft_figure(vectors):
    """draft-chowdhury-netmip6-01 §4.2: Identifier, Status Code, then (hmip's
    completion, ho.h) a Reserved octet and options."""
    v = find_vector(vectors, "ho.response_3_nai")
    nh, msg, _, _ = walk_to_upper_layer(bytes.fromhex(v["hex"]))
    assert nh == 58
    assert msg[0:2] == bytes([201, 0])
    assert msg[4:8] == bytes([0x00, 0x01, 3, 0x7E])
    assert msg[8:] == bytes([253, 1, 3]) + b"x@y" + bytes(2)


def test_hao_and_rh2_match_rfc6275_figures(vectors):
    """RFC 6275 §6.3 (HAO in a Destination Options header at 8n+6, PadN
    before it) and §6.4 (type 2 routing header), octet by octet."""
    rcoa = ipaddress.IPv6Address("2001:db8:99::5").packed
    bu = bytes.fromhex(find_vector(vectors, "bu.a_m")["hex"])
    assert bu[6] == 60
    assert bu[40:64] == bytes([135, 2, 1, 2, 0, 0, 0xC9, 16]) + rcoa
    ba = bytes.fromhex(find_vector(vectors, "ba.0_k_bra")["hex"])
    assert ba[6] == 43
    assert ba[40:64] == bytes([135, 2, 2, 1, 0, 0, 0, 0]) + rcoa


# --- Mutation check ------------------------------------------------------------

def test_every_mutant_differs_from_scapy(vectors, mutants):
    """Each mutant is a vector encoded with one field changed (its spec is the
    original's): scapy's bytes for the spec must no longer match."""
    built = {v["name"]: scapy_build.packet(v["spec"]) for v in vectors}
    assert mutants, "no mutants"
    covered = {(m["mutant_of"], m["label"]) for m in mutants}
    survivors = [m["name"] for m in mutants if bytes.fromhex(m["hex"]) == built[m["mutant_of"]]]
    assert not survivors, "mutants scapy does not tell apart: %s" % survivors
    # Every scapy-only value of every vector has a mutant.
    missing = [(v["name"], label) for v in vectors for label in v["scapy_only"]
               if (v["name"], label) not in covered]
    assert not missing, missing
