import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  JsonRaw,
  canonicalJson,
  jsonDouble,
  parseFastJson,
  stringifyFastJson,
  stringifyObjectKeyMap,
} from '../../../src/shared/storage/fastjson.js';

const MQ_KEY = '{"brokerName":"b","queueId":0,"topic":"T"}';

/** parse, then write back with the same habits; must give the same text. */
function roundTrip(text: string, unquotedIntKeys = false): void {
  assert.equal(stringifyFastJson(parseFastJson(text), { unquotedIntKeys }), text);
}

/** Re-emit a parsed object-keyed map: its keys are canonical JSON text. */
const rawKeys = (o: Record<string, unknown>) => new Map(Object.entries(o).map(([k, v]) => [new JsonRaw(k), v]));

test('route body with unquoted brokerAddrs keys (§3.11)', () => {
  const text =
    '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],' +
    '"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}';
  const r = parseFastJson(text);
  assert.equal(r.brokerDatas[0].brokerAddrs['0'], '10.0.0.1:10911');
  assert.equal(r.brokerDatas[0].brokerAddrs['1'], '10.0.0.2:10911');
  assert.equal(r.queueDatas[0].writeQueueNums, 4);
  assert.deepEqual(r.filterServerTable, {});
  roundTrip(text, true);
  // the standard-JSON variant Java sends to version >= 401 clients
  const quoted = text.replace('{0:', '{"0":').replace(',1:', ',"1":');
  assert.deepEqual(parseFastJson(quoted), r);
  assert.equal(stringifyFastJson(r), quoted);
  assert.deepEqual(JSON.parse(quoted), r);
});

test('brokerAddrs from a Map<number, string>: unquoted only when asked', () => {
  const addrs = new Map([[0, '10.0.0.1:10911']]);
  assert.equal(stringifyFastJson({ brokerAddrs: addrs }, { unquotedIntKeys: true }), '{"brokerAddrs":{0:"10.0.0.1:10911"}}');
  assert.equal(stringifyFastJson({ brokerAddrs: addrs }), '{"brokerAddrs":{"0":"10.0.0.1:10911"}}');
});

test('REGISTER_BROKER body and 5.x TopicConfig with attributes (§3.11)', () => {
  const text =
    '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"timestamp":1700000000000},' +
    '"topicConfigTable":{"TopicTest":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",' +
    '"topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}';
  const r = parseFastJson(text);
  assert.deepEqual(r.filterServerList, []);
  assert.equal(r.topicConfigSerializeWrapper.topicConfigTable.TopicTest.perm, 6);
  roundTrip(text);
});

test('ClusterInfo, KVTable, TopicList, GroupList, DataVersion (§3.11, §3.13)', () => {
  const cluster =
    '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},' +
    '"clusterAddrTable":{"DefaultCluster":["broker-a"]}}';
  assert.deepEqual(parseFastJson(cluster).clusterAddrTable, { DefaultCluster: ['broker-a'] });
  roundTrip(cluster, true);
  for (const t of [
    '{"table":{"k":"v","topicA":"brokerA:4;brokerB:4"}}',
    '{"table":{}}',
    '{"topicList":["a","b"]}',
    '{"brokerAddr":"10.0.0.1:10911","topicList":["DefaultCluster","broker-a"]}',
    '{"groupList":["g1"]}',
    '{"counter":5,"timestamp":1700000000000}',
    '{"counter":5,"stateVersion":0,"timestamp":1700000000000}',
  ]) {
    roundTrip(t);
    assert.deepEqual(parseFastJson(t), JSON.parse(t));
  }
});

test('admin bodies with MessageQueue object keys (§3.12, §3.14)', () => {
  const stats =
    `{"offsetTable":{{"brokerName":"broker-a","queueId":3,"topic":"MyTopic"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":12,"minOffset":0},` +
    `{"brokerName":"broker-a","queueId":0,"topic":"MyTopic"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}}}`;
  const s = parseFastJson(stats);
  const k3 = '{"brokerName":"broker-a","queueId":3,"topic":"MyTopic"}';
  assert.deepEqual(Object.keys(s.offsetTable), [k3, '{"brokerName":"broker-a","queueId":0,"topic":"MyTopic"}']);
  assert.equal(s.offsetTable[k3].maxOffset, 12);
  assert.deepEqual(JSON.parse(k3), { brokerName: 'broker-a', queueId: 3, topic: 'MyTopic' });
  assert.equal(stringifyFastJson({ offsetTable: rawKeys(s.offsetTable) }), stats);

  const consumeStats = `{"consumeTps":0.0,"offsetTable":{${MQ_KEY}:{"brokerOffset":3,"consumerOffset":1,"lastTimestamp":1700000000000}}}`;
  const c = parseFastJson(consumeStats);
  assert.equal(c.consumeTps, 0);
  assert.equal(c.offsetTable[MQ_KEY].brokerOffset, 3);
  assert.equal(
    stringifyFastJson({ consumeTps: jsonDouble(c.consumeTps), offsetTable: rawKeys(c.offsetTable) }),
    consumeStats,
  );

  const reset = `{"offsetTable":{${MQ_KEY}:15}}`;
  assert.equal(parseFastJson(reset).offsetTable[MQ_KEY], 15);
  assert.equal(stringifyFastJson({ offsetTable: rawKeys(parseFastJson(reset).offsetTable) }), reset);
  roundTrip('{"offsetTable":[{"brokerName":"b","offset":15,"queueId":0,"topic":"T"}]}'); // ResetOffsetBodyForC
});

