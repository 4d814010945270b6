import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/ferry-process.js';
import { decodeCommand, encodeCommand, newRequest } from '../../src/shared/remoting/command.js';
import { readSendV2, readSendV2Json, SendV2View } from '../../src/shared/remoting/send-v2-view.js';
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
function assertSameAsGeneric(frame: Buffer, v = new SendV2View()): void {
  assert.equal(frame[0] === 0 ? readSendV2Json(frame, v) : readSendV2(frame, v), true);
  const cmd = decodeCommand(frame);
  const req = parseSendRequest(cmd.code, cmd.extFields);
  assert.equal(v.opaque, cmd.opaque);
  assert.equal(v.flag, cmd.flag);
  assert.equal(v.version, cmd.version);
  assert.equal(v.language, cmd.language);
  assert.equal(frame.toString('latin1', v.topicStart, v.topicEnd), req.topic);
  assert.equal(v.propsBuf.toString('utf8', v.propsStart, v.propsEnd), req.properties);
  assert.equal(v.serializeType, cmd.serializeType);
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

/** A JSON frame with `header` as its header text, as is (whitespace, order and escapes kept). */
const jsonFrame = (header: string, body = Buffer.from('body')): Buffer => {
  const h = Buffer.from(header);
  const f = Buffer.alloc(4 + h.length + body.length);
  f.writeUInt32BE(h.length, 0);
  h.copy(f, 4);
  body.copy(f, 4 + h.length);
  return f;
};
const JAVA_JSON = '{"code":310,"extFields":{"a":"pg","b":"TopicT","c":"TBW102","d":"4","e":"3","f":"0","g":"1700000000123","h":"7","i":"TAGS\\u0001A\\u0002UNIQ_KEY\\u0001X","j":"2","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":4242,"serializeTypeCurrentRPC":"JSON","version":409}';

test('JSON: the Java 4.9.8 golden frame (escaped separators) reads in place as the generic decoder reads it', () => {
  assertSameAsGeneric(fixture('java-4.9.8-json-310-send-message-v2.hex'));
  assertSameAsGeneric(jsonFrame(JAVA_JSON));
});

test('JSON: other key orders, whitespace, extra keys, every escape JSON has, our own encoder', () => {
  const v = new SendV2View();
  for (const f of [
    frameOf(V2, { type: 0 }),
    frameOf({ ...V2, i: 'KEYS\u0001a"b\\c/d\te\nf' }, { type: 0 }),
    jsonFrame('{"version":409,"opaque":-7,"language":"GO","flag":2,"remark":null,"extFields":{"m":"false","i":"TAGS\\u0001A","h":"0","g":"1","f":"0","e":"-1","b":"T","a":"g"},"code":310}'),
    jsonFrame(' {\n "code" : 310 , "extFields" : { "a" : "g" , "b" : "T" , "e" : "0" , "f" : "0" , "g" : "5" , "h" : "0" } , "flag" : 0 , "x" : true , "y" : 1.5e3 , "z" : "s" } '),
    jsonFrame('{"code":310,"extFields":{"a":"g","n":"b\\u00e9","b":"T","e":"0","f":"0","g":"5","h":"0","i":"K\\/\\"\\b\\f\\r\\u007F"},"flag":0,"language":"RUST","opaque":1,"version":1}'),
  ]) assertSameAsGeneric(f, v);
  assert.equal(readSendV2Json(jsonFrame(JAVA_JSON), v), true);
  assert.equal(v.language, 0);
});

test('JSON: everything but the plain case is left to the generic decoder', () => {
  const v = new SendV2View();
  const swap = (from: string, to: string) => {
    assert.ok(JAVA_JSON.includes(from), from);
    return jsonFrame(JAVA_JSON.replace(from, to));
  };
  const refused: [string, Buffer][] = [
    ['binary header', frameOf(V2)],
    ['pull', swap('"code":310', '"code":11')],
    ['code as a string', swap('"code":310', '"code":"310"')],
    ['code as a fraction', swap('"code":310', '"code":310.0')],
    ['a response', swap('"flag":0', '"flag":1')],
    ['batch flag', swap('"m":"false"', '"m":"true"')],
    ['empty body', jsonFrame(JAVA_JSON, Buffer.alloc(0))],
    ['missing topic', swap('"b":"TopicT",', '')],
    ['empty queueId', swap('"e":"3"', '"e":""')],
    ['queueId as a number', swap('"e":"3"', '"e":3')],
    ['an escaped topic', swap('"b":"TopicT"', '"b":"Topic\\u0054"')],
    ['an escaped key', swap('"b":', '"\\u0062":')],
    ['non-ASCII escape in the properties', swap('TAGS\\u0001A', 'TAGS\\u0001\\u00e9')],
    ['surrogate escape in the properties', swap('TAGS\\u0001A', 'TAGS\\u0001\\ud83d\\ude00')],
    ['raw control character in a string', swap('"pg"', '"p\u0001g"')],
    ['two extFields', swap('"flag":0', '"extFields":{},"flag":0')],
    ['extFields null', jsonFrame('{"code":310,"extFields":null,"flag":0}')],
    ['an object under another key', swap('"flag":0', '"flag":0,"x":{}')],
    ['an array under another key', swap('"flag":0', '"flag":0,"x":[1]')],
    ['trailing comma', swap('"version":409}', '"version":409,}')],
    ['garbage after the object', swap('"version":409}', '"version":409}x')],
    ['leading zero', swap('"opaque":4242', '"opaque":04242')],
    ['16-digit number', swap('"opaque":4242', '"opaque":1234567890123456')],
    ['topic with a dot', swap('"TopicT"', '"Topic.T"')],
  ];
  for (const [why, frame] of refused) assert.equal(readSendV2Json(frame, v), false, why);
  const good = jsonFrame(JAVA_JSON);
  for (let cut = 0; cut < good.length; cut++) {
    const torn = Buffer.from(good.subarray(0, cut));
    if (cut >= 4) torn.writeUInt32BE(Math.min(good.readUInt32BE(0), cut - 4), 0);
    assert.doesNotThrow(() => readSendV2Json(torn, v), `cut at ${cut}`);
    if (cut < good.length - 4) assert.equal(readSendV2Json(torn, v), false, `cut at ${cut}`);
  }
});

test('JSON: any header JSON.parse reads to a plain send gives the generic decoder\'s fields; the rest are refused, never misread', async () => {
  const fc = await import('fast-check');
  const v = new SendV2View();
  let accepted = 0;
  const str = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', '\u0001', '\u0002', '"', '\\', '/', '\n', 'é', ' '), maxLength: 12 });
  const header = fc.record({
    topic: fc.constantFrom('T', 'Topic_1', 'a|b%c', 'bad.topic', ''),
    props: fc.option(str),
    queueId: fc.constantFrom('0', '3', '-1', '', '07', 'x'),
    born: fc.constantFrom('1700000000123', '0', '-5', '1.5'),
    extra: fc.option(fc.constantFrom('"r":null', '"r":"x"', '"r":[]', '"r":-2.5e1', '"r":false')),
    order: fc.boolean(),
  });
  fc.assert(fc.property(header, (h) => {
    const ext: Record<string, string> = { a: 'g', b: h.topic, e: h.queueId, f: '0', g: h.born, h: '0' };
    if (h.props !== null) ext.i = h.props;
    const extText = JSON.stringify(ext);
    const parts = [`"code":310`, `"extFields":${extText}`, `"flag":0`, `"language":"JAVA"`, `"opaque":9`, `"version":409`];
    if (h.extra) parts.push(h.extra);
    if (h.order) parts.reverse();
    const frame = jsonFrame(`{${parts.join(',')}}`);
    if (!readSendV2Json(frame, v)) return;
    accepted++;
    assertSameAsGeneric(frame, v);
  }), { numRuns: 2000 });
  assert.ok(accepted > 200, `only ${accepted} of 2000 generated headers were read in place`);
});
