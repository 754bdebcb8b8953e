"""Oracle: tshark (Wireshark 4.0 dissectors) reads every vector and every
mutant from one pcap, in one run; each field a vector lists in "expect" must
be dissected with exactly the listed values, in order. Run with
/usr/bin/python3 -m pytest test_tshark.py --vectors-bin PATH [--tshark PATH].

Checked besides the fields: ICMPv6 checksums are "Good" (the field
icmpv6.checksum.status, listed in every ICMPv6 vector's expect); no
malformed-packet marker and no expert info of warning or error severity.
tshark 4.0 does not verify the Mobility Header checksum (there is no
mip6.csum.status); test_scapy.py checks those.

Not dissected by tshark: the netmip6 HO Request/Response (ICMPv6 types from
private experimentation, "code not implemented" note) and hmip's NAI ND
option (type 253, same note); for them only the framing and the ICMPv6
checksum are checked here, the octets in test_scapy.py.
"""

import json
import os
import struct
import subprocess
import tempfile

import pytest

LINKTYPE_RAW = 101  # pcap link type: raw IPv4/IPv6, the version nibble decides

# Expert info severities (epan/proto.h): PI_CHAT 0x00200000, PI_NOTE
# 0x00400000, PI_WARN 0x00600000, PI_ERROR 0x00800000.
PI_WARN = 0x00600000

# Notes tshark may attach to our vectors, and why they are fine.
ALLOWED_NOTES = (
    # draft-chowdhury-netmip6 HO messages use ICMPv6 types 200/201 (RFC 4443
    # private experimentation), which Wireshark does not dissect.
    "Dissector for ICMPv6 Type (200) code not implemented",
    "Dissector for ICMPv6 Type (201) code not implemented",
    # hmip's NAI option for those messages (type 253, RFC 4727 experimental).
    "Dissector for ICMPv6 Option (253) code not implemented",
)


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW))
        for i, pkt in enumerate(packets):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(pkt), len(pkt)))
            f.write(pkt)


def flatten(node, out):
    """Every (field, value) of a tshark -T json layer tree, in document order.
    With --no-duplicate-keys repeated fields arrive as lists."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                if isinstance(value, list) and all(isinstance(x, str) for x in value):
                    out.extend((key, x) for x in value)
                else:
                    flatten(value, out)
            else:
                out.append((key, value))
    elif isinstance(node, list):
        for x in node:
            if isinstance(x, (dict, list)):
                flatten(x, out)


@pytest.fixture(scope="session")
def dissected(request, vectors, mutants):
    """{packet name: [(field, value), ...]} for every vector and mutant, from a
    single tshark run."""
    tshark = request.config.getoption("--tshark")
    packets = vectors + mutants
    with tempfile.TemporaryDirectory(prefix="hmip-oracle-") as tmp:
        pcap = os.path.join(tmp, "vectors.pcap")
        write_pcap(pcap, [bytes.fromhex(p["hex"]) for p in packets])
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        # A private HOME (and no XDG config) so that no user preferences or
        # profiles leak in; -n: no name resolution.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LC_ALL": "C"}
        run = subprocess.run([tshark, "-n", "-r", pcap, "-T", "json", "--no-duplicate-keys"],
                             env=env, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
    frames = json.loads(run.stdout)
    assert len(frames) == len(packets), "tshark read %d of %d packets" % (len(frames), len(packets))
    result = {}
    for p, frame in zip(packets, frames):
        fields = []
        layers = frame["_source"]["layers"]
        flatten({k: v for k, v in layers.items() if k not in ("frame", "raw")}, fields)
        result[p["name"]] = fields
    return result


def values(fields, name):
    return [v for k, v in fields if k == name]


def mismatches(expect, fields):
    """[(field, expected values, dissected values)] for every listed field
    whose dissected values differ."""
    wanted = {}
    for name, value in expect:
        wanted.setdefault(name, []).append(value)
    return [(name, want, values(fields, name)) for name, want in wanted.items() if values(fields, name) != want]


def test_vector_fields(vector, dissected):
    bad = mismatches(vector["expect"], dissected[vector["name"]])
    assert not bad, "\n".join("%s: expected %s, tshark %s" % b for b in bad)


def test_vector_not_malformed(vector, dissected):
    fields = dissected[vector["name"]]
    assert not values(fields, "_ws.malformed"), "tshark: Malformed Packet"
    assert not values(fields, "_ws.malformed.expert")
    messages = values(fields, "_ws.expert.message")
    severities = [int(s) for s in values(fields, "_ws.expert.severity")]
    assert len(messages) == len(severities)
    for msg, sev in zip(messages, severities):
        assert sev < PI_WARN, "tshark expert info: %s (severity 0x%x)" % (msg, sev)
        assert msg.startswith(ALLOWED_NOTES), "unexpected tshark note: %s" % msg


def test_vector_message_type(vector, dissected):
    """The MH Type / ICMPv6 Type tshark reads is the spec's message kind."""
    fields = dissected[vector["name"]]
    msg = vector["spec"]["msg"]
    if "mh" in msg:
        assert values(fields, "mip6.mhtype") == [str({"brr": 0, "bu": 5, "ba": 6, "be": 7}[msg["mh"]])]
        assert values(fields, "mip6.proto") == ["59"]
    else:
        types = {"rs": 133, "ra": 134, "ns": 135, "na": 136, "haad_req": 144, "haad_rep": 145, "mps": 146,
                 "mpa": 147}
        want = msg["type"] if msg["icmp"].startswith("ho_") else types[msg["icmp"]]
        assert values(fields, "icmpv6.type") == [str(want)]
        assert values(fields, "icmpv6.code") == ["0"]


def test_every_field_mutant_is_caught(vectors, mutants, dissected):
    """For every vector and every field in its expect, a mutant with that one
    field changed exists, and tshark reads a value different from the one
    expected for that field."""
    assert mutants, "no mutants"
    by_vector = {}
    for m in mutants:
        by_vector.setdefault(m["mutant_of"], {})[m["label"]] = m
    survivors, missing = [], []
    for v in vectors:
        counts = {}
        for name, _ in v["expect"]:
            label = name if name not in counts else "%s#%d" % (name, counts[name])
            counts[name] = counts.get(name, 0) + 1
            m = by_vector.get(v["name"], {}).get(label)
            if m is None:
                missing.append((v["name"], label))
                continue
            assert m["tshark"] == name
            wanted = [value for n, value in v["expect"] if n == name]
            if values(dissected[m["name"]], name) == wanted:
                survivors.append(m["name"])
    assert not missing, "fields without a mutant: %s" % missing
    assert not survivors, "mutants tshark does not tell apart: %s" % survivors
