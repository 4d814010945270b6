#!/usr/bin/env bash
# Where the machine's CPU goes while RocketMQ's benchmark Producer drives a broker: one sync case
# (64 threads), async case (one thread, sends kept in flight), consume case (64 sync threads while
# the benchmark Consumer reads) or drain case (the Consumer alone reads a backlog; the window starts
# WARMUP_S after the Consumer does) of bench/compare.mjs, and in the middle of it a system-wide `perf record` (kernel and user
# stacks; for Ferry, JS frames named through node's --perf-basic-prof map). It prints, per process
# (broker, Producer, Consumer, idle, other) and per thread using 1 % of the machine or more: its share of
# all samples, the share of its own samples spent in the kernel, the system calls those kernel
# samples ran under, and its busiest JS functions.
#
# Ferry's threads are unnamed ("node"); each is labelled by the bundle its JS frames come from
# (network-worker, store-writer, dispatcher, ...), or "libuv/V8 helper" when it ran no JS.
#
# Needs perf (linux-perf) and the rights to record system-wide (root, or perf_event_paranoid <= 0).
#
#   bench/profile-threads.sh [-b ferry|apache] [-c sync|async|consume|drain] [-s SIZE] [-w WARMUP_S] [-t WINDOW_S]
set -euo pipefail
BROKER=ferry CASE=sync SIZE=128 WARMUP=15 WINDOW=10
while getopts b:c:s:w:t: o; do
  case $o in b) BROKER=$OPTARG ;; c) CASE=$OPTARG ;; s) SIZE=$OPTARG ;; w) WARMUP=$OPTARG ;; t) WINDOW=$OPTARG ;; *) exit 2 ;; esac
done
case $BROKER in ferry | apache) ;; *) echo "-b takes ferry or apache" >&2; exit 2 ;; esac
case $CASE in sync) PRODUCER_ARGS="-w 64 -s $SIZE" LINE="send TPS ${SIZE}B" ;; async) PRODUCER_ARGS="-w 1 -y true -s $SIZE" LINE="send TPS async ${SIZE}B" ;;
  consume) PRODUCER_ARGS="-w 64 -s $SIZE" LINE="consume TPS ${SIZE}B" ;;
  drain) PRODUCER_ARGS="-w 64 -s $SIZE" LINE="drain msg/s ${SIZE}B" ;;
  *) echo "-c takes sync, async, consume or drain" >&2; exit 2 ;;
esac
command -v perf >/dev/null || { echo "perf is not installed (Debian: linux-perf)" >&2; exit 1; }
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
WORK=$(mktemp -d)
OUT=profile-threads-tmp
cleanup() {
  [ -n "${BENCH:-}" ] && kill "$BENCH" 2>/dev/null || true
  rm -rf "$WORK" "$REPO/bench/results/$OUT".{json,md,svg}
}
trap cleanup EXIT

args=(--brokers "$BROKER" --cases "$CASE" --sizes "$SIZE" --duration $((WARMUP + WINDOW + 10)) --out "$OUT")
# the drain case fills its backlog and drains it whatever the duration
[ "$BROKER" = ferry ] && args+=(--ferry-node-args --perf-basic-prof)
node "$REPO/bench/compare.mjs" "${args[@]}" >"$WORK/bench.log" 2>&1 &
BENCH=$!

# The Producer's JVM is the one running the benchmark class; the broker is its sibling.
PRODUCER=
for _ in $(seq 600); do
  PRODUCER=$(pgrep -f 'org.apache.rocketmq.example.benchmark.Producer' || true)
  [ -n "$PRODUCER" ] && break
  kill -0 "$BENCH" 2>/dev/null || { cat "$WORK/bench.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$PRODUCER" ] || { echo "the Producer did not start" >&2; exit 1; }
if [ "$CASE" = drain ]; then
  for _ in $(seq 1200); do
    pgrep -f 'org.apache.rocketmq.example.benchmark.Consumer' >/dev/null && break
    kill -0 "$BENCH" 2>/dev/null || { cat "$WORK/bench.log" >&2; exit 1; }
    sleep 0.25
  done
fi
CONSUMER=$(pgrep -f 'org.apache.rocketmq.example.benchmark.Consumer' || true)
if [ "$BROKER" = ferry ]; then BROKER_PID=$(pgrep -f 'ferrymq.js start' | head -1)
else BROKER_PID=$(pgrep -f 'org.apache.rocketmq.broker.BrokerStartup' | head -1); fi
sleep "$WARMUP"
perf record -F 999 -g -a -o "$WORK/perf.data" -- sleep "$WINDOW" >/dev/null 2>&1
wait "$BENCH" || { cat "$WORK/bench.log" >&2; exit 1; }
BENCH=
TPS=$(grep "^$BROKER $LINE: " "$WORK/bench.log" | awk '{print $NF}')

