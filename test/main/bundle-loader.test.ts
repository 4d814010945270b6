import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFile, codeCacheFile, runBundle } from '../../src/main/bundle-loader.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bundle as esbuild writes one (CommonJS, strict), reporting what it was run with. */
const BUNDLE = `"use strict";
function strict() { return this === undefined; }
module.exports = { moduleUrl: __ferryModuleUrl, filename: __filename, dirname: __dirname, strict: strict(), path: require('node:path').sep, self: exports === module.exports };
`;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function fixture(): { dir: string; entry: string; bundle: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bundle-'));
  dirs.push(dir);
  const entry = path.join(dir, 'thread.js');
  const bundle = bundleFile(entry);
  fs.writeFileSync(bundle, BUNDLE);
  return { dir, entry, bundle, cache: codeCacheFile(bundle) };
}

const run = (entry: string, writeAfterMs = 10) => {
  const mod: { filename: string; exports: Record<string, unknown> } = { filename: entry, exports: {} };
  const use = runBundle(mod, writeAfterMs);
  return { use, exports: mod.exports };
};

test('a bundle runs as its entry file\'s module: import.meta.url is the entry\'s URL, require and __filename the bundle\'s', () => {
  const f = fixture();
  const { use, exports } = run(f.entry);
  assert.equal(use, 'none');
  assert.deepEqual(exports, { moduleUrl: pathToFileURL(f.entry).href, filename: f.bundle, dirname: f.dir, strict: true, path: path.sep, self: true });
  assert.equal(path.basename(f.bundle), 'thread.bundle.js');
  assert.equal(path.basename(f.cache), 'thread.bundle.cache');
});

test('the code cache is written after the start and used by the next run', async () => {
  const f = fixture();
  assert.equal(run(f.entry).use, 'none');
  assert.equal(fs.existsSync(f.cache), false, 'not before the delay');
  await sleep(100);
  assert.ok(fs.statSync(f.cache).size > 0);
  assert.deepEqual(fs.readdirSync(f.dir).sort(), ['thread.bundle.cache', 'thread.bundle.js'], 'no temporary file left');
  const again = run(f.entry);
  assert.equal(again.use, 'used');
  assert.equal(again.exports.moduleUrl, pathToFileURL(f.entry).href);
  await sleep(50);
  assert.deepEqual(fs.readdirSync(f.dir).sort(), ['thread.bundle.cache', 'thread.bundle.js'], 'a used cache is not written again');
});

test('a cache that does not match the bundle is rejected, the bundle still runs, and the cache is made again', async () => {
  const f = fixture();
  fs.writeFileSync(f.cache, Buffer.alloc(2048, 7));
  const { use, exports } = run(f.entry);
  assert.equal(use, 'rejected');
  assert.equal(exports.strict, true);
  await sleep(100);
  assert.equal(run(f.entry).use, 'used');

  // a rebuilt bundle: the old cache no longer matches its source
  fs.writeFileSync(f.bundle, BUNDLE + '// rebuilt\n');
  assert.equal(run(f.entry).use, 'rejected');
});

test('a cache made for other code of the same length is not used (V8 compares only the length)', async () => {
  const f = fixture();
  run(f.entry);
  await sleep(100);
  assert.equal(run(f.entry).use, 'used');
  const other = BUNDLE.replace('strict: strict()', 'strict: 12345678');
  assert.equal(other.length, BUNDLE.length);
  fs.writeFileSync(f.bundle, other);
  fs.utimesSync(f.bundle, new Date(), new Date(Date.now() + 5000));
  const { use, exports } = run(f.entry);
  assert.equal(use, 'rejected');
  assert.equal(exports.strict, 12345678, 'the new source ran, not the cached code');
});

test('a directory the cache cannot be written to leaves the bundle running without one', async () => {
  const f = fixture();
  // the cache's path is taken by a directory: every write fails, as on a read-only install
  fs.mkdirSync(f.cache);
  assert.equal(run(f.entry).use, 'none');
  await sleep(100);
  assert.equal(fs.statSync(f.cache).isDirectory(), true);
  assert.deepEqual(fs.readdirSync(f.dir).sort(), ['thread.bundle.cache', 'thread.bundle.js']);
});
