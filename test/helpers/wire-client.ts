import { RemotingClient } from '../../src/main/net/remoting-client.js';
import { newRequest, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import { decodeRecord, type DecodedMessage } from '../../src/shared/storage/message.js';
import { readInt } from '../../src/shared/storage/longs.js';

/** Protocol-level client for tests: builds the requests the official clients send. */
export class WireClient {
  private constructor(readonly client: RemotingClient, private readonly serializeType: number) {}

  static async connect(addr: string, serializeType = 0): Promise<WireClient> {
    return new WireClient(await RemotingClient.connect(addr), serializeType);
  }

  invoke(code: number, ext: Record<string, string> | null, body: Buffer | null = null, timeoutMs = 5000): Promise<RemotingCommand> {
    const cmd = newRequest(code, ext, body);
    cmd.serializeType = this.serializeType;
    return this.client.invoke(cmd, timeoutMs);
  }

  createTopic(topic: string, queues = 4, perm = 6): Promise<RemotingCommand> {
    return this.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic, defaultTopic: 'TBW102', readQueueNums: String(queues), writeQueueNums: String(queues), perm: String(perm), topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
    });
  }

  send(topic: string, body: string | Buffer, opts: { queueId?: number; tags?: string; keys?: string; props?: string; code?: number } = {}): Promise<RemotingCommand> {
    const props = [opts.tags ? `TAGS\u0001${opts.tags}` : '', opts.keys ? `KEYS\u0001${opts.keys}` : '', opts.props ?? '', 'WAIT\u0001true'].filter(Boolean).join('\u0002');
    const code = opts.code ?? RequestCode.SEND_MESSAGE_V2;
    const v1 = { producerGroup: 'test_pg', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: String(opts.queueId ?? 0), sysFlag: '0', bornTimestamp: String(Date.now()), flag: '0', properties: props, reconsumeTimes: '0', unitMode: 'false', batch: 'false' };
    const ext = code === RequestCode.SEND_MESSAGE ? v1 : { a: v1.producerGroup, b: topic, c: 'TBW102', d: '4', e: v1.queueId, f: '0', g: v1.bornTimestamp, h: '0', i: props, j: '0', k: 'false', m: 'false' };
    return this.invoke(code, ext, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  pull(group: string, topic: string, queueId: number, offset: number, opts: { max?: number; subscription?: string; sysFlag?: number; suspendMs?: number; commitOffset?: number } = {}): Promise<RemotingCommand> {
    const sub = opts.subscription ?? '*';
    const sysFlag = opts.sysFlag ?? 0x4 | (opts.suspendMs ? 0x2 : 0);
    return this.invoke(
      RequestCode.PULL_MESSAGE,
      {
        consumerGroup: group, topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: String(opts.max ?? 32), sysFlag: String(sysFlag),
        commitOffset: String(opts.commitOffset ?? 0), suspendTimeoutMillis: String(opts.suspendMs ?? 0), subscription: sub, subVersion: '0', expressionType: 'TAG',
      },
      null,
      (opts.suspendMs ?? 0) + 5000,
    );
  }

  /**
   * The messages of a queue from `offset` on, once at least `count` are there. A send is answered
   * when the CommitLog holds it; the ConsumeQueue entry that a pull reads follows on dispatch, so
   * a test that pulls straight after sending waits for it as a consumer would (long polling).
   */
  async pullAtLeast(group: string, topic: string, queueId: number, offset: number, count: number, timeoutMs = 10_000): Promise<DecodedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    const out: DecodedMessage[] = [];
    let next = offset;
    while (out.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${topic}/${queueId}: ${out.length} of ${count} messages from offset ${offset} after ${timeoutMs} ms`);
      const r = await this.pull(group, topic, queueId, next, { suspendMs: Math.min(left, 1000) });
      if (r.code === ResponseCode.SUCCESS) {
        const msgs = decodeRecords(r.body);
        out.push(...msgs);
        next = Number(r.extFields?.nextBeginOffset ?? next + msgs.length);
      } else if (r.code !== ResponseCode.PULL_NOT_FOUND && r.code !== ResponseCode.PULL_RETRY_IMMEDIATELY) {
        if (r.code !== ResponseCode.PULL_OFFSET_MOVED || Number(r.extFields?.maxOffset) > next) throw new Error(`pull ${topic}/${queueId}@${next}: ${r.code} ${r.remark}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    return out;
  }

  close(): void {
    this.client.close();
  }
}

/** Splits a pull body into its stored records. */
export function decodeRecords(body: Buffer | null): DecodedMessage[] {
  const out: DecodedMessage[] = [];
  if (!body) return out;
  for (let p = 0; p < body.length; p += readInt(body, p)) out.push(decodeRecord(body, p));
  return out;
}
