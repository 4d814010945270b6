import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import type { RemotingCommand } from '../../src/shared/remoting/command.js';

const TOPIC = 'SqlFilterTopic';
const EXPR = "a between 0 and 3 and b = 'x'";

let ferry: FerryProcess;
let client: WireClient;

/** [body, tags, user properties] in queue order. */
const MESSAGES: [string, string, Record<string, string>][] = [
  ['m0', 'TagA', { a: '1', b: 'x' }], // match
  ['m1', 'TagA', { a: '5', b: 'x' }], // a out of range
  ['m2', 'TagA', { b: 'x' }], // a missing: unknown
  ['m3', 'TagA', { a: '2', b: 'y' }], // b differs
  ['m4', 'TagA', { a: 'abc', b: 'x' }], // a not a number: evaluation error
  ['m5', 'TagB', { a: '3', b: 'x' }], // match
  ['m6', 'TagA', { a: '0', b: 'x' }], // match
  ['m7', 'TagA', { a: '2.5', b: 'x' }], // Integer.valueOf('2.5') fails, as in RocketMQ
];

const props = (p: Record<string, string>) => Object.entries(p).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
/** The k-th stored record of a pull body. */
function storedRecord(body: Buffer, k: number): Buffer {
  let p = 0;
  for (let i = 0; i < k; i++) p += body.readInt32BE(p);
  return body.subarray(p, p + body.readInt32BE(p));
}
const bodies = (res: RemotingCommand) => decodeRecords(res.body).map((m) => m.body.toString());

function sqlPull(group: string, offset: number, subscription: string | null, opts: { max?: number; expressionType?: string; subVersion?: number } = {}): Promise<RemotingCommand> {
  return client.invoke(RequestCode.PULL_MESSAGE, {
    consumerGroup: group, topic: TOPIC, queueId: '0', queueOffset: String(offset), maxMsgNums: String(opts.max ?? 32),
    sysFlag: String(subscription === null ? 0 : 0x4), commitOffset: '0', suspendTimeoutMillis: '0', subVersion: String(opts.subVersion ?? 0),
    ...(subscription === null ? {} : { subscription, expressionType: opts.expressionType ?? 'SQL92' }),
  });
}

function heartbeat(group: string, subString: string, subVersion: number): Promise<RemotingCommand> {
  const body = {
    clientID: '127.0.0.1@sql-filter-test', producerDataSet: [],
    consumerDataSet: [{
      groupName: group, consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', unitMode: false,
      subscriptionDataSet: [{ classFilterMode: false, topic: TOPIC, subString, expressionType: 'SQL92', subVersion, tagsSet: [], codeSet: [] }],
    }],
  };
  return client.invoke(RequestCode.HEART_BEAT, null, Buffer.from(JSON.stringify(body)));
}

function checkClientConfig(c: WireClient, subString: string): Promise<RemotingCommand> {
  const body = { clientId: '127.0.0.1@sql-filter-test', group: 'cg_check', subscriptionData: { classFilterMode: false, topic: TOPIC, subString, expressionType: 'SQL92', subVersion: 1, tagsSet: [], codeSet: [] } };
  return c.invoke(RequestCode.CHECK_CLIENT_CONFIG, null, Buffer.from(JSON.stringify(body)));
}

before(async () => {
  ferry = await FerryProcess.start({ overrides: ['enablePropertyFilter=true'] });
  client = await WireClient.connect(ferry.brokerAddr);
  assert.equal((await client.createTopic(TOPIC, 1)).code, ResponseCode.SUCCESS);
  for (const [body, tags, p] of MESSAGES) {
    const r = await client.send(TOPIC, body, { tags, props: props(p), queueId: 0 });
    assert.equal(r.code, ResponseCode.SUCCESS, r.remark ?? '');
  }
  // wait until every message is dispatched to the ConsumeQueue
  for (let i = 0; i < 100; i++) {
    const max = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: '0' });
    if (max.extFields?.offset === String(MESSAGES.length)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('messages were not dispatched');
});

