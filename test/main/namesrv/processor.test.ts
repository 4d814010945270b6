import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { RequestCode, ResponseCode, RpcFlag } from '../../../src/shared/codes.js';
import { newRequest, type RemotingCommand } from '../../../src/shared/remoting/command.js';
import { handleNamesrvRequest } from '../../../src/main/namesrv/processor.js';
import { NamesrvState } from '../../../src/main/namesrv/route-info.js';
import { registerRequest, routeRequest, topicConfig } from './helpers.js';

const CH = 1;
const call = (s: NamesrvState, cmd: RemotingCommand, ch: number = CH) => {
  const r = handleNamesrvRequest(s, cmd, ch);
  assert.ok(r, 'expected a response');
  assert.equal(r.opaque, cmd.opaque);
  assert.equal(r.flag & RpcFlag.RESPONSE, RpcFlag.RESPONSE);
  return r;
};
const body = (r: RemotingCommand) => r.body!.toString('utf8');

test('register -> route -> unregister -> TOPIC_NOT_EXIST with the exact remark', () => {
  const s = new NamesrvState();
  const reg = call(s, registerRequest({ topics: [topicConfig('TopicTest', 4)] }));
  assert.equal(reg.code, ResponseCode.SUCCESS);
  assert.deepEqual(reg.extFields, {}, 'a master gets no haServerAddr/masterAddr');
  assert.equal(reg.body, null, 'no ORDER_TOPIC_CONFIG entries yet');

  const route = call(s, routeRequest('TopicTest', 317));
  assert.equal(route.code, ResponseCode.SUCCESS);
  assert.equal(
    body(route),
    '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},' +
      '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":4}]}',
  );
  assert.match(body(call(s, routeRequest('TopicTest', 409))), /"brokerAddrs":\{"0":"127\.0\.0\.1:10911"\}/);
  const accept = routeRequest('TopicTest', 317);
  accept.extFields!.acceptStandardJsonOnly = 'true';
  assert.match(body(call(s, accept)), /\{"0":/);

  const unreg = call(s, newRequest(RequestCode.UNREGISTER_BROKER, { brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', clusterName: 'DefaultCluster', brokerId: '0' }));
  assert.equal(unreg.code, ResponseCode.SUCCESS);
  const gone = call(s, routeRequest('TopicTest'));
  assert.equal(gone.code, ResponseCode.TOPIC_NOT_EXIST);
  assert.equal(gone.remark, 'No topic route info in name server for the topic: TopicTest');
  assert.equal(gone.body, null);
});

test('two brokers host one topic; a slave learns its master', () => {
  const s = new NamesrvState();
  call(s, registerRequest({ brokerName: 'broker-b', brokerAddr: '10.0.0.2:10911', topics: [topicConfig('T', 2)] }));
  call(s, registerRequest({ brokerName: 'broker-a', brokerAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912', topics: [topicConfig('T', 4), topicConfig('OnlyA')] }));
  const slave = call(s, registerRequest({ brokerName: 'broker-a', brokerAddr: '10.0.0.3:10911', brokerId: 1, topics: [topicConfig('T', 99)] }));
  assert.deepEqual(slave.extFields, { haServerAddr: '10.0.0.1:10912', masterAddr: '10.0.0.1:10911' });
  const route = JSON.parse(body(call(s, routeRequest('T', 409))));
  assert.deepEqual(route.queueDatas.map((q: any) => [q.brokerName, q.writeQueueNums]), [['broker-a', 4], ['broker-b', 2]], 'slave topic config ignored');
  assert.deepEqual(route.brokerDatas[0].brokerAddrs, { 0: '10.0.0.1:10911', 1: '10.0.0.3:10911' });

  const ci = body(call(s, newRequest(RequestCode.GET_BROKER_CLUSTER_INFO, null)));
  assert.match(ci, /"brokerAddrs":\{0:"10\.0\.0\.1:10911",1:"10\.0\.0\.3:10911"\}/);
  assert.match(ci, /"clusterAddrTable":\{"DefaultCluster":\["broker-a","broker-b"\]\}/);

  assert.deepEqual(JSON.parse(body(call(s, newRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, null)))).topicList.sort(), ['OnlyA', 'T']);
  assert.deepEqual(JSON.parse(body(call(s, newRequest(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'DefaultCluster' })))).topicList.sort(), ['OnlyA', 'T']);
  assert.deepEqual(JSON.parse(body(call(s, newRequest(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'nope' })))).topicList, []);
  const sys = JSON.parse(body(call(s, newRequest(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, null))));
  assert.deepEqual(sys.topicList.sort(), ['DefaultCluster', 'broker-a', 'broker-b']);
  assert.ok(['10.0.0.1:10911', '10.0.0.2:10911'].includes(sys.brokerAddr));
});

test('topic config is re-read only when the DataVersion changes', () => {
  const s = new NamesrvState();
  call(s, registerRequest({ counter: 1, topics: [topicConfig('T', 4)] }));
  call(s, registerRequest({ counter: 1, topics: [topicConfig('T', 8)] }));
  assert.equal(JSON.parse(body(call(s, routeRequest('T', 409)))).queueDatas[0].writeQueueNums, 4);
  call(s, registerRequest({ counter: 2, topics: [topicConfig('T', 8), topicConfig('New')] }));
  assert.equal(JSON.parse(body(call(s, routeRequest('T', 409)))).queueDatas[0].writeQueueNums, 8);
  assert.equal(call(s, routeRequest('New')).code, ResponseCode.SUCCESS);
});

test('bodyCrc32: mismatch -> SYSTEM_ERROR "crc32 not match"; 0 skips the check', () => {
  const s = new NamesrvState();
  const bad = call(s, registerRequest({ crc: 12345 }));
  assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
  assert.equal(bad.remark, 'crc32 not match');
  assert.equal(call(s, routeRequest('TopicTest')).code, ResponseCode.TOPIC_NOT_EXIST);
  assert.equal(call(s, registerRequest({ crc: 0 })).code, ResponseCode.SUCCESS);
  assert.equal(call(s, registerRequest({ brokerName: 'b2', brokerAddr: '1.1.1.1:1' })).code, ResponseCode.SUCCESS);
});

test('compressed=true registration is decoded', () => {
  const s = new NamesrvState();
  const parts: Buffer[] = [];
  const str = (t: string) => {
    const b = Buffer.from(t);
    const n = Buffer.alloc(4);
    n.writeInt32BE(b.length);
    parts.push(n, b);
  };
  str('{"counter":1,"timestamp":5}');
  parts.push(Buffer.from([0, 0, 0, 1]));
  str('Zipped 3 3 6 SINGLE_TAG');
  str('[]');
  const req = registerRequest();
  req.body = deflateSync(Buffer.concat(parts), { level: 9 });
  req.extFields!.compressed = 'true';
  req.extFields!.bodyCrc32 = '0';
  assert.equal(call(s, req).code, ResponseCode.SUCCESS);
  assert.equal(JSON.parse(body(call(s, routeRequest('Zipped', 409)))).queueDatas[0].readQueueNums, 3);
  req.body = Buffer.from('garbage');
  const bad = call(s, req);
  assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
  assert.match(bad.remark!, /^Failed to decode RegisterBrokerBody/);
});

test('KV config: put, get, list, delete; missing -> QUERY_NOT_FOUND', () => {
  const s = new NamesrvState();
  const put = (k: string, v: string) => call(s, newRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: k, value: v }));
  assert.equal(put('T', 'broker-a:4').code, ResponseCode.SUCCESS);
  put('U', 'broker-a:2');
  const got = call(s, newRequest(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'T' }));
  assert.equal(got.code, ResponseCode.SUCCESS);
  assert.deepEqual(got.extFields, { value: 'broker-a:4' });
  const miss = call(s, newRequest(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'nope' }));
  assert.equal(miss.code, ResponseCode.QUERY_NOT_FOUND);
  assert.equal(miss.remark, 'No config item, Namespace: ORDER_TOPIC_CONFIG Key: nope');
  assert.equal(body(call(s, newRequest(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'ORDER_TOPIC_CONFIG' }))), '{"table":{"T":"broker-a:4","U":"broker-a:2"}}');
  // registration answers with the ORDER_TOPIC_CONFIG table
  assert.equal(body(call(s, registerRequest())), '{"table":{"T":"broker-a:4","U":"broker-a:2"}}');
  assert.equal(call(s, newRequest(RequestCode.DELETE_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'T' })).code, ResponseCode.SUCCESS);
  assert.equal(call(s, newRequest(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'T' })).code, ResponseCode.QUERY_NOT_FOUND);
  const none = call(s, newRequest(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'empty' }));
  assert.equal(none.code, ResponseCode.QUERY_NOT_FOUND);
  assert.equal(none.remark, 'No config item, Namespace: empty');
});

