import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/ferry-process.js';
import { decodeCommand, encodeCommand, newRequest } from '../../src/shared/remoting/command.js';
import { readSendV2, SendV2View } from '../../src/shared/remoting/send-v2-view.js';
import { parseSendRequest } from '../../src/workers/network/send-request.js';

const fixture = (name: string): Buffer => {
  const hex = fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'frames', name), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('').replace(/\s+/g, '');
  return Buffer.from(hex, 'hex').subarray(4);
};

const V2 = { a: 'pg', b: 'TopicT', c: 'TBW102', d: '4', e: '3', f: '0', g: '1700000000123', h: '7', i: 'TAGS\u0001A\u0002UNIQ_KEY\u0001X', j: '2', k: 'false', m: 'false' };
const frameOf = (ext: Record<string, string>, opts: { body?: Buffer; code?: number; flag?: number; type?: number } = {}): Buffer => {
  const cmd = newRequest(opts.code ?? 310, ext, opts.body ?? Buffer.from('body'));
  cmd.serializeType = opts.type ?? 1;
  cmd.opaque = 4242;
  cmd.flag = opts.flag ?? 0;
  return encodeCommand(cmd).subarray(4);
};

/** Every field the in-place reader gives equals the generic decoder's. */
function assertSameAsGeneric(frame: Buffer): void {
  const v = new SendV2View();
  assert.equal(readSendV2(frame, v), true);
  const cmd = decodeCommand(frame);
  const req = parseSendRequest(cmd.code, cmd.extFields);
  assert.equal(v.opaque, cmd.opaque);
  assert.equal(v.flag, cmd.flag);
  assert.equal(v.version, cmd.version);
  assert.equal(v.language, cmd.language);
  assert.equal(frame.toString('latin1', v.topicStart, v.topicEnd), req.topic);
  assert.equal(frame.toString('utf8', v.propsStart, v.propsEnd), req.properties);
  assert.equal(v.queueId, req.queueId);
  assert.equal(v.sysFlag, req.sysFlag);
  assert.equal(v.bornTimestamp, req.bornTimestamp);
  assert.equal(v.msgFlag, req.flag);
  assert.equal(v.reconsumeTimes, req.reconsumeTimes);
  assert.deepEqual(frame.subarray(v.bodyStart), cmd.body);
}

test('the Java 4.9.8 SEND_MESSAGE_V2 golden frame reads in place as the generic decoder reads it', () => {
  assertSameAsGeneric(fixture('java-4.9.8-rocketmq-310-send-message-v2.hex'));
});

test('plain V2 sends read in place: optional fields absent or empty, negative queue, unit mode', () => {
  assertSameAsGeneric(frameOf(V2));
  const { i: _i, j: _j, ...noOptional } = V2;
  assertSameAsGeneric(frameOf(noOptional));
  assertSameAsGeneric(frameOf({ ...V2, i: '', j: '', e: '-1', k: 'true' }));
  assertSameAsGeneric(frameOf({ ...V2, l: '16' }, { flag: 2 }));
});

test('everything but the plain case is left to the generic decoder', () => {
  const v = new SendV2View();
  const refused: [string, Buffer][] = [
    ['JSON header', frameOf(V2, { type: 0 })],
    ['SEND_MESSAGE (v1 keys)', frameOf(V2, { code: 10 })],
    ['batch code', frameOf(V2, { code: 320 })],
    ['batch flag', frameOf({ ...V2, m: 'true' })],
    ['a response', frameOf(V2, { flag: 1 })],
    ['empty body', frameOf(V2, { body: Buffer.alloc(0) })],
    ['missing queueId', frameOf({ ...V2, e: '' })],
    ['missing topic', frameOf({ ...V2, b: '' })],
    ['long key name', frameOf({ ...V2, topic: 'Other' })],
    ['unknown long key', frameOf({ ...V2, brokerName: 'b' })],
    ['not a number', frameOf({ ...V2, g: '12x' })],
    ['16 digits', frameOf({ ...V2, g: '1234567890123456' })],
    ['bad default queue count', frameOf({ ...V2, d: 'four' })],
    ['topic with a dot', frameOf({ ...V2, b: 'a.b' })],
    ['topic too long', frameOf({ ...V2, b: 'T'.repeat(128) })],
    ['non-ASCII properties', frameOf({ ...V2, i: 'KEYS\u0001clé' })],
  ];
  for (const [why, frame] of refused) assert.equal(readSendV2(frame, v), false, why);
  const good = frameOf(V2);
  for (let cut = 0; cut < good.length - 4; cut++) {
    const torn = Buffer.from(good.subarray(0, cut));
    assert.doesNotThrow(() => readSendV2(torn, v), `cut at ${cut}`);
  }
  const lyingExt = Buffer.from(good);
  lyingExt.writeInt32BE(0x7fffffff, 21);
  assert.equal(readSendV2(lyingExt, v), false, 'ext length past the header');
});

test('a delay level in the properties is noticed as String.includes("DELAY\\u0001") would', () => {
  const v = new SendV2View();
  for (const [props, want] of [
    ['TAGS\u0001A\u0002DELAY\u00013', true],
    ['DELAY\u00011', true],
    ['MYDELAY\u00012\u0002TAGS\u0001A', true],
    ['TAGS\u0001DELAY', false],
    ['DELAYED\u00011', false],
    ['', false],
  ] as const) {
    assert.equal(readSendV2(frameOf({ ...V2, i: props }), v), true);
    assert.equal(v.delayMark, want, JSON.stringify(props));
    assert.equal(v.delayMark, props.includes('DELAY\u0001'));
  }
});
