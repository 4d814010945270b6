#!/usr/bin/env bash
# What a change bought: Ferry built at several git revisions, each driven in turn by RocketMQ's
# benchmark Producer (-w 64), in alternating rounds. Per run it prints the Producer's Send TPS
# lines and the broker's CPU (all threads, from /proc) over a steady window that starts after a
# warm-up, so start-up and JIT warm-up do not blur the comparison. With -c the benchmark Consumer
# (its defaults: 20 threads, group benchmark_consumer) reads all along, started 3 s after the
# Producer, and its TPS lines are printed too; the CPU per message is still per message sent.
#
#   bench/revs.sh [-c] [-s SIZE] [-w WARMUP_S] [-t WINDOW_S] [-r ROUNDS] REV...
#
# Needs the RocketMQ 4.9.8 tools fetched by `npm run bench:compare` (bench/.cache) and node_modules.
set -euo pipefail
SIZE=128 WARMUP=10 WINDOW=30 ROUNDS=2 CONSUMER=
while getopts cs:w:t:r: o; do
  case $o in c) CONSUMER=1 ;; s) SIZE=$OPTARG ;; w) WARMUP=$OPTARG ;; t) WINDOW=$OPTARG ;; r) ROUNDS=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: bench/revs.sh [-c] [-s SIZE] [-w WARMUP_S] [-t WINDOW_S] [-r ROUNDS] REV..." >&2; exit 2; }
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
RMQ=$REPO/bench/.cache/rocketmq-4.9.8
[ -d "$RMQ/lib" ] || { echo "run npm run bench:compare once first: it fetches RocketMQ's tools" >&2; exit 2; }
WORK=$(mktemp -d)
. "$REPO/bench/worktrees.sh"
build_revs "$@"

# The JVM command line both of RocketMQ's benchmark tools (Producer, Consumer) run with.
TOOL=(java -server -Xms1g -Xmx1g -Xmn256m -XX:+PerfDisableSharedMem -Duser.home="$WORK/home" -cp "$RMQ/conf:$RMQ/lib/*")

cpu_ticks() { local t=0; for s in /proc/"$1"/task/*/stat; do t=$((t + $(awk '{print $14 + $15}' "$s"))); done; echo $t; }
# Per thread: id, CPU ticks, read system calls.
thread_ticks() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(awk '{print $14 + $15}' "$t/stat") $(awk '/^syscr/ {print $2}' "$t/io")"; done; }

run() {
  local rev=$1
  start_rev "$rev" "$WORK/store-$rev" "$WORK/broker-$rev.log"
  local broker=$BROKER ns=$NS consumer=
  sleep 3
  timeout $((WARMUP + WINDOW + 2)) "${TOOL[@]}" -Dorg.apache.rocketmq.client.sendSmartMsg=true \
    org.apache.rocketmq.example.benchmark.Producer -n 127.0.0.1:"$ns" -t BenchmarkTest -w 64 -s "$SIZE" \
    >"$WORK/producer.out" 2>&1 &
  local producer=$! t0
  t0=$(date +%s.%N)
  if [ -n "$CONSUMER" ]; then
    # Once the Producer's first sends have created the topic, so that the Consumer finds its route
    # at start; the backlog of those seconds is read during the warm-up.
    sleep 3
    timeout $((WARMUP + WINDOW + 12)) "${TOOL[@]}" org.apache.rocketmq.example.benchmark.Consumer -n 127.0.0.1:"$ns" -t BenchmarkTest \
      >"$WORK/consumer.out" 2>&1 &
    consumer=$!
    for _ in $(seq 100); do grep -q 'Consumer Started' "$WORK/consumer.out" 2>/dev/null && break; sleep 0.1; done
  fi
  # The window starts WARMUP s after the Producer did, whatever the Consumer's start took.
  local t0s t1s
  sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" -v w="$WARMUP" 'BEGIN { d = w - (now - t0); print (d > 0 ? d : 0) }')"; local c0; c0=$(cpu_ticks "$broker"); t0s=$(thread_ticks "$broker")
  sleep "$WINDOW"; local c1; c1=$(cpu_ticks "$broker"); t1s=$(thread_ticks "$broker")
  wait $producer || true
  local consumed=
  if [ -n "$consumer" ]; then
    kill "$consumer" 2>/dev/null; wait "$consumer" || true
    consumed="  Consumer TPS lines:$(grep -o 'TPS: [0-9]*' "$WORK/consumer.out" | awk '{printf " %s", $2}')"
  fi
  kill "$broker"; wait "$broker" || true
  # The Producer prints a Send TPS line every 10 s: the lines after the warm-up cover the window.
  grep -o 'Send TPS: [0-9]*' "$WORK/producer.out" | awk '{print $3}' |
    awk -v rev="$rev" -v skip=$((WARMUP / 10)) -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v win="$WINDOW" '
      { all = all " " $1; if (NR > skip) { n++; sum += $1 } }
      END { tps = n ? sum / n : 0; cpu = ticks / hz;
            printf "%s  Send TPS lines:%s  window TPS %.0f  broker CPU %.1f s  %.1f us/msg", rev, all, tps, cpu, tps ? cpu * 1e6 / (tps * win) : 0 }'
  echo "$consumed"
  # The threads that used 5 % of a core or more in the window (CPU seconds in it), in the order they were started.
  join <(echo "$t0s" | sort) <(echo "$t1s" | sort) | sort -n | awk -v hz="$(getconf CLK_TCK)" -v win="$WINDOW" '
    { cpu = ($4 - $2) / hz; if (cpu >= 0.05 * win) line = line sprintf("  %s: %.2f s CPU, %d reads/s (%.1f us per read)", $1, cpu, ($5 - $3) / win, $5 > $3 ? cpu * 1e6 / ($5 - $3) : 0) }
    END { print "    threads:" line }'
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, Node $(node -v), size $SIZE B, warm-up $WARMUP s, window $WINDOW s${CONSUMER:+, with the benchmark Consumer}"
for ((round = 1; round <= ROUNDS; round++)); do
  round_order "$round" "$@"
  for rev in "${order[@]}"; do run "$rev"; done
done
