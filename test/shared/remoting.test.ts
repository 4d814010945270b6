import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCommand, encodeCommand, encodeJsonHeader, responseFor, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { FrameDecoder } from '../../src/shared/remoting/frame-decoder.js';
import { FrameError } from '../../src/shared/remoting/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Reference section 1.9: GET_ROUTEINFO_BY_TOPIC as a ROCKETMQ binary header (41 bytes).
const BINARY_ROUTE_REQUEST = hex(`00 00 00 2d 01 00 00 29 00 69 00 01 99 00 00 00 07 00 00 00 00 00 00 00 00
  00 00 00 14 00 05 74 6f 70 69 63 00 00 00 09 54 6f 70 69 63 54 65 73 74`);

const JSON_ROUTE_HEADER = '{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}';

test('decodes the binary GET_ROUTEINFO_BY_TOPIC vector', () => {
  const cmd = decodeCommand(BINARY_ROUTE_REQUEST.subarray(4));
  assert.equal(cmd.code, 105);
  assert.equal(cmd.language, 0);
  assert.equal(cmd.version, 409);
  assert.equal(cmd.opaque, 7);
  assert.equal(cmd.flag, 0);
  assert.equal(cmd.remark, null);
  assert.deepEqual(cmd.extFields, { topic: 'TopicTest' });
  assert.equal(cmd.serializeType, 1);
  assert.equal(cmd.body, null);
});

test('encodes the binary vector byte for byte', () => {
  const cmd = decodeCommand(BINARY_ROUTE_REQUEST.subarray(4));
  assert.deepEqual(encodeCommand(cmd), BINARY_ROUTE_REQUEST);
});

test('JSON header: 131-byte vector, frame length 0x87', () => {
  const frame = Buffer.concat([hex('00000087 00000083'), Buffer.from(JSON_ROUTE_HEADER)]);
  assert.equal(JSON_ROUTE_HEADER.length, 131);
  const cmd = decodeCommand(frame.subarray(4));
  assert.equal(cmd.code, 105);
  assert.equal(cmd.opaque, 7);
  assert.deepEqual(cmd.extFields, { topic: 'TopicTest' });
  assert.equal(encodeJsonHeader(cmd), JSON_ROUTE_HEADER);
  assert.deepEqual(encodeCommand(cmd), frame);
});

test('JSON header tolerates numbers, booleans, missing extFields and a numeric language', () => {
  const text = '{"code":10,"language":9,"opaque":3,"flag":2,"remark":"","extFields":{"queueId":3,"k":false,"x":null},"extra":1}';
  const frame = Buffer.concat([hex('00000000'), Buffer.from(text)]);
  frame.writeUInt32BE(text.length, 0);
  const cmd = decodeCommand(frame);
  assert.equal(cmd.language, 9);
  assert.equal(cmd.flag, 2);
  assert.deepEqual(cmd.extFields, { queueId: '3', k: 'false' });
  const noExt = '{"code":34,"flag":0,"language":"JAVA","opaque":1,"version":409}';
  const f2 = Buffer.concat([hex('00000000'), Buffer.from(noExt), Buffer.from('body')]);
  f2.writeUInt32BE(noExt.length, 0);
  const c2 = decodeCommand(f2);
  assert.equal(c2.extFields, null);
  assert.equal(c2.body?.toString(), 'body');
});

