import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import { decodeOffsetMsgId } from '../../src/shared/storage/msgid.js';
import { encodeBatch } from '../../src/shared/storage/batch.js';

let ferry: FerryProcess;
let client: WireClient;

before(async () => {
  ferry = await FerryProcess.start();
  client = await WireClient.connect(ferry.brokerAddr);
});

after(async () => {
  client?.close();
  await ferry?.dispose();
});

test('send (JSON and binary headers) then pull returns the stored records', async () => {
  assert.equal((await client.createTopic('SendPull', 2)).code, 0);
  const r1 = await client.send('SendPull', 'hello', { tags: 'TagA', keys: 'k1' });
  assert.equal(r1.code, 0, r1.remark ?? '');
  assert.equal(r1.extFields?.queueId, '0');
  assert.equal(r1.extFields?.queueOffset, '0');
  assert.equal(r1.extFields?.MSG_REGION, 'DefaultRegion');
  assert.equal(r1.extFields?.TRACE_ON, 'true');
  const id = decodeOffsetMsgId(r1.extFields!.msgId);
  assert.equal(id.host, '127.0.0.1');
  assert.equal(id.port, ferry.brokerPort);
  const binary = await WireClient.connect(ferry.brokerAddr, 1);
  const r2 = await binary.send('SendPull', 'world', { tags: 'TagB', code: RequestCode.SEND_MESSAGE });
  binary.close();
  assert.equal(r2.code, 0, r2.remark ?? '');
  assert.equal(r2.serializeType, 1);
  assert.equal(r2.extFields?.queueOffset, '1');
  await client.pullAtLeast('cg1', 'SendPull', 0, 0, 2);
  const pulled = await client.pull('cg1', 'SendPull', 0, 0);
  assert.equal(pulled.code, 0, pulled.remark ?? '');
  assert.equal(pulled.extFields?.nextBeginOffset, '2');
  assert.equal(pulled.extFields?.maxOffset, '2');
  const msgs = decodeRecords(pulled.body);
  assert.deepEqual(msgs.map((m) => m.body.toString()), ['hello', 'world']);
  assert.equal(msgs[0].properties.get('TAGS'), 'TagA');
  assert.equal(msgs[0].properties.get('CLUSTER'), 'DefaultCluster');
  assert.equal(msgs[0].physicalOffset, id.offset);
  assert.equal(msgs[1].queueOffset, 1);
  const tagged = await client.pull('cg1', 'SendPull', 0, 0, { subscription: 'TagB' });
  assert.deepEqual(decodeRecords(tagged.body).map((m) => m.body.toString()), ['world']);
  const max = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic: 'SendPull', queueId: '0' });
  assert.equal(max.extFields?.offset, '2');
});

test('a batch: each message keeps its own UNIQ_KEY (RocketMQ 5 producers give the batch one too); the batch\'s other properties are appended', async () => {
  assert.equal((await client.createTopic('BatchIds', 1)).code, 0);
  const own = ['AA01', 'AA02', 'AA03'];
  const body = encodeBatch(own.map((id, i) => ({ flag: 0, body: Buffer.from(`m${i}`), properties: Buffer.from(`UNIQ_KEY\u0001${id}\u0002WAIT\u0001true\u0002`) })));
  const batchProps = 'UNIQ_KEY\u0001BATCH\u0002WAIT\u0001true\u0002MSG_REGION\u0001Somewhere\u0002';
  const ext = { a: 'test_pg', b: 'BatchIds', c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: batchProps, j: '0', k: 'false', m: 'true' };
  const r = await client.invoke(RequestCode.SEND_BATCH_MESSAGE, ext, body);
  assert.equal(r.code, 0, r.remark ?? '');
  const msgs = await client.pullAtLeast('cgb', 'BatchIds', 0, 0, 3);
  assert.deepEqual(msgs.map((m) => m.body.toString()), ['m0', 'm1', 'm2']);
  assert.deepEqual(msgs.map((m) => m.properties.get('UNIQ_KEY')), own);
  for (const m of msgs) {
    assert.equal(m.properties.get('MSG_REGION'), 'Somewhere');
    assert.equal(m.properties.get('CLUSTER'), 'DefaultCluster');
  }
});

