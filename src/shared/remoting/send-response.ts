import { BROKER_VERSION, RpcFlag, SerializeType } from '../codes.js';

/**
 * The frame answering a stored send, written straight into one buffer: the same bytes
 * encodeCommand produces for a response with extFields {msgId, queueId, queueOffset, MSG_REGION,
 * TRACE_ON} in that order, without building the command object or its header per message.
 * Every value is ASCII (ids, numbers, region names), so lengths are character counts.
 */
export function encodeSendResponse(serializeType: number, opaque: number, code: number, msgId: string, queueId: number, queueOffset: number, region: string, traceOn: string): Buffer {
  if (serializeType === SerializeType.ROCKETMQ) return binary(opaque, code, msgId, String(queueId), String(queueOffset), region, traceOn);
  const header =
    `{"code":${code},"extFields":{"msgId":"${msgId}","queueId":"${queueId}","queueOffset":"${queueOffset}","MSG_REGION":${JSON.stringify(region)},"TRACE_ON":"${traceOn}"},` +
    `"flag":${RpcFlag.RESPONSE},"language":"JAVA","opaque":${opaque},"serializeTypeCurrentRPC":"JSON","version":${BROKER_VERSION}}`;
  const len = Buffer.byteLength(header);
  const out = Buffer.allocUnsafe(8 + len);
  out.writeInt32BE(4 + len, 0);
  out.writeInt32BE(len, 4);
  out.write(header, 8, 'utf8');
  return out;
}

function binary(opaque: number, code: number, msgId: string, queueId: string, queueOffset: string, region: string, traceOn: string): Buffer {
  const ext = 6 * 5 + 5 + msgId.length + 7 + queueId.length + 11 + queueOffset.length + 10 + region.length + 8 + traceOn.length;
  const headerLen = 21 + ext;
  const out = Buffer.allocUnsafe(8 + headerLen);
  out.writeInt32BE(4 + headerLen, 0);
  out.writeInt32BE((SerializeType.ROCKETMQ << 24) | headerLen, 4);
  out.writeInt16BE(code, 8);
  out[10] = 0;
  out.writeInt16BE(BROKER_VERSION, 11);
  out.writeInt32BE(opaque, 13);
  out.writeInt32BE(RpcFlag.RESPONSE, 17);
  out.writeInt32BE(0, 21);
  out.writeInt32BE(ext, 25);
  let p = 29;
  p = entry(out, p, 'msgId', msgId);
  p = entry(out, p, 'queueId', queueId);
  p = entry(out, p, 'queueOffset', queueOffset);
  p = entry(out, p, 'MSG_REGION', region);
  entry(out, p, 'TRACE_ON', traceOn);
  return out;
}

function entry(out: Buffer, p: number, key: string, value: string): number {
  out.writeInt16BE(key.length, p);
  p += 2 + out.write(key, p + 2, 'latin1');
  out.writeInt32BE(value.length, p);
  return p + 4 + out.write(value, p + 4, 'latin1');
}
