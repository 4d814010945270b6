import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerControl } from '../../../src/main/control/broker-control.js';
import { RequestCode, ResponseCode } from '../../../src/shared/codes.js';
import { bodyJson, channel, makeEnv, request } from './helpers.js';

const query = (group: string, topic: string, queueId: number, extra: Record<string, string> = {}) =>
  request(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: String(queueId), ...extra });
const update = (group: string, topic: string, queueId: number, offset: number, oneway = false) =>
  request(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: String(queueId), commitOffset: String(offset) }, null, { oneway });

test('offsets: commit, query, the minOffset<=0 rule and QUERY_NOT_FOUND', async () => {
  const env = makeEnv();
  const control = new BrokerControl(env.ctx);
  await control.load();
  try {
    assert.equal(await control.handle(update('cg', 'T', 1, 12, true), channel(1)), null, 'oneway: no response');
    const ack = await control.handle(update('cg', 'T', 0, 15), channel(1));
    assert.equal(ack?.code, ResponseCode.SUCCESS);

    const q0 = await control.handle(query('cg', 'T', 0), channel(1));
    assert.equal(q0?.code, ResponseCode.SUCCESS);
    assert.deepEqual(q0?.extFields, { offset: '15' });
    assert.deepEqual((await control.handle(query('cg', 'T', 1), channel(1)))?.extFields, { offset: '12' });

    // nothing stored, queue never trimmed: start from 0
    const fresh = await control.handle(query('cg', 'T', 2), channel(1));
    assert.equal(fresh?.code, ResponseCode.SUCCESS);
    assert.deepEqual(fresh?.extFields, { offset: '0' });

    // nothing stored, queue trimmed: the client decides (CONSUME_FROM_*)
    env.store.put('T', 3, 10);
    env.store.setMin('T', 3, 4);
    const trimmed = await control.handle(query('cg', 'T', 3), channel(1));
    assert.equal(trimmed?.code, ResponseCode.QUERY_NOT_FOUND);
    // 5.x setZeroIfNotFound=false
    const strict = await control.handle(query('cg', 'T', 2, { setZeroIfNotFound: 'false' }), channel(1));
    assert.equal(strict?.code, ResponseCode.QUERY_NOT_FOUND);

    // pull-carried commits
    control.commitOffset('cg', 'T', 2, 7);
    assert.deepEqual((await control.handle(query('cg', 'T', 2), channel(1)))?.extFields, { offset: '7' });

    const all = await control.handle(request(RequestCode.GET_ALL_CONSUMER_OFFSET), channel(1));
    assert.equal(all?.body?.toString(), '{"offsetTable":{"T@cg":{0:15,1:12,2:7}}}');
  } finally {
    await control.shutdown();
    env.cleanup();
  }
});

test('offsets persist as Java writes them and load back', async () => {
  const env = makeEnv();
  try {
    const control = new BrokerControl(env.ctx);
    await control.load();
    await control.handle(update('cg1', 'TopicTest', 1, 12), channel(1));
    await control.handle(update('cg1', 'TopicTest', 0, 15), channel(1));
    await control.handle(update('cg2', 'Other', 0, 3), channel(1));
    await control.shutdown();

    const file = join(env.dir, 'config', 'consumerOffset.json');
    assert.equal(readFileSync(file, 'utf8'), '{\n\t"offsetTable":{\n\t\t"TopicTest@cg1":{0:15,1:12\n\t\t},\n\t\t"Other@cg2":{0:3\n\t\t}\n\t}\n}');
    assert.equal(existsSync(file + '.tmp'), false);

    const again = new BrokerControl(makeEnv({}, env.dir).ctx);
    await again.load();
    assert.equal(again.offsets.query('cg1', 'TopicTest', 0), 15);
    assert.equal(again.offsets.query('cg1', 'TopicTest', 1), 12);
    assert.equal(again.offsets.query('cg2', 'Other', 0), 3);
    assert.equal(again.offsets.query('cg2', 'Other', 1), -1);
    await again.shutdown();
  } finally {
    env.cleanup();
  }
});

test('a second write keeps the previous file as .bak; a corrupt file falls back to it', async () => {
  const env = makeEnv();
  try {
    const control = new BrokerControl(env.ctx);
    await control.load();
    control.commitOffset('g', 'T', 0, 1);
    await control.offsets.persist();
    control.commitOffset('g', 'T', 0, 2);
    await control.offsets.persist();
    await control.shutdown();
    const file = join(env.dir, 'config', 'consumerOffset.json');
    assert.match(readFileSync(file + '.bak', 'utf8'), /\{0:1\n/);
    assert.match(readFileSync(file, 'utf8'), /\{0:2\n/);

    writeFileSync(file, '{"offsetTable":{"T@g":{0:');
    const again = new BrokerControl(makeEnv({}, env.dir).ctx);
    await again.load();
    assert.equal(again.offsets.query('g', 'T', 0), 1, 'value from the .bak');
    await again.shutdown();
  } finally {
    env.cleanup();
  }
});

test('Java-written offsets with unquoted keys load', async () => {
  const env = makeEnv();
  try {
    mkdirSync(join(env.dir, 'config'), { recursive: true });
    writeFileSync(join(env.dir, 'config', 'consumerOffset.json'), '{\n\t"offsetTable":{\n\t\t"%RETRY%cg@cg":{0:0},\n\t\t"TopicTest@cg":{0:250,1:249,2:251,3:250}\n\t}\n}');
    const control = new BrokerControl(env.ctx);
    await control.load();
    assert.equal(control.offsets.query('cg', 'TopicTest', 2), 251);
    const body = bodyJson(await control.handle(request(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic: 'TopicTest' }), channel(1)));
    assert.deepEqual(body, { groupList: ['cg'] });
    await control.shutdown();
  } finally {
    env.cleanup();
  }
});
