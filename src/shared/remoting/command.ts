import { BROKER_VERSION, LanguageCode, RpcFlag, SerializeType } from '../codes.js';
import { FrameError } from './errors.js';

/** One remoting request or response, decoded. `extFields` values are always strings. */
export interface RemotingCommand {
  code: number;
  language: number;
  version: number;
  opaque: number;
  flag: number;
  remark: string | null;
  extFields: Record<string, string> | null;
  serializeType: number;
  body: Buffer | null;
}

export const isResponse = (c: RemotingCommand) => (c.flag & RpcFlag.RESPONSE) !== 0;
export const isOneway = (c: RemotingCommand) => (c.flag & RpcFlag.ONEWAY) !== 0;

const languageIndex = new Map<string, number>(LanguageCode.map((name, i) => [name, i]));

/** Decodes a frame without its 4-byte length prefix: [type|headerLen][header][body]. */
export function decodeCommand(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new FrameError(`frame of ${frame.length} bytes has no header length`);
  const typeAndLen = frame.readUInt32BE(0);
  const serializeType = typeAndLen >>> 24;
  const headerLen = typeAndLen & 0xffffff;
  if (headerLen > frame.length - 4) throw new FrameError(`header length ${headerLen} is past the frame end (${frame.length - 4})`);
  const headerEnd = 4 + headerLen;
  let cmd: RemotingCommand;
  if (serializeType === SerializeType.JSON) cmd = decodeJsonHeader(frame.subarray(4, headerEnd));
  else if (serializeType === SerializeType.ROCKETMQ) cmd = decodeBinaryHeader(frame, 4, headerEnd);
  else throw new FrameError(`unknown serialize type ${serializeType}`);
  cmd.body = frame.length > headerEnd ? frame.subarray(headerEnd) : null;
  return cmd;
}

