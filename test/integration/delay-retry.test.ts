import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import { encodeBatch } from '../../src/shared/storage/batch.js';
import { readCqTagsCode } from '../../src/shared/storage/consumequeue.js';
import { decodeDelayOffsetJson } from '../../src/shared/storage/config-files.js';
import type { DecodedMessage } from '../../src/shared/storage/message.js';

const SCHEDULE = 'SCHEDULE_TOPIC_XXXX';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every record of a queue from `from`, polling until `count` are there (or the deadline). */
async function readQueue(client: WireClient, topic: string, queueId: number, count: number, timeoutMs = 10_000, from = 0): Promise<DecodedMessage[]> {
  const deadline = Date.now() + timeoutMs;
  const out: DecodedMessage[] = [];
  let offset = from;
  for (;;) {
    const res = await client.pull('reader_cg', topic, queueId, offset);
    if (res.code === ResponseCode.SUCCESS) {
      const msgs = decodeRecords(res.body);
      out.push(...msgs);
      offset = Number(res.extFields!.nextBeginOffset);
    }
    if (out.length >= count || Date.now() > deadline) return out;
    await sleep(25);
  }
}

async function maxOffset(client: WireClient, topic: string, queueId: number): Promise<number> {
  const res = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic, queueId: String(queueId) });
  return res.code === ResponseCode.SUCCESS ? Number(res.extFields!.offset) : -1;
}

/** A V2 send with full control over the header (reconsumeTimes j, maxReconsumeTimes l). */
function sendV2(client: WireClient, topic: string, body: string, props: string, extra: Record<string, string> = {}, code: number = RequestCode.SEND_MESSAGE_V2, bodyBytes?: Buffer) {
  const ext = { a: 'test_pg', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false', ...extra };
  return client.invoke(code, ext, bodyBytes ?? Buffer.from(body));
}

function sendBack(client: WireClient, fields: Record<string, string>) {
  return client.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, fields);
}

