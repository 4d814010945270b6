# Sourced by bench/revs.sh, bench/startup.sh and bench/turn-cost.sh: builds Ferry at git
# revisions, each in its own worktree under $WORK/rev-<REV> (tsc, then the per-thread bundles where
# the revision has them), starts them, and removes them and $WORK on exit. Needs REPO and WORK set.
trap 'pkill -f "storePathRootDir=$WORK" || true; for d in "$WORK"/rev-*; do git -C "$REPO" worktree remove --force "$d" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

build_revs() {
  local rev d
  for rev in "$@"; do
    d=$WORK/rev-$rev
    git -C "$REPO" worktree add -q --detach "$d" "$rev"
    ln -s "$REPO/node_modules" "$d/node_modules"
    (cd "$d" && node node_modules/typescript/bin/tsc -p . >/dev/null) || echo "$rev: tsc reported errors; running what it emitted" >&2
    if [ -f "$d/scripts/bundle.mjs" ]; then (cd "$d" && node scripts/bundle.mjs) || { echo "$rev: bundling failed" >&2; exit 1; }; fi
  done
}

# Sets `order` to the revisions in the order of round ROUND: as given in odd rounds, reversed in
# even ones, so that machine noise spreads over all of them.
round_order() {
  local round=$1 i
  shift
  order=("$@")
  if ((round % 2 == 0)); then order=(); for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done; fi
}

# Starts Ferry of revision REV in the background on an empty STORE, with its own name server on
# random loopback ports and its output in LOG; KEY=VALUE arguments after LOG are passed on. Sets
# PORT, NS (the name server's port) and BROKER (the process id).
start_rev() {
  local rev=$1 store=$2 log=$3
  shift 3
  PORT=$((20000 + RANDOM % 20000)); NS=$((PORT + 1))
  rm -rf "$store"
  (cd "$WORK/rev-$rev" && exec node bin/ferrymq.js start storePathRootDir="$store" listenPort="$PORT" \
    namesrvListenPort="$NS" namesrvAddr=127.0.0.1:"$NS" "$@" >"$log" 2>&1) &
  BROKER=$!
}
