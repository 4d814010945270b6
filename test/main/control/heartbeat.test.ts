import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerControl } from '../../../src/main/control/broker-control.js';
import { ConsumerManager } from '../../../src/main/control/consumer-manager.js';
import { ProducerManager } from '../../../src/main/control/producer-manager.js';
import { decodeHeartbeat } from '../../../src/main/control/heartbeat.js';
import { RequestCode, ResponseCode } from '../../../src/shared/codes.js';
import { javaHashCode } from '../../../src/shared/storage/hash.js';
import { bodyJson, channel, heartbeatBody, makeEnv, request } from './helpers.js';

async function started() {
  const env = makeEnv();
  const control = new BrokerControl(env.ctx);
  await control.load();
  env.bus.clear();
  return { env, control };
}

test('heartbeat registers the consumer, creates %RETRY%<group> and publishes its subscriptions', async () => {
  const { env, control } = await started();
  try {
    const res = await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('10.0.0.1@a', [{ group: 'cg1', topics: [['TopicTest', 'TagA || TagB'], ['%RETRY%cg1', '*']] }], ['pg1'])), channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    assert.equal(res?.flag, 1);

    const retry = control.topics.get('%RETRY%cg1');
    assert.deepEqual([retry?.readQueueNums, retry?.writeQueueNums, retry?.perm], [1, 1, 6]);
    assert.ok(env.bus.topics.some((t) => t.upsert.some((u) => u.config.topicName === '%RETRY%cg1' && u.queueSlots.length === 1)));
    assert.ok(env.registrations() >= 1);
    assert.ok(control.groups.get('cg1'), 'subscription group auto-created');

    assert.equal(env.bus.subscriptions.length, 1);
    const pub = env.bus.subscriptions[0];
    assert.equal(pub.group, 'cg1');
    const sub = pub.subscriptions.find((x) => x.topic === 'TopicTest')!;
    assert.deepEqual(sub.tagsSet, ['TagA', 'TagB']);
    assert.deepEqual(sub.codeSet, [javaHashCode('TagA'), javaHashCode('TagB')]);

    // the first member of a group is told too (RocketMQ notifies every channel of the group)
    assert.equal(env.bus.sent.length, 1);
    assert.equal(env.bus.sent[0].cmd.code, RequestCode.NOTIFY_CONSUMER_IDS_CHANGED);
    assert.equal(env.bus.sent[0].cmd.flag & 2, 2, 'oneway');
    assert.deepEqual(env.bus.sent[0].cmd.extFields, { consumerGroup: 'cg1' });

    assert.equal(control.producers.connections('pg1')?.[0].clientId, '10.0.0.1@a');

    // a restarted worker gets the whole replica again
    env.bus.clear();
    control.republishAll();
    assert.ok(env.bus.topics[0].upsert.some((u) => u.config.topicName === '%RETRY%cg1'));
    assert.ok(env.bus.groups[0].upsert.some((g) => g.groupName === 'cg1'));
    assert.deepEqual(env.bus.subscriptions.map((x) => x.group), ['cg1']);
  } finally {
    await control.shutdown();
    env.cleanup();
  }
});

test('membership changes notify every channel of the group; a repeated heartbeat does not', async () => {
  const { env, control } = await started();
  try {
    const hbA = heartbeatBody('A', [{ group: 'cg', topics: [['T', '*']] }]);
    const hbB = heartbeatBody('B', [{ group: 'cg', topics: [['T', '*']] }]);
    await control.handle(request(RequestCode.HEART_BEAT, null, hbA), channel(1));
    env.bus.clear();

    await control.handle(request(RequestCode.HEART_BEAT, null, hbA), channel(1));
    assert.equal(env.bus.sent.length, 0, 'same member, same subscriptions');
    assert.equal(env.bus.subscriptions.length, 0);

    await control.handle(request(RequestCode.HEART_BEAT, null, hbB), channel(2));
    assert.deepEqual(env.bus.sent.map((s) => s.channel.connId).sort(), [1, 2]);
    assert.equal(env.bus.subscriptions.length, 0, 'subscriptions unchanged');

    const list = await control.handle(request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'cg' }), channel(1));
    assert.deepEqual(bodyJson(list).consumerIdList.sort(), ['A', 'B']);

    // one channel closes: the other is told
    env.bus.clear();
    control.onChannelClosed(channel(2));
    assert.deepEqual(env.bus.sent.map((s) => s.channel.connId), [1]);

    // last member unregisters: the group is gone and its subscriptions withdrawn
    env.bus.clear();
    const res = await control.handle(request(RequestCode.UNREGISTER_CLIENT, { clientID: 'A', consumerGroup: 'cg' }), channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    assert.deepEqual(env.bus.subscriptions, [{ group: 'cg', subscriptions: [] }]);
    const none = await control.handle(request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'cg' }), channel(1));
    assert.equal(none?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(none?.remark, 'no consumer for this group, cg');
  } finally {
    await control.shutdown();
    env.cleanup();
  }
});

