/**
 * The next CommitLog file is prepared ahead of need once the current one is half full: at its
 * full size, with its disk blocks reserved (so appends never allocate, and a full disk shows up
 * before any record is written), and reading as zeros. A file already lying there is not trusted:
 * whatever it held is overwritten with zeros before the writer reaches it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';
import { offsetFileName } from '../../src/workers/storage/commitlog-files.js';

const FILE_SIZE = 1024 * 1024;
const BODY = Buffer.alloc(8000, 97);
const OVERRIDES = [`mapedFileSizeCommitLog=${FILE_SIZE}`, 'maxMessageSize=65536'];

let ferry: FerryProcess | undefined;
after(async () => ferry?.dispose());

/** Waits until the file is at its full size with every block allocated and reads as zeros. */
async function awaitPrepared(file: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const st = fs.existsSync(file) ? fs.statSync(file) : null;
    if (st && st.size === FILE_SIZE && st.blocks * 512 >= FILE_SIZE && fs.readFileSync(file).every((b) => b === 0)) return;
    if (Date.now() > deadline) assert.fail(`${path.basename(file)} was not prepared: ${st ? `size ${st.size}, ${st.blocks * 512} bytes allocated` : 'missing'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sends until the first file is past half full, waits for the second to be prepared, then sends
 * across into it; returns how many were sent.
 */
async function sendAcross(c: WireClient, topic: string, next: string): Promise<number> {
  let sent = 0;
  for (; sent * BODY.length < FILE_SIZE * 0.6; sent++) assert.equal((await c.send(topic, BODY)).code, 0);
  await awaitPrepared(next);
  for (; sent * BODY.length < FILE_SIZE * 1.5; sent++) assert.equal((await c.send(topic, BODY)).code, 0);
  return sent;
}

async function assertAllReadable(c: WireClient, topic: string, sent: number): Promise<void> {
  const records = await c.pullAtLeast('g', topic, 0, 0, sent);
  assert.equal(records.length, sent);
  records.forEach((r, i) => {
    assert.equal(r.queueOffset, i);
    assert.ok(r.body.equals(BODY));
  });
}

test('the next CommitLog file is allocated at full size and reads as zeros before the writer reaches it', { timeout: 60_000 }, async () => {
  ferry = await FerryProcess.start({ overrides: OVERRIDES });
  const c = await WireClient.connect(ferry.brokerAddr);
  assert.equal((await c.createTopic('Allocated', 1)).code, 0);
  const next = path.join(ferry.storeDir, 'commitlog', offsetFileName(FILE_SIZE));
  const sent = await sendAcross(c, 'Allocated', next);
  await assertAllReadable(c, 'Allocated', sent);
  c.close();
  await ferry.dispose();
  ferry = undefined;
});

test('a next CommitLog file already on disk is zero-filled, not trusted', { timeout: 60_000 }, async () => {
  ferry = await FerryProcess.start({ overrides: OVERRIDES });
  let c = await WireClient.connect(ferry.brokerAddr);
  assert.equal((await c.createTopic('Stale', 1)).code, 0);
  assert.equal((await c.send('Stale', BODY)).code, 0);
  c.close();
  await ferry.stop();
  // What an earlier run could leave behind the CommitLog's end: not zeros.
  const next = path.join(ferry.storeDir, 'commitlog', offsetFileName(FILE_SIZE));
  fs.writeFileSync(next, Buffer.alloc(FILE_SIZE, 0x5a));
  await ferry.restart();
  c = await WireClient.connect(ferry.brokerAddr);
  const sent = 1 + (await sendAcross(c, 'Stale', next));
  await assertAllReadable(c, 'Stale', sent);
  c.close();
});
