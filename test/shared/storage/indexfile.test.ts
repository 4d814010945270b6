import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_HASH_SLOT_NUM,
  DEFAULT_MAX_INDEX_NUM,
  HASH_SLOT_SIZE,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  IndexFileView,
  entryPosition,
  indexFileName,
  indexFileSize,
  indexHashFromHashCode,
  indexKeyHash,
  readIndexHeader,
  slotPosition,
  writeIndexHeader,
} from '../../../src/shared/storage/indexfile.js';
import { javaHashCode } from '../../../src/shared/storage/hash.js';
import { readInt } from '../../../src/shared/storage/longs.js';

const SLOTS = 4;
const ENTRIES = 8;
const T0 = 1700000000000;

function newView(slots = SLOTS, entries = ENTRIES): IndexFileView {
  return new IndexFileView(new Uint8Array(indexFileSize(slots, entries)), slots, entries);
}

test('sizes and positions', () => {
  assert.equal(INDEX_HEADER_SIZE, 40);
  assert.equal(HASH_SLOT_SIZE, 4);
  assert.equal(INDEX_ENTRY_SIZE, 20);
  assert.equal(indexFileSize(DEFAULT_MAX_HASH_SLOT_NUM, DEFAULT_MAX_INDEX_NUM), 420000040);
  assert.equal(indexFileSize(4, 8), 40 + 16 + 160);
  assert.equal(slotPosition(7, 4), 40 + 3 * 4);
  assert.equal(entryPosition(1, 4), 40 + 16 + 20);
  assert.equal(entryPosition(3, DEFAULT_MAX_HASH_SLOT_NUM), 20000040 + 60);
});

test('indexKeyHash is abs(String.hashCode) with MIN_VALUE mapped to 0', () => {
  assert.equal(indexKeyHash('TopicTest#key1'), 1655984460);
  assert.equal(indexKeyHash('TagA'), 2598919);
  assert.equal(javaHashCode('polygenelubricants'), -2147483648);
  assert.equal(indexKeyHash('polygenelubricants'), 0);
  assert.equal(indexHashFromHashCode(-5), 5);
});

test('indexFileName is yyyyMMddHHmmssSSS local time', () => {
  assert.equal(indexFileName(new Date(2023, 10, 14, 22, 13, 20, 5)), '20231114221320005');
  assert.equal(indexFileName(new Date(2024, 0, 2, 3, 4, 5, 678)), '20240102030405678');
});

test('first put: entry 1 bytes, slot, and header exactly as Java writes them', () => {
  const v = newView();
  const key = 'TopicTest#key1'; // hash 1655984460, slot 0
  assert.equal(v.put(key, 8000, T0 + 1500), true);
  const b = v.buf;
  assert.equal(readInt(b, slotPosition(1655984460, SLOTS)), 1);
  assert.equal(
    Buffer.from(b.subarray(entryPosition(1, SLOTS), entryPosition(2, SLOTS))).toString('hex'),
    '62b4514c' + '0000000000001f40' + '00000000' + '00000000',
  );
  assert.equal(
    Buffer.from(b.subarray(0, 40)).toString('hex'),
    '0000018bcfe56ddc' + '0000018bcfe56ddc' + '0000000000001f40' + '0000000000001f40' + '00000001' + '00000002',
  );
  assert.deepEqual(readIndexHeader(b), {
    beginTimestamp: T0 + 1500,
    endTimestamp: T0 + 1500,
    beginPhyOffset: 8000,
    endPhyOffset: 8000,
    hashSlotCount: 1,
    indexCount: 2,
  });
  assert.deepEqual(v.query(key, 0, Number.MAX_SAFE_INTEGER, 32), [8000]);
});

test('a fresh file reads indexCount 1 and finds nothing', () => {
  const v = newView();
  assert.equal(readIndexHeader(v.buf).indexCount, 0);
  assert.equal(v.indexCount, 1);
  assert.deepEqual(v.query('x', 0, Number.MAX_SAFE_INTEGER, 10), []);
});

