#!/usr/bin/env bash
# Runs one libFuzzer target for HMIP_FUZZ_SECONDS (default 10) over its seed
# corpus. Usage: run-fuzzer.sh FUZZER SEED_DIR CORPUS_DIR
set -euo pipefail
fuzzer=$1 seeds=$2 corpus=$3
secs=${HMIP_FUZZ_SECONDS:-10}
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "no seeds in $seeds" >&2; exit 1; }
mkdir -p "$corpus"
artifacts=$(dirname "$corpus")/artifacts/
mkdir -p "$artifacts"
# A dictionary beside the seeds (the configuration parsers' keywords).
dict=()
[ -f "${seeds%/}.dict" ] && dict=(-dict="${seeds%/}.dict")
# A fixed seed keeps runs comparable; the corpus grows across runs in a build dir.
exec "$fuzzer" -max_total_time="$secs" -seed=4140 -timeout=10 -rss_limit_mb=2048 "${dict[@]}" \
  -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "$seeds"