test('object keys are canonicalised (sorted) whatever their member order or spacing', () => {
  const r = parseFastJson('{"offsetTable":{ { "topic":"T", "queueId":0, "brokerName":"b" } : 7 }}');
  assert.deepEqual(Object.keys(r.offsetTable), [MQ_KEY]);
  assert.equal(canonicalJson({ b: { d: 1, c: [2, { f: 1, e: 2 }] }, a: null }), '{"a":null,"b":{"c":[2,{"e":2,"f":1}],"d":1}}');
});

test('connection, stats and time-span bodies (§3.12)', () => {
  for (const t of [
    '{"connectionSet":[{"clientAddr":"10.0.0.9:50000","clientId":"10.0.0.9@1234","language":"JAVA","version":409}],' +
      '"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",' +
      '"subscriptionTable":{"TopicTest":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000000,"tagsSet":[],"topic":"TopicTest"}}}',
    '{"connectionSet":[{"clientAddr":"10.0.0.9:50001","clientId":"p1","language":"GO","version":317}]}',
    '{"statsDay":{"avgpt":0,"sum":0,"tps":0},"statsHour":{"avgpt":0,"sum":12,"tps":0},"statsMinute":{"avgpt":0,"sum":1,"tps":0}}',
    '{"brokerAddr":"10.0.0.1:10911","consumeStatsList":[{"cg1":[{"offsetTable":{}}]}],"totalDiff":0}',
    `{"consumeTimeSpanSet":[{"consumeTimeStamp":1,"delayTime":2,"maxTimeStamp":3,"messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"minTimeStamp":0}]}`,
    '{"code":0,"extFields":{"msgId":"0A00000500002A9F0000000000001F40","queueId":"3"},"flag":1}',
  ]) {
    roundTrip(t);
    assert.deepEqual(parseFastJson(t), JSON.parse(t));
  }
});

test('raw integer map keys (§3.14, §6.6)', () => {
  roundTrip('{0:"addr"}', true);
  roundTrip('{"offsetTable":{"T@g":{0:12,1:7}}}', true);
  roundTrip('{"offsetTable":{"TopicTest@cg1":{0:15,1:12}}}', true);
  roundTrip('{"offsetTable":{1:0,2:5,3:9}}', true);
  const r = parseFastJson('{"offsetTable":{"TopicTest@cg1":{0:15,1:12}}}');
  assert.deepEqual(r, { offsetTable: { 'TopicTest@cg1': { '0': 15, '1': 12 } } });
  assert.deepEqual(parseFastJson('{-1:3}'), { '-1': 3 });
});

test('topics.json example of §6.6 as printed (with line breaks)', () => {
  const text = `{"dataVersion":{"counter":7,"timestamp":1700000000000},
 "topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",
   "topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}`;
  const r = parseFastJson(text);
  assert.equal(r.dataVersion.counter, 7);
  assert.equal(r.topicConfigTable.TopicTest.topicFilterType, 'SINGLE_TAG');
  assert.equal(stringifyFastJson(r), text.replace(/\n\s*/g, ''));
});

test('pretty output matches fastjson PrettyFormat files', () => {
  const offsets = [
    '{',
    '\t"offsetTable":{',
    '\t\t"%RETRY%cg1@cg1":{0:0',
    '\t\t},',
    '\t\t"TopicTest@cg1":{0:0,1:1,2:0,3:0',
    '\t\t}',
    '\t}',
    '}',
  ].join('\n');
  const parsed = parseFastJson(offsets);
  assert.deepEqual(parsed.offsetTable['TopicTest@cg1'], { '0': 0, '1': 1, '2': 0, '3': 0 });
  assert.equal(stringifyFastJson(parsed, { pretty: true, unquotedIntKeys: true }), offsets);

  const topics = [
    '{',
    '\t"dataVersion":{',
    '\t\t"counter":5,',
    '\t\t"timestamp":1682946169710',
    '\t},',
    '\t"topicConfigTable":{',
    '\t\t"TopicTest":{',
    '\t\t\t"order":false,',
    '\t\t\t"perm":6,',
    '\t\t\t"readQueueNums":4,',
    '\t\t\t"topicFilterType":"SINGLE_TAG",',
    '\t\t\t"topicName":"TopicTest",',
    '\t\t\t"topicSysFlag":0,',
    '\t\t\t"writeQueueNums":4',
    '\t\t}',
    '\t}',
    '}',
  ].join('\n');
  assert.equal(stringifyFastJson(parseFastJson(topics), { pretty: true }), topics);
  assert.equal(stringifyFastJson({ filterDataByTopic: {} }, { pretty: true }), '{\n\t"filterDataByTopic":{}\n}');
  assert.equal(stringifyFastJson({ a: [1, 2], b: [] }, { pretty: true }), '{\n\t"a":[\n\t\t1,\n\t\t2\n\t],\n\t"b":[]\n}');
});

