#!/usr/bin/env node
// The bundled CLI (scripts/bundle.mjs): one file per thread, so the broker starts faster.
require('../dist/bundle/main/cli.js');