test('many sends in flight on one connection (turns large enough to linger) are all answered and stored in order', async () => {
  assert.equal((await client.createTopic('Pipelined', 1)).code, 0);
  const WAVES = 4;
  const IN_FLIGHT = 64;
  const offsets: number[] = [];
  for (let w = 0; w < WAVES; w++) {
    const answers = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => client.send('Pipelined', `p-${w * IN_FLIGHT + i}`, { queueId: 0 })));
    for (const a of answers) {
      assert.equal(a.code, ResponseCode.SUCCESS, a.remark ?? '');
      offsets.push(Number(a.extFields?.queueOffset));
    }
  }
  assert.deepEqual([...offsets].sort((a, b) => a - b), Array.from({ length: WAVES * IN_FLIGHT }, (_, i) => i));
  const stored = await client.pullAtLeast('cg_pipelined', 'Pipelined', 0, 0, WAVES * IN_FLIGHT);
  // Sends of one connection are stored in the order they were written to it.
  assert.deepEqual(stored.map((m) => m.body.toString()), Array.from({ length: WAVES * IN_FLIGHT }, (_, i) => `p-${i}`));
});

test('a connection sending to one topic sees the topic change: made read-only, writable again, deleted and created anew', async () => {
  // Binary headers take the fast send path, which keeps the last topic it found.
  const binary = await WireClient.connect(ferry.brokerAddr, 1);
  try {
    assert.equal((await client.createTopic('Changing', 1)).code, 0);
    assert.equal((await client.createTopic('Other', 1)).code, 0);
    assert.equal((await binary.send('Changing', 'a')).code, ResponseCode.SUCCESS);
    assert.equal((await client.createTopic('Changing', 1, 4)).code, 0);
    const readOnly = await binary.send('Changing', 'refused');
    assert.equal(readOnly.code, ResponseCode.NO_PERMISSION);
    assert.equal(readOnly.remark, 'the topic[Changing] sending message is forbidden');
    assert.equal((await binary.send('Other', 'o')).code, ResponseCode.SUCCESS);
    assert.equal((await client.createTopic('Changing', 1, 6)).code, 0);
    const again = await binary.send('Changing', 'b');
    assert.equal(again.code, ResponseCode.SUCCESS, again.remark ?? '');
    assert.equal(again.extFields?.queueOffset, '1');
    assert.equal((await client.invoke(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'Changing' })).code, ResponseCode.SUCCESS);
    assert.equal((await client.createTopic('Changing', 1)).code, 0);
    const anew = await binary.send('Changing', 'c');
    assert.equal(anew.code, ResponseCode.SUCCESS, anew.remark ?? '');
    assert.equal(anew.extFields?.queueOffset, '0', 'a topic created anew starts its queue at 0');
    const stored = await client.pullAtLeast('cg_changing', 'Changing', 0, 0, 1);
    assert.deepEqual(stored.map((m) => m.body.toString()), ['c']);
  } finally {
    binary.close();
  }
});

test('offsets carried by pulls (COMMIT_OFFSET) are committed, in order with what follows', async () => {
  assert.equal((await client.createTopic('PullCommit', 2)).code, 0);
  for (const q of [0, 1]) for (let i = 0; i < 3; i++) assert.equal((await client.send('PullCommit', `m${i}`, { queueId: q })).code, 0);
  await client.pullAtLeast('cg_commit', 'PullCommit', 0, 0, 3);
  await client.pullAtLeast('cg_commit', 'PullCommit', 1, 0, 3);
  const query = async (c: WireClient, queueId: number) => {
    const r = await c.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'cg_commit', topic: 'PullCommit', queueId: String(queueId) });
    return r.code === ResponseCode.SUCCESS ? Number(r.extFields?.offset) : -1;
  };
  const commitAndSubscription = 0x1 | 0x4;
  // On one connection the query that follows a pull sees the pull's commit.
  assert.equal((await client.pull('cg_commit', 'PullCommit', 0, 2, { sysFlag: commitAndSubscription, commitOffset: 2 })).code, ResponseCode.SUCCESS);
  assert.equal(await query(client, 0), 2);
  // From other connections (maybe other network workers) commits arrive shortly after.
  const others = await Promise.all([1, 2, 3].map(() => WireClient.connect(ferry.brokerAddr)));
  try {
    for (const [i, c] of others.entries()) {
      assert.equal((await c.pull('cg_commit', 'PullCommit', 1, i, { sysFlag: commitAndSubscription, commitOffset: i + 1 })).code, ResponseCode.SUCCESS);
    }
    const deadline = Date.now() + 2000;
    while ((await query(client, 1)) !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await query(client, 1), 3);
    assert.equal(await query(client, 0), 2);
  } finally {
    for (const c of others) c.close();
  }
});

