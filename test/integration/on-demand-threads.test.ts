import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';
import { logLines } from '../helpers/store-walk.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';

const STARTED = 'thread started on demand';
const PREPARED = 4; // MessageSysFlag.TRANSACTION_PREPARED_TYPE
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function threadCount(ferry: FerryProcess): number {
  return fs.readdirSync(`/proc/${ferry.proc!.pid}/task`).length;
}

async function startedThreads(ferry: FerryProcess, count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = logLines(ferry.output, STARTED).map((l) => String(l.thread)).sort();
    if (names.length >= count || Date.now() > deadline) return names;
    await sleep(25);
  }
}

/** A transactional half message, as TransactionMQProducer sends it. */
function sendHalf(client: WireClient, topic: string): Promise<{ code: number; remark: string | null }> {
  const props = ['UNIQ_KEY\u0001HALF-1', 'TRAN_MSG\u0001true', 'PGROUP\u0001tx_pg', 'WAIT\u0001true'].join('\u0002');
  const ext = { a: 'tx_pg', b: topic, c: 'TBW102', d: '4', e: '0', f: String(PREPARED), g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false' };
  return client.invoke(RequestCode.SEND_MESSAGE_V2, ext, Buffer.from('half'));
}

describe('schedule and transaction threads start on demand', () => {
  let ferry: FerryProcess;
  let client: WireClient;

  before(async () => {
    ferry = await FerryProcess.start({ overrides: ['messageDelayLevel=1s 2s'] });
    client = await WireClient.connect(ferry.brokerAddr);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  test('a broker that only stores plain messages runs neither thread', async () => {
    assert.equal((await client.createTopic('Plain', 1)).code, 0);
    assert.equal((await client.send('Plain', 'now')).code, ResponseCode.SUCCESS);
    assert.equal((await client.pullAtLeast('g', 'Plain', 0, 0, 1)).length, 1);
    await sleep(200);
    assert.deepEqual(await startedThreads(ferry, 0), []);
  });

  test('the first delayed message starts the schedule thread, which delivers it', async () => {
    const before = threadCount(ferry);
    assert.equal((await client.createTopic('Later', 1)).code, 0);
    const sent = await client.send('Later', 'in a second', { props: 'DELAY\u00011' });
    assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark ?? '');
    assert.deepEqual(await startedThreads(ferry, 1), ['schedule']);
    assert.equal(threadCount(ferry), before + 1);
    const [msg] = await client.pullAtLeast('g', 'Later', 0, 0, 1);
    assert.equal(msg.body.toString(), 'in a second');
  });

  test('the first half message starts the transaction thread', async () => {
    const before = threadCount(ferry);
    assert.equal((await client.createTopic('Tx', 1)).code, 0);
    const sent = await sendHalf(client, 'Tx');
    assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark ?? '');
    assert.deepEqual(await startedThreads(ferry, 2), ['schedule', 'transaction']);
    assert.equal(threadCount(ferry), before + 1);
  });

  test('after a restart, a store that has their queues starts both threads at once', async () => {
    await ferry.restart();
    assert.deepEqual(await startedThreads(ferry, 2), ['schedule', 'transaction']);
  });
});
