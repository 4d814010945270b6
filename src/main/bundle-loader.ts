/**
 * Runs a thread's bundle (scripts/bundle.mjs) with a V8 code cache, and writes that cache beside
 * the bundle once the thread has started.
 *
 * Start-up on few cores is bound by CPU, and compiling is a large share of a thread's start: V8
 * pre-parses a whole 200-560 KB bundle before running it, then compiles each function it calls.
 * A cache made after start-up holds the bytecode of everything start-up ran, so the next start of
 * the same build skips both (bench/results/2026-11-23-startup-cache.md). Node 20 has no compile
 * cache of its own, so the bundle is compiled here, as Node's CommonJS loader would, with the cache
 * handed to vm.Script. V8 checks a cache against its own version and flags and against the length
 * of the source, not its text, so the cache also records the bundle's size and modification time:
 * a cache for other code is never used. When either check fails (a rebuilt bundle, another Node,
 * --cpu-prof), the bundle is compiled from source and the cache is made again. The cache lives
 * beside the bundle, as trusted as the code itself; where that directory cannot be written (a
 * read-only install, a full disk) there is simply no cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** Long enough for a broker's threads to be up and serving, so their start-up code is compiled. */
const WRITE_CACHE_AFTER_MS = 1000;

/**
 * A bundle's code is the body of this function. `__ferryModuleUrl` stands in for
 * `import.meta.url`: the URL of the thread's entry file, from which the code finds worker files.
 */
const wrap = (source: string): string =>
  `(function (exports, require, module, __filename, __dirname, __ferryModuleUrl) {${source}\n})`;

export const bundleFile = (entryFile: string): string => entryFile.replace(/\.js$/, '.bundle.js');
export const codeCacheFile = (bundle: string): string => bundle.replace(/\.js$/, '.cache');

export type CodeCacheUse = 'used' | 'rejected' | 'none';

/** A cache file: the bundle's size and mtime (two float64), then V8's data. */
const STAMP_BYTES = 16;

function stampOf(file: string): Buffer {
  const st = fs.statSync(file);
  const stamp = Buffer.alloc(STAMP_BYTES);
  stamp.writeDoubleLE(st.size, 0);
  stamp.writeDoubleLE(st.mtimeMs, 8);
  return stamp;
}

/** Runs the bundle that belongs to an entry file, as that file's module. */
export function runBundle(entry: Pick<NodeJS.Module, 'filename' | 'exports'>, writeCacheAfterMs = WRITE_CACHE_AFTER_MS): CodeCacheUse {
  const file = bundleFile(entry.filename);
  const cacheFile = codeCacheFile(file);
  const stamp = stampOf(file);
  let cache: Buffer | undefined;
  try {
    cache = fs.readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const cachedData = cache && cache.length > STAMP_BYTES && stamp.equals(cache.subarray(0, STAMP_BYTES)) ? cache.subarray(STAMP_BYTES) : undefined;
  const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const use: CodeCacheUse = !cache ? 'none' : !cachedData || script.cachedDataRejected ? 'rejected' : 'used';
  if (use !== 'used') setTimeout(() => writeCodeCache(script, stamp, cacheFile), writeCacheAfterMs).unref();
  const body = script.runInThisContext() as (...args: unknown[]) => void;
  body.call(entry.exports, entry.exports, createRequire(file), entry, file, path.dirname(file), pathToFileURL(entry.filename).href);
  return use;
}

/** Written whole under a private name, then renamed: threads and brokers starting together may race. */
function writeCodeCache(script: vm.Script, stamp: Buffer, cacheFile: string): void {
  const tmp = `${cacheFile}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([stamp, script.createCachedData()]));
    fs.renameSync(tmp, cacheFile);
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to do: a stray file, never a failed thread
    }
  }
}