test('long polling: a suspended pull is answered when a message arrives', async () => {
  assert.equal((await client.createTopic('LongPoll', 1)).code, 0);
  const t0 = Date.now();
  const pending = client.pull('cg2', 'LongPoll', 0, 0, { suspendMs: 10_000 });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await client.send('LongPoll', 'late')).code, 0);
  const res = await pending;
  assert.equal(res.code, ResponseCode.SUCCESS);
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(decodeRecords(res.body)[0].body.toString(), 'late');
});

test('a suspended pull with nothing new times out with PULL_NOT_FOUND', async () => {
  const res = await client.pull('cg2', 'LongPoll', 0, 1, { suspendMs: 300 });
  assert.equal(res.code, ResponseCode.PULL_NOT_FOUND);
  assert.equal(res.extFields?.nextBeginOffset, '1');
});

test('long polling on several queues (binary headers): a held pull is answered when its own queue grows, the rest stay held, and a queue holds again once answered', async () => {
  assert.equal((await client.createTopic('LongPollMany', 4)).code, 0);
  const binary = await WireClient.connect(ferry.brokerAddr, 1);
  try {
    const answered = new Set<string>();
    const hold = (name: string, queueId: number, offset: number, suspendMs: number) =>
      binary.pull('cg_many', 'LongPollMany', queueId, offset, { suspendMs }).then((r) => {
        answered.add(name);
        return r;
      });
    const q0 = hold('q0', 0, 0, 10_000);
    const q1 = hold('q1', 1, 0, 1500);
    const q2a = hold('q2a', 2, 0, 10_000);
    const q2b = hold('q2b', 2, 0, 10_000);
    const q3 = hold('q3', 3, 0, 1500);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(answered.size, 0, 'nothing to answer yet: every pull is held');

    assert.equal((await client.send('LongPollMany', 'to-2', { queueId: 2 })).code, 0);
    for (const res of [await q2a, await q2b]) {
      assert.equal(res.code, ResponseCode.SUCCESS, res.remark ?? '');
      assert.equal(res.serializeType, 1);
      assert.equal(res.extFields?.nextBeginOffset, '1');
      assert.deepEqual(decodeRecords(res.body).map((m) => m.body.toString()), ['to-2']);
    }
    assert.deepEqual([...answered].sort(), ['q2a', 'q2b'], 'the other queues still hold their pulls');

    assert.equal((await client.send('LongPollMany', 'to-0', { queueId: 0 })).code, 0);
    assert.deepEqual(decodeRecords((await q0).body).map((m) => m.body.toString()), ['to-0']);

    // Queue 2 had no held pull left: it holds again, and is answered again.
    const again = hold('q2c', 2, 1, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!answered.has('q2c'));
    assert.equal((await client.send('LongPollMany', 'to-2-again', { queueId: 2 })).code, 0);
    assert.deepEqual(decodeRecords((await again).body).map((m) => m.body.toString()), ['to-2-again']);

    for (const res of [await q1, await q3]) {
      assert.equal(res.code, ResponseCode.PULL_NOT_FOUND, 'nothing came: the pull times out');
      assert.equal(res.extFields?.nextBeginOffset, '0');
    }
  } finally {
    binary.close();
  }
});
