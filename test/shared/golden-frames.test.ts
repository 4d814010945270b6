// Golden frames: request frames exactly as the official clients wrote them to the socket
// (test/fixtures/frames/*.hex, captured by test/tools/golden-frames/capture.sh through the recording
// proxy test/tools/record-frames.mjs in front of an Apache RocketMQ broker), decoded with Ferry's own
// codecs. Every decoded field is compared with the value the client sent; Java frames must also
// re-encode to the same bytes.
//
// Re-capturing changes timestamps, opaques, UNIQ_KEYs and subVersions: update the expectations
// below from the new fixtures (the values are the fixtures' data, nothing is derived from the clock).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/ferry-process.js';
import { decodeCommand, encodeCommand, encodeJsonHeader, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { parseSendRequest, type SendRequest } from '../../src/workers/network/send-request.js';
import { decodeBatch } from '../../src/shared/storage/batch.js';
import { parseProperties } from '../../src/shared/storage/properties.js';
import { decodeHeartbeat, type HeartbeatData } from '../../src/main/control/heartbeat.js';
import { javaHashCode } from '../../src/shared/storage/hash.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'frames');

interface Fixture {
  /** the whole frame, length prefix included */
  frame: Buffer;
  comments: string[];
}

function load(file: string): Fixture {
  const lines = fs.readFileSync(path.join(FIXTURES, file), 'utf8').split('\n');
  const comments = lines.filter((l) => l.startsWith('#'));
  const hex = lines.filter((l) => !l.startsWith('#')).join('').replace(/\s+/g, '');
  assert.match(hex, /^([0-9a-f]{2})+$/, `${file}: hex digits only`);
  return { frame: Buffer.from(hex, 'hex'), comments };
}

function decode(file: string): { frame: Buffer; cmd: RemotingCommand } {
  const { frame } = load(file);
  assert.equal(frame.readInt32BE(0), frame.length - 4, `${file}: length prefix counts the rest of the frame`);
  return { frame, cmd: decodeCommand(frame.subarray(4)) };
}

/** A properties string as (key, value) pairs in order, through Ferry's parser. */
function props(value: string): [string, string][] {
  const buf = Buffer.from(value, 'utf8');
  return [...parseProperties(buf, 0, buf.length)];
}

const JAVA = 0;
const GO = 9;
const JSON_HEADER = 0;
const ROCKETMQ_HEADER = 1;

interface Golden {
  length: number;
  code: number;
  language: number;
  version: number;
  opaque: number;
  flag: number;
  remark: string | null;
  serializeType: number;
  bodyLength: number;
  /** every ext field, in the order the client wrote them */
  extFields: Record<string, string> | null;
}

const GOLDEN: Record<string, Golden> = {
  // ---- rocketmq-client (Java) 4.9.8, JSON header ----
  'java-4.9.8-json-105-get-routeinfo-by-topic.hex': {
    length: 145, code: 105, language: JAVA, version: 409, opaque: 2, flag: 0, remark: null, serializeType: JSON_HEADER, bodyLength: 0,
    extFields: { topic: 'GoldenTopicJSON' },
  },
  'java-4.9.8-json-310-send-message-v2.hex': {
    length: 438, code: 310, language: JAVA, version: 409, opaque: 5, flag: 0, remark: null, serializeType: JSON_HEADER, bodyLength: 13,
    extFields: {
      a: 'GoldenProducerJSON', b: 'GoldenTopicJSON', c: 'TBW102', d: '4', e: '1', f: '0', g: '1795357753686', h: '0',
      i: 'color\u0001blue\u0002KEYS\u0001golden-key-1\u0002UNIQ_KEY\u00017F00000132671DBD16A66F4159450000\u0002WAIT\u0001true\u0002TAGS\u0001TagA',
      j: '0', k: 'false', m: 'false', n: 'golden-broker',
    },
  },
  'java-4.9.8-json-320-send-batch-message.hex': {
    length: 669, code: 320, language: JAVA, version: 409, opaque: 8, flag: 0, remark: null, serializeType: JSON_HEADER, bodyLength: 366,
    extFields: {
      a: 'GoldenProducerJSON', b: 'GoldenTopicJSON', c: 'TBW102', d: '4', e: '2', f: '0', g: '1795357754055', h: '0',
      i: 'WAIT\u0001true', j: '0', k: 'false', m: 'true', n: 'golden-broker',
    },
  },
  'java-4.9.8-json-34-heart-beat.hex': {
    // 4.9.8 sends HEART_BEAT without a custom header: no "extFields" key at all
    length: 745, code: 34, language: JAVA, version: 409, opaque: 17, flag: 0, remark: null, serializeType: JSON_HEADER, bodyLength: 640,
    extFields: null,
  },
  'java-4.9.8-json-14-query-consumer-offset.hex': {
    length: 220, code: 14, language: JAVA, version: 409, opaque: 31, flag: 0, remark: null, serializeType: JSON_HEADER, bodyLength: 0,
    extFields: { queueId: '1', bname: 'golden-broker', topic: 'GoldenTopicJSON', consumerGroup: 'GoldenConsumerJSON' },
  },
  'java-4.9.8-json-11-pull-message.hex': {
    // push consumer: sysFlag 2 = SUSPEND only (no COMMIT_OFFSET at offset 0, no SUBSCRIPTION, so no
    // "subscription" key: postSubscriptionWhenPull is false)
    length: 372, code: 11, language: JAVA, version: 409, opaque: 39, flag: 0, remark: null, serializeType: JSON_HEADER, bodyLength: 0,
    extFields: {
      queueId: '1', maxMsgNums: '32', sysFlag: '2', suspendTimeoutMillis: '15000', commitOffset: '0', bname: 'golden-broker',
      topic: 'GoldenTopicJSON', queueOffset: '0', expressionType: 'TAG', subVersion: '1795357754600', consumerGroup: 'GoldenConsumerJSON',
    },
  },
  'java-4.9.8-json-15-update-consumer-offset.hex': {
    // the offset store's periodic persist: oneway (flag 2)
    length: 239, code: 15, language: JAVA, version: 409, opaque: 62, flag: 2, remark: null, serializeType: JSON_HEADER, bodyLength: 0,
    extFields: { queueId: '1', bname: 'golden-broker', commitOffset: '1', topic: 'GoldenTopicJSON', consumerGroup: 'GoldenConsumerJSON' },
  },

  // ---- rocketmq-client (Java) 4.9.8, ROCKETMQ binary header (-Drocketmq.serialize.type=ROCKETMQ) ----
  'java-4.9.8-rocketmq-105-get-routeinfo-by-topic.hex': {
    length: 59, code: 105, language: JAVA, version: 409, opaque: 2, flag: 0, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 0,
    extFields: { topic: 'GoldenTopicROCKETMQ' },
  },
  'java-4.9.8-rocketmq-310-send-message-v2.hex': {
    length: 311, code: 310, language: JAVA, version: 409, opaque: 4, flag: 0, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 13,
    extFields: {
      a: 'GoldenProducerROCKETMQ', b: 'GoldenTopicROCKETMQ', c: 'TBW102', d: '4', e: '1', f: '0', g: '1795357766447', h: '0',
      i: 'color\u0001blue\u0002KEYS\u0001golden-key-1\u0002UNIQ_KEY\u00017F00000133581DBD16A66F418B290000\u0002WAIT\u0001true\u0002TAGS\u0001TagA',
      j: '0', k: 'false', m: 'false', n: 'golden-broker',
    },
  },
  'java-4.9.8-rocketmq-320-send-batch-message.hex': {
    length: 582, code: 320, language: JAVA, version: 409, opaque: 6, flag: 0, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 366,
    extFields: {
      a: 'GoldenProducerROCKETMQ', b: 'GoldenTopicROCKETMQ', c: 'TBW102', d: '4', e: '2', f: '0', g: '1795357766527', h: '0',
      i: 'WAIT\u0001true', j: '0', k: 'false', m: 'true', n: 'golden-broker',
    },
  },
  'java-4.9.8-rocketmq-34-heart-beat.hex': {
    length: 681, code: 34, language: JAVA, version: 409, opaque: 18, flag: 0, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 652,
    extFields: null,
  },
  'java-4.9.8-rocketmq-14-query-consumer-offset.hex': {
    length: 138, code: 14, language: JAVA, version: 409, opaque: 31, flag: 0, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 0,
    extFields: { queueId: '1', bname: 'golden-broker', topic: 'GoldenTopicROCKETMQ', consumerGroup: 'GoldenConsumerROCKETMQ' },
  },
  'java-4.9.8-rocketmq-11-pull-message.hex': {
    // PullMessageRequestHeader's fast codec: its keys in declaration order, and 4.9.8 appends the
    // inherited "bname" too
    length: 290, code: 11, language: JAVA, version: 409, opaque: 39, flag: 0, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 0,
    extFields: {
      consumerGroup: 'GoldenConsumerROCKETMQ', topic: 'GoldenTopicROCKETMQ', queueId: '1', queueOffset: '0', maxMsgNums: '32', sysFlag: '2',
      commitOffset: '0', suspendTimeoutMillis: '15000', subVersion: '1795357767014', expressionType: 'TAG', bname: 'golden-broker',
    },
  },
  'java-4.9.8-rocketmq-15-update-consumer-offset.hex': {
    length: 157, code: 15, language: JAVA, version: 409, opaque: 60, flag: 2, remark: null, serializeType: ROCKETMQ_HEADER, bodyLength: 0,
    extFields: { queueId: '1', bname: 'golden-broker', commitOffset: '1', topic: 'GoldenTopicROCKETMQ', consumerGroup: 'GoldenConsumerROCKETMQ' },
  },

  // ---- rocketmq-client-go/v2 v2.1.2, JSON header (the only one it sends) ----
  'go-v2.1.2-json-10-send-message.hex': {
    // V1 keys, "remark":"" always present, properties with a trailing 0x02
    length: 513, code: 10, language: GO, version: 317, opaque: 2, flag: 0, remark: '', serializeType: JSON_HEADER, bodyLength: 16,
    extFields: {
      reconsumeTimes: '0', defaultTopic: 'TBW102',
      properties: 'TAGS\u0001TagA\u0002KEYS\u0001golden-go-key-1\u0002color\u0001blue\u0002UNIQ_KEY\u00013335373733EA000000006f41a4c80001\u0002',
      producerGroup: 'GoldenGoProducer', topic: 'GoldenTopicGO', sysFlag: '0', unitMode: 'false', maxReconsumeTimes: '0',
      defaultTopicQueueNums: '4', batch: 'false', queueId: '1', bornTimestamp: '1795357773454', flag: '0',
    },
  },
  'go-v2.1.2-json-11-pull-message.hex': {
    // "subscription" present but empty, subVersion 0, sysFlag 2 (SUSPEND only)
    length: 327, code: 11, language: GO, version: 317, opaque: 14, flag: 0, remark: '', serializeType: JSON_HEADER, bodyLength: 0,
    extFields: {
      maxMsgNums: '32', commitOffset: '0', suspendTimeoutMillis: '20000', subscription: '', expressionType: 'TAG',
      consumerGroup: 'GoldenGoConsumer', queueOffset: '0', sysFlag: '2', subVersion: '0', topic: 'GoldenTopicGO', queueId: '1',
    },
  },
};

test('every fixture in test/fixtures/frames has golden values here, and the other way round', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.hex')).sort();
  assert.deepEqual(files, Object.keys(GOLDEN).sort());
});

