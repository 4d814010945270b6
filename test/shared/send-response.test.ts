import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, responseFor, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { encodeSendResponse, SendResponseEncoder } from '../../src/shared/remoting/send-response.js';
import { decimalLength, writeDecimal } from '../../src/shared/remoting/header-bytes.js';
import { createOffsetMsgId } from '../../src/shared/storage/msgid.js';

const request = (serializeType: number): RemotingCommand => ({ code: 310, language: 0, version: 409, opaque: 77, flag: 0, remark: null, extFields: null, serializeType, body: null });
const ext = { msgId: '7F00000100002A9F0000000000001F40', queueId: '3', queueOffset: '12345', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' };

test('send response: the same bytes as the generic encoder, in both header types', () => {
  for (const type of [0, 1]) {
    const generic = encodeCommand(responseFor(request(type), 0, null, ext));
    const fast = encodeSendResponse(type, 77, 0, ext.msgId, 3, 12345, 'DefaultRegion', 'true');
    assert.deepEqual(fast, generic, `serialize type ${type}`);
  }
});

test('send response: FLUSH_DISK_TIMEOUT and a batch of comma-joined ids', () => {
  const ids = `${ext.msgId},7F00000100002A9F0000000000001FC0`;
  for (const type of [0, 1]) {
    const generic = encodeCommand(responseFor(request(type), 10, null, { ...ext, msgId: ids, queueOffset: '0' }));
    assert.deepEqual(encodeSendResponse(type, 77, 10, ids, 3, 0, 'DefaultRegion', 'true'), generic);
  }
});

test('send response: fixed binary vector', () => {
  const b = encodeSendResponse(1, 1, 0, 'AB', 0, 7, 'R', 'false');
  assert.equal(
    b.toString('hex'),
    '0000006a' + '01000066' + '0000' + '00' + '0199' + '00000001' + '00000001' + '00000000' + '00000051' +
      '00056d73674964' + '00000002' + '4142' +
      '000771756575654964' + '00000001' + '30' +
      '000b71756575654f6666736574' + '00000001' + '37' +
      '000a4d53475f524547494f4e' + '00000001' + '52' +
      '000854524143455f4f4e' + '00000005' + '66616c7365',
  );
});

test('send response encoder: the id written from the offset equals createOffsetMsgId, for every header type and odd numbers', () => {
  const ip = Uint8Array.from([10, 0, 200, 7]);
  const enc = new SendResponseEncoder('Región', 'false', ip, 10911);
  for (const type of [0, 1]) {
    for (const [opaque, queueId, queueOffset, phy] of [[0, 0, 0, 0], [-5, 1023, 9_007_199_254_740_991, 2 ** 40 + 123], [2_147_483_647, 7, 10, 4_294_967_295]]) {
      const msgId = createOffsetMsgId(ip, 10911, phy);
      const generic = encodeCommand(responseFor({ ...request(type), opaque }, 10, null, { msgId, queueId: String(queueId), queueOffset: String(queueOffset), MSG_REGION: 'Región', TRACE_ON: 'false' }));
      const dst = Buffer.alloc(generic.length + 10, 0xee);
      assert.equal(enc.write(dst, 3, type, 10, opaque, phy, queueId, queueOffset), generic.length);
      assert.deepEqual(dst.subarray(3, 3 + generic.length), generic, `type ${type} opaque ${opaque}`);
      assert.equal(dst[2], 0xee);
      assert.equal(dst[3 + generic.length], 0xee, 'nothing written past the frame');
    }
  }
});

test('decimal writer: the digits of String(v)', () => {
  for (const v of [0, 9, 10, 99, 100, -1, -10, 123456789, 2 ** 53 - 1, -(2 ** 31)]) {
    const b = Buffer.alloc(decimalLength(v));
    assert.equal(writeDecimal(b, 0, v), b.length);
    assert.equal(b.toString('latin1'), String(v));
  }
});