test('response keeps opaque and serialize type; extFields values are strings', () => {
  const req = decodeCommand(BINARY_ROUTE_REQUEST.subarray(4));
  const res = responseFor(req, 0, null, { queueOffset: '42' }, Buffer.from('xy'));
  const back = decodeCommand(encodeCommand(res).subarray(4));
  assert.equal(back.opaque, 7);
  assert.equal(back.flag & 1, 1);
  assert.equal(back.serializeType, 1);
  assert.deepEqual(back.extFields, { queueOffset: '42' });
  assert.equal(back.body?.toString(), 'xy');
  const jsonReq: RemotingCommand = { ...req, serializeType: 0 };
  const jsonRes = encodeCommand(responseFor(jsonReq, 17, 'No topic route info in name server for the topic: T'));
  assert.equal(jsonRes.readUInt32BE(4) >>> 24, 0);
  assert.match(jsonRes.subarray(8).toString(), /^\{"code":17,"flag":1,"language":"JAVA","opaque":7,"remark":"No topic route info/);
});

test('binary header drops empty values and rejects lengths past the end', () => {
  const cmd: RemotingCommand = { code: 10, language: 0, version: 409, opaque: 1, flag: 0, remark: 'r', extFields: { a: 'x', b: '' }, serializeType: 1, body: null };
  const back = decodeCommand(encodeCommand(cmd).subarray(4));
  assert.deepEqual(back.extFields, { a: 'x' });
  assert.equal(back.remark, 'r');
  const bad = Buffer.from(BINARY_ROUTE_REQUEST.subarray(4));
  bad.writeInt32BE(1000, 4 + 17); // ext length past the header
  assert.throws(() => decodeCommand(bad), FrameError);
  const badHeaderLen = Buffer.from(BINARY_ROUTE_REQUEST.subarray(4));
  badHeaderLen.writeUInt32BE((1 << 24) | 500, 0);
  assert.throws(() => decodeCommand(badHeaderLen), /past the frame end/);
  assert.throws(() => decodeCommand(hex('02000000')), /unknown serialize type/);
  const notJson = Buffer.concat([hex('00000003'), Buffer.from('{x]')]);
  assert.throws(() => decodeCommand(notJson), FrameError);
});

test('header text round-trips whatever it holds: non-ASCII, long, negative and repeated values', () => {
  // Decoded field names and values are cached by their bytes: many distinct names (more than the
  // cache has slots, so some share one) and repeats must each still decode to their own text.
  const fields: Record<string, string> = {};
  for (let i = 0; i < 700; i++) fields[`k${i}`] = i % 3 === 0 ? `group-${i}` : i % 3 === 1 ? String(-i) : `t${i}`;
  Object.assign(fields, {
    grüße: 'wert-ü',
    topic: 'x'.repeat(40),
    long: 'y'.repeat(100),
    quote: 'a"b\\c\n',
    surrogate: 'emoji 🙂',
    ctl: '\u0001\u0002',
    del: 'a\u007fb',
  });
  for (const serializeType of [0, 1]) {
    const cmd: RemotingCommand = { code: 11, language: 0, version: 409, opaque: 5, flag: 0, remark: 'bemerkung ✓', extFields: fields, serializeType, body: null };
    for (let round = 0; round < 2; round++) {
      const back = decodeCommand(encodeCommand(cmd).subarray(4));
      assert.deepEqual(back.extFields, fields);
      assert.equal(back.remark, 'bemerkung ✓');
    }
  }
  // The JSON header is what JSON.stringify would give for each key and value.
  const json = JSON.parse(encodeJsonHeader({ code: 1, language: 0, version: 1, opaque: 1, flag: 0, remark: null, extFields: fields, serializeType: 0, body: null }));
  assert.deepEqual(json.extFields, fields);
});

test('frame decoder splits, joins and limits', () => {
  const f = BINARY_ROUTE_REQUEST;
  const stream = Buffer.concat([f, f, f]);
  const dec = new FrameDecoder();
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 7) dec.push(stream.subarray(i, i + 7), (fr) => got.push(Buffer.from(fr)));
  assert.equal(got.length, 3);
  for (const g of got) assert.deepEqual(g, f.subarray(4));
  assert.equal(dec.buffered, 0);
  const big = new FrameDecoder(1024);
  assert.throws(() => big.push(hex('00100000 00000000'), () => {}), /outside/);
  assert.throws(() => new FrameDecoder().push(hex('00000002'), () => {}), /outside/);
});

/** A length-prefixed stream of frames of these sizes, each filled with a byte of its own. */
function frameStream(sizes: number[]): { stream: Buffer; frames: Buffer[] } {
  const frames = sizes.map((n, i) => Buffer.alloc(n, i + 1));
  const stream = Buffer.concat(frames.flatMap((fr) => [Buffer.from([fr.length >>> 24, fr.length >>> 16 & 255, fr.length >>> 8 & 255, fr.length & 255]), fr]));
  return { stream, frames };
}

test('frame decoder: a cut at any byte gives the same frames; whole frames are views of their chunk', () => {
  const { stream, frames } = frameStream([4, 41, 9, 300, 5]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const dec = new FrameDecoder();
    const got: Buffer[] = [];
    const views: boolean[] = [];
    // Each in memory of its own, as socket reads are (not the shared pool of small buffers)
    const own = (b: Buffer) => {
      const c = Buffer.allocUnsafeSlow(b.length);
      b.copy(c);
      return c;
    };
    const first = own(stream.subarray(0, cut));
    const second = own(stream.subarray(cut));
    for (const chunk of [first, second]) {
      dec.push(chunk, (fr) => {
        views.push(fr.buffer === chunk.buffer);
        got.push(Buffer.from(fr));
      });
      // After the first read, what it held beyond its whole frames (prefixes included) is buffered.
      if (chunk === first) assert.equal(dec.buffered, cut - got.reduce((bytes, f) => bytes + 4 + f.length, 0), `cut ${cut}`);
    }
    assert.deepEqual(got, frames, `cut ${cut}`);
    assert.equal(dec.buffered, 0);
    // Only a frame whose bytes the cut splits is a copy (none when the cut falls in a prefix).
    assert.ok(views.filter((v) => !v).length <= 1, `cut ${cut}: ${views}`);
  }
});

test('frame decoder: a large frame in small chunks grows its buffer and comes out whole', () => {
  const { stream, frames } = frameStream([3_000_000, 100, 200_000]);
  for (const step of [1000, 65_536, 777_777]) {
    const dec = new FrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += step) dec.push(Buffer.from(stream.subarray(i, i + step)), (fr) => got.push(Buffer.from(fr)));
    assert.equal(got.length, 3, `step ${step}`);
    for (let k = 0; k < 3; k++) assert.ok(got[k].equals(frames[k]), `step ${step}, frame ${k}`);
    assert.equal(dec.buffered, 0);
  }
  // A frame only announced holds memory for what came, not for what it announces.
  const dec = new FrameDecoder();
  dec.push(hex('00f00000 0102'), () => assert.fail('no frame yet'));
  assert.equal(dec.buffered, 6);
  assert.ok(((dec as unknown as { partial: Buffer }).partial).length <= 64 * 1024);
});