export function decodeJsonHeader(bytes: Buffer): RemotingCommand {
  let o: any;
  try {
    o = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new FrameError(`header is not JSON: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new FrameError('header is not a JSON object');
  const code = toInt(o.code);
  if (code === null) throw new FrameError('header has no numeric code');
  let extFields: Record<string, string> | null = null;
  if (o.extFields && typeof o.extFields === 'object') {
    extFields = {};
    for (const k of Object.keys(o.extFields)) {
      const v = o.extFields[k];
      if (v === null || v === undefined) continue;
      extFields[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  return {
    code,
    language: typeof o.language === 'string' ? languageIndex.get(o.language) ?? 0 : Number.isInteger(o.language) && o.language >= 0 && o.language <= 255 ? o.language : 0,
    version: toInt(o.version) ?? 0,
    opaque: toInt(o.opaque) ?? 0,
    flag: toInt(o.flag) ?? 0,
    remark: typeof o.remark === 'string' ? o.remark : null,
    extFields,
    serializeType: SerializeType.JSON,
    body: null,
  };
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v | 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v) | 0;
  return null;
}

/** ROCKETMQ binary header (section 1.5): fixed 21 bytes, remark, ext block. Zero-length strings read as null. */
export function decodeBinaryHeader(buf: Buffer, start: number, end: number): RemotingCommand {
  if (end - start < 21) throw new FrameError(`binary header of ${end - start} bytes is shorter than 21`);
  const code = buf.readInt16BE(start);
  const language = buf[start + 2];
  const version = buf.readInt16BE(start + 3);
  const opaque = buf.readInt32BE(start + 5);
  const flag = buf.readInt32BE(start + 9);
  const remarkLen = buf.readInt32BE(start + 13);
  let p = start + 17;
  if (remarkLen < 0 || remarkLen > end - p - 4) throw new FrameError(`remark length ${remarkLen} is past the header end`);
  const remark = remarkLen > 0 ? buf.toString('utf8', p, p + remarkLen) : null;
  p += remarkLen;
  const extLen = buf.readInt32BE(p);
  p += 4;
  if (extLen < 0 || extLen > end - p) throw new FrameError(`ext fields length ${extLen} is past the header end`);
  let extFields: Record<string, string> | null = null;
  if (extLen > 0) {
    extFields = {};
    const extEnd = p + extLen;
    while (p < extEnd) {
      if (extEnd - p < 2) throw new FrameError('truncated ext field key length');
      const kl = buf.readUInt16BE(p);
      p += 2;
      if (kl > extEnd - p - 4) throw new FrameError('ext field key past the header end');
      const key = buf.toString('utf8', p, p + kl);
      p += kl;
      const vl = buf.readInt32BE(p);
      p += 4;
      if (vl < 0 || vl > extEnd - p) throw new FrameError('ext field value past the header end');
      if (kl > 0 && vl > 0) extFields[key] = buf.toString('utf8', p, p + vl);
      p += vl;
    }
  }
  return { code, language, version, opaque, flag, remark, extFields, serializeType: SerializeType.ROCKETMQ, body: null };
}

/** Encodes a whole frame, length prefix included. */
export function encodeCommand(cmd: RemotingCommand): Buffer {
  const header = cmd.serializeType === SerializeType.ROCKETMQ ? encodeBinaryHeader(cmd) : Buffer.from(encodeJsonHeader(cmd), 'utf8');
  const bodyLen = cmd.body ? cmd.body.length : 0;
  const out = Buffer.allocUnsafe(8 + header.length + bodyLen);
  out.writeInt32BE(4 + header.length + bodyLen, 0);
  out.writeUInt32BE(((cmd.serializeType & 0xff) << 24 | header.length) >>> 0, 4);
  header.copy(out, 8);
  if (cmd.body) cmd.body.copy(out, 8 + header.length);
  return out;
}

/** fastjson field order: alphabetical, nulls omitted, every extFields value a string. */
export function encodeJsonHeader(cmd: RemotingCommand): string {
  let s = '{"code":' + cmd.code;
  if (cmd.extFields) {
    s += ',"extFields":{';
    let first = true;
    for (const k of Object.keys(cmd.extFields)) {
      const v = cmd.extFields[k];
      if (v === null || v === undefined) continue;
      s += (first ? '' : ',') + JSON.stringify(k) + ':' + JSON.stringify(String(v));
      first = false;
    }
    s += '}';
  }
  s += ',"flag":' + cmd.flag + ',"language":"' + (LanguageCode[cmd.language] ?? 'JAVA') + '","opaque":' + cmd.opaque;
  if (cmd.remark !== null && cmd.remark !== undefined) s += ',"remark":' + JSON.stringify(cmd.remark);
  s += ',"serializeTypeCurrentRPC":"' + (cmd.serializeType === SerializeType.ROCKETMQ ? 'ROCKETMQ' : 'JSON') + '","version":' + cmd.version + '}';
  return s;
}

export function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark ? Buffer.from(cmd.remark, 'utf8') : null;
  const entries: Buffer[] = [];
  let extLen = 0;
  if (cmd.extFields) {
    for (const k of Object.keys(cmd.extFields)) {
      const v = cmd.extFields[k];
      if (v === null || v === undefined) continue;
      const kb = Buffer.from(k, 'utf8');
      const vb = Buffer.from(String(v), 'utf8');
      const e = Buffer.allocUnsafe(6 + kb.length + vb.length);
      e.writeUInt16BE(kb.length, 0);
      kb.copy(e, 2);
      e.writeInt32BE(vb.length, 2 + kb.length);
      vb.copy(e, 6 + kb.length);
      entries.push(e);
      extLen += e.length;
    }
  }
  const remarkLen = remark ? remark.length : 0;
  const out = Buffer.allocUnsafe(21 + remarkLen + extLen);
  out.writeInt16BE(cmd.code, 0);
  out[2] = cmd.language & 0xff;
  out.writeInt16BE(cmd.version, 3);
  out.writeInt32BE(cmd.opaque, 5);
  out.writeInt32BE(cmd.flag, 9);
  out.writeInt32BE(remarkLen, 13);
  if (remark) remark.copy(out, 17);
  out.writeInt32BE(extLen, 17 + remarkLen);
  let p = 21 + remarkLen;
  for (const e of entries) {
    e.copy(out, p);
    p += e.length;
  }
  return out;
}

/** A response to `req`: same opaque and serialize type, RESPONSE flag, the broker's version. */
export function responseFor(req: RemotingCommand, code: number, remark: string | null = null, extFields: Record<string, string> | null = null, body: Buffer | null = null): RemotingCommand {
  return { code, language: 0, version: BROKER_VERSION, opaque: req.opaque, flag: RpcFlag.RESPONSE, remark, extFields, serializeType: req.serializeType, body };
}

let nextOpaque = 1;
/** A new request (server-initiated requests always use JSON: only Java reads the binary header). */
export function newRequest(code: number, extFields: Record<string, string> | null, body: Buffer | null = null, oneway = false): RemotingCommand {
  nextOpaque = (nextOpaque + 1) | 0;
  return { code, language: 0, version: BROKER_VERSION, opaque: nextOpaque, flag: oneway ? RpcFlag.ONEWAY : 0, remark: null, extFields, serializeType: 0, body };
}
