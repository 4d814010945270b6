import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerControl } from '../../../src/main/control/broker-control.js';
import { RequestCode, ResponseCode } from '../../../src/shared/codes.js';
import { parseFastJson } from '../../../src/shared/storage/fastjson.js';
import { bodyJson, channel, heartbeatBody, makeEnv, mqKeyText, request, type TestEnv } from './helpers.js';

async function started(overrides = {}) {
  const env = makeEnv(overrides);
  const control = new BrokerControl(env.ctx);
  await control.load();
  const create = (topic: string, queues: number) =>
    control.handle(request(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic, defaultTopic: 'TBW102', readQueueNums: String(queues), writeQueueNums: String(queues), perm: '6', topicFilterType: 'SINGLE_TAG' }), channel(9));
  return { env, control, create };
}

async function done(env: TestEnv, control: BrokerControl) {
  await control.shutdown();
  env.cleanup();
}

test('GET_TOPIC_STATS_INFO: MessageQueue object keys; 17 for an unknown topic', async () => {
  const { env, control, create } = await started();
  try {
    await create('T', 2);
    env.store.put('T', 0, 5, 1_700_000_000_000);
    env.store.setMin('T', 0, 1);
    const res = await control.handle(request(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'T' }), channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    const text = res!.body!.toString();
    assert.ok(text.startsWith('{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":1700000000004,"maxOffset":5,"minOffset":1}'), text);
    const table = parseFastJson(text).offsetTable;
    assert.deepEqual(table[mqKeyText('T', 0)], { lastUpdateTimestamp: 1_700_000_000_004, maxOffset: 5, minOffset: 1 });
    assert.deepEqual(table[mqKeyText('T', 1)], { lastUpdateTimestamp: 0, maxOffset: 0, minOffset: 0 });

    const unknown = await control.handle(request(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'Nope' }), channel(1));
    assert.equal(unknown?.code, ResponseCode.TOPIC_NOT_EXIST);
    assert.equal(unknown?.remark, 'topic[Nope] not exist');
  } finally {
    await done(env, control);
  }
});

test('GET_TOPIC_CONFIG (RocketMQ 5 tools): the topic config in fastjson order; 17 for an unknown topic', async () => {
  const { env, control, create } = await started();
  try {
    await create('T', 2);
    const res = await control.handle(request(RequestCode.GET_TOPIC_CONFIG, { topic: 'T', lo: 'true' }), channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    assert.equal(res!.body!.toString(), '{"order":false,"perm":6,"readQueueNums":2,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":2}');

    const unknown = await control.handle(request(RequestCode.GET_TOPIC_CONFIG, { topic: 'Nope' }), channel(1));
    assert.equal(unknown?.code, ResponseCode.TOPIC_NOT_EXIST);
    assert.equal(unknown?.remark, 'No topic in this broker. topic: Nope');
  } finally {
    await done(env, control);
  }
});

test('GET_CONSUME_STATS and GET_BROKER_CONSUME_STATS', async () => {
  const { env, control, create } = await started();
  try {
    await create('T', 2);
    env.store.put('T', 0, 10, 1000);
    env.store.put('T', 1, 4, 2000);
    control.commitOffset('cg', 'T', 0, 6);
    const res = await control.handle(request(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'cg' }), channel(1));
    const text = res!.body!.toString();
    assert.ok(text.startsWith('{"consumeTps":0.0,"offsetTable":{{"brokerName"'), text);
    const stats = parseFastJson(text);
    assert.deepEqual(stats.offsetTable[mqKeyText('T', 0)], { brokerOffset: 10, consumerOffset: 6, lastTimestamp: 1005 });
    assert.deepEqual(stats.offsetTable[mqKeyText('T', 1)], { brokerOffset: 4, consumerOffset: 0, lastTimestamp: 0 });

    const none = bodyJson(await control.handle(request(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'nobody', topic: '' }), channel(1)));
    assert.deepEqual(none, { consumeTps: 0, offsetTable: {} });

    await control.handle(request(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, null, JSON.stringify({ groupName: 'cg' })), channel(1));
    const list = bodyJson(await control.handle(request(317, { isOrder: 'false' }), channel(1)));
    assert.equal(list.brokerAddr, '10.0.0.1:10911');
    assert.equal(list.totalDiff, 8);
    const cg = list.consumeStatsList.find((m: Record<string, unknown>) => 'cg' in m).cg;
    assert.equal(cg.length, 1);
    assert.equal(cg[0].offsetTable[mqKeyText('T', 0)].consumerOffset, 6);
  } finally {
    await done(env, control);
  }
});