describe('delay levels', () => {
  let ferry: FerryProcess;
  let client: WireClient;

  before(async () => {
    ferry = await FerryProcess.start({ overrides: ['messageDelayLevel=1s 2s 3s'] });
    client = await WireClient.connect(ferry.brokerAddr);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  test('a message with DELAY=1 is parked in SCHEDULE_TOPIC_XXXX and arrives in its real topic 1 s later', async () => {
    assert.equal((await client.createTopic('DelayOne', 2)).code, 0);
    const sent = await client.send('DelayOne', 'later please', { queueId: 1, tags: 'TagD', keys: 'kd1', props: 'DELAY\u00011\u0002UNIQ_KEY\u0001U-1' });
    assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark ?? '');
    assert.equal(sent.extFields?.queueId, '1', 'the response names the queue the producer asked for');
    assert.equal(sent.extFields?.queueOffset, '0');

    const [parked] = await readQueue(client, SCHEDULE, 0, 1);
    assert.equal(parked.topic, SCHEDULE);
    assert.equal(parked.queueId, 0);
    assert.equal(parked.properties.get('REAL_TOPIC'), 'DelayOne');
    assert.equal(parked.properties.get('REAL_QID'), '1');
    assert.equal(parked.properties.get('DELAY'), '1');
    assert.equal(await maxOffset(client, 'DelayOne', 1), 0, 'nothing in the real topic yet');

    // ConsumeQueue tagsCode of a schedule unit = store time + the level's delay.
    const cqFile = path.join(ferry.storeDir, 'consumequeue', SCHEDULE, '0', '00000000000000000000');
    assert.equal(readCqTagsCode(fs.readFileSync(cqFile), 0), parked.storeTimestamp + 1000);

    const [delivered] = await readQueue(client, 'DelayOne', 1, 1, 10_000);
    assert.ok(delivered, 'delivered to the real topic');
    assert.equal(delivered.topic, 'DelayOne');
    assert.equal(delivered.queueId, 1);
    assert.equal(delivered.queueOffset, 0);
    assert.ok(delivered.storeTimestamp - parked.storeTimestamp >= 1000, `delivered ${delivered.storeTimestamp - parked.storeTimestamp} ms after parking`);
    assert.equal(delivered.body.toString(), 'later please');
    assert.equal(delivered.properties.has('DELAY'), false, 'DELAY removed');
    assert.equal(delivered.properties.get('REAL_TOPIC'), 'DelayOne');
    assert.equal(delivered.properties.get('REAL_QID'), '1');
    assert.equal(delivered.properties.get('TAGS'), 'TagD');
    assert.equal(delivered.properties.get('KEYS'), 'kd1');
    assert.equal(delivered.properties.get('UNIQ_KEY'), 'U-1');
    assert.equal(delivered.bornTimestamp, parked.bornTimestamp);
    assert.equal(delivered.bornHost, parked.bornHost);
    assert.equal(delivered.reconsumeTimes, 0);
    assert.equal(delivered.sysFlag, parked.sysFlag);
    assert.equal(delivered.bodyCrc, parked.bodyCrc);

    // The tag filter works on the delivered message (tagsCode from TAGS again).
    const tagged = await client.pull('cg_tag', 'DelayOne', 1, 0, { subscription: 'TagD' });
    assert.equal(decodeRecords(tagged.body).length, 1);
  });

  test('a level past the max is clamped to the max level; DELAY=0 is not delayed', async () => {
    assert.equal((await client.createTopic('DelayClamp', 1)).code, 0);
    assert.equal((await client.send('DelayClamp', 'far', { props: 'DELAY\u000199' })).code, 0);
    const [parked] = await readQueue(client, SCHEDULE, 2, 1);
    assert.equal(parked.properties.get('DELAY'), '3');
    assert.equal(parked.properties.get('REAL_TOPIC'), 'DelayClamp');
    assert.equal((await client.send('DelayClamp', 'now', { props: 'DELAY\u00010' })).code, 0);
    const [now] = await readQueue(client, 'DelayClamp', 0, 1, 2000);
    assert.equal(now.body.toString(), 'now');
  });

  test('a batch with a DELAY is refused (13); a non-numeric DELAY is a system error', async () => {
    assert.equal((await client.createTopic('DelayBatch', 1)).code, 0);
    const body = encodeBatch([{ flag: 0, body: Buffer.from('x'), properties: Buffer.alloc(0) }]);
    const batch = await sendV2(client, 'DelayBatch', '', 'DELAY\u00012', { m: 'true' }, RequestCode.SEND_BATCH_MESSAGE, body);
    assert.equal(batch.code, ResponseCode.MESSAGE_ILLEGAL);
    const bad = await client.send('DelayBatch', 'x', { props: 'DELAY\u0001soon' });
    assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
    assert.match(bad.remark ?? '', /DELAY/);
  });

  test('a backlog of due messages is delivered completely, once each, in order', async () => {
    assert.equal((await client.createTopic('DelayMany', 1)).code, 0);
    const count = 2000;
    for (let i = 0; i < count; i += 200) {
      const batch = Array.from({ length: Math.min(200, count - i) }, (_, k) => client.send('DelayMany', `m${i + k}`, { props: 'DELAY\u00011' }));
      for (const r of await Promise.all(batch)) assert.equal(r.code, 0, r.remark ?? '');
    }
    const msgs = await readQueue(client, 'DelayMany', 0, count, 20_000);
    assert.equal(msgs.length, count);
    assert.deepEqual(msgs.map((m) => m.body.toString()), Array.from({ length: count }, (_, i) => `m${i}`));
    await sleep(500);
    assert.equal(await maxOffset(client, 'DelayMany', 0), count, 'nothing delivered twice');
  });

  test('delivery progress survives a restart: nothing delivered twice, nothing lost', async () => {
    assert.equal((await client.createTopic('DelayRestart', 1)).code, 0);
    assert.equal((await client.send('DelayRestart', 'first', { props: 'DELAY\u00011' })).code, 0);
    assert.equal((await readQueue(client, 'DelayRestart', 0, 1)).length, 1);
    assert.equal((await client.send('DelayRestart', 'second', { props: 'DELAY\u00013' })).code, 0);
    client.close();
    await ferry.restart();
    client = await WireClient.connect(ferry.brokerAddr);

    const msgs = await readQueue(client, 'DelayRestart', 0, 2, 15_000);
    assert.deepEqual(msgs.map((m) => m.body.toString()), ['first', 'second']);
    await sleep(1500);
    assert.equal(await maxOffset(client, 'DelayRestart', 0), 2, 'no re-delivery after the restart');

    // delayOffset.json is written every 10 s and at shutdown: after another restart it holds
    // everything delivered, and again nothing comes twice.
    client.close();
    await ferry.restart();
    client = await WireClient.connect(ferry.brokerAddr);
    await sleep(1500);
    assert.equal(await maxOffset(client, 'DelayRestart', 0), 2, 'no re-delivery after the second restart');
    // Every earlier test's message was delivered too: none came back.
    assert.equal(await maxOffset(client, 'DelayOne', 1), 1);
    assert.equal(await maxOffset(client, 'DelayClamp', 0), 2);

    const res = await client.invoke(RequestCode.GET_ALL_DELAY_OFFSET, null);
    assert.equal(res.code, 0);
    const table = decodeDelayOffsetJson(res.body!.toString());
    assert.equal(table.get(1), 2 + 2000, `level 1 delivered 2002 (${res.body})`);
    assert.equal(table.get(3), 2, `level 3 delivered 2 (${res.body})`);
    assert.match(res.body!.toString(), /^\{"offsetTable":\{(\d+:\d+,?)+\}\}$/, 'unquoted integer keys, compact');
    const file = fs.readFileSync(path.join(ferry.storeDir, 'config', 'delayOffset.json'), 'utf8');
    assert.deepEqual(decodeDelayOffsetJson(file), table);
  });
});

describe('retry and dead letters', () => {
  let ferry: FerryProcess;
  let client: WireClient;

  before(async () => {
    ferry = await FerryProcess.start({ overrides: ['messageDelayLevel=1s 1s 2s', 'autoCreateSubscriptionGroup=false'] });
    client = await WireClient.connect(ferry.brokerAddr);
    const group = (name: string, retryMaxTimes: number) =>
      client.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, null, Buffer.from(JSON.stringify({ groupName: name, retryMaxTimes, retryQueueNums: 1, consumeEnable: true })));
    assert.equal((await group('sb_cg', 2)).code, 0);
    assert.equal((await group('sb_cg2', 16)).code, 0);
    assert.equal((await group('reader_cg', 16)).code, 0);
    assert.equal((await client.createTopic('SendBackT', 1)).code, 0);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  test('CONSUMER_SEND_MSG_BACK: to %RETRY% with the delay, then to %DLQ% past max reconsume times', async () => {
    const sent = await client.send('SendBackT', 'retry me', { tags: 'TagR', keys: 'kr', props: 'UNIQ_KEY\u0001U-R' });
    assert.equal(sent.code, 0);
    const [orig] = await readQueue(client, 'SendBackT', 0, 1);

    // delayLevel 0: the broker picks 3 + reconsumeTimes (clamped to the max level, 3 = 2 s).
    const back1 = await sendBack(client, { offset: String(orig.physicalOffset), group: 'sb_cg', delayLevel: '0', originMsgId: 'U-R', originTopic: 'SendBackT' });
    assert.equal(back1.code, ResponseCode.SUCCESS, back1.remark ?? '');
    assert.equal(Object.keys(back1.extFields ?? {}).length, 0, 'no header');
    const [parked] = await readQueue(client, SCHEDULE, 2, 1);
    assert.equal(parked.properties.get('DELAY'), '3');
    assert.equal(parked.properties.get('REAL_TOPIC'), '%RETRY%sb_cg');
    const [retry1] = await readQueue(client, '%RETRY%sb_cg', 0, 1, 10_000);
    assert.ok(retry1, 'in the retry topic');
    assert.ok(retry1.storeTimestamp - parked.storeTimestamp >= 2000);
    assert.equal(retry1.reconsumeTimes, 1);
    assert.equal(retry1.body.toString(), 'retry me');
    assert.equal(retry1.properties.get('RETRY_TOPIC'), 'SendBackT');
    assert.equal(retry1.properties.get('ORIGIN_MESSAGE_ID'), orig.msgId);
    assert.equal(retry1.properties.get('UNIQ_KEY'), 'U-R');
    assert.equal(retry1.properties.get('TAGS'), 'TagR');
    assert.equal(retry1.properties.has('DELAY'), false);
    assert.equal(retry1.bornTimestamp, orig.bornTimestamp);
    assert.equal(retry1.flag, orig.flag);

    // An explicit level: 1 (1 s). reconsumeTimes 1 < 2 still retries.
    const back2 = await sendBack(client, { offset: String(retry1.physicalOffset), group: 'sb_cg', delayLevel: '1' });
    assert.equal(back2.code, 0, back2.remark ?? '');
    const [, retry2] = await readQueue(client, '%RETRY%sb_cg', 0, 2, 10_000);
    assert.ok(retry2);
    assert.equal(retry2.reconsumeTimes, 2);
    assert.equal(retry2.properties.get('ORIGIN_MESSAGE_ID'), orig.msgId, 'the first msgId is kept');
    assert.equal(retry2.properties.get('RETRY_TOPIC'), 'SendBackT');

    // reconsumeTimes 2 >= retryMaxTimes 2: the dead-letter queue, at once.
    const back3 = await sendBack(client, { offset: String(retry2.physicalOffset), group: 'sb_cg', delayLevel: '0' });
    assert.equal(back3.code, 0, back3.remark ?? '');
    const [dead] = await readQueue(client, '%DLQ%sb_cg', 0, 1, 3000);
    assert.ok(dead, 'in the DLQ');
    assert.equal(dead.reconsumeTimes, 3);
    assert.equal(dead.properties.has('DELAY'), false);
    assert.equal(dead.properties.get('RETRY_TOPIC'), 'SendBackT');
    assert.equal(dead.properties.get('ORIGIN_MESSAGE_ID'), orig.msgId);
    assert.equal(dead.body.toString(), 'retry me');
  });

  test('CONSUMER_SEND_MSG_BACK: delayLevel < 0 and a header maxReconsumeTimes go straight to the DLQ', async () => {
    assert.equal((await client.send('SendBackT', 'dead now')).code, 0);
    const msgs = await readQueue(client, 'SendBackT', 0, 2);
    const target = msgs.find((m) => m.body.toString() === 'dead now')!;
    assert.equal((await client.pull('reader_cg', '%DLQ%sb_cg2', 0, 0)).code, ResponseCode.TOPIC_NOT_EXIST);
    assert.equal((await sendBack(client, { offset: String(target.physicalOffset), group: 'sb_cg2', delayLevel: '-1' })).code, 0);
    const header = await sendBack(client, { offset: String(target.physicalOffset), group: 'sb_cg2', delayLevel: '0', maxReconsumeTimes: '0' });
    assert.equal(header.code, 0, header.remark ?? '');
    const dead = await readQueue(client, '%DLQ%sb_cg2', 0, 2, 3000);
    assert.equal((await client.pull('reader_cg', '%DLQ%sb_cg2', 1, 0)).code, ResponseCode.SYSTEM_ERROR, 'the DLQ was created with 1 queue');
    assert.deepEqual(dead.map((m) => [m.body.toString(), m.reconsumeTimes]), [['dead now', 1], ['dead now', 1]]);
  });

  test('CONSUMER_SEND_MSG_BACK: unknown group is 26, a bad offset is a system error', async () => {
    const noGroup = await sendBack(client, { offset: '0', group: 'no_such_group', delayLevel: '0' });
    assert.equal(noGroup.code, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
    const badOffset = await sendBack(client, { offset: '123456789', group: 'sb_cg', delayLevel: '0' });
    assert.equal(badOffset.code, ResponseCode.SYSTEM_ERROR);
    assert.match(badOffset.remark ?? '', /look message by offset failed, 123456789/);
    const noOffset = await sendBack(client, { group: 'sb_cg', delayLevel: '0' });
    assert.equal(noOffset.code, ResponseCode.SYSTEM_ERROR);
    assert.match(noOffset.remark ?? '', /look message by offset failed, 1$/);
  });

  test('a send to %RETRY%<group> at max reconsume times goes to %DLQ%<group> (header l wins over the group)', async () => {
    const dlqBefore = Math.max(0, await maxOffset(client, '%DLQ%sb_cg', 0));
    // Group max 2, header l=16: reconsumeTimes 5 stays a retry (parked with its DELAY).
    const retry = await sendV2(client, '%RETRY%sb_cg', 'resent', 'DELAY\u00011\u0002RETRY_TOPIC\u0001SendBackT', { j: '5', l: '16' });
    assert.equal(retry.code, 0, retry.remark ?? '');
    // l=5: reconsumeTimes 5 >= 5 goes to the DLQ (delayed too: it keeps its DELAY, as in RocketMQ).
    const dead = await sendV2(client, '%RETRY%sb_cg', 'resent dead', 'RETRY_TOPIC\u0001SendBackT', { j: '5', l: '5' });
    assert.equal(dead.code, 0, dead.remark ?? '');
    assert.equal(dead.extFields?.queueId, '0');
    const msgs = await readQueue(client, '%DLQ%sb_cg', 0, 1, 3000, dlqBefore);
    assert.equal(msgs[0]?.body.toString(), 'resent dead');
    assert.equal(msgs[0].reconsumeTimes, 5);
    const retried = await readQueue(client, '%RETRY%sb_cg', 0, 3, 10_000);
    assert.equal(retried.at(-1)?.body.toString(), 'resent');
    assert.equal(retried.at(-1)?.reconsumeTimes, 5);
    // Unknown group (autoCreateSubscriptionGroup=false): 26.
    const unknown = await sendV2(client, '%RETRY%nobody', 'x', '', { j: '0' });
    assert.equal(unknown.code, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, unknown.remark ?? '');
  });
});
