import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerializeType } from '../../../src/shared/codes.js';
import { encodeCommand, newRequest, responseFor } from '../../../src/shared/remoting/command.js';
import { ResponseScanner } from '../../../src/main/loadgen/response-scanner.js';

function frames(): { bytes: Buffer; expected: [number, number, boolean][] } {
  const parts: Buffer[] = [];
  const expected: [number, number, boolean][] = [];
  for (let i = 0; i < 6; i++) {
    const req = newRequest(310, { a: 'g' });
    req.opaque = 0x40000000 + i * 977;
    req.serializeType = i % 2 ? SerializeType.JSON : SerializeType.ROCKETMQ;
    const code = i === 3 ? 2 : 0;
    const ext = { msgId: '7F00000100002A9F0000000000001F40', queueId: '1', queueOffset: '"opaque":5', opaque: 'x' };
    parts.push(encodeCommand(responseFor(req, code, i === 3 ? '[TIMEOUT_CLEAN_QUEUE]broker busy "code":9' : null, ext, i === 4 ? Buffer.alloc(3000, 1) : null)));
    expected.push([code, req.opaque, true]);
  }
  const serverRequest = newRequest(39, { k: 'v' });
  serverRequest.opaque = 99;
  parts.push(encodeCommand(serverRequest));
  expected.push([39, 99, false]);
  return { bytes: Buffer.concat(parts), expected };
}

test('code, opaque and the response flag come out of binary and JSON frames', () => {
  const { bytes, expected } = frames();
  const seen: [number, number, boolean][] = [];
  new ResponseScanner((c, o, r) => seen.push([c, o, r])).push(bytes, 0, bytes.length);
  assert.deepEqual(seen, expected);
});

test('frames split at any byte boundary, and in single bytes, come out the same', () => {
  const { bytes, expected } = frames();
  for (let cut = 1; cut < bytes.length; cut += 7) {
    const seen: [number, number, boolean][] = [];
    const s = new ResponseScanner((c, o, r) => seen.push([c, o, r]));
    s.push(bytes, 0, cut);
    s.push(bytes, cut, bytes.length);
    assert.deepEqual(seen, expected, `cut at ${cut}`);
  }
  const seen: [number, number, boolean][] = [];
  const s = new ResponseScanner((c, o, r) => seen.push([c, o, r]));
  for (let i = 0; i < bytes.length; i++) s.push(bytes, i, i + 1);
  assert.deepEqual(seen, expected);
});

test('a bad frame length throws', () => {
  const s = new ResponseScanner(() => {});
  assert.throws(() => s.push(Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]), 0, 8), /outside/);
});