test('GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST, QUERY_TOPIC_CONSUME_BY_WHO', async () => {
  const { env, control } = await started();
  try {
    const offline = await control.handle(request(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'cg' }), channel(1));
    assert.equal(offline?.code, ResponseCode.CONSUMER_NOT_ONLINE);
    assert.equal(offline?.remark, 'the consumer group[cg] not online');

    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('10.0.0.1@1', [{ group: 'cg', topics: [['T', 'TagA']] }], ['pg']), { language: 9, version: 317 }), channel(1));
    const res = await control.handle(request(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'cg' }), channel(1));
    const text = res!.body!.toString();
    assert.ok(text.startsWith('{"connectionSet":[{"clientAddr":"10.0.0.1:51000","clientId":"10.0.0.1@1","language":"GO","version":317}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"T":{"classFilterMode":false,"codeSet":['), text);
    assert.deepEqual(parseFastJson(text).subscriptionTable.T.tagsSet, ['TagA']);

    const producers = bodyJson(await control.handle(request(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'pg' }), channel(1)));
    assert.equal(producers.connectionSet[0].clientId, '10.0.0.1@1');
    const noProducer = await control.handle(request(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'x' }), channel(1));
    assert.equal(noProducer?.remark, 'the producer group[x] not exist');

    assert.deepEqual(bodyJson(await control.handle(request(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic: 'T' }), channel(1))), { groupList: ['cg'] });
  } finally {
    await done(env, control);
  }
});

