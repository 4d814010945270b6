import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsumeQueueWriter } from '../../../src/workers/storage/consume-queue-writer.js';
import { offsetFileName } from '../../../src/workers/storage/commitlog-files.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize, readCqTagsCode, writeCqUnit } from '../../../src/shared/storage/consumequeue.js';
import { CqTails, TAIL_UNITS } from '../../../src/shared/cq-tails.js';

// 50 units per file; every record is 100 bytes, unit k of the queue points at k * 100.
const UNITS_PER_FILE = 50;
const FILE_SIZE = UNITS_PER_FILE * CQ_UNIT_SIZE;
const RECORD = 100;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-cq-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Files holding units [from, to) of the queue, zero-filled to the full file size. */
function writeUnits(from: number, to: number): void {
  for (let file = from - (from % UNITS_PER_FILE); file < to; file += UNITS_PER_FILE) {
    const p = path.join(dir, offsetFileName(file * CQ_UNIT_SIZE));
    const buf = fs.existsSync(p) ? fs.readFileSync(p) : Buffer.alloc(FILE_SIZE);
    for (let k = Math.max(from, file); k < Math.min(to, file + UNITS_PER_FILE); k++) writeCqUnit(buf, (k - file) * CQ_UNIT_SIZE, k * RECORD, RECORD, 7);
    fs.writeFileSync(p, buf);
  }
}

function recovered(commitLogEnd: number, commitLogMin = 0): { cq: ConsumeQueueWriter; dropped: number } {
  const cq = new ConsumeQueueWriter(dir, FILE_SIZE, 0);
  const { dropped } = cq.recover(commitLogEnd, commitLogMin);
  return { cq, dropped };
}

test('recover: min and max of units spread over files, the newest file empty (preallocated)', () => {
  writeUnits(0, 123);
  fs.writeFileSync(path.join(dir, offsetFileName(150 * CQ_UNIT_SIZE)), Buffer.alloc(FILE_SIZE));
  const { cq, dropped } = recovered(1_000_000);
  assert.deepEqual([cq.minOffset, cq.maxOffset, cq.maxPhyEnd, dropped], [0, 123, 123 * RECORD, 0]);
});

test('recover: a full file ends exactly at a file boundary', () => {
  writeUnits(0, 100);
  const { cq } = recovered(1_000_000);
  assert.deepEqual([cq.maxOffset, cq.maxPhyEnd], [100, 100 * RECORD]);
});

test('recover: units pointing past the CommitLog end are dropped and zeroed in the file', () => {
  writeUnits(0, 80);
  const { cq, dropped } = recovered(61 * RECORD + 40); // record 61 is torn
  assert.deepEqual([cq.maxOffset, cq.maxPhyEnd, dropped], [61, 61 * RECORD, 19]);
  const second = fs.readFileSync(path.join(dir, offsetFileName(50 * CQ_UNIT_SIZE)));
  assert.ok(readCqSize(second, 10 * CQ_UNIT_SIZE) > 0 && second.subarray(11 * CQ_UNIT_SIZE).every((b) => b === 0));
  assert.equal(recovered(61 * RECORD + 40).cq.maxOffset, 61, 'recovering again finds the same end');
});

test('recover: every unit of the newest file lost: the end is in the file before it', () => {
  writeUnits(0, 70);
  const { cq, dropped } = recovered(50 * RECORD);
  assert.deepEqual([cq.maxOffset, dropped], [50, 20]);
});

test('recover: min skips units whose records retention deleted; a queue starting late has no units before its min', () => {
  writeUnits(0, 40);
  assert.deepEqual(((r) => [r.minOffset, r.maxOffset])(recovered(1_000_000, 12 * RECORD).cq), [12, 40]);
  fs.rmSync(dir, { recursive: true });
  fs.mkdirSync(dir);
  writeUnits(57, 90);
  assert.deepEqual(((r) => [r.minOffset, r.maxOffset])(recovered(1_000_000).cq), [57, 90]);
  assert.deepEqual(((r) => [r.minOffset, r.maxOffset])(recovered(1_000_000, 95 * RECORD).cq), [90, 90], 'all deleted: min = max');
});

test('recover: no files, or only empty ones', () => {
  assert.deepEqual(((r) => [r.minOffset, r.maxOffset])(recovered(1000).cq), [0, 0]);
  fs.writeFileSync(path.join(dir, offsetFileName(0)), Buffer.alloc(FILE_SIZE));
  assert.deepEqual(((r) => [r.minOffset, r.maxOffset, r.maxPhyEnd])(recovered(1000).cq), [0, 0, 0]);
});

test('trimBelow: moves min past units whose records are gone', () => {
  writeUnits(0, 120);
  const { cq } = recovered(1_000_000);
  cq.trimBelow(77 * RECORD);
  assert.deepEqual([cq.minOffset, cq.maxOffset], [77, 120]);
  assert.ok(!fs.existsSync(path.join(dir, offsetFileName(0))), 'the file whose units are all below it is deleted');
  cq.close();
});

