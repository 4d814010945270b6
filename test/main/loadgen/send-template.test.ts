import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestCode, SerializeType } from '../../../src/shared/codes.js';
import { decodeCommand } from '../../../src/shared/remoting/command.js';
import { decodeBatch } from '../../../src/shared/storage/batch.js';
import { parseProperties } from '../../../src/shared/storage/properties.js';
import { SendClock, stampFrame } from '../../../src/main/loadgen/frame-stamp.js';
import { buildQueueTemplates, buildSendTemplate, OPAQUE_BASE, type TemplateSpec } from '../../../src/main/loadgen/send-template.js';
import { UniqKeyGenerator } from '../../../src/main/loadgen/uniq-key.js';

const uniq = new UniqKeyGenerator(Uint8Array.of(10, 1, 2, 3), 4242, 0x01020304);
const spec = (over: Partial<TemplateSpec> = {}): TemplateSpec => ({
  topic: 'BenchTópico', producerGroup: 'benchmark_producer', queueId: 13, body: Buffer.from('x'.repeat(100)), batch: 1, json: false,
  tags: null, keys: false, uniqPrefix: uniq.prefix, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, brokerName: 'broker-a', ...over,
});

/** Stamps the template into a dirty buffer at an offset and decodes the result. */
function stamp(s: TemplateSpec, opaque: number, queueId = s.queueId) {
  const tpl = buildSendTemplate(s);
  const clock = new SendClock(uniq);
  clock.tick();
  const dst = Buffer.alloc(tpl.frame.length + 50, 0xee);
  const counter = uniq.take(tpl.messages);
  stampFrame(dst, 17, tpl, queueId, opaque, clock, counter);
  const frame = dst.subarray(17, 17 + tpl.frame.length);
  assert.equal(frame.readInt32BE(0), frame.length - 4);
  assert.equal(dst[17 + tpl.frame.length], 0xee, 'nothing written past the frame');
  return { cmd: decodeCommand(frame.subarray(4)), clock, counter, tpl };
}

for (const json of [false, true]) {
  test(`single send template (${json ? 'JSON' : 'binary'} header) decodes as a Java SEND_MESSAGE_V2 with the patched fields`, () => {
    const opaque = OPAQUE_BASE + 123457;
    const { cmd, clock, counter } = stamp(spec({ json, tags: 'TagA', keys: true }), opaque, 13);
    assert.equal(cmd.code, RequestCode.SEND_MESSAGE_V2);
    assert.equal(cmd.serializeType, json ? SerializeType.JSON : SerializeType.ROCKETMQ);
    assert.equal(cmd.opaque, opaque);
    assert.equal(cmd.flag, 0);
    assert.equal(cmd.version, 409);
    const e = cmd.extFields!;
    assert.deepEqual(
      { a: e.a, b: e.b, c: e.c, d: e.d, e: e.e, f: e.f, g: e.g, h: e.h, j: e.j, k: e.k, m: e.m, n: e.n },
      { a: 'benchmark_producer', b: 'BenchTópico', c: 'TBW102', d: '4', e: '13', f: '0', g: String(clock.now), h: '0', j: '0', k: 'false', m: 'false', n: 'broker-a' },
    );
    const props = parseProperties(Buffer.from(e.i), 0, Buffer.byteLength(e.i));
    assert.equal(props.get('UNIQ_KEY'), uniq.key(clock.uniqTime, counter));
    assert.match(props.get('UNIQ_KEY')!, /^[0-9A-F]{32}$/);
    assert.equal(props.get('WAIT'), 'true');
    assert.equal(props.get('TAGS'), 'TagA');
    assert.equal(props.get('KEYS'), String(Math.floor(clock.now / 1000)));
    assert.equal(cmd.body!.toString(), 'x'.repeat(100));
  });

  test(`batch template (${json ? 'JSON' : 'binary'}) carries one UNIQ_KEY per element`, () => {
    const { cmd, clock, counter, tpl } = stamp(spec({ json, batch: 5 }), OPAQUE_BASE + 9);
    assert.equal(tpl.messages, 5);
    assert.equal(cmd.code, RequestCode.SEND_BATCH_MESSAGE);
    assert.equal(cmd.extFields!.m, 'true');
    assert.equal(cmd.extFields!.i, 'WAIT\u0001true');
    const els = decodeBatch(cmd.body!);
    assert.equal(els.length, 5);
    const keys = els.map((el) => parseProperties(cmd.body!, el.propsStart, el.propsEnd).get('UNIQ_KEY'));
    assert.deepEqual(keys, [0, 1, 2, 3, 4].map((i) => uniq.key(clock.uniqTime, counter + i)));
    for (const el of els) assert.equal(cmd.body!.subarray(el.bodyStart, el.bodyEnd).toString(), 'x'.repeat(100));
  });
}

test('the template itself is never modified by stamping', () => {
  const tpl = buildSendTemplate(spec());
  const before = Buffer.from(tpl.frame);
  const clock = new SendClock(uniq);
  clock.tick();
  stampFrame(Buffer.alloc(tpl.frame.length), 0, tpl, 42, OPAQUE_BASE + 5, clock, 77);
  assert.deepEqual(tpl.frame, before);
});

test('one template per queue-id width serves every queue; the id is patched per request', () => {
  const ids = Array.from({ length: 12 }, (_, i) => i);
  const { queueId: _unused, ...rest } = spec();
  const tpls = buildQueueTemplates(rest, ids);
  assert.equal(new Set(tpls).size, 2, 'widths 1 and 2');
  const clock = new SendClock(uniq);
  clock.tick();
  for (const q of [0, 7, 10, 11]) {
    const tpl = tpls[q];
    const dst = Buffer.alloc(tpl.frame.length);
    stampFrame(dst, 0, tpl, q, OPAQUE_BASE + q, clock, 0);
    assert.equal(decodeCommand(dst.subarray(4)).extFields!.e, String(q));
  }
});