test('GET_BROKER_CONFIG and UPDATE_BROKER_CONFIG', async () => {
  const { env, control } = await started();
  try {
    const res = await control.handle(request(RequestCode.GET_BROKER_CONFIG), channel(1));
    const lines = res!.body!.toString().split('\n');
    assert.ok(lines.includes('brokerName=broker-a'));
    assert.ok(lines.includes('autoCreateTopicEnable=true'));
    const version = JSON.parse(res!.extFields!.version);
    assert.deepEqual(Object.keys(version), ['counter', 'timestamp']);

    const update = await control.handle(request(RequestCode.UPDATE_BROKER_CONFIG, null, 'autoCreateTopicEnable=false\nlistenPort=10000\nfoo=bar\n'), channel(1));
    assert.equal(update?.code, ResponseCode.SUCCESS);
    assert.match(update!.remark!, /need a restart: listenPort/);
    assert.match(update!.remark!, /unknown, ignored: foo/);
    assert.equal(env.ctx.config.autoCreateTopicEnable, false);
    assert.equal(env.ctx.config.listenPort, 10911);
    const after = await control.handle(request(RequestCode.GET_BROKER_CONFIG), channel(1));
    assert.equal(JSON.parse(after!.extFields!.version).counter, version.counter + 1);

    const registrations = env.registrations();
    const topicVersion = control.topics.dataVersion.counter;
    assert.equal((await control.handle(request(RequestCode.UPDATE_BROKER_CONFIG, null, 'brokerPermission=4'), channel(1)))?.remark, null);
    assert.equal(env.ctx.config.brokerPermission, 4);
    assert.equal(control.topics.dataVersion.counter, topicVersion + 1);
    assert.equal(env.registrations(), registrations + 1);

    const bad = await control.handle(request(RequestCode.UPDATE_BROKER_CONFIG, null, 'defaultTopicQueueNums=many'), channel(1));
    assert.equal(bad?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(env.ctx.config.defaultTopicQueueNums, 8);
    const black = await control.handle(request(RequestCode.UPDATE_BROKER_CONFIG, null, 'rocketmqHome=/x'), channel(1));
    assert.equal(black?.code, ResponseCode.NO_PERMISSION);
  } finally {
    await done(env, control);
  }
});

test('GET_BROKER_RUNTIME_INFO: KVTable of strings with the 4.9 keys', async () => {
  const { env, control } = await started();
  try {
    env.store.clMin = 0;
    env.store.clMax = 123456;
    const kv = bodyJson(await control.handle(request(RequestCode.GET_BROKER_RUNTIME_INFO), channel(1)));
    const t = kv.table;
    assert.equal(t.brokerVersion, '409');
    assert.equal(t.brokerVersionDesc, 'V4_9_8');
    assert.equal(t.commitLogMaxOffset, '123456');
    assert.equal(t.commitLogMinOffset, '0');
    assert.match(t.runtime, /^\[ \d+ days, \d+ hours, \d+ minutes, \d+ seconds \]$/);
    assert.ok(Number(t.bootTimestamp) > 1_600_000_000_000);
    assert.equal(t.putTps.split(' ').length, 3);
    for (const key of ['msgPutTotalTodayNow', 'msgGetTotalTodayNow', 'getTransferedTps', 'commitLogDiskRatio', 'consumeQueueDiskRatio', 'pageCacheLockTimeMills', 'earliestMessageTimeStamp', 'dispatchBehindBytes', 'putLatency99']) {
      assert.equal(typeof t[key], 'string', key);
    }
    assert.match(t.commitLogDirCapacity, /^Total : [\d.]+ [KMGTPE]?i?B, Free : [\d.]+ [KMGTPE]?i?B\.$/);
    for (const v of Object.values(t)) assert.equal(typeof v, 'string');
  } finally {
    await done(env, control);
  }
});

test('unknown code, oneway, missing field, SYSTEM_ERROR instead of throwing', async () => {
  const { env, control } = await started();
  try {
    const unknown = await control.handle(request(9999, null, null, { serializeType: 1 }), channel(1));
    assert.equal(unknown?.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    assert.equal(unknown?.remark, ' request type 9999 not supported');
    assert.equal(unknown?.serializeType, 1);
    const req = request(RequestCode.GET_TOPIC_STATS_INFO, {});
    const missing = await control.handle(req, channel(1));
    assert.equal(missing?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(missing?.remark, 'the custom field <topic> is null');
    assert.equal(missing?.opaque, req.opaque);
    assert.equal(missing?.flag, 1);
    assert.equal(await control.handle(request(9999, null, null, { oneway: true }), channel(1)), null);
    assert.equal(await control.handle(request(RequestCode.GET_TOPIC_STATS_INFO, {}, null, { oneway: true }), channel(1)), null);
    const notNumber = await control.handle(request(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'g', topic: 'T', queueId: 'x' }), channel(1));
    assert.equal(notNumber?.code, ResponseCode.SYSTEM_ERROR);
    env.store.deleteTopic = () => Promise.reject(new Error('disk on fire'));
    await control.handle(request(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'D', defaultTopic: 'TBW102', readQueueNums: '1', writeQueueNums: '1', perm: '6', topicFilterType: 'SINGLE_TAG' }), channel(1));
    const failed = await control.handle(request(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'D' }), channel(1));
    assert.equal(failed?.code, ResponseCode.SYSTEM_ERROR);
    assert.match(failed!.remark!, /disk on fire/);
  } finally {
    await done(env, control);
  }
});