test('syncAsync: nothing to sync until the bytes written since the last sync reach the threshold; sync() takes any', async () => {
  const cq = new ConsumeQueueWriter(dir, 100 * CQ_UNIT_SIZE, 0);
  assert.equal(cq.syncAsync(), null, 'nothing written');
  cq.put(0, 0, RECORD, 7);
  assert.equal(cq.syncAsync(), null, 'staged units are not in the file yet');
  cq.flushStage();
  assert.equal(cq.syncAsync(2 * CQ_UNIT_SIZE), null, 'one unit is below a two-unit threshold');
  cq.put(1, RECORD, RECORD, 7);
  cq.flushStage();
  const p = cq.syncAsync(2 * CQ_UNIT_SIZE);
  assert.ok(p, 'two units reach it');
  await p;
  assert.equal(cq.syncAsync(), null, 'synced: clean again');
  cq.put(2, 2 * RECORD, RECORD, 7);
  cq.flushStage();
  const q = cq.syncAsync(0);
  assert.ok(q, 'a threshold of 0 still needs a byte, and takes one');
  await q;
  cq.put(3, 3 * RECORD, RECORD, 7);
  cq.close();
  const file = fs.readFileSync(path.join(dir, offsetFileName(0)));
  assert.deepEqual([0, 1, 2, 3].map((k) => readCqSize(file, k * CQ_UNIT_SIZE)), [RECORD, RECORD, RECORD, RECORD], 'close writes and syncs what is staged');
});

test('with a tail: units are read from the tail until written, and the files get them from it, across the tail\'s wrap and file ends; re-dispatched units below fileMax go through the stage', () => {
  const SLOTS = 4;
  const tails = new CqTails(new SharedArrayBuffer(CqTails.bytes(SLOTS)), 0, SLOTS);
  // Files of TAIL_UNITS + 30 units: the tail wraps inside the first file, and a run crosses its end.
  const unitsPerFile = TAIL_UNITS + 30;
  const cq = new ConsumeQueueWriter(dir, unitsPerFile * CQ_UNIT_SIZE, 2, tails);
  const phyOf = (k: number) => k * RECORD + 5;
  const put = (from: number, to: number) => {
    for (let k = from; k < to; k++) cq.put(k, phyOf(k), RECORD, k % 11);
  };
  const fileUnits = (k: number): number[] => {
    const file = fs.readFileSync(path.join(dir, offsetFileName((k - (k % unitsPerFile)) * CQ_UNIT_SIZE)));
    const at = (k % unitsPerFile) * CQ_UNIT_SIZE;
    return [readCqPhyOffset(file, at), readCqSize(file, at), readCqTagsCode(file, at)];
  };
  put(0, TAIL_UNITS - 10);
  assert.equal(tails.fileLimit(2), 0, 'nothing written yet: every unit is read from the tail');
  const dst = new Uint8Array(CQ_UNIT_SIZE);
  assert.equal(tails.copy(2, 7, 1, dst), 1);
  assert.equal(readCqPhyOffset(dst, 0), phyOf(7));
  cq.flushStage();
  assert.equal(tails.fileLimit(2), TAIL_UNITS - 10);
  put(TAIL_UNITS - 10, unitsPerFile + 40); // wraps the tail, then crosses into the second file
  cq.flushStage();
  assert.equal(tails.fileLimit(2), unitsPerFile + 40);
  for (const k of [0, 7, TAIL_UNITS - 11, TAIL_UNITS - 10, TAIL_UNITS - 1, TAIL_UNITS, TAIL_UNITS + 5, unitsPerFile - 1, unitsPerFile, unitsPerFile + 39]) {
    assert.deepEqual(fileUnits(k), [phyOf(k), RECORD, k % 11], `unit ${k}`);
  }
  // After a crash the dispatcher re-dispatches units the file already holds: they are below
  // fileMax and must not overwrite newer units in the tail.
  const t = 0; // the first tail handed out
  const again = unitsPerFile + 10;
  const tailBefore = tails.unitsAt(t, again, 1).slice();
  cq.put(again, phyOf(again), RECORD, 3);
  cq.put(unitsPerFile + 40, phyOf(unitsPerFile + 40), RECORD, 4);
  assert.deepEqual(tails.unitsAt(t, again, 1), tailBefore, 'the re-dispatched unit stayed out of the tail');
  const dst2 = new Uint8Array(CQ_UNIT_SIZE);
  assert.equal(tails.copy(2, unitsPerFile + 40, 1, dst2), 1, 'a new unit past fileMax is read from the tail');
  assert.equal(readCqTagsCode(dst2, 0), 4);
  cq.close();
  assert.deepEqual(fileUnits(again), [phyOf(again), RECORD, 3]);
  assert.deepEqual(fileUnits(unitsPerFile + 40), [phyOf(unitsPerFile + 40), RECORD, 4]);
  assert.equal(tails.fileLimit(2), unitsPerFile + 41);
});
