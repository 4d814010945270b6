import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerControl } from '../../../src/main/control/broker-control.js';
import { RequestCode, ResponseCode } from '../../../src/shared/codes.js';
import { decodeTopicsJson } from '../../../src/shared/storage/config-files.js';
import { bodyJson, channel, makeEnv, request, type TestEnv } from './helpers.js';

async function started(overrides = {}) {
  const env = makeEnv(overrides);
  const control = new BrokerControl(env.ctx);
  await control.load();
  return { env, control };
}

async function done(env: TestEnv, control: BrokerControl) {
  await control.shutdown();
  env.cleanup();
}

const sendV2 = (topic: string, oneway = false) =>
  request(RequestCode.SEND_MESSAGE_V2, { a: 'pg', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: '1700000000000', h: '0', i: '', j: '0', k: 'false', m: 'false' }, 'body', { oneway, serializeType: 1 });

const createTopic = (topic: string, queues = 8, perm = 6) =>
  request(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic, defaultTopic: 'TBW102', readQueueNums: String(queues), writeQueueNums: String(queues), perm: String(perm), topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' });

test('built-in topics are there at start and published to the workers', async () => {
  const { env, control } = await started();
  try {
    const expect: [string, number, number][] = [
      ['SELF_TEST_TOPIC', 1, 6],
      ['TBW102', 8, 7],
      ['BenchmarkTest', 1024, 6],
      ['DefaultCluster', 16, 7],
      ['broker-a', 1, 7],
      ['OFFSET_MOVED_EVENT', 1, 6],
      ['SCHEDULE_TOPIC_XXXX', 18, 6],
      ['DefaultCluster_REPLY_TOPIC', 1, 6],
      ['RMQ_SYS_TRANS_HALF_TOPIC', 1, 6],
      ['RMQ_SYS_TRANS_OP_HALF_TOPIC', 1, 6],
    ];
    for (const [name, queues, perm] of expect) {
      const t = control.topics.get(name);
      assert.ok(t, name);
      assert.deepEqual([t.readQueueNums, t.writeQueueNums, t.perm], [queues, queues, perm], name);
    }
    assert.equal(control.topics.get('RMQ_SYS_TRACE_TOPIC'), undefined, 'traceTopicEnable is off by default');
    const published = env.bus.topics.flatMap((t) => t.upsert);
    assert.equal(published.find((u) => u.config.topicName === 'SCHEDULE_TOPIC_XXXX')?.queueSlots.length, 18);
    const wrapper = control.topicWrapper();
    assert.equal(wrapper.topicConfigTable.get('TBW102')?.perm, 7);
    assert.equal(typeof wrapper.dataVersion.counter, 'number');
  } finally {
    await done(env, control);
  }
  const noAuto = await started({ autoCreateTopicEnable: false, traceTopicEnable: true, brokerTopicEnable: false });
  try {
    assert.equal(noAuto.control.topics.get('TBW102'), undefined);
    assert.equal(noAuto.control.topics.get('RMQ_SYS_TRACE_TOPIC')?.perm, 6);
    assert.equal(noAuto.control.topics.get('broker-a')?.perm, 1);
  } finally {
    await done(noAuto.env, noAuto.control);
  }
});

test('UPDATE_AND_CREATE_TOPIC creates, publishes, registers and persists; topics.json round-trips', async () => {
  const { env, control } = await started();
  try {
    env.bus.clear();
    const version = control.topics.dataVersion.counter;
    const res = await control.handle(createTopic('TopicTest', 8), channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    assert.equal(control.topics.dataVersion.counter, version + 1);
    assert.equal(env.registrations(), 1);
    assert.deepEqual(env.bus.topics[0].upsert[0].config, { topicName: 'TopicTest', readQueueNums: 8, writeQueueNums: 8, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false });
    assert.equal(env.bus.topics[0].upsert[0].queueSlots.length, 8);
    await control.handle(createTopic('Other', 2, 4), channel(1));
    await control.topics.flush();

    const file = readFileSync(join(env.dir, 'config', 'topics.json'), 'utf8');
    assert.match(file, /^\{\n\t"dataVersion":\{/);
    const decoded = decodeTopicsJson(file);
    assert.equal(decoded.topicConfigTable.get('TopicTest')?.writeQueueNums, 8);
    assert.equal(decoded.dataVersion.counter, control.topics.dataVersion.counter);

    // GET_ALL_TOPIC_CONFIG: the same wrapper, compact
    const all = bodyJson(await control.handle(request(RequestCode.GET_ALL_TOPIC_CONFIG), channel(1)));
    assert.equal(all.topicConfigTable.Other.perm, 4);
    assert.equal(all.dataVersion.counter, control.topics.dataVersion.counter);

    await control.shutdown();
    const again = new BrokerControl(makeEnv({}, env.dir).ctx);
    await again.load();
    assert.deepEqual(again.topics.get('Other'), control.topics.get('Other'));
    assert.equal(again.topics.dataVersion.counter, control.topics.dataVersion.counter);
    assert.equal(again.topics.get('TBW102')?.perm, 7);
    await again.shutdown();
  } finally {
    env.cleanup();
  }
});

test('topics.json falls back to .bak when the file is corrupt', async () => {
  const { env, control } = await started();
  try {
    await control.handle(createTopic('A'), channel(1));
    await control.handle(createTopic('B'), channel(1));
    await control.shutdown();
    writeFileSync(join(env.dir, 'config', 'topics.json'), '');
    const again = new BrokerControl(makeEnv({}, env.dir).ctx);
    await again.load();
    assert.ok(again.topics.get('A'), 'A was in the previous version');
    assert.equal(again.topics.get('B'), undefined, 'B only in the lost file');
    await again.shutdown();
  } finally {
    env.cleanup();
  }
});

test('UPDATE_AND_CREATE_TOPIC refuses bad names, system topics and missing fields', async () => {
  const { env, control } = await started();
  try {
    const bad = await control.handle(createTopic('a b'), channel(1));
    assert.equal(bad?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(bad?.remark, 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$');
    const sys = await control.handle(createTopic('SCHEDULE_TOPIC_XXXX'), channel(1));
    assert.equal(sys?.remark, 'The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic.');
    const long = await control.handle(createTopic('x'.repeat(128)), channel(1));
    assert.equal(long?.remark, 'The specified topic is longer than topic max length.');
    const missing = await control.handle(request(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'T', defaultTopic: 'TBW102', readQueueNums: '4', writeQueueNums: '4', topicFilterType: 'SINGLE_TAG' }), channel(1));
    assert.equal(missing?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(missing?.remark, 'the custom field <perm> is null');
  } finally {
    await done(env, control);
  }
});

test('send to an unknown topic: the TBW102 rule (min(4, 8) queues, perm 6)', async () => {
  const { env, control } = await started();
  try {
    env.bus.clear();
    const res = await control.handle(sendV2('NewTopic'), channel(1));
    assert.equal(res, null, 'the topic exists now');
    const t = control.topics.get('NewTopic');
    assert.deepEqual([t?.readQueueNums, t?.writeQueueNums, t?.perm, t?.topicFilterType], [4, 4, 6, 'SINGLE_TAG']);
    assert.equal(env.bus.topics.at(-1)?.upsert[0].config.topicName, 'NewTopic');
    assert.equal(env.registrations(), 1);

    // a send for a topic main already has (the worker replica lagged): published again
    env.bus.clear();
    assert.equal(await control.handle(sendV2('NewTopic'), channel(1)), null);
    assert.equal(env.bus.topics[0].upsert[0].config.topicName, 'NewTopic');

    // V1 header keys (Go, code 10)
    const v1 = request(RequestCode.SEND_MESSAGE, { producerGroup: 'pg', topic: 'GoTopic', defaultTopic: 'TBW102', defaultTopicQueueNums: '16', queueId: '0', sysFlag: '0', bornTimestamp: '0', flag: '0' }, 'x');
    assert.equal(await control.handle(v1, channel(1)), null);
    assert.equal(control.topics.get('GoTopic')?.writeQueueNums, 8, 'min(16, TBW102 8)');

    const forbidden = await control.handle(sendV2('SCHEDULE_TOPIC_XXXX'), channel(1));
    assert.equal(forbidden?.code, ResponseCode.NO_PERMISSION);
    assert.equal(forbidden?.remark, 'Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.');
    const badName = await control.handle(sendV2('bad/name'), channel(1));
    assert.equal(badName?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(badName?.serializeType, 1, 'answered in the request serialize type');
  } finally {
    await done(env, control);
  }
});

test('send to an unknown topic without auto-create: 17, except %RETRY% and %DLQ% topics', async () => {
  const { env, control } = await started({ autoCreateTopicEnable: false });
  try {
    const res = await control.handle(sendV2('NewTopic'), channel(1));
    assert.equal(res?.code, ResponseCode.TOPIC_NOT_EXIST);
    assert.equal(res?.remark?.split('\n')[0], 'topic[NewTopic] not exist, apply first please!');
    assert.equal(control.topics.get('NewTopic'), undefined);
    assert.equal(await control.handle(sendV2('NewTopic', true), channel(1)), null, 'oneway: never answered');

    assert.equal(await control.handle(sendV2('%RETRY%cg'), channel(1)), null);
    const retry = control.topics.get('%RETRY%cg');
    assert.deepEqual([retry?.readQueueNums, retry?.writeQueueNums, retry?.perm], [1, 1, 6]);
    assert.equal(await control.handle(sendV2('%DLQ%cg'), channel(1)), null);
    assert.deepEqual([control.topics.get('%DLQ%cg')?.writeQueueNums, control.topics.get('%DLQ%cg')?.perm], [1, 6]);
  } finally {
    await done(env, control);
  }
});

test('DELETE_TOPIC_IN_BROKER removes the config and the queues, not system topics', async () => {
  const { env, control } = await started();
  try {
    await control.handle(createTopic('Gone'), channel(1));
    env.bus.clear();
    const res = await control.handle(request(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'Gone' }), channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    assert.equal(control.topics.get('Gone'), undefined);
    assert.deepEqual(env.store.deleted, ['Gone']);
    assert.deepEqual(env.bus.topics[0].remove, ['Gone']);
    const sys = await control.handle(request(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'TBW102' }), channel(1));
    assert.equal(sys?.code, ResponseCode.SYSTEM_ERROR);
    assert.ok(control.topics.get('TBW102'));
  } finally {
    await done(env, control);
  }
});