after(async () => {
  client?.close();
  await ferry?.dispose();
});

test('SQL92 pull (subscription in the request) returns exactly the matching records', async () => {
  const res = await sqlPull('cg_sql_req', 0, EXPR);
  assert.equal(res.code, ResponseCode.SUCCESS, res.remark ?? '');
  assert.deepEqual(bodies(res), ['m0', 'm5', 'm6']);
  assert.equal(res.extFields?.nextBeginOffset, String(MESSAGES.length));
  assert.equal(res.extFields?.maxOffset, String(MESSAGES.length));
  const m5 = decodeRecords(res.body)[1];
  assert.equal(m5.properties.get('TAGS'), 'TagB');
  assert.equal(m5.properties.get('a'), '3');
  assert.equal(m5.queueOffset, 5);

  // TAGS is a property like any other; IN, IS NULL, OR, NOT
  assert.deepEqual(bodies(await sqlPull('cg_sql_req', 0, "TAGS = 'TagB'")), ['m5']);
  assert.deepEqual(bodies(await sqlPull('cg_sql_req', 0, "a IS NULL OR a IN ('abc', '2.5')")), ['m2', 'm4', 'm7']);
  assert.deepEqual(bodies(await sqlPull('cg_sql_req', 0, "NOT (b = 'x')")), ['m3']);
  assert.deepEqual(bodies(await sqlPull('cg_sql_req', 0, 'a > 2.0')), ['m1', 'm5', 'm7']);
  assert.deepEqual(bodies(await sqlPull('cg_sql_req', 0, 'TRUE')), MESSAGES.map((m) => m[0]));
});

test('nextBeginOffset counts the scanned units, filtered-out ones included', async () => {
  const one = await sqlPull('cg_sql_req', 1, EXPR, { max: 1 });
  assert.equal(one.code, ResponseCode.SUCCESS);
  assert.deepEqual(bodies(one), ['m5']);
  assert.equal(one.extFields?.nextBeginOffset, '6');
  const none = await sqlPull('cg_sql_req', 1, 'a = 99');
  assert.equal(none.code, ResponseCode.PULL_RETRY_IMMEDIATELY);
  assert.equal(none.remark, 'NO_MATCHED_MESSAGE');
  assert.equal(none.extFields?.nextBeginOffset, String(MESSAGES.length));
  assert.equal(none.body, null);
  const tail = await sqlPull('cg_sql_req', MESSAGES.length, EXPR);
  assert.equal(tail.code, ResponseCode.PULL_NOT_FOUND);
  // a TAG pull still filters by tag code
  const tagged = await sqlPull('cg_sql_req', 0, 'TagB', { expressionType: 'TAG' });
  assert.deepEqual(bodies(tagged), ['m5']);
});