test('a subscription change is published and notified; a newer subVersion is published only', async () => {
  const { env, control } = await started();
  try {
    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('A', [{ group: 'cg', topics: [['T1', '*']] }])), channel(1));
    env.bus.clear();
    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('A', [{ group: 'cg', topics: [['T1', '*'], ['T2', 'x']] }])), channel(1));
    assert.equal(env.bus.sent.length, 1);
    assert.deepEqual(env.bus.subscriptions[0].subscriptions.map((s) => s.topic).sort(), ['T1', 'T2']);

    env.bus.clear();
    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('A', [{ group: 'cg', topics: [['T1', 'a'], ['T2', 'x']], subVersion: 5 }])), channel(1));
    assert.equal(env.bus.sent.length, 0);
    assert.equal(env.bus.subscriptions.length, 1);
    assert.equal(env.bus.subscriptions[0].subscriptions.find((s) => s.topic === 'T1')?.subString, 'a');
  } finally {
    await control.shutdown();
    env.cleanup();
  }
});

test('channels silent for 120 s expire', () => {
  const env = makeEnv();
  try {
    let now = 1_000_000;
    const consumers = new ConsumerManager(env.bus, env.ctx.logger, () => true, () => now);
    const producers = new ProducerManager(env.ctx.logger, () => now);
    const reg = { consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', subscriptions: [] };
    consumers.register('cg', { channel: channel(1), clientId: 'A', language: 0, version: 409 }, reg);
    producers.register('pg', { channel: channel(1), clientId: 'A', language: 0, version: 409 });
    now += 60_000;
    consumers.register('cg', { channel: channel(2), clientId: 'B', language: 0, version: 409 }, reg);
    now += 60_001;
    env.bus.clear();
    consumers.scanExpired();
    producers.scanExpired();
    assert.deepEqual([...consumers.group('cg')!.channels.values()].map((c) => c.clientId), ['B']);
    assert.deepEqual(env.bus.sent.map((s) => s.channel.connId), [2], 'the remaining member rebalances');
    assert.equal(producers.connections('pg'), undefined);
    now += 60_000;
    consumers.scanExpired();
    assert.equal(consumers.group('cg'), undefined);
  } finally {
    env.cleanup();
  }
});

test('heartbeat decoding is lenient', () => {
  const hb = decodeHeartbeat(
    Buffer.from("{clientID:'c1',consumerDataSet:[{groupName:'g',consumeType:1,messageModel:'BROADCASTING',subscriptionDataSet:[{topic:'T',subString:'a||b',subVersion:'7'}]}],}"),
  );
  assert.equal(hb.clientID, 'c1');
  assert.deepEqual(hb.producerDataSet, []);
  const c = hb.consumerDataSet[0];
  assert.equal(c.consumeType, 'CONSUME_PASSIVELY');
  assert.equal(c.messageModel, 'BROADCASTING');
  assert.equal(c.consumeFromWhere, 'CONSUME_FROM_LAST_OFFSET');
  assert.deepEqual(c.subscriptionDataSet[0].tagsSet, ['a', 'b']);
  assert.deepEqual(c.subscriptionDataSet[0].codeSet, [javaHashCode('a'), javaHashCode('b')]);
  assert.equal(c.subscriptionDataSet[0].subVersion, 7);
  assert.throws(() => decodeHeartbeat(Buffer.from('not json')), /HeartbeatData/);
});
