import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeConsumerOffsetJson,
  decodeDelayOffsetJson,
  decodeSubscriptionGroupJson,
  decodeTopicsJson,
  defaultSubscriptionGroupConfig,
  defaultTopicConfig,
  encodeConsumerOffsetJson,
  encodeDelayOffsetJson,
  encodeSubscriptionGroupJson,
  encodeTopicsJson,
  type TopicConfig,
} from '../../../src/shared/storage/config-files.js';

const topicTest: TopicConfig = {
  topicName: 'TopicTest',
  readQueueNums: 4,
  writeQueueNums: 4,
  perm: 6,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: 0,
  order: false,
};

const TOPICS_DOC =
  '{"dataVersion":{"counter":7,"timestamp":1700000000000},' +
  '"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",' +
  '"topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}';

// JSON.toJSONString(new SubscriptionGroupConfig("MyGroup")) on a 5.x broker
const SUBGROUP_5X =
  '{"attributes":{},"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,' +
  '"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"MyGroup","groupRetryPolicy":{"type":"CUSTOMIZED"},' +
  '"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}';

test('topics.json: compact encoding equals the §6.6 example', () => {
  const text = encodeTopicsJson({ counter: 7, timestamp: 1700000000000 }, new Map([['TopicTest', topicTest]]), { pretty: false });
  assert.equal(text, TOPICS_DOC);
});

test('topics.json: decode the example, defaults for missing fields, round trip pretty', () => {
  const d = decodeTopicsJson(TOPICS_DOC);
  assert.deepEqual(d.dataVersion, { counter: 7, timestamp: 1700000000000 });
  assert.deepEqual(d.topicConfigTable.get('TopicTest'), topicTest);
  const partial = decodeTopicsJson('{"topicConfigTable":{"T2":{"perm":"4","order":"true","topicFilterType":"MULTI_TAG"}}}');
  assert.deepEqual(partial.topicConfigTable.get('T2'), {
    ...defaultTopicConfig('T2'),
    perm: 4,
    order: true,
    topicFilterType: 'MULTI_TAG',
  });
  assert.deepEqual(partial.dataVersion, { counter: 0, timestamp: 0 });
  const five: TopicConfig = { ...topicTest, topicName: 'T5', attributes: { '+message.type': 'NORMAL' } };
  const table = new Map([
    ['TopicTest', topicTest],
    ['T5', five],
  ]);
  const pretty = encodeTopicsJson({ counter: 1, timestamp: 2, stateVersion: 0 }, table);
  assert.ok(pretty.startsWith('{\n\t"dataVersion":{\n\t\t"counter":1,\n\t\t"stateVersion":0,\n\t\t"timestamp":2\n\t},'));
  assert.ok(pretty.includes('\t\t"T5":{\n\t\t\t"attributes":{\n\t\t\t\t"+message.type":"NORMAL"\n\t\t\t},\n\t\t\t"order":false,'));
  const back = decodeTopicsJson(pretty);
  assert.deepEqual([...back.topicConfigTable], [...table]);
  assert.deepEqual(back.dataVersion, { counter: 1, timestamp: 2, stateVersion: 0 });
});

test('consumerOffset.json: unquoted queue ids, as Java writes it', () => {
  const table = new Map([['TopicTest@cg1', new Map([[1, 12], [0, 15]])]]);
  assert.equal(encodeConsumerOffsetJson(table, { pretty: false }), '{"offsetTable":{"TopicTest@cg1":{0:15,1:12}}}');
  assert.equal(
    encodeConsumerOffsetJson(table),
    '{\n\t"offsetTable":{\n\t\t"TopicTest@cg1":{0:15,1:12\n\t\t}\n\t}\n}',
  );
  assert.equal(
    encodeConsumerOffsetJson(table, { pretty: false, dataVersion: { counter: 1, timestamp: 5 } }),
    '{"dataVersion":{"counter":1,"timestamp":5},"offsetTable":{"TopicTest@cg1":{0:15,1:12}}}',
  );
});