test('INVOKE_BROKER_TO_RESET_OFFSET tells every consumer (list body for C++ admins)', async () => {
  const { env, control, create } = await started();
  try {
    await create('T', 2);
    env.store.put('T', 0, 10, 1000);
    env.store.put('T', 1, 10, 5000);
    const reset = (language = 0, isForce = 'true', timestamp = '1003') =>
      request(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic: 'T', group: 'cg', timestamp, isForce }, null, { language });

    const noGroup = await control.handle(reset(), channel(1));
    assert.equal(noGroup?.remark, 'THe consumer group <cg> not exist');
    control.commitOffset('cg', 'T', 0, 8);
    control.commitOffset('cg', 'T', 1, 2);
    const offline = await control.handle(reset(), channel(1));
    assert.equal(offline?.code, ResponseCode.CONSUMER_NOT_ONLINE);

    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('A', [{ group: 'cg', topics: [['T', '*']] }])), channel(1));
    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('B', [{ group: 'cg', topics: [['T', '*']] }])), channel(2));
    env.bus.clear();
    const res = await control.handle(reset(), channel(3));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    const table = bodyJson(res).offsetTable;
    assert.equal(table[mqKeyText('T', 0)], 3);
    assert.equal(table[mqKeyText('T', 1)], 0);
    assert.equal(env.bus.sent.length, 2);
    const sent = env.bus.sent[0].cmd;
    assert.equal(sent.code, RequestCode.RESET_CONSUMER_CLIENT_OFFSET);
    assert.equal(sent.flag & 2, 2);
    assert.deepEqual(sent.extFields, { topic: 'T', group: 'cg', timestamp: '1003', isForce: 'false' });
    assert.equal(Buffer.from(sent.body!).toString(), res!.body!.toString());

    // not forced: only moves back
    env.bus.clear();
    const soft = bodyJson(await control.handle(reset(0, 'false', '-1'), channel(3))).offsetTable;
    assert.equal(soft[mqKeyText('T', 0)], 8);
    assert.equal(soft[mqKeyText('T', 1)], 2);

    env.bus.clear();
    await control.handle(reset(1), channel(3));
    const cBody = bodyJson({ body: env.bus.sent[0].cmd.body });
    assert.deepEqual(cBody.offsetTable[0], { brokerName: 'broker-a', offset: 3, queueId: 0, topic: 'T' });
  } finally {
    await done(env, control);
  }
});

test('GET_CONSUMER_RUNNING_INFO is relayed to the client', async () => {
  const { env, control } = await started();
  try {
    const ask = () => request(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'cg', clientId: 'A', jstackEnable: 'false' });
    const offline = await control.handle(ask(), channel(1));
    assert.equal(offline?.remark, 'The Consumer <cg> <A> not online');

    await control.handle(request(RequestCode.HEART_BEAT, null, heartbeatBody('A', [{ group: 'cg', topics: [['T', '*']] }])), channel(4));
    env.bus.reply = async (cmd) => ({ ...cmd, code: 0, flag: 1, remark: null, extFields: null, body: Buffer.from('{"properties":{}}') });
    const req = ask();
    const res = await control.handle(req, channel(1));
    assert.equal(res?.code, ResponseCode.SUCCESS);
    assert.equal(res?.opaque, req.opaque);
    assert.equal(res?.body?.toString(), '{"properties":{}}');
    assert.equal(env.bus.invoked[0].channel.connId, 4);
    assert.equal(env.bus.invoked[0].timeoutMs, 10_000);
    assert.deepEqual(env.bus.invoked[0].cmd.extFields, { consumerGroup: 'cg', clientId: 'A', jstackEnable: 'false' });

    env.bus.reply = () => Promise.reject(new Error('invoke timeout after 10000 ms'));
    assert.equal((await control.handle(ask(), channel(1)))?.code, 207);
  } finally {
    await done(env, control);
  }
});

