import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, responseFor, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { encodeSendResponse } from '../../src/shared/remoting/send-response.js';

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
