// Building a new CommitLog record from a stored one (schedule delivery, consumer send-back): the
// broker's MessageExtBrokerInner copy of body, flag, sysFlag, born*/store host, with a new topic,
// queue, properties and reconsumeTimes.

import { encodeProperties, MAX_PROPERTIES_LENGTH } from './properties.js';
import { encodeRecord, recordLength, BORNHOST_V6, STOREHOST_V6, type DecodedMessage } from './message.js';

export interface RewriteTarget {
  topic: string;
  queueId: number;
  properties: Map<string, string>;
  reconsumeTimes: number;
  /** Replaces the stored sysFlag (host bits still follow the hosts); a transaction commit sets its type. */
  sysFlag?: number;
  /** PREPARED TRANSACTION OFFSET; 0 when absent. */
  preparedTransactionOffset?: number;
}

/**
 * The complete record (v1) for `target`, copied from `msg` otherwise. Queue offset, physical offset
 * and store timestamp are 0: the store writer fills them. The body keeps its stored form (possibly
 * compressed, sysFlag unchanged) and its CRC. Throws RangeError when the topic or properties
 * don't fit a record.
 */
export function rewriteRecord(msg: DecodedMessage, target: RewriteTarget): Buffer {
  const topic = Buffer.from(target.topic, 'utf8');
  const properties = encodeProperties(target.properties);
  if (properties.length > MAX_PROPERTIES_LENGTH) throw new RangeError(`the properties are ${properties.length} bytes, at most ${MAX_PROPERTIES_LENGTH} allowed`);
  const sysFlag = ((target.sysFlag ?? msg.sysFlag) & ~(BORNHOST_V6 | STOREHOST_V6)) | (msg.bornHostIp.length === 16 ? BORNHOST_V6 : 0) | (msg.storeHostIp.length === 16 ? STOREHOST_V6 : 0);
  const out = Buffer.allocUnsafe(recordLength(sysFlag, msg.body.length, topic.length, properties.length));
  encodeRecord(out, 0, {
    queueId: target.queueId,
    flag: msg.flag,
    queueOffset: 0,
    physicalOffset: 0,
    sysFlag,
    bornTimestamp: msg.bornTimestamp,
    bornHost: msg.bornHostIp,
    bornPort: msg.bornPort,
    storeTimestamp: 0,
    storeHost: msg.storeHostIp,
    storePort: msg.storePort,
    reconsumeTimes: target.reconsumeTimes,
    preparedTransactionOffset: target.preparedTransactionOffset ?? 0,
    body: msg.body,
    bodyCrc: msg.bodyCrc,
    topic,
    properties,
  });
  return out;
}
