#!/usr/bin/env bash
# Interop suites: the official RocketMQ clients, unchanged, against the broker under test.
#   1. Java client 4.9.8, JSON headers         (test/interop/java, surefire execution default-test)
#   2. Java client 4.9.8, ROCKETMQ headers     (same tests, -Drocketmq.serialize.type=ROCKETMQ)
#   3. Java client 5.5.0, JSON headers         (same tests, mvn -P rocketmq5; against Ferry only)
#   4. Go client v2.1.2                         (test/interop/go)
#   5. C++ client 1.2.0                         (test/interop/cpp/interop.cpp, built by cpp/build.sh,
#                                               run by the Go harness's TestCppClient)
# Exits non-zero if any suite fails. Against Ferry it needs `npm ci` first (which builds dist/).
#
#   test/interop/run.sh                        Ferry: node $FERRY_HOME/bin/ferrymq.js (or $FERRY_CMD)
#   BROKER_KIND=apache test/interop/run.sh     Apache RocketMQ from Maven Central, to validate the tests
#                                              (ROCKETMQ_APACHE_CLASSPATH overrides its classpath)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kind="${BROKER_KIND:-ferry}"
export FERRY_HOME="${FERRY_HOME:-$(cd "$here/../.." && pwd)}"
export CI="${CI:-true}"
maven=(mvn -B --no-transfer-progress)

for tool in java mvn go node setsid g++; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 2; }
done
if [[ "$kind" == ferry && -z "${FERRY_CMD:-}" && ! -f "$FERRY_HOME/bin/ferrymq.js" ]]; then
  echo "run.sh: $FERRY_HOME/bin/ferrymq.js not found (set FERRY_HOME or FERRY_CMD)" >&2
  exit 2
fi

# Each suite runs in a process group of its own; when it ends, or this script does, whatever is
# left in that group (brokers, forked JVMs) is killed.
suite_group=""
kill_suite() {
  if [[ -n "$suite_group" ]]; then
    kill -KILL -- "-$suite_group" 2>/dev/null
    suite_group=""
  fi
}
trap kill_suite EXIT
trap 'exit 130' INT TERM HUP

summaries=()
failed=0

run_suite() { # name dir command...
  local name="$1" dir="$2"
  shift 2
  echo
  echo "=== $name ($kind)"
  local started=$SECONDS
  (cd "$dir" && exec setsid "$@") </dev/null &
  suite_group=$!
  wait "$suite_group"
  local status=$?
  kill_suite
  local verdict="PASS"
  if ((status != 0)); then
    verdict="FAIL (exit $status)"
    failed=1
  fi
  summaries+=("$(printf '%-34s %-16s %4ss' "$name" "$verdict" $((SECONDS - started)))")
}

# Totals and failed tests from surefire's XML reports.
surefire_summary() { # reports-dir
  awk '
    /<testsuite / {
      for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) { gsub(/"|>/, "", kv[2]); n[kv[1]] += kv[2] }
    }
    /<testcase / { match($0, /name="[^"]*"/); test = substr($0, RSTART + 6, RLENGTH - 7);
                   match($0, /classname="[^"]*"/); cls = substr($0, RSTART + 11, RLENGTH - 12) }
    /<(failure|error)[ >]/ { sub(/.*\./, "", cls); bad = bad "\n      failed: " cls "." test }
    END { printf "    tests %d, failures %d, errors %d, skipped %d%s\n",
                 n["tests"], n["failures"], n["errors"], n["skipped"], bad }
  ' "$1"/TEST-*.xml 2>/dev/null || echo "    (no surefire reports in $1)"
}

java_dir="$here/java"
rm -rf "$java_dir/target/surefire-reports" "$java_dir/target/surefire-reports-rocketmq" "$java_dir/target/rocketmq5/surefire-reports"

run_suite "java client 4.9, JSON header" "$java_dir" \
  "${maven[@]}" test -Dbroker.kind="$kind" -Dinterop.skipRocketmq=true
run_suite "java client 4.9, ROCKETMQ header" "$java_dir" \
  "${maven[@]}" test -Dbroker.kind="$kind" -Dinterop.skipJson=true
# Not against Apache: the broker these suites start is 4.9, which does not serve the RocketMQ 5
# client fully (see README.md).
client5=false
[[ "$kind" == ferry ]] && client5=true
if $client5; then
  run_suite "java client 5, JSON header" "$java_dir" \
    "${maven[@]}" test -P rocketmq5 -Dbroker.kind="$kind" -Dinterop.skipRocketmq=true
fi
run_suite "go client" "$here/go" \
  go test -count=1 -timeout 4m -v . -broker="$kind" -skip '^TestCppClient$'
# shellcheck disable=SC2016
run_suite "c++ client" "$here/go" bash -c '
  set -eo pipefail
  program=$(../cpp/build.sh | tail -1)
  go test -count=1 -timeout 14m -v . -broker="$0" -run "^TestCppClient$" -cpp-client="$program"' "$kind"

echo
echo "=== interop summary ($kind)"
printf '%s\n' "${summaries[0]}"
surefire_summary "$java_dir/target/surefire-reports"
printf '%s\n' "${summaries[1]}"
surefire_summary "$java_dir/target/surefire-reports-rocketmq"
if $client5; then
  printf '%s\n' "${summaries[2]}"
  surefire_summary "$java_dir/target/rocketmq5/surefire-reports"
fi
printf '%s\n' "${summaries[-2]}"
printf '%s\n' "${summaries[-1]}"
exit "$failed"