echo "# $(date -u +%FT%TZ) $(nproc) CPUs; $BROKER driven by RocketMQ's Producer $PRODUCER_ARGS${CONSUMER:+ and Consumer} (median ${LINE%% *} TPS $TPS); perf at 999 Hz on every CPU for $WINDOW s after a $WARMUP s warm-up"
perf script -i "$WORK/perf.data" -F comm,pid,tid,ip,sym,dso 2>/dev/null | awk -v broker="$BROKER_PID" -v producer="$PRODUCER" -v consumer="${CONSUMER:-none}" '
  function flush() {
    if (tid == "") return
    all++; n[tid]++; proc[tid] = p; comm[tid] = c
    pn[p]++
    if (kernel) { k[tid]++; pk[p]++; ks[tid, sys != "" ? sys : fault ? "page faults" : irq ? "interrupts" : "other kernel"]++ }
    if (js != "") jl[tid, js]++
    for (b in seen) bundles[tid, b]++
    delete seen
    tid = ""
  }
  # A sample: "comm pid/tid" (comm may hold spaces), then one frame per line, leaf first.
  /^[^ \t]/ {
    flush()
    c = $0; sub(/ +[0-9]+\/[0-9]+ *$/, "", c); sub(/^ +/, "", c)
    split($NF, id, "/"); tid = id[2]
    p = id[1] == 0 ? "idle" : id[1] == broker ? "broker" : id[1] == producer ? "Producer" : id[1] == consumer ? "Consumer" : "other"
    depth = 0; kernel = 0; sys = ""; irq = 0; fault = 0; js = ""; prev = ""
    next
  }
  tid != "" && NF > 0 {
    line = $0; sub(/^[ \t]+[0-9a-f]+ /, "", line)
    sym = line; sub(/ \([^()]*\)$/, "", sym)
    if (depth++ == 0) kernel = line ~ /\[kernel\.kallsyms\]\)$/
    # The system call is the frame do_syscall_64 called (leaf first: the line before it).
    if (kernel && sym == "do_syscall_64" && sys == "") {
      sys = prev; sub(/^(__x64_sys_|__do_sys_|__se_sys_|ksys_|__sys_)/, "", sys)
      if (sys == "exit_to_user_mode_loop") sys = "return to user (scheduling)"
    }
    if (kernel && sym ~ /^asm_(sysvec|common_interrupt)/) irq = 1
    if (kernel && sym == "asm_exc_page_fault") fault = 1
    prev = sym
    if (sym ~ /^JS:/) {
      if (js == "") { js = sym; sub(/^JS:[*~^]?/, "", js); sub(/ .*\//, " ", js) }
      if (match(sym, /[a-z-]+\.bundle\.js/)) seen[substr(sym, RSTART, RLENGTH - 10)] = 1
    }
  }
  function top(arr, t, m,    key, s, i, best, bestv, out, used) {
    out = ""
    for (i = 0; i < m; i++) {
      bestv = 0
      for (key in arr) { split(key, s, SUBSEP); if (s[1] == t && !(key in used) && arr[key] > bestv) { best = key; bestv = arr[key] } }
      if (bestv == 0) break
      used[best] = 1; split(best, s, SUBSEP)
      out = out sprintf("%s%s %d%%", i ? ", " : "", s[2], 100 * bestv / n[t])
    }
    return out
  }
  END {
    flush()
    sorter = "sort -rn | cut -f2- | tr \"\\t\" \"\\n\""
    printf "%-10s %8s %9s\n", "process", "machine", "in kernel"
    for (q in pn) printf "%d\t%-10s %7.1f%% %8.0f%%\n", pn[q], q, 100 * pn[q] / all, 100 * pk[q] / pn[q] | sorter
    close(sorter)
    print ""
    printf "%-10s %-22s %7s %9s  %s\n", "process", "thread", "machine", "in kernel", "kernel samples by system call; innermost JS functions, with what they call (share of the thread)"
    for (t in n) {
      if (n[t] < all / 100 || proc[t] == "idle") continue
      label = comm[t]; bestb = 0
      for (key in bundles) { split(key, s, SUBSEP); if (s[1] == t && bundles[key] > bestb) { bestb = bundles[key]; label = s[2] } }
      if (proc[t] == "broker" && label == "node" && bestb == 0) label = "libuv/V8 helper"
      row = sprintf("%-10s %-22s %6.1f%% %8.0f%%  %s", proc[t], label, 100 * n[t] / all, 100 * k[t] / n[t], top(ks, t, 3))
      j = top(jl, t, 4)
      if (j != "") row = row sprintf("\t%52s JS: %s", "", j)
      printf "%d\t%s\n", n[t], row | sorter
    }
    close(sorter)
  }'