for (const [file, g] of Object.entries(GOLDEN)) {
  test(`${file}: comment header names client, version, code and header type`, () => {
    const { comments } = load(file);
    const text = comments.join('\n');
    const [client, version] = file.split('-');
    assert.match(text, client === 'java' ? new RegExp(`client: +rocketmq-client \\(Java\\) ${version}`) : new RegExp(`client: +rocketmq-client-go/v2 ${version}`));
    assert.match(text, new RegExp(`code: +${g.code} `));
    assert.match(text, new RegExp(`header: +${g.serializeType === JSON_HEADER ? 'JSON' : 'ROCKETMQ'} `));
    assert.match(text, new RegExp(`length: +${g.length} bytes`));
  });

  test(`${file}: decodeCommand gives every header field`, () => {
    const { frame, cmd } = decode(file);
    assert.equal(frame.length, g.length);
    assert.equal(frame.readUInt8(4), g.serializeType, 'type byte of the header length word');
    assert.equal(cmd.code, g.code);
    assert.equal(cmd.language, g.language);
    assert.equal(cmd.version, g.version);
    assert.equal(cmd.opaque, g.opaque);
    assert.equal(cmd.flag, g.flag);
    assert.equal(cmd.remark, g.remark);
    assert.equal(cmd.serializeType, g.serializeType);
    assert.equal(cmd.body?.length ?? 0, g.bodyLength);
    assert.deepEqual(cmd.extFields, g.extFields);
    if (g.extFields) assert.deepEqual(Object.keys(cmd.extFields!), Object.keys(g.extFields), 'ext field order as on the wire');
  });

  if (g.language === JAVA) {
    // fastjson writes RemotingCommand's bean properties alphabetically and omits nulls, as
    // encodeJsonHeader does; extFields is a HashMap written in its iteration order, which JSON.parse
    // keeps (no integer-like keys) and encodeJsonHeader replays; control characters in values come
    // out as \u00XX both ways. The binary header keeps its ext entries in wire order too.
    test(`${file}: encodeCommand reproduces the frame byte for byte`, () => {
      const { frame, cmd } = decode(file);
      assert.deepEqual(encodeCommand(cmd), frame);
    });
  } else {
    // Go marshals its RemotingCommand struct with jsoniter in declaration order (code, language,
    // version, opaque, flag, remark, extFields), always with "remark":"", and a Go map in random
    // order; fastjson's (and encodeJsonHeader's) alphabetical order cannot reproduce that. The
    // re-encoded frame must carry the same command.
    test(`${file}: encodeCommand gives an equivalent frame (not the same bytes: Go's field order)`, () => {
      const { frame, cmd } = decode(file);
      const again = encodeCommand(cmd);
      assert.notDeepEqual(again, frame);
      assert.ok(frame.toString('utf8', 8, 60).startsWith('{"code":' + g.code + ',"language":"GO","version":'), 'Go header order');
      const redecoded = decodeCommand(again.subarray(4));
      assert.deepEqual({ ...redecoded, body: redecoded.body ?? null }, { ...cmd, body: cmd.body ?? null });
      assert.equal(encodeJsonHeader(redecoded), encodeJsonHeader(cmd));
    });
  }
}