test('same key: chain walked newest first, timeDiff in seconds, prev links', () => {
  const v = newView();
  v.put('T#k', 100, T0);
  v.put('T#k', 200, T0 + 10_999);
  v.put('T#k', 300, T0 + 20_000);
  const pos3 = entryPosition(3, SLOTS);
  assert.equal(readInt(v.buf, pos3 + 12), 20); // seconds since beginTimestamp
  assert.equal(readInt(v.buf, pos3 + 16), 2); // prev entry
  assert.equal(readInt(v.buf, entryPosition(2, SLOTS) + 12), 10); // truncated, not rounded
  assert.equal(readInt(v.buf, entryPosition(1, SLOTS) + 16), 0);
  assert.deepEqual(v.query('T#k', 0, Number.MAX_SAFE_INTEGER, 32), [300, 200, 100]);
  assert.deepEqual(v.query('T#k', 0, Number.MAX_SAFE_INTEGER, 2), [300, 200]);
  assert.equal(v.hashSlotCount, 1); // 4.9.8 counts slots taken into use, not puts
  assert.equal(v.indexCount, 4);
});

test('time range filter uses beginTimestamp + timeDiff * 1000', () => {
  const v = newView();
  v.put('T#k', 100, T0);
  v.put('T#k', 200, T0 + 10_000);
  v.put('T#k', 300, T0 + 20_000);
  assert.deepEqual(v.query('T#k', T0 + 5_000, T0 + 15_000, 32), [200]);
  assert.deepEqual(v.query('T#k', T0 + 10_000, T0 + 20_000, 32), [300, 200]);
  assert.deepEqual(v.query('T#k', T0 + 21_000, T0 + 30_000, 32), []);
  assert.deepEqual(v.query('T#k', 0, T0 - 1, 32), []);
});

test('walk stops at the first entry older than begin, as in Java', () => {
  const v = newView();
  v.put('T#k', 100, T0);
  v.put('T#k', 200, T0 + 30_000);
  v.put('T#k', 300, T0 + 10_000); // newest entry is older than begin below
  assert.deepEqual(v.query('T#k', T0 + 20_000, T0 + 40_000, 32), []);
  assert.deepEqual(v.query('T#k', T0, T0 + 40_000, 32), [300, 200, 100]);
});

test('slot collisions: different hashes in one slot only return their own key', () => {
  const keys: string[] = [];
  for (let i = 0; keys.length < 2; i++) {
    const k = `Topic#key${i}`;
    if (indexKeyHash(k) % SLOTS === 1 && (keys.length === 0 || indexKeyHash(k) !== indexKeyHash(keys[0]))) keys.push(k);
  }
  const [a, b] = keys;
  const v = newView();
  v.put(a, 1000, T0);
  v.put(b, 2000, T0 + 1000);
  v.put(a, 3000, T0 + 2000);
  assert.equal(readInt(v.buf, slotPosition(indexKeyHash(a), SLOTS)), 3);
  assert.deepEqual(v.query(a, 0, Number.MAX_SAFE_INTEGER, 32), [3000, 1000]);
  assert.deepEqual(v.query(b, 0, Number.MAX_SAFE_INTEGER, 32), [2000]);
  assert.deepEqual(v.query('Topic#absent-key', 0, Number.MAX_SAFE_INTEGER, 32), []);
});

test('full file: indexNum - 1 entries fit, then put returns false', () => {
  const v = newView(4, 4);
  assert.equal(v.put('a', 1, T0), true);
  assert.equal(v.put('b', 2, T0), true);
  assert.equal(v.isWriteFull(), false);
  assert.equal(v.put('c', 3, T0), true);
  assert.equal(v.isWriteFull(), true);
  assert.equal(v.put('d', 4, T0), false);
  assert.equal(v.indexCount, 4);
  assert.deepEqual(v.query('c', 0, Number.MAX_SAFE_INTEGER, 32), [3]);
  assert.deepEqual(v.query('d', 0, Number.MAX_SAFE_INTEGER, 32), []);
});

