// Fuzz targets over the broker's pure decoders: each is an arbitrary (random, mutated and valid
// inputs) and a check that throws when the property is violated. The checks say which errors a
// decoder may throw; anything else (TypeError, a Node ERR_* RangeError from an out-of-bounds read,
// a wrong round trip) is a failure. Run by fuzz-worker.ts, in CI through decoders.test.ts and for
// long runs through bench/fuzz/run.mjs.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { decodeBinaryHeader, decodeCommand, encodeCommand, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { FrameError, RemotingError } from '../../src/shared/remoting/errors.js';
import { FrameDecoder } from '../../src/shared/remoting/frame-decoder.js';
import { ResponseCode } from '../../src/shared/codes.js';
import { decodeBatch, encodeBatch } from '../../src/shared/storage/batch.js';
import { encodeProperties, findProperties, findProperty, parseProperties } from '../../src/shared/storage/properties.js';
import { checkRecord, decodeRecord, encodeRecord, MAGIC_V1, MAGIC_V2, posBodyLength, POS_MAGIC, POS_SYSFLAG, type RecordFields } from '../../src/shared/storage/message.js';
import { readInt, writeInt } from '../../src/shared/storage/longs.js';
import { parseFastJson, stringifyFastJson } from '../../src/shared/storage/fastjson.js';
import { parseSendRequest } from '../../src/workers/network/send-request.js';
import { pullRequestFromCommand, readPullRequest } from '../../src/shared/remoting/pull-request.js';

export interface FuzzTarget<T = any> {
  name: string;
  /** Relative share of the inputs in a long run. */
  weight: number;
  /** Set when the property is known to fail because of a broker bug (the CI test is a todo). */
  knownBug?: string;
  arb(): fc.Arbitrary<T>;
  /** Throws when the property does not hold for `input`. */
  check(input: T): void;
}

// ---------------------------------------------------------------------------------------------
// Error discipline.

export class PropertyViolation extends Error {
  override name = 'PropertyViolation';
}

const fail = (msg: string): never => {
  throw new PropertyViolation(msg);
};

/** A RangeError thrown on purpose by Ferry code (Node's own out-of-range errors carry a `code`). */
const typedRangeError = (e: unknown) => e instanceof RangeError && (e as { code?: unknown }).code === undefined;
const isFrameError = (e: unknown) => e instanceof FrameError;
const isRemotingError = (e: unknown) => e instanceof RemotingError;
const isFastJsonError = (e: unknown) =>
  (e instanceof SyntaxError && e.message.startsWith('fastjson parse error')) ||
  // deep nesting overflows the recursive parser: a RangeError, caught by every caller
  (e instanceof RangeError && /call stack/.test(e.message));

const describe = (e: unknown) => (e instanceof Error ? `${e.constructor.name}${(e as { code?: string }).code ? ` [${(e as { code?: string }).code}]` : ''}: ${e.message}` : String(e));

/** Runs f; an error is fine only if `allowed` accepts it (then undefined is returned). */
function only<R>(what: string, f: () => R, allowed: (e: unknown) => boolean): R | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof PropertyViolation) throw e;
    if (allowed(e)) return undefined;
    return fail(`${what} threw an undocumented ${describe(e)}`);
  }
}

function same(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) fail(`${what}: got ${fc.stringify(actual)}, expected ${fc.stringify(expected)}`);
}

// ---------------------------------------------------------------------------------------------
// Shared arbitraries.

const INT32 = { min: -0x80000000, max: 0x7fffffff };
const int32 = () => fc.integer(INT32);
/** Values that sit on the edges of length checks. */
const edgyInt = () => fc.oneof(int32(), fc.constantFrom(0, 1, 2, 3, 4, 5, 20, 21, 127, 128, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x1000001, 0x7fffffff, -1, -2, -0x80000000));
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const buffer = (maxLength: number) => bytes(maxLength).map((u) => Buffer.from(u));
/** Well-formed Unicode (no lone surrogates), any code point. */
const text = (maxLength: number, minLength = 0) => fc.string({ unit: 'binary', minLength, maxLength });

interface Mutation {
  edits: { pos: number; val: number }[];
  ints: { pos: number; val: number }[];
  cut: number | null;
  tail: Uint8Array;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  edits: fc.array(fc.record({ pos: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 }),
  ints: fc.oneof({ weight: 2, arbitrary: fc.constant([] as { pos: number; val: number }[]) }, fc.array(fc.record({ pos: fc.nat(), val: edgyInt() }), { maxLength: 2 })),
  cut: fc.option(fc.nat(), { nil: null, freq: 4 }),
  tail: fc.oneof({ weight: 4, arbitrary: fc.constant(new Uint8Array(0)) }, bytes(8)),
});