test('orderTopicConf is added to routes when orderMessageEnable is set through UPDATE_NAMESRV_CONFIG', () => {
  const s = new NamesrvState();
  call(s, registerRequest({ topics: [topicConfig('Ord')] }));
  call(s, newRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'Ord', value: 'broker-a:4' }));
  assert.doesNotMatch(body(call(s, routeRequest('Ord'))), /orderTopicConf/);
  assert.equal(call(s, newRequest(318, null, Buffer.from('# comment\norderMessageEnable=true\n'))).code, ResponseCode.SUCCESS);
  assert.match(body(call(s, routeRequest('Ord'))), /"filterServerTable":\{\},"orderTopicConf":"broker-a:4","queueDatas"/);
  const cfg = call(s, newRequest(319, null));
  assert.equal(cfg.code, ResponseCode.SUCCESS);
  assert.match(body(cfg), /^orderMessageEnable=true$/m);
});

test('wipe write perm returns the count and strips WRITE; add write perm restores it', () => {
  const s = new NamesrvState();
  call(s, registerRequest({ topics: [topicConfig('A'), topicConfig('B', 4, 7)] }));
  call(s, registerRequest({ brokerName: 'broker-b', brokerAddr: '10.0.0.2:10911', topics: [topicConfig('A')] }));
  const wipe = call(s, newRequest(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' }));
  assert.equal(wipe.code, ResponseCode.SUCCESS);
  assert.deepEqual(wipe.extFields, { wipeTopicCount: '2' });
  const a = JSON.parse(body(call(s, routeRequest('A', 409)))).queueDatas;
  assert.deepEqual(a.map((q: any) => [q.brokerName, q.perm]), [['broker-a', 4], ['broker-b', 6]]);
  assert.equal(JSON.parse(body(call(s, routeRequest('B', 409)))).queueDatas[0].perm, 5);
  assert.deepEqual(call(s, newRequest(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { brokerName: 'nobody' })).extFields, { wipeTopicCount: '0' });
  assert.deepEqual(call(s, newRequest(327, { brokerName: 'broker-a' })).extFields, { addTopicCount: '2' });
  assert.equal(JSON.parse(body(call(s, routeRequest('A', 409)))).queueDatas[0].perm, 6);
});

test('delete topic, everywhere or in one cluster', () => {
  const s = new NamesrvState();
  call(s, registerRequest({ topics: [topicConfig('A'), topicConfig('B')] }));
  call(s, registerRequest({ clusterName: 'C2', brokerName: 'broker-x', brokerAddr: '10.0.0.9:10911', topics: [topicConfig('A')] }));
  assert.equal(call(s, newRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'A', clusterName: 'C2' })).code, ResponseCode.SUCCESS);
  assert.deepEqual(JSON.parse(body(call(s, routeRequest('A', 409)))).queueDatas.map((q: any) => q.brokerName), ['broker-a']);
  call(s, newRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'B' }));
  assert.equal(call(s, routeRequest('B')).code, ResponseCode.TOPIC_NOT_EXIST);
});

