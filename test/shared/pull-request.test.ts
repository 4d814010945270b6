import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/ferry-process.js';
import { decodeCommand, encodeCommand, responseFor, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { RemotingError } from '../../src/shared/remoting/errors.js';
import { pullRequestFromCommand, readPullRequest, type PullRequest } from '../../src/shared/remoting/pull-request.js';
import { pullResponseLength, writePullResponse } from '../../src/shared/remoting/pull-response.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'frames');
const fixture = (file: string) => Buffer.from(fs.readFileSync(path.join(FIXTURES, file), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('').replace(/\s+/g, ''), 'hex');

/** What the generic decoder makes of a frame (without its length prefix), or the error it answers with. */
function generic(frame: Buffer): PullRequest | RemotingError {
  try {
    return pullRequestFromCommand(decodeCommand(frame));
  } catch (e) {
    if (e instanceof RemotingError) return e;
    throw e;
  }
}

const pullCommand = (extFields: Record<string, string>, serializeType = 1, code = 11, flag = 0): RemotingCommand =>
  ({ code, language: 0, version: 409, opaque: 4242, flag, remark: null, extFields, serializeType, body: null });
const frameOf = (cmd: RemotingCommand) => encodeCommand(cmd).subarray(4);

const FIELDS = {
  consumerGroup: 'benchmark_consumer',
  topic: 'BenchmarkTest',
  queueId: '1023',
  queueOffset: '123456789012',
  maxMsgNums: '32',
  sysFlag: '3',
  commitOffset: '99',
  suspendTimeoutMillis: '15000',
  subscription: 'TagA || TagB',
  subVersion: '1732300000000',
  expressionType: 'TAG',
};

test('pull request: the Java client\'s binary pull frame reads as the generic decoder reads it', () => {
  const frame = fixture('java-4.9.8-rocketmq-11-pull-message.hex').subarray(4);
  const fast = readPullRequest(frame);
  assert.ok(fast, 'the plain case is read in place');
  assert.deepEqual(fast, generic(frame));
  assert.equal(fast.code, 11);
  assert.equal(fast.serializeType, 1);
});

test('pull request: JSON frames (Java, Go) are left to the generic decoder, which reads them', () => {
  for (const file of ['java-4.9.8-json-11-pull-message.hex', 'go-v2.1.2-json-11-pull-message.hex']) {
    const frame = fixture(file).subarray(4);
    assert.equal(readPullRequest(frame), null, file);
    const g = generic(frame);
    assert.ok(!(g instanceof RemotingError), file);
    assert.equal(g.serializeType, 0);
    assert.ok(g.topic.length > 0 && g.consumerGroup.length > 0, file);
  }
});

test('pull request: every field, both pull codes, and 5.x fields it does not use', () => {
  for (const code of [11, 361]) {
    const frame = frameOf(pullCommand({ ...FIELDS, maxMsgBytes: '1000', bname: 'broker-a', lo: 'true' }, 1, code));
    const fast = readPullRequest(frame);
    assert.deepEqual(fast, generic(frame));
    assert.deepEqual(fast, {
      code, serializeType: 1, opaque: 4242, flag: 0, consumerGroup: 'benchmark_consumer', topic: 'BenchmarkTest', queueId: 1023,
      queueOffset: 123456789012, maxMsgNums: 32, sysFlag: 3, commitOffset: 99, suspendTimeoutMillis: 15000,
      subscription: 'TagA || TagB', subVersion: 1732300000000, expressionType: 'TAG',
    });
  }
});

test('pull request: optional fields absent or empty read as the generic decoder reads them', () => {
  const { commitOffset, suspendTimeoutMillis, subscription, subVersion, expressionType, ...required } = FIELDS;
  void [commitOffset, suspendTimeoutMillis, subscription, subVersion, expressionType];
  for (const ext of [required, { ...required, commitOffset: '', subscription: '', expressionType: '' }, { ...required, commitOffset: '-1' }]) {
    const frame = frameOf(pullCommand(ext));
    const fast = readPullRequest(frame);
    assert.ok(fast);
    assert.deepEqual(fast, generic(frame));
  }
});

test('pull request: what is not the plain case goes to the generic decoder, and the generic answer is kept', () => {
  const cases: [string, RemotingCommand][] = [
    ['no consumerGroup', pullCommand({ ...FIELDS, consumerGroup: '' })],
    ['no sysFlag', pullCommand(Object.fromEntries(Object.entries(FIELDS).filter(([k]) => k !== 'sysFlag')))],
    ['queueId not a number', pullCommand({ ...FIELDS, queueId: 'x1' })],
    ['queueOffset of 19 digits', pullCommand({ ...FIELDS, queueOffset: '1234567890123456789' })],
    ['queueOffset of 20 digits', pullCommand({ ...FIELDS, queueOffset: '12345678901234567890' })],
    ['commitOffset not a number', pullCommand({ ...FIELDS, commitOffset: 'abc' })],
    ['suspendTimeoutMillis with a sign', pullCommand({ ...FIELDS, suspendTimeoutMillis: '+5' })],
    ['a response', pullCommand(FIELDS, 1, 11, 1)],
    ['another code', pullCommand(FIELDS, 1, 14)],
    ['a JSON header', pullCommand(FIELDS, 0)],
  ];
  for (const [why, cmd] of cases) {
    const frame = frameOf(cmd);
    assert.equal(readPullRequest(frame), null, why);
  }
  assert.ok(generic(frameOf(cases[0][1])) instanceof RemotingError);
  assert.equal((generic(frameOf(cases[2][1])) as RemotingError).message, 'the custom field <queueId> is not a whole number: x1');
  assert.equal((generic(frameOf(cases[3][1])) as PullRequest).queueOffset, 1234567890123456789);
  assert.ok(Number.isNaN((generic(frameOf(cases[5][1])) as PullRequest).commitOffset));
});

test('pull request: a repeated field counts as its last value, as in the generic decoder', () => {
  const cmd = pullCommand(FIELDS);
  const frame = Buffer.from(frameOf(cmd));
  // Rename the subscription's key to another field of the same length: commitOffset (12 bytes) twice.
  const at = frame.indexOf('subscription');
  frame.write('commitOffset', at, 'latin1');
  const patched = generic(frame) as PullRequest;
  assert.equal(readPullRequest(frame), null, 'its value "TagA || TagB" is no number');
  assert.ok(Number.isNaN(patched.commitOffset));
  const cmd2 = Buffer.from(frameOf(pullCommand({ ...FIELDS, subscription: '777777777777' })));
  cmd2.write('commitOffset', cmd2.indexOf('subscription'), 'latin1');
  assert.equal(readPullRequest(cmd2)!.commitOffset, 777777777777);
  assert.deepEqual(readPullRequest(cmd2), generic(cmd2));
});

test('pull request: truncated and corrupted frames never throw, and what reads agrees with the generic decoder', () => {
  const frame = frameOf(pullCommand(FIELDS));
  for (let cut = 0; cut < frame.length; cut++) assert.doesNotThrow(() => readPullRequest(frame.subarray(0, cut)));
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 3000; i++) {
    const f = Buffer.from(frame);
    const flips = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < flips; k++) f[Math.floor(rand() * f.length)] = Math.floor(rand() * 256);
    const fast = readPullRequest(f);
    if (fast === null) continue;
    let g: PullRequest | RemotingError | Error;
    try {
      g = generic(f);
    } catch (e) {
      g = e as Error;
    }
    assert.deepEqual(fast, g, `corrupted frame ${f.toString('hex')}`);
  }
});

