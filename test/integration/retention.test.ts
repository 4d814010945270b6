import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';

const ALL_HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(';');
let ferry: FerryProcess | undefined;
after(async () => ferry?.dispose());

test('retention deletes expired CommitLog files, trims ConsumeQueues and moves min offsets; sends never stall', { timeout: 90_000 }, async () => {
  ferry = await FerryProcess.start({ overrides: ['mapedFileSizeCommitLog=262144', 'maxMessageSize=65536', 'fileReservedTimeMillis=1', `deleteWhen=${ALL_HOURS}`] });
  const c = await WireClient.connect(ferry.brokerAddr);
  assert.equal((await c.createTopic('Retained', 1)).code, 0);
  const body = Buffer.alloc(8000, 120);
  let sent = 0;
  // ~40 records per 256 KiB file: fill about six files.
  for (; sent < 240; sent++) assert.equal((await c.send('Retained', body)).code, 0);
  const commitLogDir = path.join(ferry.storeDir, 'commitlog');
  const before = fs.readdirSync(commitLogDir).filter((f) => /^\d{20}$/.test(f)).length;
  assert.ok(before >= 6, `expected several CommitLog files, found ${before}`);
  let min = 0;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    // keep sending while retention runs: every send must still be acknowledged
    assert.equal((await c.send('Retained', body)).code, 0);
    sent++;
    min = Number((await c.invoke(RequestCode.GET_MIN_OFFSET, { topic: 'Retained', queueId: '0' })).extFields?.offset);
    if (min > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(min > 0, 'the min offset never moved');
  const after = fs.readdirSync(commitLogDir).filter((f) => /^\d{20}$/.test(f));
  assert.ok(after.length < before, `files: ${before} -> ${after.length}`);
  assert.ok(/"CommitLog files deleted by retention"/.test(ferry.output));
  const old = await c.pull('g', 'Retained', 0, 0);
  assert.equal(old.code, ResponseCode.PULL_OFFSET_MOVED);
  assert.equal(Number(old.extFields?.nextBeginOffset), min);
  const fresh = await c.pull('g', 'Retained', 0, min);
  assert.equal(fresh.code, ResponseCode.SUCCESS);
  assert.equal(decodeRecords(fresh.body)[0].queueOffset, min);
  await c.pullAtLeast('g', 'Retained', 0, sent - 1, 1); // the last send is dispatched
  const max = Number((await c.invoke(RequestCode.GET_MAX_OFFSET, { topic: 'Retained', queueId: '0' })).extFields?.offset);
  assert.equal(max, sent);
  c.close();
});