test('QUERY_DATA_VERSION: changed flag, the name server copy as body', () => {
  const s = new NamesrvState();
  call(s, registerRequest({ counter: 4 }));
  const q = (counter: number) =>
    call(s, newRequest(RequestCode.QUERY_DATA_VERSION, { brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', clusterName: 'DefaultCluster', brokerId: '0' },
      Buffer.from(`{"counter":${counter},"timestamp":1700000000000}`)));
  const same = q(4);
  assert.equal(same.code, ResponseCode.SUCCESS);
  assert.deepEqual(same.extFields, { changed: 'false' });
  assert.equal(body(same), '{"counter":4,"timestamp":1700000000000}');
  assert.deepEqual(q(5).extFields, { changed: 'true' });
  const unknown = call(s, newRequest(RequestCode.QUERY_DATA_VERSION, { brokerName: 'x', brokerAddr: '9.9.9.9:1', clusterName: 'c', brokerId: '0' }, Buffer.from('{"counter":1,"timestamp":1}')));
  assert.deepEqual(unknown.extFields, { changed: 'true' });
  assert.equal(unknown.body, null);
});

test('a broker expires brokerExpireMs after its last registration', async () => {
  const s = new NamesrvState({ brokerExpireMs: 30 });
  call(s, registerRequest());
  assert.deepEqual(s.scanNotActiveBrokers(), []);
  assert.equal(call(s, routeRequest('TopicTest')).code, ResponseCode.SUCCESS);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(s.scanNotActiveBrokers(), [CH], 'returns the channel to close');
  assert.equal(call(s, routeRequest('TopicTest')).code, ResponseCode.TOPIC_NOT_EXIST);
  assert.deepEqual(s.liveBrokers(), []);
  assert.equal(body(call(s, newRequest(RequestCode.GET_BROKER_CLUSTER_INFO, null))), '{"brokerAddrTable":{},"clusterAddrTable":{}}');
});

test('closing the registering channel drops its brokers at once; a re-registration over a new channel survives the old one closing', () => {
  const s = new NamesrvState();
  call(s, registerRequest(), 7);
  call(s, registerRequest({ brokerName: 'broker-b', brokerAddr: '10.0.0.2:10911' }), 8);
  assert.deepEqual(s.onChannelClosed(7), ['127.0.0.1:10911']);
  assert.deepEqual(JSON.parse(body(call(s, routeRequest('TopicTest', 409)))).queueDatas.map((q: any) => q.brokerName), ['broker-b']);
  call(s, registerRequest({ brokerName: 'broker-b', brokerAddr: '10.0.0.2:10911' }), 9);
  assert.deepEqual(s.onChannelClosed(8), []);
  assert.equal(call(s, routeRequest('TopicTest')).code, ResponseCode.SUCCESS);
});

test('unknown codes -> 3 with the Java remark; missing header fields -> SYSTEM_ERROR naming the field', () => {
  const s = new NamesrvState();
  const unknown = call(s, newRequest(9999, null));
  assert.equal(unknown.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  assert.equal(unknown.remark, ' request type 9999 not supported');
  const noTopic = call(s, newRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, null));
  assert.equal(noTopic.code, ResponseCode.SYSTEM_ERROR);
  assert.match(noTopic.remark!, /topic/);
  const reg = registerRequest();
  delete reg.extFields!.haServerAddr;
  const r = call(s, reg);
  assert.equal(r.code, ResponseCode.SYSTEM_ERROR);
  assert.match(r.remark!, /haServerAddr/);
  const badId = registerRequest();
  badId.extFields!.brokerId = 'zero';
  assert.match(call(s, badId).remark!, /brokerId/);
  assert.match(call(s, newRequest(RequestCode.QUERY_DATA_VERSION, { brokerName: 'a', brokerAddr: 'b', clusterName: 'c', brokerId: '0' })).remark!, /DataVersion/);
});

test('oneway requests are carried out but never answered, errors included; stray responses are ignored', () => {
  const s = new NamesrvState();
  assert.equal(handleNamesrvRequest(s, { ...registerRequest({ topics: [topicConfig('Ow')] }), flag: RpcFlag.ONEWAY }, CH), null);
  assert.equal(call(s, routeRequest('Ow')).code, ResponseCode.SUCCESS);
  assert.equal(handleNamesrvRequest(s, { ...newRequest(9999, null), flag: RpcFlag.ONEWAY }, CH), null);
  assert.equal(handleNamesrvRequest(s, { ...newRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, null), flag: RpcFlag.ONEWAY }, CH), null);
  assert.equal(handleNamesrvRequest(s, { ...routeRequest('Ow'), flag: RpcFlag.RESPONSE }, CH), null);
});

test('responses keep the serialize type of the request', () => {
  const s = new NamesrvState();
  const req = routeRequest('x');
  req.serializeType = 1;
  assert.equal(call(s, req).serializeType, 1);
});