// ---- sends: parseSendRequest and parseProperties ----

const SINGLE_SENDS: Record<string, { request: Omit<SendRequest, 'properties'>; properties: [string, string][]; body: string }> = {
  'java-4.9.8-json-310-send-message-v2.hex': {
    request: {
      producerGroup: 'GoldenProducerJSON', topic: 'GoldenTopicJSON', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 1, sysFlag: 0,
      bornTimestamp: 1795357753686, flag: 0, reconsumeTimes: 0, maxReconsumeTimes: -1, batch: false,
    },
    properties: [['color', 'blue'], ['KEYS', 'golden-key-1'], ['UNIQ_KEY', '7F00000132671DBD16A66F4159450000'], ['WAIT', 'true'], ['TAGS', 'TagA']],
    body: 'golden body 1',
  },
  'java-4.9.8-rocketmq-310-send-message-v2.hex': {
    request: {
      producerGroup: 'GoldenProducerROCKETMQ', topic: 'GoldenTopicROCKETMQ', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 1, sysFlag: 0,
      bornTimestamp: 1795357766447, flag: 0, reconsumeTimes: 0, maxReconsumeTimes: -1, batch: false,
    },
    properties: [['color', 'blue'], ['KEYS', 'golden-key-1'], ['UNIQ_KEY', '7F00000133581DBD16A66F418B290000'], ['WAIT', 'true'], ['TAGS', 'TagA']],
    body: 'golden body 1',
  },
  'go-v2.1.2-json-10-send-message.hex': {
    request: {
      producerGroup: 'GoldenGoProducer', topic: 'GoldenTopicGO', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 1, sysFlag: 0,
      bornTimestamp: 1795357773454, flag: 0, reconsumeTimes: 0, maxReconsumeTimes: 0, batch: false,
    },
    // no WAIT: the Go client does not set it (the broker defaults to true)
    properties: [['TAGS', 'TagA'], ['KEYS', 'golden-go-key-1'], ['color', 'blue'], ['UNIQ_KEY', '3335373733EA000000006f41a4c80001']],
    body: 'golden go body 1',
  },
};

