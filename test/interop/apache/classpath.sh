#!/usr/bin/env bash
# Prints the runtime classpath of the released Apache RocketMQ name server + broker (resolved from
# Maven Central through pom.xml beside this script), caching it in target/classpath.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/target/classpath.txt"
if [[ ! -s "$out" || "$here/pom.xml" -nt "$out" ]]; then
  mvn -B -q --no-transfer-progress -f "$here/pom.xml" \
    dependency:build-classpath -Dmdep.outputFile="$out" >&2
fi
cat "$out"
