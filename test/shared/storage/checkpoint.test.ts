import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHECKPOINT_SIZE,
  checkpointMinTimestamp,
  decodeCheckpoint,
  encodeCheckpoint,
  parseBootId,
  readRecoveryHint,
  RECOVERY_HINT_OFFSET,
  writeCheckpoint,
  writeRecoveryHint,
} from '../../../src/shared/storage/checkpoint.js';

test('encodeCheckpoint: one 4096-byte page, longs @0 @8 @16 @24 @32, rest zero', () => {
  const b = encodeCheckpoint({
    physicMsgTimestamp: 1700000000000,
    logicsMsgTimestamp: 1700000001000,
    indexMsgTimestamp: 1699999999000,
    masterFlushedOffset: 8000,
    confirmPhyOffset: 2 ** 40,
  });
  assert.equal(CHECKPOINT_SIZE, 4096);
  assert.equal(b.length, 4096);
  assert.equal(
    b.subarray(0, 40).toString('hex'),
    '0000018bcfe56800' + '0000018bcfe56be8' + '0000018bcfe56418' + '0000000000001f40' + '0000010000000000',
  );
  assert.ok(b.subarray(40).every((x) => x === 0));
});

test('5.x fields default to 0', () => {
  const b = encodeCheckpoint({ physicMsgTimestamp: 1, logicsMsgTimestamp: 2, indexMsgTimestamp: 3 });
  assert.deepEqual(decodeCheckpoint(b), {
    physicMsgTimestamp: 1,
    logicsMsgTimestamp: 2,
    indexMsgTimestamp: 3,
    masterFlushedOffset: 0,
    confirmPhyOffset: 0,
  });
});

test('decodeCheckpoint round trip and short input', () => {
  const c = {
    physicMsgTimestamp: 1700000000000,
    logicsMsgTimestamp: 1700000001000,
    indexMsgTimestamp: 1699999999000,
    masterFlushedOffset: 77,
    confirmPhyOffset: 88,
  };
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint(c)), c);
  const page = Buffer.alloc(4096, 0xaa);
  writeCheckpoint(page, c);
  assert.deepEqual(decodeCheckpoint(page), c);
  assert.equal(page[40], 0xaa);
  assert.equal(decodeCheckpoint(encodeCheckpoint(c).subarray(0, 24)).masterFlushedOffset, 0);
  assert.throws(() => decodeCheckpoint(Buffer.alloc(16)), RangeError);
});

test('checkpointMinTimestamp: min(physic, logics) - 3 s, floored at 0, index-safe variant', () => {
  const c = decodeCheckpoint(
    encodeCheckpoint({ physicMsgTimestamp: 10000, logicsMsgTimestamp: 9000, indexMsgTimestamp: 5000 }),
  );
  assert.equal(checkpointMinTimestamp(c), 6000);
  assert.equal(checkpointMinTimestamp(c, true), 5000);
  assert.equal(checkpointMinTimestamp({ ...c, logicsMsgTimestamp: 1000 }), 0);
});

test('recovery hint: "FRY1", the logics timestamp and the durable offset at byte 2048; RocketMQ\'s 40 bytes untouched', () => {
  const c = { physicMsgTimestamp: 1700000000000, logicsMsgTimestamp: 1700000001000, indexMsgTimestamp: 1699999999000 };
  const page = encodeCheckpoint(c);
  writeRecoveryHint(page, c.logicsMsgTimestamp, 2 ** 33 + 5);
  assert.equal(RECOVERY_HINT_OFFSET, 2048);
  assert.equal(page.subarray(2048, 2072).toString('hex'), '46525931' + '00000000' + '0000018bcfe56be8' + '0000000200000005');
  assert.ok(page.subarray(40, 2048).every((x) => x === 0) && page.subarray(2072).every((x) => x === 0));
  assert.deepEqual(decodeCheckpoint(page), { ...c, masterFlushedOffset: 0, confirmPhyOffset: 0 });
  assert.equal(readRecoveryHint(page), 2 ** 33 + 5);
});