/** Byte edits, 32-bit overwrites with edge values, truncation and appended bytes. */
function mutate(src: Uint8Array, m: Mutation): Buffer {
  let b = Buffer.from(src);
  if (b.length > 0) {
    for (const e of m.edits) b[e.pos % b.length] = e.val;
    for (const i of m.ints) if (b.length >= 4) b.writeInt32BE(i.val | 0, i.pos % (b.length - 3));
  }
  if (m.cut !== null && b.length > 0) b = b.subarray(0, m.cut % (b.length + 1));
  return m.tail.length ? Buffer.concat([b, m.tail]) : b;
}

// ---------------------------------------------------------------------------------------------
// Remoting commands.

const extArb = (maxKeys: number) =>
  fc
    .uniqueArray(fc.tuple(text(12), text(24)), { maxLength: maxKeys, selector: ([k]) => k })
    .map((entries) => Object.fromEntries(entries.filter(([k]) => k !== '__proto__')) as Record<string, string>);

const jsonCommandArb: fc.Arbitrary<RemotingCommand> = fc.record({
  code: int32(),
  language: fc.integer({ min: 0, max: 13 }),
  version: int32(),
  opaque: int32(),
  flag: int32(),
  remark: fc.option(text(40), { nil: null }),
  extFields: fc.option(extArb(6), { nil: null }),
  serializeType: fc.constant(0),
  body: fc.option(buffer(64), { nil: null }),
});

const binaryCommandArb: fc.Arbitrary<RemotingCommand> = fc.record({
  code: fc.integer({ min: -0x8000, max: 0x7fff }),
  language: fc.integer({ min: 0, max: 255 }),
  version: fc.integer({ min: -0x8000, max: 0x7fff }),
  opaque: int32(),
  flag: int32(),
  remark: fc.option(text(40), { nil: null }),
  extFields: fc.option(extArb(6), { nil: null }),
  serializeType: fc.constant(1),
  body: fc.option(buffer(64), { nil: null }),
});

const commandArb = fc.oneof(jsonCommandArb, binaryCommandArb);

/** What decodeCommand(encodeCommand(c)) must give back. */
function expectedRoundTrip(c: RemotingCommand): RemotingCommand {
  const body = c.body && c.body.length > 0 ? c.body : null;
  if (c.serializeType === 0) return { ...c, body };
  // ROCKETMQ: zero-length strings read back as null; an empty ext block is no ext block.
  let ext: Record<string, string> | null = null;
  if (c.extFields && Object.keys(c.extFields).length > 0) {
    ext = {};
    for (const [k, v] of Object.entries(c.extFields)) if (k !== '' && v !== '') ext[k] = v;
  }
  return { ...c, remark: c.remark ? c.remark : null, extFields: ext, body };
}

/** A decoded command must be well-typed whatever the input. */
function checkShape(cmd: RemotingCommand, frameLen: number): void {
  for (const k of ['code', 'version', 'opaque', 'flag'] as const) {
    if (!Number.isInteger(cmd[k]) || cmd[k] < INT32.min || cmd[k] > INT32.max) fail(`${k} is not an int32: ${cmd[k]}`);
  }
  if (!Number.isInteger(cmd.language) || cmd.language < 0 || cmd.language > 255) fail(`language is not a byte: ${cmd.language}`);
  if (cmd.remark !== null && typeof cmd.remark !== 'string') fail('remark is not a string');
  if (cmd.extFields !== null) {
    if (typeof cmd.extFields !== 'object') fail('extFields is not an object');
    for (const [k, v] of Object.entries(cmd.extFields)) if (typeof v !== 'string') fail(`extFields.${k} is not a string: ${typeof v}`);
  }
  if (cmd.serializeType !== 0 && cmd.serializeType !== 1) fail(`serializeType ${cmd.serializeType}`);
  if (cmd.body !== null && (!Buffer.isBuffer(cmd.body) || cmd.body.length === 0 || cmd.body.length > frameLen)) fail('body out of the frame');
}

function decodeFrame(frame: Buffer): void {
  const cmd = only('decodeCommand', () => decodeCommand(frame), isFrameError);
  if (cmd) checkShape(cmd, frame.length);
}

