import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, constants } from 'node:zlib';
import { decodeRegisterBody, decodeTopicConfigLine, encodeRegisterBody, parseLenientJson } from '../../../src/main/namesrv/register-body.js';

/** Builds the compressed RegisterBrokerBody per the layout: zlib of length-prefixed parts. */
function compressedBody(dataVersion: string, topicLines: string[], filterServers: string, extra: Buffer[] = []): Buffer {
  const parts: Buffer[] = [];
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    parts.push(int(b.length), b);
  };
  str(dataVersion);
  parts.push(int(topicLines.length));
  for (const l of topicLines) str(l);
  str(filterServers);
  parts.push(...extra);
  return deflateSync(Buffer.concat(parts), { level: constants.Z_BEST_COMPRESSION });
}

test('decodes the compressed register body (4.9 layout)', () => {
  const body = compressedBody('{"counter":7,"timestamp":1700000000123}', ['TopicTest 8 4 6 SINGLE_TAG', 'TBW102 8 8 7 MULTI_TAG'], '[]');
  // zlib stream header (78 DA for best compression), as java.util.zip.Deflater writes it
  assert.equal(body[0], 0x78);
  const r = decodeRegisterBody(body, true);
  assert.deepEqual(r.topicConfigSerializeWrapper.dataVersion, { counter: 7, timestamp: 1700000000123 });
  assert.deepEqual(r.topicConfigSerializeWrapper.topicConfigTable.TopicTest, {
    topicName: 'TopicTest', readQueueNums: 8, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  });
  assert.equal(r.topicConfigSerializeWrapper.topicConfigTable.TBW102.perm, 7);
  assert.equal(r.topicConfigSerializeWrapper.topicConfigTable.TBW102.topicFilterType, 'MULTI_TAG');
  assert.deepEqual(r.filterServerList, []);
});

test('decodes the 5.x compressed form: attributes field and trailing queue-mapping parts', () => {
  const mapping = Buffer.from('{"bname":"broker-a","currIdMap":{0:0},"epoch":0,"topic":"S","totalQueues":1}');
  const extra = [Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 0, mapping.length]), mapping];
  const body = compressedBody('{"counter":1,"stateVersion":0,"timestamp":2}', ['A 1 1 6 SINGLE_TAG ', 'B 2 2 6 SINGLE_TAG {"+message.type":"FIFO"}'], '["10.0.0.1:30000"]', extra);
  const r = decodeRegisterBody(body, true);
  assert.deepEqual(Object.keys(r.topicConfigSerializeWrapper.topicConfigTable), ['A', 'B']);
  assert.equal(r.topicConfigSerializeWrapper.topicConfigTable.B.readQueueNums, 2);
  assert.deepEqual(r.topicConfigSerializeWrapper.dataVersion, { counter: 1, stateVersion: 0, timestamp: 2 });
  assert.deepEqual(r.filterServerList, ['10.0.0.1:30000']);
});

test('a truncated or corrupt compressed body throws', () => {
  const good = compressedBody('{"counter":1,"timestamp":2}', ['A 1 1 6 SINGLE_TAG'], '[]');
  assert.throws(() => decodeRegisterBody(Buffer.from('not zlib'), true));
  const short = deflateSync(Buffer.from([0, 0, 0, 50, 0x7b]));
  assert.throws(() => decodeRegisterBody(short, true), /ends early/);
  assert.doesNotThrow(() => decodeRegisterBody(good, true));
});

test('topic config lines: bad field count, number or filter type are rejected', () => {
  assert.throws(() => decodeTopicConfigLine('A 1 1 6'), /4 fields/);
  assert.throws(() => decodeTopicConfigLine('A x 1 6 SINGLE_TAG'), /bad number/);
  assert.throws(() => decodeTopicConfigLine('A 1 1 6 TAGS'), /bad filter type/);
});

test('decodes the JSON body a Java broker sends', () => {
  const json =
    '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},' +
    '"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},' +
    '"%RETRY%g":{"order":false,"perm":6,"readQueueNums":1,"topicFilterType":"SINGLE_TAG","topicName":"%RETRY%g","topicSysFlag":0,"writeQueueNums":1}}}}';
  const r = decodeRegisterBody(Buffer.from(json), false);
  assert.equal(r.topicConfigSerializeWrapper.dataVersion.counter, 3);
  assert.equal(r.topicConfigSerializeWrapper.topicConfigTable['%RETRY%g'].readQueueNums, 1);
  assert.equal(r.topicConfigSerializeWrapper.topicConfigTable.TopicTest.writeQueueNums, 4);
});

test('an absent body registers with DataVersion 0/0 and no topics; versions < 37 send the bare wrapper', () => {
  assert.deepEqual(decodeRegisterBody(null, false).topicConfigSerializeWrapper, { dataVersion: { counter: 0, timestamp: 0 }, topicConfigTable: {} });
  const legacy = decodeRegisterBody(Buffer.from('{"dataVersion":{"counter":2,"timestamp":3},"topicConfigTable":{"T":{"perm":6,"readQueueNums":2,"topicName":"T","writeQueueNums":2}}}'), false, 30);
  assert.equal(legacy.topicConfigSerializeWrapper.topicConfigTable.T.readQueueNums, 2);
  assert.equal(legacy.topicConfigSerializeWrapper.dataVersion.counter, 2);
});

test('encodeRegisterBody: fastjson field order, round trip', () => {
  const body = encodeRegisterBody({
    dataVersion: { counter: 2, timestamp: 1700000000000 },
    topicConfigTable: { T: { topicName: 'T', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false } },
  });
  assert.equal(
    body.toString(),
    '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"timestamp":1700000000000},' +
      '"topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}}',
  );
  assert.equal(decodeRegisterBody(body, false).topicConfigSerializeWrapper.topicConfigTable.T.perm, 6);
});

test('parseLenientJson accepts fastjson bare integer keys', () => {
  assert.deepEqual(parseLenientJson('{"a":{0:"x",12:"y"},"s":"{1:2}","l":[1,2]}'), { a: { 0: 'x', 12: 'y' }, s: '{1:2}', l: [1, 2] });
  assert.throws(() => parseLenientJson('{"a":'));
});