test('consumerOffset.json: decode compact, pretty fastjson, quoted and 5.x forms', () => {
  const expected = [['TopicTest@cg1', [[0, 15], [1, 12]]]];
  const flat = (m: Map<string, Map<number, number>>) => [...m].map(([k, v]) => [k, [...v]]);
  assert.deepEqual(flat(decodeConsumerOffsetJson('{"offsetTable":{"TopicTest@cg1":{0:15,1:12}}}')), expected);
  assert.deepEqual(flat(decodeConsumerOffsetJson('{\n\t"offsetTable":{\n\t\t"TopicTest@cg1":{0:15,1:12\n\t\t}\n\t}\n}')), expected);
  assert.deepEqual(
    flat(decodeConsumerOffsetJson('{"dataVersion":{"counter":3,"timestamp":1},"groupTopicMap":{},"offsetTable":{"TopicTest@cg1":{"0":15,"1":12}}}')),
    expected,
  );
  assert.equal(decodeConsumerOffsetJson('{}').size, 0);
  assert.throws(() => decodeConsumerOffsetJson('[]'), SyntaxError);
});

test('subscriptionGroup.json: defaults equal the Java 5.x bean', () => {
  const text = encodeSubscriptionGroupJson(
    { counter: 1, timestamp: 1682943444719 },
    new Map([['MyGroup', defaultSubscriptionGroupConfig('MyGroup')]]),
    { pretty: false },
  );
  assert.equal(
    text,
    `{"dataVersion":{"counter":1,"timestamp":1682943444719},"subscriptionGroupTable":{"MyGroup":${SUBGROUP_5X}}}`,
  );
  const d = decodeSubscriptionGroupJson(text);
  assert.deepEqual(d.subscriptionGroupTable.get('MyGroup'), defaultSubscriptionGroupConfig('MyGroup'));
});

test('subscriptionGroup.json: a 4.9 file decodes with 5.x defaults filled in', () => {
  const text = [
    '{',
    '\t"dataVersion":{',
    '\t\t"counter":1,',
    '\t\t"timestamp":1682943444719',
    '\t},',
    '\t"subscriptionGroupTable":{',
    '\t\t"cg1":{',
    '\t\t\t"brokerId":0,',
    '\t\t\t"consumeBroadcastEnable":false,',
    '\t\t\t"consumeEnable":true,',
    '\t\t\t"consumeFromMinEnable":true,',
    '\t\t\t"groupName":"cg1",',
    '\t\t\t"notifyConsumerIdsChangedEnable":true,',
    '\t\t\t"retryMaxTimes":3,',
    '\t\t\t"retryQueueNums":1,',
    '\t\t\t"whichBrokerWhenConsumeSlowly":1',
    '\t\t}',
    '\t}',
    '}',
  ].join('\n');
  const d = decodeSubscriptionGroupJson(text);
  assert.deepEqual(d.dataVersion, { counter: 1, timestamp: 1682943444719 });
  assert.deepEqual(d.subscriptionGroupTable.get('cg1'), {
    ...defaultSubscriptionGroupConfig('cg1'),
    consumeBroadcastEnable: false,
    retryMaxTimes: 3,
  });
  const exp = {
    ...defaultSubscriptionGroupConfig('cg2'),
    groupRetryPolicy: { type: 'EXPONENTIAL' as const, exponentialRetryPolicy: { initial: 1000, max: 60000, multiplier: 2 } },
    subscriptionDataSet: [{ topic: 'T', expressionType: 'TAG', expression: '*' }],
    attributes: { a: 'b' },
  };
  const again = decodeSubscriptionGroupJson(encodeSubscriptionGroupJson({ counter: 2, timestamp: 3 }, new Map([['cg2', exp]])));
  assert.deepEqual(again.subscriptionGroupTable.get('cg2'), exp);
});

test('delayOffset.json: level -> offset with unquoted keys', () => {
  const m = new Map([[3, 9], [1, 0], [2, 5]]);
  assert.equal(encodeDelayOffsetJson(m, { pretty: false }), '{"offsetTable":{1:0,2:5,3:9}}');
  assert.deepEqual([...decodeDelayOffsetJson('{"offsetTable":{1:0,2:5,3:9}}')], [[1, 0], [2, 5], [3, 9]]);
  assert.deepEqual([...decodeDelayOffsetJson(encodeDelayOffsetJson(m))], [[1, 0], [2, 5], [3, 9]]);
  assert.deepEqual([...decodeDelayOffsetJson('{\n\t"offsetTable":{}\n}')], []);
  assert.equal(encodeDelayOffsetJson(new Map()), '{\n\t"offsetTable":{}\n}');
});