/** A frame (without its length prefix) whose header is JSON text made of JSON-ish noise. */
const jsonishFrameArb = fc
  .tuple(
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.record({ code: fc.oneof(int32(), fc.double(), fc.string(), fc.constant(null)), extFields: fc.jsonValue({ maxDepth: 2 }), opaque: fc.jsonValue({ maxDepth: 1 }), language: fc.jsonValue({ maxDepth: 1 }) }).map((o) => JSON.stringify(o)),
      text(40),
    ),
    buffer(16),
  )
  .map(([h, body]) => {
    const header = Buffer.from(h, 'utf8');
    const f = Buffer.alloc(4 + header.length + body.length);
    f.writeUInt32BE(header.length, 0);
    header.copy(f, 4);
    body.copy(f, 4 + header.length);
    return f;
  });

// ---------------------------------------------------------------------------------------------
// Message records.

const ipArb = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));
const longArb = () => fc.oneof(fc.integer({ min: -(2 ** 53 - 1), max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(0, -1, 2 ** 31, 2 ** 32, -(2 ** 32)));

const topicBytesArb = text(40, 0)
  .map((s) => Buffer.from(s, 'utf8'))
  .filter((b) => b.length <= 127);

const recordFieldsArb: fc.Arbitrary<RecordFields> = fc.record({
  queueId: int32(),
  flag: int32(),
  queueOffset: longArb(),
  physicalOffset: longArb(),
  sysFlag: int32(),
  bornTimestamp: longArb(),
  bornHost: ipArb,
  bornPort: int32(),
  storeTimestamp: longArb(),
  storeHost: ipArb,
  storePort: int32(),
  reconsumeTimes: int32(),
  preparedTransactionOffset: longArb(),
  body: bytes(80),
  topic: topicBytesArb,
  properties: fc.oneof(bytes(40), text(30).map((s) => Buffer.from(s, 'utf8'))),
});

function encodeFields(f: RecordFields): Buffer {
  const buf = Buffer.alloc(1024);
  const len = encodeRecord(buf, 0, f);
  return buf.subarray(0, len);
}

/** The same record with a MAGIC_V2 header (2-byte topic length). */
function toV2(v1: Buffer): Buffer {
  const sysFlag = readInt(v1, POS_SYSFLAG);
  const p = posBodyLength(sysFlag);
  const topicLenPos = p + 4 + readInt(v1, p);
  const out = Buffer.concat([v1.subarray(0, topicLenPos), Buffer.from([0, v1[topicLenPos]]), v1.subarray(topicLenPos + 1)]);
  writeInt(out, 0, out.length);
  writeInt(out, POS_MAGIC, MAGIC_V2);
  return out;
}

/** Mutated records: mostly small edits of a valid v1 or v2 record, so checkRecord often accepts them. */
const recordBytesArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(recordFieldsArb, fc.boolean(), mutationArb, fc.nat(40)).map(([f, v2, m, pad]) => {
    const r = v2 ? toV2(encodeFields(f)) : encodeFields(f);
    return { buf: Buffer.concat([Buffer.alloc(pad % 9), mutate(r, m), Buffer.alloc(pad % 5)]), off: pad % 9 };
  }) },
  { weight: 1, arbitrary: fc.tuple(bytes(200), fc.nat()).map(([b, o]) => ({ buf: Buffer.from(b), off: b.length ? o % (b.length + 1) : 0 })) },
  { weight: 1, arbitrary: fc.tuple(bytes(160), fc.constantFrom(MAGIC_V1, MAGIC_V2), edgyInt()).map(([b, magic, total]) => {
    const buf = Buffer.concat([Buffer.alloc(8), Buffer.from(b)]);
    writeInt(buf, 0, total);
    writeInt(buf, POS_MAGIC, magic);
    return { buf, off: 0 };
  }) },
);

// ---------------------------------------------------------------------------------------------
// Properties strings: a reference model of Java's string2messageProperties on bytes.

function propertiesModel(buf: Uint8Array, start: number, end: number): [string, string][] {
  const m = new Map<string, string>();
  let seg = start;
  while (seg < end) {
    let next = seg;
    while (next < end && buf[next] !== 2) next++;
    let kv = seg;
    while (kv < next && buf[kv] !== 1) kv++;
    if (kv < next && kv > seg && kv < next - 1) {
      m.set(Buffer.from(buf.subarray(seg, kv)).toString('utf8'), Buffer.from(buf.subarray(kv + 1, next)).toString('utf8'));
    }
    seg = next + 1;
  }
  return [...m];
}

const propsKeyArb = text(10, 1).filter((s) => !/[\u0001\u0002]/.test(s));
const propsValueArb = text(20, 1).filter((s) => !s.includes('\u0002'));

// ---------------------------------------------------------------------------------------------
// Send request headers.

