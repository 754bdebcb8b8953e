"""The kernel objects mapd and mnd leave in a namespace, listed by tag.

Every object hmip creates carries a tag (kernel-glue Tags::mapd()/mnd()):
ip6tnl devices hmipm*/hmipn*, routes of protocol 203 (mapd) / 204 (mnd),
policy rules of protocol 204, XFRM policies in the priority ranges
0x4d490000.. (mapd) / 0x4d4e0000.. (mnd), nftables table inet hmip_mapd;
proxy neighbour entries and XFRM states carry no tag, but nothing else in
the testbed makes any, so all of them count. `objects(node, kind)` lists
them by category (strings, for assertion messages); `leftovers` keeps the
non-empty categories.

Read with `ip -j` where iproute2 has JSON; `ip xfrm` has none, so its text
is split into entries (each starts at a column-0 `src` line).
"""

from __future__ import annotations

import json
from typing import Optional

from topo import Node

TAGS = {
    "mapd": {"link": "hmipm", "proto": 203, "xfrm_prio": 0x4d490000},
    "mnd": {"link": "hmipn", "proto": 204, "xfrm_prio": 0x4d4e0000},
}
XFRM_PRIO_SPAN = 0x10000
NFT_TABLE = "hmip_mapd"


def _json(node: Node, *args: str) -> list:
    out = node.run(*args, check=False)
    try:
        return json.loads(out or "[]")
    except json.JSONDecodeError:
        return []


def xfrm_entries(node: Node, what: str) -> list[str]:
    """`ip xfrm state|policy` split into entries (one string each). The
    policy listing covers every type (main and sub: each entry of a sub
    policy says `ptype sub`)."""
    text = node.run("ip", "xfrm", what, "list", check=False)
    entries: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("src ") or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return [" ".join(x.strip() for x in e) for e in entries if e and e[0].strip()]


def xfrm_priority(entry: str) -> Optional[int]:
    words = entry.split()
    for i, w in enumerate(words[:-1]):
        if w == "priority":
            try:
                return int(words[i + 1])
            except ValueError:
                return None
    return None


def links(node: Node, prefix: str) -> list[dict]:
    """`ip -d -j link` entries whose name starts with `prefix`."""
    return [x for x in _json(node, "ip", "-d", "-j", "link", "show") if x.get("ifname", "").startswith(prefix)]


def tunnel_remote(link: dict) -> Optional[str]:
    return link.get("linkinfo", {}).get("info_data", {}).get("remote")


def objects(node: Node, kind: str) -> dict[str, list[str]]:
    """Every kernel object of daemon `kind` ("mapd" or "mnd") in `node`:
    {"links", "routes", "rules", "proxies", "xfrm_states", "xfrm_policies",
    "nft"} -> descriptions."""
    t = TAGS[kind]
    lo, hi = t["xfrm_prio"], t["xfrm_prio"] + XFRM_PRIO_SPAN - 1
    routes = _json(node, "ip", "-6", "-j", "route", "show", "table", "all", "proto", str(t["proto"]))
    # (`ip rule show protocol N` does not filter in iproute2 6.1: filter here.)
    rules = [r for r in _json(node, "ip", "-6", "-j", "rule", "show") if str(r.get("protocol")) == str(t["proto"])]
    proxies = _json(node, "ip", "-6", "-j", "neigh", "show", "proxy")
    policies = [p for p in xfrm_entries(node, "policy") if lo <= (xfrm_priority(p) or -1) <= hi]
    nft = node.run("nft", "-j", "list", "tables", check=False)
    try:
        items = json.loads(nft or "{}").get("nftables", [])
    except (json.JSONDecodeError, AttributeError):
        items = []
    tables = [x["table"] for x in items if "table" in x]
    return {
        "links": [x["ifname"] + (f" remote {tunnel_remote(x)}" if tunnel_remote(x) else "")
                  for x in links(node, t["link"])],
        "routes": [f"{r.get('dst')} dev {r.get('dev')} table {r.get('table', 'main')}" for r in routes],
        "rules": [f"{r.get('priority')}: from {r.get('src', 'all')} lookup {r.get('table')}" for r in rules],
        "proxies": [f"proxy {p.get('dst')} dev {p.get('dev')}" for p in proxies],
        "xfrm_states": xfrm_entries(node, "state"),
        "xfrm_policies": policies,
        "nft": [f"{x.get('family')} {x.get('name')}" for x in tables
                if kind == "mapd" and x.get("name") == NFT_TABLE],
    }


def leftovers(node: Node, kind: str) -> dict[str, list[str]]:
    """objects() without the empty categories: {} when nothing is left."""
    return {k: v for k, v in objects(node, kind).items() if v}


def mentions(node: Node, kind: str, addr: str) -> dict[str, list[str]]:
    """The objects of `kind` in `node` whose description names `addr`
    (e.g. an RCoA: its route, proxy entry, route2 state), by category."""
    out = {k: [x for x in v if addr in x.split() or f"{addr}/128" in x] for k, v in objects(node, kind).items()}
    return {k: v for k, v in out.items() if v}