for (const [file, want] of Object.entries(SINGLE_SENDS)) {
  test(`${file}: parseSendRequest and parseProperties`, () => {
    const { cmd } = decode(file);
    const req = parseSendRequest(cmd.code, cmd.extFields);
    const { properties, ...rest } = req;
    assert.deepEqual(rest, want.request);
    assert.equal(properties, cmd.extFields!.i ?? cmd.extFields!.properties);
    assert.deepEqual(props(properties), want.properties);
    assert.equal(cmd.body!.toString('utf8'), want.body);
  });
}

const BATCHES: Record<string, { request: Omit<SendRequest, 'properties'>; uniqKeys: string[] }> = {
  'java-4.9.8-json-320-send-batch-message.hex': {
    request: {
      producerGroup: 'GoldenProducerJSON', topic: 'GoldenTopicJSON', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 2, sysFlag: 0,
      bornTimestamp: 1795357754055, flag: 0, reconsumeTimes: 0, maxReconsumeTimes: -1, batch: true,
    },
    uniqKeys: ['7F00000132671DBD16A66F415AC60001', '7F00000132671DBD16A66F415AC60002', '7F00000132671DBD16A66F415AC60003'],
  },
  'java-4.9.8-rocketmq-320-send-batch-message.hex': {
    request: {
      producerGroup: 'GoldenProducerROCKETMQ', topic: 'GoldenTopicROCKETMQ', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 2, sysFlag: 0,
      bornTimestamp: 1795357766527, flag: 0, reconsumeTimes: 0, maxReconsumeTimes: -1, batch: true,
    },
    uniqKeys: ['7F00000133581DBD16A66F418B7F0001', '7F00000133581DBD16A66F418B7F0002', '7F00000133581DBD16A66F418B7F0003'],
  },
};