test('recovery hint: absent, or stale once another broker rewrote the timestamps, reads as -1', () => {
  const c = { physicMsgTimestamp: 5000, logicsMsgTimestamp: 6000, indexMsgTimestamp: 4000 };
  assert.equal(readRecoveryHint(encodeCheckpoint(c)), -1);
  const page = encodeCheckpoint(c);
  writeRecoveryHint(page, 6000, 777);
  assert.equal(readRecoveryHint(page), 777);
  // Apache RocketMQ maps the page and rewrites the first longs in place, leaving the hint behind.
  writeCheckpoint(page, { ...c, logicsMsgTimestamp: 7000 });
  assert.equal(readRecoveryHint(page), -1);
  assert.equal(readRecoveryHint(page.subarray(0, 40)), -1);
});

test('recovery hint: the written offset applies in the boot that wrote it; after a reboot, or with none recorded, the durable one', () => {
  const c = { physicMsgTimestamp: 5000, logicsMsgTimestamp: 6000, indexMsgTimestamp: 4000 };
  const boot = parseBootId('6f2b0c1e-9a4d-4c1b-8e2f-0123456789ab')!;
  const otherBoot = parseBootId('6f2b0c1e-9a4d-4c1b-8e2f-0123456789ac')!;
  const page = encodeCheckpoint(c);
  writeRecoveryHint(page, 6000, 777, { offset: 9_999, bootId: boot });
  assert.equal(page.subarray(2072, 2096).toString('hex'), '000000000000270f' + '6f2b0c1e9a4d4c1b8e2f0123456789ab');
  assert.ok(page.subarray(2096).every((x) => x === 0));
  assert.equal(readRecoveryHint(page, boot), 9_999);
  assert.equal(readRecoveryHint(page, otherBoot), 777, 'another boot: the page cache that held the written bytes is gone');
  assert.equal(readRecoveryHint(page), 777, 'no boot id known here');
  // Rewritten without a written offset (a thorough flush elsewhere, or an older Ferry's layout):
  writeRecoveryHint(page, 6000, 888);
  assert.ok(page.subarray(2072, 2096).every((x) => x === 0), 'the written offset and boot id are cleared');
  assert.equal(readRecoveryHint(page, boot), 888);
  // No boot id to record: nothing but the durable offset.
  writeRecoveryHint(page, 6000, 888, { offset: 9_999, bootId: null });
  assert.equal(readRecoveryHint(page, boot), 888);
  // A written offset below the durable one is never preferred; stale pages stay stale.
  writeRecoveryHint(page, 6000, 888, { offset: 100, bootId: boot });
  assert.equal(readRecoveryHint(page, boot), 888);
  writeRecoveryHint(page, 6000, -1, { offset: 100, bootId: boot });
  assert.equal(readRecoveryHint(page, boot), 100, 'no durable offset yet, but written in this boot');
  assert.equal(readRecoveryHint(page, otherBoot), -1);
  writeCheckpoint(page, { ...c, logicsMsgTimestamp: 7000 });
  assert.equal(readRecoveryHint(page, boot), -1, 'another broker rewrote the timestamps');
});

test('parseBootId: the kernel\'s UUID text, with or without dashes and a newline; anything else is none', () => {
  assert.deepEqual(Array.from(parseBootId('00112233-4455-6677-8899-aabbccddeeff\n')!), [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  assert.deepEqual(parseBootId('00112233445566778899AABBCCDDEEFF'), parseBootId('00112233-4455-6677-8899-aabbccddeeff'));
  for (const bad of ['', 'unknown', '00112233-4455-6677-8899-aabbccddeef', '00112233-4455-6677-8899-aabbccddeeffa', 'zz112233-4455-6677-8899-aabbccddeeff', '00000000-0000-0000-0000-000000000000']) {
    assert.equal(parseBootId(bad), null, bad);
  }
});
