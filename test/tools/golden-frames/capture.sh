#!/usr/bin/env bash
# Captures the golden request frames in test/fixtures/frames/ from the real clients:
#
#   test/tools/golden-frames/capture.sh [out dir]        (default: test/fixtures/frames)
#
#   Apache RocketMQ name server + broker (jars of test/interop/apache, 4.9.7)
#     ^ test/tools/record-frames.mjs (recording proxy; rewrites routes to its own broker port)
#       ^ JavaClients.java  rocketmq-client 4.9.8, JSON headers, then ROCKETMQ headers
#       ^ go/main.go        rocketmq-client-go/v2 (go.mod), JSON headers
#
# then write-fixtures.mjs picks one frame per client, code and header type. Everything listens and
# connects on 127.0.0.1 only. Needs java, mvn, go, node (and what the interop suites have cached).
#
# As root with unshare(1), the capture runs in a private network namespace that has nothing but
# loopback, so the client IPs embedded in the frames (UNIQ_KEY, clientID) are loopback ones, not
# this machine's: Java's UNIQ_KEY then starts with 7F000001; the Go client, which ignores loopback
# interfaces, falls back to its time-derived fake IP. GOLDEN_NO_NETNS=1 skips the namespace.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${1:-$repo/test/fixtures/frames}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [[ -z "${GOLDEN_INNER:-}" ]]; then
  # Preparation that may need the network (Maven, Go modules): outside the namespace.
  work="$(mktemp -d "${TMPDIR:-/tmp}/golden-frames.XXXXXX")"
  bash "$repo/test/interop/apache/classpath.sh" > "$work/apache.cp"
  mvn -B -q --no-transfer-progress -f "$repo/test/interop/java/pom.xml" dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$work/client.cp" >&2
  (cd "$here/go" && go build -o "$work/golden-go" .)
  java_version="$(sed -n 's:.*<rocketmq.client.version>\(.*\)</rocketmq.client.version>.*:\1:p' "$repo/test/interop/java/pom.xml")"
  go_version="$(sed -n 's:^require github.com/apache/rocketmq-client-go/v2 \(v.*\)$:\1:p' "$here/go/go.mod")"
  apache_version="$(sed -n 's:.*<rocketmq.version>\(.*\)</rocketmq.version>.*:\1:p' "$repo/test/interop/apache/pom.xml")"
  export GOLDEN_INNER=1 GOLDEN_WORK="$work" GOLDEN_VERSIONS="$java_version $go_version $apache_version"
  if [[ -z "${GOLDEN_NO_NETNS:-}" && "$(id -u)" == 0 ]] && command -v unshare >/dev/null \
     && unshare -n true 2>/dev/null; then
    echo "capture: in a private network namespace (loopback only)" >&2
    exec unshare -n bash -c 'ip link set lo up && exec bash "$0" "$1"' "${BASH_SOURCE[0]}" "$out"
  fi
  echo "capture: WARNING: not in a private network namespace; frames will carry this machine's IP" >&2
  exec bash "${BASH_SOURCE[0]}" "$out"
fi

work="$GOLDEN_WORK"
read -r java_version go_version apache_version <<< "$GOLDEN_VERSIONS"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
await_port() { # port what
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "capture: $2 never listened on $1; see $work/logs" >&2
  exit 1
}

ns_port=$(free_port); broker_port=$(free_port)
proxy_ns_port=$(free_port); proxy_broker_port=$(free_port)
broker_name=golden-broker
mkdir -p "$work/logs"
cat > "$work/namesrv.conf" <<EOF
listenPort=$ns_port
EOF
cat > "$work/broker.conf" <<EOF
brokerClusterName=GoldenCluster
brokerName=$broker_name
brokerId=0
brokerIP1=127.0.0.1
listenPort=$broker_port
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$work/store
mappedFileSizeCommitLog=16777216
autoCreateTopicEnable=true
EOF

apache_home="$repo/test/interop/apache"
mapfile -t jvm_options < <(grep -v '^\s*#' "$apache_home/jvm.options" | grep -v '^\s*$')
apache() { # main-class conf log
  ROCKETMQ_HOME="$apache_home" java "${jvm_options[@]}" -Dtls.server.mode=disabled -Duser.home="$work" \
    -Dinterop.logDir="$work/logs" -cp "$(cat "$work/apache.cp")" "$1" -c "$2" > "$3" 2>&1 &
  pids+=($!)
}
apache org.apache.rocketmq.namesrv.NamesrvStartup "$work/namesrv.conf" "$work/logs/namesrv.out"
await_port "$ns_port" "name server"
apache org.apache.rocketmq.broker.BrokerStartup "$work/broker.conf" "$work/logs/broker.out"
await_port "$broker_port" "broker"

node "$repo/test/tools/record-frames.mjs" --out "$work/frames.jsonl" \
  --route "$proxy_ns_port=$ns_port" --route "$proxy_broker_port=$broker_port" --rewrite "$proxy_ns_port" \
  > "$work/logs/proxy.out" 2>&1 &
pids+=($!)
await_port "$proxy_broker_port" "recording proxy"

client() { # [-Dkey=value...] JavaClients-args...
  local jvm=()
  while [[ "$1" == -D* ]]; do jvm+=("$1"); shift; done
  java -Duser.home="$work" -Drocketmq.client.logRoot="$work/logs/client" "${jvm[@]}" \
    -cp "$(cat "$work/client.cp")" "$here/JavaClients.java" "$@"
}
for topic in GoldenTopicJSON GoldenTopicROCKETMQ GoldenTopicGO; do
  # Topics are created straight on the broker, not through the proxy: not part of the recording.
  client create-topic "127.0.0.1:$ns_port" "127.0.0.1:$broker_port" "$topic"
done
echo "capture: Java client $java_version, JSON headers" >&2
client run "127.0.0.1:$proxy_ns_port" "$broker_name" JSON
echo "capture: Java client $java_version, ROCKETMQ headers" >&2
client -Drocketmq.serialize.type=ROCKETMQ run "127.0.0.1:$proxy_ns_port" "$broker_name" ROCKETMQ
echo "capture: Go client $go_version" >&2
(cd "$work" && HOME="$work" "$work/golden-go" "127.0.0.1:$proxy_ns_port" "$broker_name" GoldenTopicGO)

cleanup
pids=()
node "$here/write-fixtures.mjs" "$work/frames.jsonl" "$out" "$java_version" "$go_version" \
  "Apache RocketMQ $apache_version broker"
echo "capture: recording and logs in $work" >&2