const V1_KEYS = ['producerGroup', 'topic', 'defaultTopic', 'defaultTopicQueueNums', 'queueId', 'sysFlag', 'bornTimestamp', 'flag', 'properties', 'reconsumeTimes', 'unitMode', 'maxReconsumeTimes', 'batch', 'bname'];
const V2_KEYS = 'abcdefghijklmn'.split('');
const headerValueArb = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('', '0', '-1', '1.5', '0.5', '-0.5', '1e3', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', ' 7 ', '4294967297', '9007199254740993', 'true', 'false', '__proto__'),
  fc.double().map(String),
  text(12),
);
const sendExtArb = fc.record({
  code: fc.constantFrom(10, 310, 320, 325, 324, 11, 0),
  ext: fc.option(
    fc.uniqueArray(fc.tuple(fc.oneof(fc.constantFrom(...V1_KEYS, ...V2_KEYS), text(4)), headerValueArb), { maxLength: 16, selector: ([k]) => k }).map((e) => Object.fromEntries(e.filter(([k]) => k !== '__proto__')) as Record<string, string>),
    { nil: null, freq: 8 },
  ),
});

const PULL_KEYS = ['consumerGroup', 'topic', 'queueId', 'queueOffset', 'maxMsgNums', 'sysFlag', 'commitOffset', 'suspendTimeoutMillis', 'subscription', 'subVersion', 'expressionType'];
/** PULL_MESSAGE frames with a binary header: mostly the fields a pull has, with any values, some mutated. */
const pullFrameArb = fc
  .tuple(
    fc.constantFrom(11, 361, 11, 14),
    fc.uniqueArray(fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...PULL_KEYS), weight: 6 }, { arbitrary: text(4), weight: 1 }), fc.oneof({ arbitrary: fc.integer({ min: -5, max: 2 ** 40 }).map(String), weight: 4 }, { arbitrary: headerValueArb, weight: 1 })), { maxLength: 14, selector: ([k]) => k }),
    fc.boolean(),
    fc.option(mutationArb, { nil: null, freq: 3 }),
  )
  .map(([code, fields, fillRequired, m]) => {
    const ext = Object.fromEntries(fields.filter(([k]) => k !== '__proto__'));
    // The first six fields are required: mostly present, so that most frames are read in place.
    if (fillRequired) for (const k of PULL_KEYS.slice(0, 6)) ext[k] ??= '1';
    const frame = encodeCommand({ code, language: 0, version: 409, opaque: 1, flag: 0, remark: null, extFields: ext, serializeType: 1, body: null }).subarray(4);
    return m === null ? frame : mutate(frame, m);
  });

const INT_FIELDS = ['defaultTopicQueueNums', 'queueId', 'sysFlag', 'flag', 'reconsumeTimes', 'maxReconsumeTimes'] as const;

// ---------------------------------------------------------------------------------------------
// fastjson.

const jsonNoise = fc.constantFrom('{', '}', '[', ']', ':', ',', '"', "'", '\\', ' ', '0', '-', '.', 'e', 'a', 'null', 'true', '\\u', '\\x4', '/', '\n', '1L', '{1:', '[{', '"\\');

/** JSON text with random edits at random places. */
const mutatedJsonArb = fc
  .tuple(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''), fc.array(fc.tuple(fc.nat(), fc.nat(3), jsonNoise), { maxLength: 4 }))
  .map(([s, edits]) => {
    let out = s;
    for (const [pos, del, ins] of edits) {
      const at = out.length ? pos % (out.length + 1) : 0;
      out = out.slice(0, at) + ins + out.slice(at + del);
    }
    return out;
  });

const deepNestingArb = fc.tuple(fc.integer({ min: 1, max: 8000 }), fc.constantFrom('[', '{"a":', '{', '{[', "{'k':")).map(([n, open]) => open.repeat(n));

