// Bundles each thread's entry point (and its dependencies, pino and commander included) into one
// CommonJS file under dist/bundle, after tsc has built dist/src. Start-up is bound by module
// loading: a broker starts 7 threads on a 2-core machine, and Node's ESM loader spends about 2 ms
// per module, about 100 modules per thread. One file per thread is read and compiled in a fraction
// of that, and from a build's second start on, a V8 code cache the threads write beside their
// bundles spares most of the compiling (src/main/bundle-loader.ts).
//
// Each entry `<name>.js` is a small file that runs `<name>.bundle.js`. The layout mirrors
// dist/src, so the URLs the code builds from import.meta.url to find worker files
// (`../workers/<name>.js` from src/main, `./produce-worker.js` from src/main/loadgen) resolve to the
// bundled workers' entries: the loadgen's workers sit beside the bundled CLI, which contains
// src/main/loadgen.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundleFile } from '../dist/src/main/bundle-loader.js';

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

const out = path.join(root, 'dist', 'bundle');
fs.rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [
    // esbuild adds the .js: `workers/dispatcher` is built as `workers/dispatcher.bundle.js`
    ...Object.entries(entries).map(([name, input]) => ({ in: input, out: bundleFile(`${name}.js`).slice(0, -'.js'.length) })),
    { in: src('main/bundle-loader.js'), out: 'bundle-loader' },
  ],
  outdir: out,
  bundle: true,
  platform: 'node',
  // CommonJS, not ES modules: Node's ESM loader costs each thread several ms more to start.
  // bundle-loader.ts runs each bundle with the entry file's URL as import.meta.url.
  format: 'cjs',
  define: { 'import.meta.url': '__ferryModuleUrl' },
  target: 'node20',
  // No keepNames: it wraps each function expression in a __name() call that runs every time the
  // function is created, and hot paths create closures per request (profiled: 2 % of a pull worker).
  logLevel: 'warning',
});
// The bundles are CommonJS inside a package whose .js files are ES modules.
fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "commonjs" }\n');
// Each thread's entry file runs its bundle through the loader.
for (const name of Object.keys(entries)) {
  const entry = path.join(out, `${name}.js`);
  const bundle = bundleFile(entry);
  const loader = path.relative(path.dirname(entry), path.join(out, 'bundle-loader.js'));
  fs.writeFileSync(entry, `'use strict';\n// Built by scripts/bundle.mjs: runs ${path.basename(bundle)} with its V8 code cache.\nrequire('${loader}').runBundle(module);\n`);
}
