#!/usr/bin/env bash
# What a send costs the broker when few are in flight: Ferry built at several git revisions, each
# driven in turn by Ferry's own load generator over one connection with a fixed number of sends
# in flight (1 is a strict ping-pong: one network-worker turn, one store-writer batch per send).
# Per run it prints the broker's CPU per message (all threads, from /proc) over a window that
# follows a warm-up run, and the CPU of each thread that used 50 ms or more, in thread-id order
# (Node's threads are unnamed: the biggest three are Ferry's network worker, store writer and
# dispatcher; the small ones are V8's and libuv's helpers), and the broker's peak RSS (VmHWM)
# over its warm-up and window.
#
#   bench/turn-cost.sh [-i INFLIGHT,...] [-w WARMUP_S] [-t WINDOW_S] [-r ROUNDS] REV...
set -euo pipefail
INFLIGHT=1,4,64 WARMUP=8 WINDOW=8 ROUNDS=2
while getopts i:w:t:r: o; do
  case $o in i) INFLIGHT=$OPTARG ;; w) WARMUP=$OPTARG ;; t) WINDOW=$OPTARG ;; r) ROUNDS=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: bench/turn-cost.sh [-i INFLIGHT,...] [-w WARMUP_S] [-t WINDOW_S] [-r ROUNDS] REV..." >&2; exit 2; }
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
WORK=$(mktemp -d)
. "$REPO/bench/worktrees.sh"
build_revs "$@"

# utime + stime ticks of every thread: "tid ticks"
thread_ticks() { for s in /proc/"$1"/task/*/stat; do t=${s%/stat}; echo "${t##*/} $(cut -d')' -f2 "$s" | awk '{print $12 + $13}')"; done | sort; }

run() {
  local rev=$1 inflight=$2
  start_rev "$rev" "$WORK/store-$rev" "$WORK/broker-$rev.log"
  local broker=$BROKER ns=$NS
  for _ in $(seq 100); do grep -q 'broker started' "$WORK/broker-$rev.log" && break; sleep 0.1; done
  local load=(node "$WORK/rev-$rev/bin/ferrymq.js" bench produce -n 127.0.0.1:"$ns" -w 1 --async --inflight "$inflight" -s 128 --workers 1)
  "${load[@]}" --duration "$WARMUP" >/dev/null 2>&1
  thread_ticks "$broker" >"$WORK/a"
  local out; out=$("${load[@]}" --duration "$WINDOW" 2>&1)
  thread_ticks "$broker" >"$WORK/b"
  local hwm; hwm=$(awk '/^VmHWM:/ {printf "%d", $2 / 1024}' /proc/"$broker"/status)
  kill "$broker"; wait "$broker" || true
  local msgs; msgs=$(grep -o 'Send Total: [0-9]*' <<<"$out" | awk '{print $3}')
  join "$WORK/a" "$WORK/b" | awk -v rev="$rev" -v inflight="$inflight" -v msgs="$msgs" -v hwm="$hwm" -v hz="$(getconf CLK_TCK)" '
    { d = ($3 - $2) / hz; total += d; if (d >= 0.05) busy = busy sprintf(" %.2f", d) }
    END { printf "%s  in flight %4d  %8d msgs  broker %.2f s  %.1f us/msg  peak RSS %d MB  busy threads (s):%s\n", rev, inflight, msgs, total, total * 1e6 / msgs, hwm, busy }'
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, Node $(node -v), 128 B, one connection, warm-up $WARMUP s, window $WINDOW s"
IFS=, read -ra levels <<<"$INFLIGHT"
for inflight in "${levels[@]}"; do
  for ((round = 1; round <= ROUNDS; round++)); do
    round_order "$round" "$@"
    for rev in "${order[@]}"; do run "$rev" "$inflight"; done
  done
done