/** JSON semantics of a value: what it reads back as after JSON text (no -0, object members without null... only where stringify drops them). */
function normalizeJson(v: unknown, dropNullMembers: boolean): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return v.map((x) => normalizeJson(x, dropNullMembers));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (dropNullMembers && x === null) continue;
      Object.defineProperty(o, k, { value: normalizeJson(x, dropNullMembers), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// The targets.

export const TARGETS: FuzzTarget[] = [
  {
    name: 'decodeCommand: random bytes and JSON-ish headers',
    weight: 8,
    arb: () => fc.oneof(buffer(300), jsonishFrameArb, fc.tuple(fc.constantFrom(0, 1, 2, 0xff), bytes(60)).map(([t, b]) => {
      const f = Buffer.alloc(4 + b.length);
      f.writeUInt32BE(((t << 24) | Math.min(b.length, 0xffffff)) >>> 0, 0);
      f.set(b, 4);
      return f;
    })),
    check: (frame: Buffer) => decodeFrame(frame),
  },
  {
    name: 'decodeCommand: mutated valid frames (JSON and ROCKETMQ)',
    weight: 10,
    arb: () => fc.tuple(commandArb, mutationArb).map(([c, m]) => mutate(encodeCommand(c).subarray(4), m)),
    check: (frame: Buffer) => decodeFrame(frame),
  },
  {
    name: 'encodeCommand then decodeCommand gives the command back',
    weight: 6,
    arb: () => commandArb,
    check: (c: RemotingCommand) => {
      const frame = encodeCommand(c);
      if (frame.readInt32BE(0) !== frame.length - 4) fail('length prefix does not match the frame');
      same(decodeCommand(frame.subarray(4)), expectedRoundTrip(c), 'round trip');
    },
  },
  {
    name: 'decodeCommand: the language of a JSON header is a byte (0..255), as in the binary header',
    weight: 1,
    arb: () =>
      fc.record({ code: int32(), opaque: int32(), language: fc.oneof(fc.double(), int32(), fc.constantFrom('JAVA', 'CPP', 'GO', 'NODE_JS', 'RUST', 'COBOL', '', '3'), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom({ toString: null }, { valueOf: 1, toString: 2 }, [], [1])) }).map((o) => {
        const header = Buffer.from(JSON.stringify(o));
        return Buffer.concat([Buffer.from([0, header.length >>> 16, header.length >>> 8, header.length]), header]);
      }),
    check: (frame: Buffer) => {
      const cmd = only('decodeCommand', () => decodeCommand(frame), isFrameError);
      if (cmd && !(Number.isInteger(cmd.language) && cmd.language >= 0 && cmd.language <= 255)) fail(`language ${cmd.language} from ${frame.toString('utf8', 4)}`);
    },
  },
  {
    name: 'decodeBinaryHeader: random and mutated headers at any offset',
    weight: 8,
    arb: () =>
      fc.tuple(
        fc.oneof(bytes(120).map((b) => Buffer.from(b)), fc.tuple(binaryCommandArb, mutationArb).map(([c, m]) => {
          const f = encodeCommand(c);
          return mutate(f.subarray(8, 8 + (f.readUInt32BE(4) & 0xffffff)), m);
        })),
        fc.nat(),
        fc.nat(),
        fc.nat(8),
        fc.boolean(),
      ).map(([h, a, b, pad, exact]) => {
        const buf = Buffer.concat([Buffer.alloc(pad), h, Buffer.alloc(pad)]);
        if (exact) return { buf, start: pad, end: pad + h.length };
        const start = a % (buf.length + 1);
        const end = start + (b % (buf.length - start + 1));
        return { buf, start, end };
      }),
    check: ({ buf, start, end }: { buf: Buffer; start: number; end: number }) => {
      const cmd = only('decodeBinaryHeader', () => decodeBinaryHeader(buf, start, end), isFrameError);
      if (cmd) checkShape({ ...cmd, body: null }, 0);
    },
  },
  {
    name: 'FrameDecoder.push: valid streams in any chunking give the frames back',
    weight: 6,
    arb: () =>
      fc.tuple(fc.integer({ min: 4, max: 200 }), fc.array(bytes(200), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 })).map(([maxFrame, payloads, cuts]) => {
        const frames = payloads.map((p) => Buffer.concat([Buffer.from(p), Buffer.alloc(Math.max(0, 4 - p.length))]).subarray(0, Math.max(4, Math.min(p.length, maxFrame))));
        return { maxFrame, frames, cuts };
      }),
    check: ({ maxFrame, frames, cuts }: { maxFrame: number; frames: Buffer[]; cuts: number[] }) => {
      const stream = Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from([f.length >>> 24, f.length >>> 16, f.length >>> 8, f.length]), f])));
      const out = pushChunks(new FrameDecoder(maxFrame), chunk(stream, cuts));
      if (out.error) fail(`valid stream rejected: ${out.error}`);
      same(out.frames, frames, 'frames');
      if (out.buffered !== 0) fail(`${out.buffered} bytes left buffered`);
    },
  },
  {
    name: 'FrameDecoder.push: invalid streams fail with FrameError the same way in any chunking',
    weight: 6,
    arb: () =>
      fc.tuple(
        fc.integer({ min: 4, max: 200 }),
        fc.array(bytes(60), { maxLength: 4 }),
        fc.oneof(edgyInt(), fc.integer({ min: -100, max: 300 })),
        bytes(40),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
      ).map(([maxFrame, payloads, badLen, junk, cuts, raw]) => {
        let stream: Buffer;
        if (raw) stream = Buffer.from(junk);
        else {
          const good = payloads.map((p) => Buffer.concat([Buffer.alloc(4), Buffer.alloc(Math.max(0, 4 - p.length)), Buffer.from(p)])).filter((f) => f.length - 4 <= maxFrame);
          for (const f of good) f.writeInt32BE(f.length - 4, 0);
          const bad = Buffer.alloc(4);
          bad.writeInt32BE(badLen | 0, 0);
          stream = Buffer.concat([...good, bad, Buffer.from(junk)]);
        }
        return { maxFrame, stream, cuts };
      }),
    check: ({ maxFrame, stream, cuts }: { maxFrame: number; stream: Buffer; cuts: number[] }) => {
      const whole = pushChunks(new FrameDecoder(maxFrame), [stream]);
      const chunked = pushChunks(new FrameDecoder(maxFrame), chunk(stream, cuts));
      same(chunked.frames, whole.frames, 'frames before the error');
      same(chunked.error !== null, whole.error !== null, 'failed');
      if (!whole.error) same(chunked.buffered, whole.buffered, 'buffered');
      for (const f of whole.frames) if (f.length < 4 || f.length > maxFrame) fail(`frame of ${f.length} bytes passed (max ${maxFrame})`);
    },
  },
  {
    name: 'decodeBatch: random and mutated bodies',
    weight: 8,
    arb: () =>
      fc.oneof(
        buffer(200),
        fc.tuple(fc.array(fc.record({ flag: int32(), body: bytes(30), properties: bytes(20) }), { maxLength: 5 }), mutationArb).map(([msgs, m]) => mutate(encodeBatch(msgs), m)),
      ),
    check: (body: Buffer) => {
      const els = only('decodeBatch', () => decodeBatch(body), typedRangeError);
      if (!els) return;
      let p = 0;
      for (const el of els) {
        if (el.bodyStart !== p + 20) fail(`element at ${p}: body starts at ${el.bodyStart}`);
        if (el.bodyEnd < el.bodyStart || el.propsStart !== el.bodyEnd + 2 || el.propsEnd < el.propsStart || el.propsEnd > body.length) fail(`element at ${p}: bad ranges ${fc.stringify(el)}`);
        if (el.flag !== body.readInt32BE(p + 12)) fail('flag');
        p = el.propsEnd;
      }
      if (p !== body.length) fail(`elements cover ${p} of ${body.length} bytes`);
    },
  },
  {
    name: 'encodeBatch then decodeBatch gives the messages back',
    weight: 4,
    arb: () => fc.array(fc.record({ flag: int32(), body: bytes(40), properties: bytes(40) }), { maxLength: 6 }),
    check: (msgs: { flag: number; body: Uint8Array; properties: Uint8Array }[]) => {
      const body = encodeBatch(msgs);
      const els = decodeBatch(body);
      same(
        els.map((e) => ({ flag: e.flag, body: new Uint8Array(body.subarray(e.bodyStart, e.bodyEnd)), properties: new Uint8Array(body.subarray(e.propsStart, e.propsEnd)) })),
        msgs.map((m) => ({ flag: m.flag, body: new Uint8Array(m.body), properties: new Uint8Array(m.properties) })),
        'batch round trip',
      );
    },
  },
  {
    name: 'parseProperties: any bytes and range, same as the byte model; findProperty agrees',
    weight: 6,
    arb: () =>
      fc.tuple(
        fc.oneof(bytes(100), fc.array(fc.constantFrom(1, 2, 0x41, 0x42, 0xc3, 0xa9, 0xff, 0), { maxLength: 60 }).map((a) => Uint8Array.from(a))),
        fc.nat(),
        fc.nat(),
      ).map(([b, x, y]) => {
        const s = b.length ? x % (b.length + 1) : 0;
        const e = b.length ? y % (b.length + 1) : 0;
        return { buf: b, start: Math.min(s, e), end: Math.max(s, e) };
      }),
    check: ({ buf, start, end }: { buf: Uint8Array; start: number; end: number }) => {
      const got = only('parseProperties', () => parseProperties(buf, start, end), () => false)!;
      same([...got], propertiesModel(buf, start, end), 'properties');
      const out = new Int32Array(2);
      for (const [k, v] of got) {
        const kb = Buffer.from(k, 'utf8');
        const found = only('findProperty', () => findProperty(buf, start, end, kb, out), () => false);
        // a key that is not valid UTF-8 does not re-encode to its bytes: nothing to compare then
        if (!found) continue;
        same(Buffer.from(buf.subarray(out[0], out[1])).toString('utf8'), v, `findProperty(${k})`);
      }
      // findProperties agrees with findProperty, key by key, for present and absent keys
      const keys = [...[...got.keys()].slice(0, 3).map((k) => Buffer.from(k, 'utf8')), Buffer.from('A'), Buffer.from('B\u0001')];
      const ranges = new Int32Array(2 * keys.length);
      only('findProperties', () => findProperties(buf, start, end, keys, ranges), () => false);
      keys.forEach((kb, i) => {
        const one = findProperty(buf, start, end, kb, out) ? [out[0], out[1]] : [-1, -1];
        same([ranges[2 * i], ranges[2 * i + 1]], one, `findProperties key ${i}`);
      });
    },
  },
  {
    name: 'encodeProperties then parseProperties gives the map back',
    weight: 4,
    arb: () => fc.uniqueArray(fc.tuple(propsKeyArb, propsValueArb), { maxLength: 8, selector: ([k]) => k }),
    check: (entries: [string, string][]) => {
      const buf = encodeProperties(new Map(entries));
      same([...parseProperties(buf, 0, buf.length)], entries, 'properties round trip');
      const out = new Int32Array(2);
      for (const [k, v] of entries) {
        if (!findProperty(buf, 0, buf.length, Buffer.from(k, 'utf8'), out)) fail(`findProperty(${k}) missed`);
        same(buf.toString('utf8', out[0], out[1]), v, `findProperty(${k})`);
      }
    },
  },
  {
    name: 'checkRecord: random and mutated records; decodeRecord on what it accepts',
    weight: 10,
    arb: () => recordBytesArb,
    check: ({ buf, off }: { buf: Buffer; off: number }) => {
      const available = buf.length - off;
      const n = only('checkRecord', () => checkRecord(buf, off, available, false), () => false)!;
      const withCrc = only('checkRecord(verifyCrc)', () => checkRecord(buf, off, available, true), () => false)!;
      if (!Number.isInteger(n) || n < -1 || n > available) fail(`checkRecord returned ${n} for ${available} available bytes`);
      if (withCrc !== n && withCrc !== -1) fail(`with CRC ${withCrc}, without ${n}`);
      const direct = only('decodeRecord', () => decodeRecord(buf, off), typedRangeError);
      if (n <= 0) {
        if (direct) fail(`decodeRecord decoded what checkRecord refused (${n})`);
        return;
      }
      const exact = Buffer.from(buf.subarray(off, off + n));
      const m = only('decodeRecord on an accepted record', () => decodeRecord(exact, 0), () => false)!;
      if (m.storeSize !== n) fail(`storeSize ${m.storeSize}, checkRecord ${n}`);
      if (!direct || direct.storeSize !== n) fail('decodeRecord in place disagrees');
      if (typeof m.topic !== 'string' || !(m.properties instanceof Map) || !Buffer.isBuffer(m.body)) fail('decoded fields have wrong types');
    },
  },
  {
    name: 'encodeRecord then decodeRecord gives the fields back (v1 and v2 magic)',
    weight: 6,
    arb: () => recordFieldsArb,
    check: (f: RecordFields) => {
      const v1 = encodeFields(f);
      if (checkRecord(v1, 0, v1.length, true) !== v1.length) fail('checkRecord refuses a fresh record');
      const m = decodeRecord(v1, 0);
      const v6 = (f.bornHost.length === 16 ? 0x10 : 0) | (f.storeHost.length === 16 ? 0x20 : 0);
      same(
        { queueId: m.queueId, flag: m.flag, queueOffset: m.queueOffset, physicalOffset: m.physicalOffset, sysFlag: m.sysFlag, bornTimestamp: m.bornTimestamp, storeTimestamp: m.storeTimestamp, reconsumeTimes: m.reconsumeTimes, preparedTransactionOffset: m.preparedTransactionOffset, bornPort: m.bornPort, storePort: m.storePort },
        { queueId: f.queueId, flag: f.flag, queueOffset: f.queueOffset, physicalOffset: f.physicalOffset, sysFlag: (f.sysFlag & ~0x30) | v6, bornTimestamp: f.bornTimestamp, storeTimestamp: f.storeTimestamp, reconsumeTimes: f.reconsumeTimes, preparedTransactionOffset: f.preparedTransactionOffset, bornPort: f.bornPort, storePort: f.storePort },
        'fields',
      );
      same(new Uint8Array(m.bornHostIp), new Uint8Array(f.bornHost), 'bornHost');
      same(new Uint8Array(m.storeHostIp), new Uint8Array(f.storeHost), 'storeHost');
      same(new Uint8Array(m.body), new Uint8Array(f.body), 'body');
      same(m.topic, Buffer.from(f.topic).toString('utf8'), 'topic');
      same(m.properties, parseProperties(f.properties, 0, f.properties.length), 'properties');
      const v2 = toV2(v1);
      if (checkRecord(v2, 0, v2.length, true) !== v2.length) fail('checkRecord refuses the v2 form');
      const m2 = decodeRecord(v2, 0);
      same({ ...m2, magic: 0, storeSize: 0 }, { ...m, magic: 0, storeSize: 0 }, 'v2 decode');
    },
  },
  {
    name: 'parseFastJson: random and mutated text returns a value or a parse error',
    weight: 8,
    arb: () => fc.oneof({ weight: 3, arbitrary: text(80) }, { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 80 }) }, { weight: 6, arbitrary: mutatedJsonArb }, { weight: 1, arbitrary: deepNestingArb }),
    check: (s: string) => {
      only('parseFastJson', () => parseFastJson(s), isFastJsonError);
    },
  },
  {
    name: 'parseFastJson reads standard JSON like JSON.parse, and stringifyFastJson back',
    weight: 6,
    arb: () => fc.tuple(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), fc.boolean()),
    check: ([v, pretty, unquotedIntKeys]: [unknown, boolean, boolean]) => {
      const s = JSON.stringify(v);
      same(parseFastJson(s), JSON.parse(s), 'parseFastJson(JSON.stringify(v))');
      const fj = stringifyFastJson(v, { pretty, unquotedIntKeys });
      same(normalizeJson(parseFastJson(fj), false), normalizeJson(v, true), `parseFastJson(${JSON.stringify(fj)})`);
    },
  },
  {
    name: 'readPullRequest: never throws; what it reads, the generic decoder reads the same',
    weight: 4,
    arb: () => pullFrameArb,
    check: (frame: Buffer) => {
      const fast = only('readPullRequest', () => readPullRequest(frame), () => false);
      if (!fast) return;
      let generic;
      try {
        generic = pullRequestFromCommand(decodeCommand(frame));
      } catch (e) {
        return fail(`readPullRequest read a frame the generic decoder refuses (${describe(e)}): ${frame.toString('hex')}`);
      }
      same(fast, generic, 'readPullRequest against decodeCommand + pullRequestFromCommand');
    },
  },
  {
    name: 'parseSendRequest: any header returns a typed request or a RemotingError',
    weight: 6,
    arb: () => sendExtArb,
    check: ({ code, ext }: { code: number; ext: Record<string, string> | null }) => {
      let req;
      try {
        req = parseSendRequest(code, ext);
      } catch (e) {
        if (e instanceof RemotingError && e.code === ResponseCode.SYSTEM_ERROR) return;
        fail(`parseSendRequest threw ${describe(e)}`);
      }
      for (const k of ['producerGroup', 'topic', 'defaultTopic', 'properties'] as const) if (typeof req![k] !== 'string') fail(`${k} is not a string`);
      for (const k of [...INT_FIELDS, 'bornTimestamp'] as const) if (typeof req![k] !== 'number' || !Number.isFinite(req![k])) fail(`${k} is not a finite number: ${req![k]}`);
      if (typeof req!.batch !== 'boolean') fail('batch is not a boolean');
    },
  },
  {
    name: 'parseSendRequest: numeric fields are integers in Java range, or the request is refused',
    weight: 3,
    arb: () => sendExtArb,
    check: ({ code, ext }: { code: number; ext: Record<string, string> | null }) => {
      let req;
      try {
        req = parseSendRequest(code, ext);
      } catch (e) {
        if (e instanceof RemotingError) return;
        throw e;
      }
      for (const k of INT_FIELDS) if (!Number.isInteger(req[k]) || req[k] < INT32.min || req[k] > INT32.max) fail(`${k} = ${req[k]} is not a Java int (header ${fc.stringify(ext)})`);
      if (!Number.isSafeInteger(req.bornTimestamp)) fail(`bornTimestamp = ${req.bornTimestamp} is not a Java long`);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Helpers for the FrameDecoder properties.

function chunk(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (stream.length ? c % (stream.length + 1) : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, stream.length]) {
    if (p < at) continue;
    out.push(Buffer.from(stream.subarray(at, p)));
    at = p;
  }
  return out;
}

function pushChunks(d: FrameDecoder, chunks: Buffer[]): { frames: Buffer[]; error: string | null; buffered: number } {
  const frames: Buffer[] = [];
  try {
    for (const c of chunks) d.push(c, (f) => frames.push(Buffer.from(f)));
  } catch (e) {
    if (!(e instanceof FrameError)) fail(`FrameDecoder.push threw ${describe(e)}`);
    return { frames, error: (e as Error).message, buffered: -1 };
  }
  return { frames, error: null, buffered: d.buffered };
}

export function targetByName(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target named ${name}`);
  return t;
}