const STATUSES: [number, string][] = [[0, 'FOUND'], [19, 'OFFSET_OVERFLOW_ONE'], [20, 'NO_MATCHED_MESSAGE'], [21, 'OFFSET_TOO_SMALL'], [19, 'NO_MESSAGE_IN_QUEUE']];

test('pull response: the same bytes as the generic encoder, in both header types', () => {
  const body = Buffer.from('stored records as they lie');
  for (const type of [0, 1]) {
    for (const [code, status] of STATUSES) {
      for (const [opaque, next, min, max] of [[0, 0, 0, 0], [-7, 1, 0, 2], [2_147_483_647, 9_007_199_254_740_991, 123, 2 ** 40]]) {
        const withBody = code === 0 ? body : null;
        const expected = encodeCommand(responseFor({ opaque, serializeType: type }, code, status, { suggestWhichBrokerId: '0', nextBeginOffset: String(next), minOffset: String(min), maxOffset: String(max) }, withBody));
        const bodyLength = withBody ? withBody.length : 0;
        assert.equal(pullResponseLength(type, code, opaque, status, next, min, max, bodyLength), expected.length);
        const dst = Buffer.alloc(expected.length + 6, 0xee);
        const bodyAt = writePullResponse(dst, 3, type, code, opaque, status, next, min, max, bodyLength);
        assert.equal(bodyAt, 3 + expected.length - bodyLength);
        withBody?.copy(dst, bodyAt);
        assert.deepEqual(dst.subarray(3, 3 + expected.length), expected, `type ${type} ${status} ${next}`);
        assert.equal(dst[2], 0xee);
        assert.equal(dst[3 + expected.length], 0xee, 'nothing written past the frame');
      }
    }
  }
});

test('pull response: fixed binary and JSON vectors', () => {
  const bin = Buffer.alloc(pullResponseLength(1, 19, 5, 'OFFSET_OVERFLOW_ONE', 7, 0, 7, 0));
  writePullResponse(bin, 0, 1, 19, 5, 'OFFSET_OVERFLOW_ONE', 7, 0, 7, 0);
  assert.equal(
    bin.toString('hex'),
    '0000007d' + '01000079' + '0013' + '00' + '0199' + '00000005' + '00000001' + '00000013' + Buffer.from('OFFSET_OVERFLOW_ONE').toString('hex') + '00000051' +
      '0014' + Buffer.from('suggestWhichBrokerId').toString('hex') + '00000001' + '30' +
      '000f' + Buffer.from('nextBeginOffset').toString('hex') + '00000001' + '37' +
      '0009' + Buffer.from('minOffset').toString('hex') + '00000001' + '30' +
      '0009' + Buffer.from('maxOffset').toString('hex') + '00000001' + '37',
  );
  const json = Buffer.alloc(pullResponseLength(0, 0, 9, 'FOUND', 2, 0, 3, 1));
  json[writePullResponse(json, 0, 0, 0, 9, 'FOUND', 2, 0, 3, 1)] = 0x42;
  const header = '{"code":0,"extFields":{"suggestWhichBrokerId":"0","nextBeginOffset":"2","minOffset":"0","maxOffset":"3"},"flag":1,"language":"JAVA","opaque":9,"remark":"FOUND","serializeTypeCurrentRPC":"JSON","version":409}';
  assert.equal(json.readInt32BE(0), 4 + header.length + 1);
  assert.equal(json.readInt32BE(4), header.length);
  assert.equal(json.toString('latin1', 8, 8 + header.length), header);
  assert.equal(json[json.length - 1], 0x42);
});