test('subscription groups: create, list, delete with offsets; built-ins', async () => {
  const { env, control } = await started({ autoCreateSubscriptionGroup: false });
  try {
    const all = bodyJson(await control.handle(request(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG), channel(1)));
    assert.deepEqual(Object.keys(all.subscriptionGroupTable).sort(), ['CID_ONS-HTTP-PROXY', 'CID_ONSAPI_OWNER', 'CID_ONSAPI_PERMISSION', 'CID_ONSAPI_PULL', 'FILTERSRV_CONSUMER', 'SELF_TEST_C_GROUP', 'TOOLS_CONSUMER']);
    assert.equal(all.subscriptionGroupTable.CID_ONSAPI_PULL.consumeBroadcastEnable, true);
    assert.equal(all.subscriptionGroupTable.TOOLS_CONSUMER.consumeBroadcastEnable, false);

    assert.equal(control.groups.find('cg'), undefined, 'no auto-create');
    assert.ok(control.groups.find('CID_RMQ_SYS_TRANS'), 'system groups always');

    env.bus.clear();
    const created = await control.handle(request(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, null, JSON.stringify({ groupName: 'cg', retryMaxTimes: 3, consumeBroadcastEnable: false })), channel(1));
    assert.equal(created?.code, ResponseCode.SUCCESS);
    assert.deepEqual(env.bus.groups[0].upsert, [{ groupName: 'cg', consumeEnable: true, consumeBroadcastEnable: false, retryQueueNums: 1, retryMaxTimes: 3 }]);

    control.commitOffset('cg', 'T', 0, 5);
    const del = await control.handle(request(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: 'cg', removeOffset: 'true' }), channel(1));
    assert.equal(del?.code, ResponseCode.SUCCESS);
    assert.equal(control.groups.get('cg'), undefined);
    assert.equal(control.offsets.query('cg', 'T', 0), -1);
    assert.deepEqual(env.bus.groups.at(-1)?.remove, ['cg']);

    await control.groups.flush();
    const again = new BrokerControl(makeEnv({}, env.dir).ctx);
    await again.load();
    assert.ok(again.groups.get('CID_RMQ_SYS_TRANS'));
    await again.shutdown();
  } finally {
    await done(env, control);
  }
});

test('small admin codes: 305, 45, 46, 303', async () => {
  const { env, control, create } = await started();
  try {
    const sys = bodyJson(await control.handle(request(305), channel(1))).topicList;
    for (const t of ['TBW102', 'SCHEDULE_TOPIC_XXXX', 'DefaultCluster', 'broker-a', 'DefaultCluster_REPLY_TOPIC']) assert.ok(sys.includes(t), t);
    assert.equal((await control.handle(request(RequestCode.GET_ALL_DELAY_OFFSET), channel(1)))?.body?.toString(), '{"offsetTable":{}}');
    mkdirSync(join(env.dir, 'config'), { recursive: true });
    writeFileSync(join(env.dir, 'config', 'delayOffset.json'), '{\n\t"offsetTable":{1:3,2:0\n\t}\n}');
    env.store.put('SCHEDULE_TOPIC_XXXX', 0, 5);
    assert.equal((await control.handle(request(RequestCode.GET_ALL_DELAY_OFFSET), channel(1)))?.body?.toString(), '{"offsetTable":{1:3,2:0}}');
    const kv = bodyJson(await control.handle(request(RequestCode.GET_BROKER_RUNTIME_INFO), channel(1))).table;
    assert.equal(kv.scheduleMessageOffset_1, '3,5');
    assert.equal(kv.scheduleMessageOffset_18, '0,0');

    const check = (type: string) => request(RequestCode.CHECK_CLIENT_CONFIG, null, JSON.stringify({ clientId: 'A', group: 'cg', subscriptionData: { topic: 'T', subString: 'a > 1', expressionType: type } }));
    assert.equal((await control.handle(check('TAG'), channel(1)))?.code, ResponseCode.SUCCESS);
    const sql = await control.handle(check('SQL92'), channel(1));
    assert.equal(sql?.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(sql?.remark, 'The broker does not support consumer to filter message by SQL92');

    await create('T', 1);
    env.store.put('T', 0, 4, 1000);
    control.commitOffset('cg', 'T', 0, 2);
    const span = bodyJson(await control.handle(request(303, { topic: 'T', group: 'cg' }), channel(1))).consumeTimeSpanSet[0];
    assert.deepEqual([span.minTimeStamp, span.maxTimeStamp, span.consumeTimeStamp], [1000, 1003, 1001]);
    assert.deepEqual(span.messageQueue, { brokerName: 'broker-a', queueId: 0, topic: 'T' });
  } finally {
    await done(env, control);
  }
  const sqlOn = await started({ enablePropertyFilter: true });
  try {
    const req = request(RequestCode.CHECK_CLIENT_CONFIG, null, JSON.stringify({ subscriptionData: { topic: 'T', subString: 'a > 1', expressionType: 'SQL92' } }));
    assert.equal((await sqlOn.control.handle(req, channel(1)))?.code, ResponseCode.SUCCESS);
  } finally {
    await done(sqlOn.env, sqlOn.control);
  }
});