test('an expression that does not compile: 23 on the pull, 27 when registered by heartbeat', async () => {
  for (const bad of ['a >', "a > 'x'", '', 'a = NULL']) {
    const res = await sqlPull('cg_sql_req', 0, bad);
    assert.equal(res.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED, `${JSON.stringify(bad)}: ${res.remark}`);
    assert.match(res.remark ?? '', /^parse the consumer's subscription failed/);
  }
  assert.equal((await heartbeat('cg_sql_bad', 'a between 3 and 1', 1)).code, ResponseCode.SUCCESS);
  const res = await sqlPull('cg_sql_bad', 0, null, { subVersion: 1 });
  assert.equal(res.code, ResponseCode.FILTER_DATA_NOT_EXIST, res.remark ?? '');
});

test('SQL92 subscription registered by HEART_BEAT filters pulls without FLAG_SUBSCRIPTION', async () => {
  assert.equal((await heartbeat('cg_sql_hb', EXPR, 100)).code, ResponseCode.SUCCESS);
  const res = await sqlPull('cg_sql_hb', 0, null, { subVersion: 100 });
  assert.equal(res.code, ResponseCode.SUCCESS, res.remark ?? '');
  assert.deepEqual(bodies(res), ['m0', 'm5', 'm6']);
  // a newer heartbeat replaces the expression
  assert.equal((await heartbeat('cg_sql_hb', "b = 'y'", 200)).code, ResponseCode.SUCCESS);
  assert.deepEqual(bodies(await sqlPull('cg_sql_hb', 0, null, { subVersion: 200 })), ['m3']);
  assert.equal((await sqlPull('cg_sql_hb', 0, null, { subVersion: 300 })).code, ResponseCode.SUBSCRIPTION_NOT_LATEST);
});

test('CHECK_CLIENT_CONFIG compiles the expression', async () => {
  const good = await checkClientConfig(client, EXPR);
  assert.equal(good.code, ResponseCode.SUCCESS, good.remark ?? '');
  const bad = await checkClientConfig(client, 'a between 0 and');
  assert.equal(bad.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
  assert.equal(bad.remark, 'Encountered "<EOF>" at line 1, column 16.');
});

test('interleaved queues and large records: matches come back byte-identical to an unfiltered pull', async () => {
  const topic = 'SqlFilterLarge';
  assert.equal((await client.createTopic(topic, 2)).code, ResponseCode.SUCCESS);
  const want: string[][] = [[], []];
  for (let i = 0; i < 60; i++) {
    const queueId = i % 2;
    const big = i % 7 === 0;
    const n = i % 5;
    const body = `${i}:`.padEnd(big ? 100_000 : 200 + i * 37, 'x');
    const r = await client.send(topic, body, { queueId, tags: `T${i % 3}`, props: props({ n: String(n), big: String(big) }) });
    assert.equal(r.code, ResponseCode.SUCCESS, r.remark ?? '');
    if ((n >= 2 && n <= 3) || big) want[queueId].push(String(i));
  }
  /** Every stored record a subscription gets from one queue, by the number in its body. */
  const pullAll = async (queueId: number, subscription: string, expressionType: string) => {
    const records = new Map<string, Buffer>();
    let offset = 0;
    for (let guard = 0; guard < 200 && offset < 30; guard++) {
      const res = await client.invoke(RequestCode.PULL_MESSAGE, {
        consumerGroup: 'cg_sql_large', topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: '32', sysFlag: '4',
        commitOffset: '0', suspendTimeoutMillis: '0', subscription, subVersion: '0', expressionType,
      });
      if (res.code === ResponseCode.PULL_NOT_FOUND) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      assert.ok(res.code === ResponseCode.SUCCESS || res.code === ResponseCode.PULL_RETRY_IMMEDIATELY, `${res.code} ${res.remark}`);
      for (const [k, m] of decodeRecords(res.body).entries()) records.set(m.body.toString().split(':')[0], storedRecord(res.body!, k));
      offset = Number(res.extFields!.nextBeginOffset);
    }
    return records;
  };
  for (const queueId of [0, 1]) {
    const all = await pullAll(queueId, '*', 'TAG');
    assert.equal(all.size, 30);
    const filtered = await pullAll(queueId, "n between 2 and 3 or big = 'true'", 'SQL92');
    assert.deepEqual([...filtered.keys()], want[queueId]);
    for (const [id, record] of filtered) assert.ok(record.equals(all.get(id)!), `record ${id}`);
  }
});

test('enablePropertyFilter=false: SQL92 pulls and CHECK_CLIENT_CONFIG answer 1', async () => {
  const off = await FerryProcess.start();
  const c = await WireClient.connect(off.brokerAddr);
  try {
    assert.equal((await c.createTopic(TOPIC, 1)).code, ResponseCode.SUCCESS);
    const res = await c.invoke(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'cg_off', topic: TOPIC, queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: '4', commitOffset: '0',
      suspendTimeoutMillis: '0', subscription: EXPR, subVersion: '0', expressionType: 'SQL92',
    });
    assert.equal(res.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(res.remark, 'The broker does not support consumer to filter message by SQL92');
    const check = await checkClientConfig(c, EXPR);
    assert.equal(check.code, ResponseCode.SYSTEM_ERROR);
  } finally {
    c.close();
    await off.dispose();
  }
});