for (const [file, want] of Object.entries(BATCHES)) {
  test(`${file}: parseSendRequest, decodeBatch and each element's properties`, () => {
    const { cmd } = decode(file);
    const { properties, ...rest } = parseSendRequest(cmd.code, cmd.extFields);
    assert.deepEqual(rest, want.request);
    assert.deepEqual(props(properties), [['WAIT', 'true']], 'batch-level properties');

    const body = cmd.body!;
    const elements = decodeBatch(body);
    const tags = ['TagA', 'TagB', 'TagC'];
    assert.equal(elements.length, 3);
    let at = 0;
    elements.forEach((e, n) => {
      // the element header the client writes: [totalSize][magic 0][bodyCRC 0][flag][bodyLength]
      assert.equal(body.readInt32BE(at), 122, `element ${n} total size`);
      assert.equal(body.readInt32BE(at + 4), 0, `element ${n} magic`);
      assert.equal(body.readInt32BE(at + 8), 0, `element ${n} body CRC`);
      assert.deepEqual(e, { flag: 0, bodyStart: at + 20, bodyEnd: at + 39, propsStart: at + 41, propsEnd: at + 122 });
      assert.equal(body.toString('utf8', e.bodyStart, e.bodyEnd), `golden batch body ${n + 1}`);
      assert.deepEqual([...parseProperties(body, e.propsStart, e.propsEnd)], [
        ['KEYS', `golden-batch-${n + 1}`], ['UNIQ_KEY', want.uniqKeys[n]], ['WAIT', 'true'], ['TAGS', tags[n]],
      ]);
      at = e.propsEnd;
    });
    assert.equal(at, body.length);
  });
}

// ---- HEART_BEAT: decodeHeartbeat ----

const subscription = (topic: string, subString: string, subVersion: number): HeartbeatData['consumerDataSet'][0]['subscriptionDataSet'][0] => {
  const tags = subString === '*' ? [] : subString.split(' || ');
  return { classFilterMode: false, topic, subString, tagsSet: tags, codeSet: tags.map((t) => javaHashCode(t)), subVersion, expressionType: 'TAG' };
};

const HEARTBEATS: Record<string, HeartbeatData> = {
  'java-4.9.8-json-34-heart-beat.hex': {
    clientID: '127.0.0.1@golden-consumer',
    producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }],
    consumerDataSet: [{
      groupName: 'GoldenConsumerJSON', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      subscriptionDataSet: [
        subscription('GoldenTopicJSON', 'TagA || TagB', 1795357754090),
        subscription('%RETRY%GoldenConsumerJSON', '*', 1795357754095),
      ],
      unitMode: false,
    }],
  },
  'java-4.9.8-rocketmq-34-heart-beat.hex': {
    clientID: '127.0.0.1@golden-consumer',
    producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }],
    consumerDataSet: [{
      groupName: 'GoldenConsumerROCKETMQ', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      subscriptionDataSet: [
        // a HashSet: its order differs from the JSON capture's
        subscription('%RETRY%GoldenConsumerROCKETMQ', '*', 1795357766555),
        subscription('GoldenTopicROCKETMQ', 'TagA || TagB', 1795357766550),
      ],
      unitMode: false,
    }],
  },
};

for (const [file, want] of Object.entries(HEARTBEATS)) {
  test(`${file}: decodeHeartbeat gives the client, producer and consumer groups`, () => {
    const { cmd } = decode(file);
    assert.deepEqual(decodeHeartbeat(cmd.body), want);
    assert.deepEqual(want.consumerDataSet[0].subscriptionDataSet.find((s) => s.tagsSet.length)!.codeSet, [2598919, 2598920], 'String.hashCode of TagA, TagB');
    // the body is fastjson's: alphabetical keys, no spaces
    const raw = cmd.body!.toString('utf8');
    assert.ok(raw.startsWith('{"clientID":"127.0.0.1@golden-consumer","consumerDataSet":[{"consumeFromWhere":'), raw.slice(0, 80));
    assert.ok(raw.endsWith('"unitMode":false}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}'));
  });
}
