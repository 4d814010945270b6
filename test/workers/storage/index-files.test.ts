import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexWriter, listIndexFiles } from '../../../src/workers/storage/index-writer.js';
import { IndexReader } from '../../../src/workers/storage/index-reader.js';
import { answerQueryMessage, recordHasKey } from '../../../src/workers/network/query-message.js';
import type { StoreReader } from '../../../src/workers/storage/store-reader.js';
import { IndexFileView, entryPosition, indexFileSize, indexKeyHash, readIndexHeader, slotPosition } from '../../../src/shared/storage/indexfile.js';
import { javaHashCode } from '../../../src/shared/storage/hash.js';
import { encodeCheckpoint } from '../../../src/shared/storage/checkpoint.js';
import { encodeRecord, recordLength, PREPARED, ROLLBACK, COMMIT } from '../../../src/shared/storage/message.js';
import { encodeProperties } from '../../../src/shared/storage/properties.js';
import { readInt, readLong } from '../../../src/shared/storage/longs.js';
import { SharedState, Seq } from '../../../src/shared/shared-state.js';
import { newRequest } from '../../../src/shared/remoting/command.js';
import { RequestCode, ResponseCode } from '../../../src/shared/codes.js';
import { createLogger } from '../../../src/main/logger.js';

const log = createLogger('test', 'silent');
const T0 = 1_700_000_000_000;
const ALL = Number.MAX_SAFE_INTEGER;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-index-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const indexDir = () => path.join(dir, 'index');
const checkpointFile = () => path.join(dir, 'checkpoint');

function writer(slots: number, entries: number, state: SharedState | null = null, stage = 4096): IndexWriter {
  return new IndexWriter(indexDir(), slots, entries, log, state, stage);
}

function record(phy: number, ts: number, topic: string, props: Record<string, string>, sysFlag = 0): Buffer {
  const t = Buffer.from(topic);
  const p = encodeProperties(props);
  const body = Buffer.from('body');
  const buf = Buffer.alloc(recordLength(sysFlag, body.length, t.length, p.length));
  encodeRecord(buf, 0, {
    queueId: 0, flag: 0, queueOffset: 0, physicalOffset: phy, sysFlag, bornTimestamp: ts, bornHost: Buffer.from([127, 0, 0, 1]), bornPort: 5000,
    storeTimestamp: ts, storeHost: Buffer.from([127, 0, 0, 1]), storePort: 10911, reconsumeTimes: 0, preparedTransactionOffset: 0, body, topic: t, properties: p,
  });
  return buf;
}

function query(r: IndexReader, key: string, begin = 0, end = ALL, max = 64): number[] {
  return r.query(indexKeyHash(key), begin, end, max, () => true).phyOffsets;
}

function fileBytes(name: string): Buffer {
  return fs.readFileSync(path.join(indexDir(), name));
}

test('IndexWriter leaves the same bytes on disk as IndexFileView for the same puts', () => {
  const slots = 4;
  const entries = 16;
  const w = writer(slots, entries, null, 3); // a stage of 3 entries: several partial writes
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const view = new IndexFileView(new Uint8Array(indexFileSize(slots, entries)), slots, entries);
  const keys = ['T#a', 'T#b', 'T#a', 'T#c', 'T#d', 'T#a', 'T#e', 'T#b'];
  keys.forEach((k, i) => {
    w.putKey(indexKeyHash(k), 100 * (i + 1), T0 + i * 1500);
    view.put(k, 100 * (i + 1), T0 + i * 1500);
  });
  w.flush(T0);
  const files = listIndexFiles(indexDir());
  assert.equal(files.length, 1);
  assert.match(files[0], /^\d{17}$/);
  assert.deepEqual(fileBytes(files[0]), Buffer.from(view.buf));
  const h = readIndexHeader(fileBytes(files[0]));
  assert.equal(h.indexCount, keys.length + 1);
  assert.equal(h.hashSlotCount, new Set(keys.map((k) => indexKeyHash(k) % slots)).size);
  w.close();
});

