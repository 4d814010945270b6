import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecord, recordLength } from '../../../src/shared/storage/message.js';
import { C, SLICE } from '../../../src/main/loadgen/counters.js';
import { RecordScanner } from '../../../src/main/loadgen/record-scan.js';
import { parseTopicRoute } from '../../../src/main/loadgen/route.js';

function record(born: number, stored: number, key: string, v6 = false): Buffer {
  const props = Buffer.from(`WAIT\u0001true\u0002UNIQ_KEY\u0001${key}\u0002CLUSTER\u0001DefaultCluster`);
  const host = v6 ? new Uint8Array(16).fill(1) : Uint8Array.of(127, 0, 0, 1);
  const body = Buffer.from('hello');
  const topic = Buffer.from('T');
  const buf = Buffer.alloc(recordLength(v6 ? 0x30 : 0, body.length, topic.length, props.length));
  encodeRecord(buf, 0, {
    queueId: 0, flag: 0, queueOffset: 0, physicalOffset: 0, sysFlag: 0, bornTimestamp: born, bornHost: host, bornPort: 1,
    storeTimestamp: stored, storeHost: host, storePort: 2, reconsumeTimes: 0, preparedTransactionOffset: 0, body, topic, properties: props,
  });
  return buf;
}

test('pull bodies are counted with born/store-to-consume latency and UNIQ_KEYs (IPv4 and IPv6 hosts)', () => {
  const counters = new Float64Array(SLICE);
  const keys: string[] = [];
  const s = new RecordScanner(counters, keys);
  const body = Buffer.concat([record(1000, 1004, 'A'.repeat(32)), record(1010, 1011, 'B'.repeat(32), true)]);
  assert.equal(s.scan(body, 1020), 2);
  assert.deepEqual(keys, ['A'.repeat(32), 'B'.repeat(32)]);
  assert.equal(counters[C.MSGS], 2);
  assert.equal(counters[C.B2C_TOTAL], 20 + 10);
  assert.equal(counters[C.S2C_TOTAL], 16 + 9);
  assert.equal(counters[C.B2C_MAX], 20);
  assert.equal(counters[C.S2C_MAX], 16);
  assert.equal(counters[C.BYTES], body.length);
  assert.throws(() => s.scan(body.subarray(0, body.length - 3), 0), /bad record size/);
});

test('routes parse with fastjson\'s unquoted brokerAddrs keys and pick the master', () => {
  const body = Buffer.from('{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"b","cluster":"c"},{"brokerAddrs":{"0":"10.0.0.3:10911"},"brokerName":"a","cluster":"c"}],"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":4},{"brokerName":"a","perm":6,"readQueueNums":2,"writeQueueNums":2}]}');
  assert.deepEqual(parseTopicRoute(body), [
    { brokerName: 'a', addr: '10.0.0.3:10911', readQueueNums: 2, writeQueueNums: 2, perm: 6 },
    { brokerName: 'b', addr: '10.0.0.1:10911', readQueueNums: 8, writeQueueNums: 4, perm: 6 },
  ]);
});
