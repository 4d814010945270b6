# Sourced by bench/revs.sh and bench/startup.sh: builds Ferry at git revisions, each in its own
# worktree under $WORK/rev-<REV> (tsc, then the per-thread bundles where the revision has them),
# and removes them and $WORK on exit. Needs REPO and WORK set.
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