test('indexRecord: topic#UNIQ_KEY and every KEYS token, hashed from bytes like String.hashCode', () => {
  const w = writer(8, 64);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const topic = 'Tópico';
  const rec = record(4096, T0, topic, { KEYS: ' k1  ключ k3 ', UNIQ_KEY: 'U-1', TAGS: 'x' });
  w.indexRecord(rec, 0, 4096);
  w.flushStage();
  assert.equal(w.header.indexCount, 5); // UNIQ_KEY + 3 tokens (empty ones skipped)
  const r = new IndexReader(indexDir(), 8, 64);
  for (const k of ['U-1', 'k1', 'ключ', 'k3']) {
    assert.deepEqual(query(r, `${topic}#${k}`), [4096], k);
  }
  assert.deepEqual(query(r, `${topic}#`), []);
  assert.deepEqual(query(r, `${topic}#TAGS`), []);
  // the entry order is Java's: UNIQ_KEY first, then the KEYS tokens
  const bytes = fileBytes(w.currentFile);
  assert.equal(readInt(bytes, entryPosition(1, 8)), Math.abs(javaHashCode(`${topic}#U-1`)));
  assert.equal(readInt(bytes, entryPosition(3, 8)), Math.abs(javaHashCode(`${topic}#ключ`)));
  r.close();
  w.close();
});

test('indexRecord: ROLLBACK skipped, PREPARED and COMMIT indexed, a record seen twice or below endPhyOffset skipped', () => {
  const w = writer(8, 64);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  w.indexRecord(record(100, T0, 'T', { KEYS: 'rb' }, ROLLBACK), 0, 100);
  w.indexRecord(record(200, T0, 'T', { KEYS: 'prep' }, PREPARED), 0, 200);
  w.indexRecord(record(300, T0, 'T', { KEYS: 'com' }, COMMIT), 0, 300);
  w.indexRecord(record(300, T0, 'T', { KEYS: 'com' }, COMMIT), 0, 300); // dispatched again
  w.indexRecord(record(250, T0, 'T', { KEYS: 'old' }), 0, 250); // below endPhyOffset
  w.indexRecord(record(400, T0, 'T', {}), 0, 400); // no keys at all
  w.flushStage();
  const r = new IndexReader(indexDir(), 8, 64);
  assert.deepEqual(query(r, 'T#rb'), []);
  assert.deepEqual(query(r, 'T#prep'), [200]);
  assert.deepEqual(query(r, 'T#com'), [300]);
  assert.deepEqual(query(r, 'T#old'), []);
  assert.equal(w.header.indexCount, 3);
  r.close();
  w.close();
});

test('rollover: a full file starts the next (begin = previous end); one query spans both files', () => {
  const state = new SharedState(SharedState.create());
  const w = writer(4, 4, state); // 3 entries per file
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const r = new IndexReader(indexDir(), 4, 4, state);
  const hash = indexKeyHash('T#k');
  w.putKey(hash, 100, T0);
  w.putKey(indexKeyHash('T#other'), 150, T0 + 500);
  w.putKey(hash, 200, T0 + 1000);
  w.flushStage();
  const first = w.currentFile;
  assert.deepEqual(query(r, 'T#k'), [200, 100]);
  const seq = Atomics.load(state.seq, Seq.INDEX_FILES);
  w.putKey(hash, 300, T0 + 5000); // file 1 is full: goes to file 2
  w.putKey(hash, 400, T0 + 6000);
  w.flushStage();
  const second = w.currentFile;
  assert.notEqual(second, first);
  assert.ok(second > first, 'names sort by creation');
  assert.ok(Atomics.load(state.seq, Seq.INDEX_FILES) > seq, 'readers are told about the new file');
  const h1 = readIndexHeader(fileBytes(first));
  const h2 = readIndexHeader(fileBytes(second));
  const slotsUsed = new Set([hash % 4, indexKeyHash('T#other') % 4]).size;
  assert.deepEqual(h1, { beginTimestamp: T0, endTimestamp: T0 + 1000, beginPhyOffset: 100, endPhyOffset: 200, hashSlotCount: slotsUsed, indexCount: 4 });
  assert.deepEqual(h2, { beginTimestamp: T0 + 5000, endTimestamp: T0 + 6000, beginPhyOffset: 300, endPhyOffset: 400, hashSlotCount: 1, indexCount: 3 });
  // Java's first put in a following file computes timeDiff against the previous file's end
  assert.equal(readInt(fileBytes(second), entryPosition(1, 4) + 12), 4);
  assert.deepEqual(query(r, 'T#k'), [400, 300, 200, 100]);
  assert.deepEqual(query(r, 'T#k', 0, ALL, 3), [400, 300, 200]);
  assert.deepEqual(query(r, 'T#other'), [150]);
  // files are read newest first and the walk stops at a file that begins before `begin`
  assert.deepEqual(query(r, 'T#k', T0 + 4000), [400, 300]);
  assert.deepEqual(query(r, 'T#k', 0, T0 + 1000), [200, 100]);
  const res = r.query(hash, 0, ALL, 64, () => true);
  assert.equal(res.indexLastUpdateTimestamp, T0 + 6000);
  assert.equal(res.indexLastUpdatePhyoffset, 400);
  assert.deepEqual(r.fileNames(), [first, second]);
  r.close();
  w.close();
});

