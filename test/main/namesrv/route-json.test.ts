import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeClusterInfo,
  encodeDataVersion,
  encodeKvTable,
  encodeTopicList,
  encodeTopicRouteData,
  wantsStandardJson,
} from '../../../src/main/namesrv/route-json.js';
import type { BrokerData, TopicRouteData } from '../../../src/main/namesrv/model.js';

const brokerA: BrokerData = { cluster: 'DefaultCluster', brokerName: 'broker-a', brokerAddrs: new Map([[1, '127.0.0.1:10921'], [0, '127.0.0.1:10911']]) };
const brokerB: BrokerData = { cluster: 'DefaultCluster', brokerName: 'broker-b', brokerAddrs: new Map([[0, '127.0.0.2:10911']]) };

const route: TopicRouteData = {
  queueDatas: [
    { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    { brokerName: 'broker-b', readQueueNums: 8, writeQueueNums: 2, perm: 4, topicSysFlag: 1 },
  ],
  brokerDatas: [brokerA, brokerB],
  filterServerTable: new Map(),
};

const PLAIN =
  '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"},' +
  '{"brokerAddrs":{0:"127.0.0.2:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}],' +
  '"filterServerTable":{},' +
  '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":4},' +
  '{"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSynFlag":1,"topicSysFlag":1,"writeQueueNums":2}]}';

const STANDARD = PLAIN.replace('{0:"127.0.0.1:10911",1:"127.0.0.1:10921"}', '{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"}').replace('{0:"127.0.0.2:10911"}', '{"0":"127.0.0.2:10911"}');

test('route JSON, plain form: bare brokerAddrs keys, alphabetical fields, both flag names', () => {
  assert.equal(encodeTopicRouteData(route, false), PLAIN);
});

test('route JSON, standard form: quoted brokerAddrs keys, otherwise identical', () => {
  const s = encodeTopicRouteData(route, true);
  assert.equal(s, STANDARD);
  const o = JSON.parse(s);
  assert.equal(o.brokerDatas[0].brokerAddrs['1'], '127.0.0.1:10921');
  assert.equal(o.queueDatas[1].topicSynFlag, 1);
});

test('route JSON has no whitespace (Go v2 splits brokerAddrs on "," and ":")', () => {
  assert.ok(!/\s/.test(PLAIN));
  // The Go v2 (< 2.1.2) parser: text between the braces, split on ",", id = ParseInt(before first ":").
  const addrs = PLAIN.match(/"brokerAddrs":(\{[^}]*\})/)![1];
  const parsed = addrs.slice(1, -1).split(',').map((kv) => [Number.parseInt(kv.slice(0, kv.indexOf(':')), 10), kv.slice(kv.indexOf(':') + 1).replaceAll('"', '')]);
  assert.deepEqual(parsed, [[0, '127.0.0.1:10911'], [1, '127.0.0.1:10921']]);
});

test('route JSON: orderTopicConf between filterServerTable and queueDatas; filter servers listed', () => {
  const r: TopicRouteData = {
    orderTopicConf: 'broker-a:4',
    queueDatas: [route.queueDatas[0]],
    brokerDatas: [{ ...brokerB, brokerName: 'broker-a' }],
    filterServerTable: new Map([['127.0.0.2:10911', ['127.0.0.2:30000']]]),
  };
  assert.equal(
    encodeTopicRouteData(r, false),
    '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],' +
      '"filterServerTable":{"127.0.0.2:10911":["127.0.0.2:30000"]},"orderTopicConf":"broker-a:4",' +
      '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":4}]}',
  );
});

test('standard form escapes non-ASCII as \\uXXXX; plain form keeps UTF-8', () => {
  const r: TopicRouteData = { queueDatas: [], brokerDatas: [{ cluster: '集群', brokerName: 'b', brokerAddrs: new Map() }], filterServerTable: new Map() };
  assert.match(encodeTopicRouteData(r, true), /"cluster":"\\u96c6\\u7fa4"/);
  assert.match(encodeTopicRouteData(r, false), /"cluster":"集群"/);
});

test('wantsStandardJson: version >= 401 or acceptStandardJsonOnly=true', () => {
  assert.equal(wantsStandardJson(400, undefined), false);
  assert.equal(wantsStandardJson(317, 'false'), false);
  assert.equal(wantsStandardJson(401, undefined), true);
  assert.equal(wantsStandardJson(409, 'false'), true);
  assert.equal(wantsStandardJson(121, 'true'), true);
  assert.equal(wantsStandardJson(121, 'TRUE'), true);
});

test('ClusterInfo JSON: brokerAddrTable and clusterAddrTable, bare keys by default', () => {
  const ci = encodeClusterInfo(
    new Map([['broker-b', brokerB], ['broker-a', brokerA]]),
    new Map([['DefaultCluster', new Set(['broker-b', 'broker-a'])]]),
  );
  assert.equal(
    ci,
    '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"},' +
      '"broker-b":{"brokerAddrs":{0:"127.0.0.2:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}},' +
      '"clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"]}}',
  );
  assert.equal(encodeClusterInfo(new Map(), new Map()), '{"brokerAddrTable":{},"clusterAddrTable":{}}');
  assert.match(encodeClusterInfo(new Map([['broker-b', brokerB]]), new Map(), true), /"brokerAddrs":\{"0":"127\.0\.0\.2:10911"\}/);
});

test('TopicList, KVTable, DataVersion vectors', () => {
  assert.equal(encodeTopicList(['a', 'b']), '{"topicList":["a","b"]}');
  assert.equal(encodeTopicList([], '1.2.3.4:10911'), '{"brokerAddr":"1.2.3.4:10911","topicList":[]}');
  assert.equal(encodeKvTable(new Map([['t1', 'broker-a:4'], ['t"2', 'x']])), '{"table":{"t1":"broker-a:4","t\\"2":"x"}}');
  assert.equal(encodeDataVersion({ counter: 5, timestamp: 1700000000000 }), '{"counter":5,"timestamp":1700000000000}');
  assert.equal(encodeDataVersion({ counter: 1, timestamp: 2, stateVersion: 0 }), '{"counter":1,"stateVersion":0,"timestamp":2}');
});
