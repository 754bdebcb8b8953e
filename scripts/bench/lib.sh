# shellcheck shell=bash
# Shared by scripts/bench/*.sh (sourced): the kernel probe and the choice
# between running here and in the VM. Not meant to be run.

# What the running kernel lacks for the kernel benchmarks, in a scratch
# namespace (as scripts/testbed/run-topo-hmip.sh probes): ip6tnl, MIPv6
# route2 states, netem; "root" / "netns" when those are the problem.
bench_missing_features() {
  [ "$(id -u)" -eq 0 ] || { echo root; return; }
  # shellcheck disable=SC2016 # the script runs in the scratch namespace
  unshare --net sh -c '
    m=""
    ip link set lo up
    ip link add hk0 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::2 2>/dev/null || m="$m ip6tnl"
    ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto route2 mode ro coa 2001:db8::3 2>/dev/null || m="$m mip6"
    tc qdisc add dev lo root netem delay 1ms 2>/dev/null || m="$m netem"
    echo $m
  ' 2>/dev/null || echo netns
}

# bench_mode MODE NAME: prints "direct" or "vm" for MODE auto|direct|vm,
# exits 1 when inside the VM and the kernel still lacks something.
bench_mode() {
  local mode=$1 name=$2 miss
  if [ "$mode" != auto ]; then echo "$mode"; return; fi
  miss=$(bench_missing_features)
  if [ -z "$miss" ]; then
    echo direct
  elif [ -n "${HMIP_IN_VM:-}" ]; then
    echo "$name: inside the VM and the kernel still lacks:$miss" >&2
    exit 1
  else
    echo "$name: the running kernel ($(uname -r)) lacks:$miss; running in the distro-kernel VM (TCG: ~10x slower)" >&2
    echo vm
  fi
}