test('the reader follows what is flushed: staged puts are invisible until flushStage', () => {
  const w = writer(16, 64);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const r = new IndexReader(indexDir(), 16, 64);
  w.putKey(indexKeyHash('T#a'), 10, T0);
  w.flushStage();
  w.putKey(indexKeyHash('T#a'), 20, T0 + 1000);
  assert.deepEqual(query(r, 'T#a'), [10]);
  w.flushStage();
  assert.deepEqual(query(r, 'T#a'), [20, 10]);
  // what is on disk is a valid RocketMQ file at each step: Java's algorithm finds the same
  const view = new IndexFileView(new Uint8Array(fileBytes(w.currentFile)), 16, 64);
  assert.deepEqual(view.query('T#a', 0, ALL, 32), [20, 10]);
  r.close();
  w.close();
});

test('reader: time range in seconds since the file begin, maxNum, accept filter, duplicates once', () => {
  const w = writer(4, 64);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const h = indexKeyHash('T#k');
  w.putKey(h, 100, T0);
  w.putKey(h, 200, T0 + 10_500); // stored as 10 s
  w.putKey(h, 300, T0 + 20_000);
  w.putKey(h, 300, T0 + 20_000); // the same message twice (KEYS "k k")
  w.flushStage();
  const r = new IndexReader(indexDir(), 4, 64);
  assert.deepEqual(query(r, 'T#k'), [300, 200, 100]);
  assert.deepEqual(query(r, 'T#k', T0 + 5000, T0 + 15_000), [200]);
  assert.deepEqual(query(r, 'T#k', T0 + 10_000, T0 + 10_000), [200]);
  assert.deepEqual(query(r, 'T#k', T0 + 10_500, T0 + 10_500), []); // Java's second granularity
  assert.deepEqual(query(r, 'T#k', T0 + 21_000), []);
  assert.deepEqual(query(r, 'T#k', 0, ALL, 2), [300, 200]);
  assert.deepEqual(r.query(h, 0, ALL, 2, (phy) => phy !== 300).phyOffsets, [200, 100]);
  assert.deepEqual(query(r, 'T#absent'), []);
  r.close();
  w.close();
});

test('load after a clean stop keeps every file and continues the newest (its slot table included)', () => {
  const w = writer(4, 8);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const h = indexKeyHash('T#k');
  w.putKey(h, 100, T0);
  w.putKey(h, 200, T0 + 1000);
  const name = w.currentFile;
  w.close();
  const w2 = writer(4, 8);
  const res = w2.load({ abnormal: false, commitLogEnd: 1000, checkpointFile: checkpointFile() });
  assert.deepEqual(res, { kept: [name], dropped: [], redispatchFrom: Infinity });
  assert.equal(w2.currentFile, name);
  w2.indexRecord(record(150, T0, 'T', { KEYS: 'k' }), 0, 150); // below endPhyOffset: indexed before
  w2.indexRecord(record(300, T0 + 2000, 'T', { KEYS: 'k' }), 0, 300);
  w2.flush(T0 + 2000);
  assert.equal(readInt(fileBytes(name), entryPosition(3, 4) + 16), 2, 'prev link into the entries written before the restart');
  assert.deepEqual(query(new IndexReader(indexDir(), 4, 8), 'T#k'), [300, 200, 100]);
  w2.close();
});

test('load after an unclean stop drops files newer than indexMsgTimestamp and says where to re-dispatch', () => {
  const state = new SharedState(SharedState.create());
  const w = writer(4, 4, state);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const h = indexKeyHash('T#k');
  for (let i = 1; i <= 7; i++) w.putKey(h, i * 100, T0 + i * 1000); // files of 3, 3, 1 entries
  w.close();
  const names = listIndexFiles(indexDir());
  assert.equal(names.length, 3);
  fs.writeFileSync(checkpointFile(), encodeCheckpoint({ physicMsgTimestamp: T0 + 7000, logicsMsgTimestamp: T0 + 7000, indexMsgTimestamp: T0 + 3000 }));

  const reader = new IndexReader(indexDir(), 4, 4, state);
  assert.deepEqual(query(reader, 'T#k'), [700, 600, 500, 400, 300, 200, 100]);
  const w2 = writer(4, 4, state);
  const seq = Atomics.load(state.seq, Seq.INDEX_FILES);
  const res = w2.load({ abnormal: true, commitLogEnd: 10_000, checkpointFile: checkpointFile() });
  assert.deepEqual(res, { kept: [names[0]], dropped: [names[1], names[2]], redispatchFrom: 300 });
  assert.ok(Atomics.load(state.seq, Seq.INDEX_FILES) > seq);
  assert.deepEqual(listIndexFiles(indexDir()), [names[0]]);
  assert.deepEqual(query(reader, 'T#k'), [300, 200, 100], 'readers drop deleted files');
  // re-dispatch from 300: the record at 300 is indexed again (RocketMQ's `<` rule), later ones too
  for (let i = 3; i <= 7; i++) w2.indexRecord(record(i * 100, T0 + i * 1000, 'T', { KEYS: 'k' }), 0, i * 100);
  w2.flush(T0 + 7000);
  const after = listIndexFiles(indexDir());
  assert.equal(after.length, 3);
  assert.ok(after[1] > names[2], 'a rebuilt file never reuses a dropped name');
  assert.deepEqual(query(reader, 'T#k'), [700, 600, 500, 400, 300, 200, 100]);
  reader.close();
  w2.close();
});