test('stringify habits: nulls omitted, raw text, doubles, bytes, sets, dates', () => {
  assert.equal(stringifyFastJson({ a: 1, b: null, c: undefined, d: 'x' }), '{"a":1,"d":"x"}');
  assert.equal(stringifyFastJson(new Map<string, unknown>([['k', null], ['j', 2]])), '{"j":2}');
  assert.equal(stringifyFastJson([null, 1]), '[null,1]');
  assert.equal(stringifyFastJson({ v: new JsonRaw('{1:2}') }), '{"v":{1:2}}');
  assert.equal(stringifyFastJson({ tps: jsonDouble(0) }), '{"tps":0.0}');
  assert.equal(jsonDouble(2.5).text, '2.5');
  assert.equal(jsonDouble(-3).text, '-3.0');
  assert.equal(stringifyFastJson({ b: Buffer.from('hi') }), '{"b":"aGk="}');
  assert.equal(stringifyFastJson({ s: new Set(['a', 'b']) }), '{"s":["a","b"]}');
  assert.equal(stringifyFastJson({ t: new Date(1700000000000) }), '{"t":1700000000000}');
  assert.equal(stringifyFastJson({ q: 'a"b\\c\n\u0001é' }), '{"q":"a\\"b\\\\c\\n\\u0001é"}');
  assert.equal(stringifyFastJson({ n: NaN, i: Infinity, big: 12n }), '{"n":null,"i":null,"big":12}');
  // a String-keyed Map keeps "123" quoted even with unquotedIntKeys (Java String key)
  assert.equal(stringifyFastJson(new Map([['123', 1]]), { unquotedIntKeys: true }), '{"123":1}');
  assert.equal(stringifyFastJson({ '123': 1 }, { unquotedIntKeys: true }), '{123:1}');
  assert.equal(stringifyFastJson({ '123': 1 }), '{"123":1}');
});

test('stringifyObjectKeyMap writes bean keys as JSON objects', () => {
  const raw = stringifyObjectKeyMap([
    [{ brokerName: 'b', queueId: 0, topic: 'T' }, { brokerOffset: 3, consumerOffset: 1, lastTimestamp: 0 }],
    [{ brokerName: 'b', queueId: 1, topic: 'T' }, { brokerOffset: 4, consumerOffset: 4, lastTimestamp: 0 }],
  ]);
  assert.ok(raw instanceof JsonRaw);
  const text = stringifyFastJson({ consumeTps: jsonDouble(0), offsetTable: raw });
  assert.equal(
    text,
    '{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":3,"consumerOffset":1,"lastTimestamp":0},' +
      '{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":4,"consumerOffset":4,"lastTimestamp":0}}}',
  );
  assert.equal(parseFastJson(text).offsetTable[MQ_KEY].brokerOffset, 3);
  assert.equal(stringifyObjectKeyMap([]).text, '{}');
});

test('lenient parsing: single quotes, identifier keys, trailing commas, escapes, suffixes', () => {
  assert.deepEqual(parseFastJson(`{'a':'it\\'s', b : "x", $c_1: 2,}`), { a: "it's", b: 'x', $c_1: 2 });
  assert.deepEqual(parseFastJson('[1, 2.5, -3e2, true, false, null,]'), [1, 2.5, -300, true, false, null]);
  assert.deepEqual(parseFastJson('"\\u00e9\\/\\t\\x41"'), 'é/\tA');
  assert.deepEqual(parseFastJson('\ufeff {"a":12L}'), { a: 12 });
  assert.deepEqual(parseFastJson('{"a":"中文"}'), { a: '中文' });
  const o = parseFastJson('{"__proto__":{"x":1}}');
  assert.deepEqual(Object.keys(o), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
});

test('parse errors are SyntaxErrors', () => {
  for (const bad of ['', '{', '{"a"}', '{"a":1 "b":2}', '[1 2]', '"abc', 'nope', '{"a":1}x', '{:1}']) {
    assert.throws(() => parseFastJson(bad), SyntaxError, JSON.stringify(bad));
  }
});
