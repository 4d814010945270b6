// Bundles each thread's entry point (and its dependencies, pino and commander included) into one
// file under dist/bundle, after tsc has built dist/src. Start-up is bound by module loading: a
// broker starts 7 threads on a 2-core machine, and Node's ESM loader spends about 2 ms per module,
// about 100 modules per thread. One file per thread is read and compiled in a fraction of that.
//
// The layout mirrors dist/src, so the URLs the code builds from import.meta.url to find worker
// files (`../workers/<name>.js` from src/main, `./produce-worker.js` from src/main/loadgen) resolve
// to the bundled workers: the loadgen's workers sit beside the bundled CLI, which contains
// src/main/loadgen.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = (f) => path.join(root, 'dist', 'src', f);
const entries = {
  'main/cli': src('main/cli.js'),
  'main/produce-worker': src('main/loadgen/produce-worker.js'),
  'main/consume-worker': src('main/loadgen/consume-worker.js'),
  'workers/network-worker': src('workers/network-worker.js'),
  'workers/store-writer': src('workers/store-writer.js'),
  'workers/dispatcher': src('workers/dispatcher.js'),
  'workers/flusher': src('workers/flusher.js'),
  'workers/schedule-worker': src('workers/schedule-worker.js'),
  'workers/transaction-worker': src('workers/transaction-worker.js'),
};

await esbuild.build({
  entryPoints: Object.entries(entries).map(([out, input]) => ({ in: input, out })),
  outdir: path.join(root, 'dist', 'bundle'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // No keepNames: it wraps each function expression in a __name() call that runs every time the
  // function is created, and hot paths create closures per request (profiled: 2 % of a pull worker).
  // pino and commander are CommonJS: their require() calls need a real require in an ES module.
  banner: { js: "import { createRequire as __ferryRequire } from 'node:module'; const require = __ferryRequire(import.meta.url);" },
  logLevel: 'warning',
});