test('unclean stop without a checkpoint: every file is dropped, re-dispatch from the first one begin', () => {
  const w = writer(4, 4);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  for (let i = 1; i <= 4; i++) w.putKey(indexKeyHash('T#k'), 1000 + i, T0 + i);
  w.close();
  const w2 = writer(4, 4);
  const res = w2.load({ abnormal: true, commitLogEnd: 1 << 20, checkpointFile: checkpointFile() });
  assert.equal(res.kept.length, 0);
  assert.equal(res.dropped.length, 2);
  assert.equal(res.redispatchFrom, 1001);
  assert.deepEqual(listIndexFiles(indexDir()), []);
  w2.close();
});

test('unclean stop: a file whose newest entry is past the recovered CommitLog end is dropped', () => {
  const w = writer(4, 8);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  w.putKey(indexKeyHash('T#k'), 5000, T0);
  w.close();
  fs.writeFileSync(checkpointFile(), encodeCheckpoint({ physicMsgTimestamp: T0, logicsMsgTimestamp: T0, indexMsgTimestamp: T0 }));
  const res = writer(4, 8).load({ abnormal: true, commitLogEnd: 5000, checkpointFile: checkpointFile() });
  assert.equal(res.dropped.length, 1);
  assert.equal(res.redispatchFrom, 5000);
});

test('files sized for another maxHashSlotNum/maxIndexNum are ignored by writer and reader', () => {
  const w = writer(4, 8);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  w.putKey(indexKeyHash('T#k'), 1, T0);
  w.close();
  const w2 = writer(8, 8);
  const res = w2.load({ abnormal: false, commitLogEnd: 10, checkpointFile: checkpointFile() });
  assert.deepEqual(res.kept, []);
  assert.deepEqual(query(new IndexReader(indexDir(), 8, 8), 'T#k'), []);
  w2.close();
});

test('retention deletes the oldest files whose entries are all below the CommitLog min, never the newest', () => {
  const state = new SharedState(SharedState.create());
  const w = writer(4, 4, state);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  for (let i = 1; i <= 7; i++) w.putKey(indexKeyHash('T#k'), i * 100, T0 + i * 1000); // ends 300, 600, 700
  w.flush(T0);
  const names = listIndexFiles(indexDir());
  const r = new IndexReader(indexDir(), 4, 4, state);
  assert.equal(query(r, 'T#k').length, 7);
  assert.deepEqual(w.deleteExpired(300), []);
  assert.deepEqual(w.deleteExpired(301), [names[0]]);
  assert.deepEqual(query(r, 'T#k'), [700, 600, 500, 400], 'readers forget deleted files');
  assert.deepEqual(w.deleteExpired(1_000_000), [names[1]], 'the file being written stays');
  assert.deepEqual(listIndexFiles(indexDir()), [names[2]]);
  r.close();
  w.close();
});

/** A StoreReader stand-in serving records from memory. */
function fakeStore(records: Map<number, Buffer>): StoreReader {
  return { readRecord: (phy: number) => records.get(phy) ?? null } as unknown as StoreReader;
}

