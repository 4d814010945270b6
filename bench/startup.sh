#!/usr/bin/env bash
# Start-up of Ferry built at several git revisions, started in turn on an empty store (alternating
# order, so machine noise spreads over all of them). Each revision is first started once, untimed,
# and left running for 2 s, as a build's first start would be: from then on its threads have their
# code cache (src/main/bundle-loader.ts). Per start: milliseconds from exec to the broker's
# "registered with name server" log line (from then on a client finds the route and can send) and
# to "Ferry broker started" (every thread up). Prints each start and the medians.
#
#   bench/startup.sh [-n STARTS] REV...
#
# Needs node_modules (npm ci). Traffic on 127.0.0.1 only.
set -euo pipefail
N=10
while getopts n: o; do
  case $o in n) N=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: bench/startup.sh [-n STARTS] REV..." >&2; exit 2; }
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
WORK=$(mktemp -d)
. "$REPO/bench/worktrees.sh"
build_revs "$@"

ms_of() { grep -m1 "\"msg\":\"$2\"" "$1" | grep -o '"time":[0-9]*' | cut -d: -f2; }

start_once() {
  local rev=$1 store=$WORK/store log=$WORK/broker.log t0 pid hold=${2:-0}
  rm -rf "$store"
  t0=$(date +%s%3N)
  start_rev "$rev" "$store" "$log" brokerIP1=127.0.0.1
  pid=$BROKER
  for _ in $(seq 1 600); do grep -q '"msg":"Ferry broker started"' "$log" && break; sleep 0.01; done
  sleep "$hold"
  echo "$rev $(( $(ms_of "$log" 'registered with name server') - t0 )) $(( $(ms_of "$log" 'Ferry broker started') - t0 ))"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, Node $(node --version), $N starts per revision; rev, ms to registered, ms to started"
results=$WORK/results
for rev in "$@"; do start_once "$rev" 2 >/dev/null; done
for i in $(seq 1 "$N"); do
  round_order "$i" "$@"
  for rev in "${order[@]}"; do start_once "$rev" | tee -a "$results"; done
done
echo "# medians (ms): rev, to registered, to started"
for rev in "$@"; do
  reg=$(awk -v r="$rev" '$1 == r {print $2}' "$results" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
  up=$(awk -v r="$rev" '$1 == r {print $3}' "$results" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
  echo "$rev $reg $up"
done