test('a file following another starts from its end, first put resets begin fields', () => {
  const v = newView();
  v.initAfter(5000, T0);
  assert.equal(v.beginPhyOffset, 5000);
  assert.equal(v.endTimestamp, T0);
  assert.equal(v.isTimeMatched(T0, T0), true);
  v.put('T#k', 6000, T0 + 7_000); // timeDiff computed against the previous file's end
  assert.equal(readInt(v.buf, entryPosition(1, SLOTS) + 12), 7);
  assert.equal(v.beginTimestamp, T0 + 7_000);
  assert.equal(v.beginPhyOffset, 6000);
  v.put('T#k', 7000, T0 + 9_000);
  assert.equal(readInt(v.buf, entryPosition(2, SLOTS) + 12), 2);
  assert.deepEqual(v.query('T#k', T0 + 9_000, T0 + 9_000, 32), [7000]);
});

test('timeDiff is clamped at 0 for a store time before the file begin', () => {
  const v = newView();
  v.put('a', 1, T0);
  v.put('b', 2, T0 - 60_000);
  assert.equal(readInt(v.buf, entryPosition(2, SLOTS) + 12), 0);
});

test('queryHash shares one result list across files up to max', () => {
  const f1 = newView();
  const f2 = newView();
  f1.put('T#k', 1, T0);
  f1.put('T#k', 2, T0);
  f2.put('T#k', 3, T0);
  const out: number[] = [];
  f2.queryHash(indexKeyHash('T#k'), 0, Number.MAX_SAFE_INTEGER, 2, out);
  f1.queryHash(indexKeyHash('T#k'), 0, Number.MAX_SAFE_INTEGER, 2, out);
  assert.deepEqual(out, [3, 2]);
});

test('corrupt links end the walk: self loop and out-of-range prev', () => {
  const v = newView();
  v.put('T#k', 1, T0);
  v.put('T#k', 2, T0);
  const pos2 = entryPosition(2, SLOTS);
  v.buf[pos2 + 19] = 2; // prev -> itself
  assert.deepEqual(v.query('T#k', 0, Number.MAX_SAFE_INTEGER, 32), [2]);
  v.buf[pos2 + 19] = 7; // prev beyond indexCount
  assert.deepEqual(v.query('T#k', 0, Number.MAX_SAFE_INTEGER, 32), [2]);
});

test('header write/read round trip', () => {
  const b = new Uint8Array(40);
  const h = { beginTimestamp: T0, endTimestamp: T0 + 5, beginPhyOffset: 1, endPhyOffset: 2 ** 41, hashSlotCount: 9, indexCount: 10 };
  writeIndexHeader(b, h);
  assert.deepEqual(readIndexHeader(b), h);
  assert.throws(() => new IndexFileView(new Uint8Array(10), 4, 8), RangeError);
});

test('crash recovery cuts a suffix of entries and re-points slots down their chains', async () => {
  const { firstEntryPast, unlinkEntriesFrom, INDEX_ENTRY_SIZE } = await import('../../../src/shared/storage/indexfile.js');
  const { writeInt, writeLong, readInt } = await import('../../../src/shared/storage/longs.js');
  // entries 1..5 (entry 0 unused): phy 100..500, timeDiff 1..5 s; slot 0 chain 5->3->1, slot 1 chain 4->2
  const entries = Buffer.alloc(6 * INDEX_ENTRY_SIZE);
  const prev = [0, 0, 0, 1, 2, 3];
  for (let n = 1; n <= 5; n++) {
    writeLong(entries, n * INDEX_ENTRY_SIZE + 4, n * 100);
    writeInt(entries, n * INDEX_ENTRY_SIZE + 12, n);
    writeInt(entries, n * INDEX_ENTRY_SIZE + 16, prev[n]);
  }
  assert.equal(firstEntryPast(entries, 6, 1_000_000, 350, Infinity), 4);
  assert.equal(firstEntryPast(entries, 6, 1_000_000, Infinity, 1_000_000 + 2000), 3);
  assert.equal(firstEntryPast(entries, 6, 1_000_000, Infinity, Infinity), 6);
  const slots = Buffer.alloc(3 * 4);
  writeInt(slots, 0, 5);
  writeInt(slots, 4, 4);
  assert.equal(unlinkEntriesFrom(slots, 3, entries, 3), 2);
  assert.deepEqual([readInt(slots, 0), readInt(slots, 4), readInt(slots, 8)], [1, 2, 0]);
  assert.equal(unlinkEntriesFrom(slots, 3, entries, 2), 1);
  assert.deepEqual([readInt(slots, 0), readInt(slots, 4)], [1, 0]);
});