test('QUERY_MESSAGE: candidates are checked against the stored topic and keys (hashes collide)', () => {
  assert.equal(javaHashCode('T#Aa'), javaHashCode('T#BB'));
  const w = writer(16, 64);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const records = new Map<number, Buffer>();
  const add = (phy: number, topic: string, props: Record<string, string>) => {
    const rec = record(phy, T0 + phy, topic, props);
    records.set(phy, rec);
    w.indexRecord(rec, 0, phy);
  };
  add(100, 'T', { KEYS: 'Aa', UNIQ_KEY: 'U100' });
  add(200, 'T', { KEYS: 'BB x', UNIQ_KEY: 'U200' });
  add(300, 'T', { KEYS: 'x Aa', UNIQ_KEY: 'U300' });
  w.flushStage();
  const r = new IndexReader(indexDir(), 16, 64);
  const store = fakeStore(records);
  const ask = (ext: Record<string, string>) => answerQueryMessage(newRequest(RequestCode.QUERY_MESSAGE, ext), r, store);
  const phys = (body: Buffer | null) => {
    const out: number[] = [];
    for (let p = 0; body && p < body.length; p += readInt(body, p)) out.push(readLong(body, p + 28));
    return out;
  };
  const base = { topic: 'T', maxNum: '32', beginTimestamp: '0', endTimestamp: String(Number.MAX_SAFE_INTEGER) };

  const aa = ask({ ...base, key: 'Aa' });
  assert.equal(aa.code, ResponseCode.SUCCESS);
  assert.deepEqual(phys(aa.body), [100, 300], 'sorted by CommitLog offset, the BB message filtered out');
  assert.equal(aa.extFields?.indexLastUpdatePhyoffset, '300');
  assert.equal(aa.extFields?.indexLastUpdateTimestamp, String(T0 + 300));
  assert.deepEqual(aa.body, Buffer.concat([records.get(100)!, records.get(300)!]));
  assert.deepEqual(phys(ask({ ...base, key: 'BB' }).body), [200]);
  assert.deepEqual(phys(ask({ ...base, key: 'x' }).body), [200, 300]);
  assert.deepEqual(phys(ask({ ...base, key: 'x', maxNum: '1' }).body), [300], 'the newest maxNum');
  assert.deepEqual(phys(ask({ ...base, key: 'x', maxNum: '1', _UNIQUE_KEY_QUERY: 'true' }).body), [200, 300], 'UNIQ_KEY queries use maxNum 32');
  assert.deepEqual(phys(ask({ ...base, key: 'U200', _UNIQUE_KEY_QUERY: 'true' }).body), [200]);

  const none = ask({ ...base, key: 'Aa', topic: 'Other' });
  assert.equal(none.code, ResponseCode.QUERY_NOT_FOUND);
  assert.equal(none.remark, 'can not find message, maybe time range not correct');
  assert.equal(none.extFields?.indexLastUpdatePhyoffset, '300');
  assert.equal(ask({ ...base, key: 'Aa', endTimestamp: String(T0 - 1) }).code, ResponseCode.QUERY_NOT_FOUND);
  const missing = ask({ topic: 'T', key: 'Aa', maxNum: '32', beginTimestamp: '0' });
  assert.equal(missing.code, ResponseCode.SYSTEM_ERROR);
  assert.equal(missing.remark, 'the custom field <endTimestamp> is null');
  r.close();
  w.close();
});

test('recordHasKey rejects a record that is not the one the index points at', () => {
  const rec = record(100, T0, 'T', { KEYS: 'a b', UNIQ_KEY: 'U' });
  const t = Buffer.from('T');
  assert.equal(recordHasKey(rec, 100, t, Buffer.from('b')), true);
  assert.equal(recordHasKey(rec, 100, t, Buffer.from('U')), true);
  assert.equal(recordHasKey(rec, 100, t, Buffer.from('a b')), false);
  assert.equal(recordHasKey(rec, 101, t, Buffer.from('a')), false, 'physical offset differs');
  assert.equal(recordHasKey(rec, 100, Buffer.from('T2'), Buffer.from('a')), false);
  assert.equal(recordHasKey(rec.subarray(0, 50), 100, t, Buffer.from('a')), false);
  assert.equal(recordHasKey(Buffer.alloc(200), 100, t, Buffer.from('a')), false);
});

test('slot and entry positions on disk follow §6.4', () => {
  const w = writer(7, 10);
  w.load({ abnormal: false, commitLogEnd: 0, checkpointFile: checkpointFile() });
  const hash = indexKeyHash('TopicTest#key1');
  w.putKey(hash, 8000, T0 + 1500);
  w.flush(T0);
  const b = fileBytes(w.currentFile);
  assert.equal(b.length, 40 + 7 * 4 + 10 * 20);
  assert.equal(readInt(b, slotPosition(hash, 7)), 1);
  assert.equal(b.subarray(entryPosition(1, 7), entryPosition(2, 7)).toString('hex'), '62b4514c' + '0000000000001f40' + '00000000' + '00000000');
  w.close();
});
