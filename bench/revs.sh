#!/usr/bin/env bash
# What a change bought: Ferry built at several git revisions, each driven in turn by RocketMQ's
# benchmark Producer (-w 64), in alternating rounds. Per run it prints the Producer's Send TPS
# lines and the broker's CPU (all threads, from /proc) over a steady window that starts after a
# warm-up, so start-up and JIT warm-up do not blur the comparison.
#
#   bench/revs.sh [-s SIZE] [-w WARMUP_S] [-t WINDOW_S] [-r ROUNDS] REV...
#
# Needs the RocketMQ 4.9.8 tools fetched by `npm run bench:compare` (bench/.cache) and node_modules.
set -euo pipefail
SIZE=128 WARMUP=10 WINDOW=30 ROUNDS=2
while getopts s:w:t:r: o; do
  case $o in s) SIZE=$OPTARG ;; w) WARMUP=$OPTARG ;; t) WINDOW=$OPTARG ;; r) ROUNDS=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: bench/revs.sh [-s SIZE] [-w WARMUP_S] [-t WINDOW_S] [-r ROUNDS] REV..." >&2; exit 2; }
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
RMQ=$REPO/bench/.cache/rocketmq-4.9.8
[ -d "$RMQ/lib" ] || { echo "run npm run bench:compare once first: it fetches RocketMQ's tools" >&2; exit 2; }
WORK=$(mktemp -d)
. "$REPO/bench/worktrees.sh"
build_revs "$@"

cpu_ticks() { local t=0; for s in /proc/"$1"/task/*/stat; do t=$((t + $(awk '{print $14 + $15}' "$s"))); done; echo $t; }

run() {
  local rev=$1
  start_rev "$rev" "$WORK/store-$rev" "$WORK/broker-$rev.log"
  local broker=$BROKER ns=$NS
  sleep 3
  timeout $((WARMUP + WINDOW + 2)) java -server -Xms1g -Xmx1g -Xmn256m -XX:+PerfDisableSharedMem \
    -Dorg.apache.rocketmq.client.sendSmartMsg=true -Duser.home="$WORK/home" -cp "$RMQ/conf:$RMQ/lib/*" \
    org.apache.rocketmq.example.benchmark.Producer -n 127.0.0.1:"$ns" -t BenchmarkTest -w 64 -s "$SIZE" \
    >"$WORK/producer.out" 2>&1 &
  local producer=$!
  sleep "$WARMUP"; local c0; c0=$(cpu_ticks "$broker")
  sleep "$WINDOW"; local c1; c1=$(cpu_ticks "$broker")
  wait $producer || true
  kill "$broker"; wait "$broker" || true
  # The Producer prints a Send TPS line every 10 s: the lines after the warm-up cover the window.
  grep -o 'Send TPS: [0-9]*' "$WORK/producer.out" | awk '{print $3}' |
    awk -v rev="$rev" -v skip=$((WARMUP / 10)) -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v win="$WINDOW" '
      { all = all " " $1; if (NR > skip) { n++; sum += $1 } }
      END { tps = n ? sum / n : 0; cpu = ticks / hz;
            printf "%s  Send TPS lines:%s  window TPS %.0f  broker CPU %.1f s  %.1f us/msg\n", rev, all, tps, cpu, tps ? cpu * 1e6 / (tps * win) : 0 }'
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, Node $(node -v), size $SIZE B, warm-up $WARMUP s, window $WINDOW s"
for ((round = 1; round <= ROUNDS; round++)); do
  round_order "$round" "$@"
  for rev in "${order[@]}"; do run "$rev"; done
done
