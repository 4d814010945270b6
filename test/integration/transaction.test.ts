import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RemotingClient } from '../../src/main/net/remoting-client.js';
import { newRequest, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import { decodeRecord, type DecodedMessage } from '../../src/shared/storage/message.js';
import { decodeOffsetMsgId } from '../../src/shared/storage/msgid.js';
import { decodeConsumerOffsetJson } from '../../src/shared/storage/config-files.js';

const HALF = 'RMQ_SYS_TRANS_HALF_TOPIC';
const OP = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
const CHECK_MAX = 'TRANS_CHECK_MAX_TIME_TOPIC';
const COMMIT = 8;
const ROLLBACK = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Every record of a queue from `from` on (what is there now). */
async function readQueue(client: WireClient, topic: string, queueId: number, from = 0): Promise<DecodedMessage[]> {
  const out: DecodedMessage[] = [];
  let offset = from;
  for (;;) {
    const res = await client.pull('tx_reader_cg', topic, queueId, offset);
    if (res.code !== ResponseCode.SUCCESS) return out;
    const msgs = decodeRecords(res.body);
    if (msgs.length === 0) return out;
    out.push(...msgs);
    offset = Number(res.extFields!.nextBeginOffset);
  }
}

async function maxOffset(client: WireClient, topic: string, queueId: number): Promise<number> {
  const res = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic, queueId: String(queueId) });
  return res.code === ResponseCode.SUCCESS ? Number(res.extFields!.offset) : -1;
}

interface Check {
  header: Record<string, string>;
  msg: DecodedMessage;
}

/**
 * A transactional producer at the protocol level, as Java's TransactionMQProducer behaves: half
 * sends (sysFlag PREPARED, TRAN_MSG / PGROUP properties), END_TRANSACTION oneway, heartbeats that
 * name its group, and CHECK_TRANSACTION_STATE answered by `onCheck` (a state, or null: no answer).
 */
class TxProducer {
  readonly checks: Check[] = [];
  onCheck: (c: Check) => number | null = () => null;

  private constructor(readonly client: RemotingClient, readonly group: string) {}

  static async connect(addr: string, group: string): Promise<TxProducer> {
    let self: TxProducer | null = null;
    const client = await RemotingClient.connect(addr, {
      onRequest: (cmd) => {
        self?.received(cmd);
        return null;
      },
    });
    self = new TxProducer(client, group);
    return self;
  }

  private received(cmd: RemotingCommand): void {
    if (cmd.code !== RequestCode.CHECK_TRANSACTION_STATE) return;
    const c = { header: cmd.extFields ?? {}, msg: decodeRecord(cmd.body!, 0) };
    this.checks.push(c);
    const state = this.onCheck(c);
    if (state === null) return;
    this.end(state, { tranStateTableOffset: c.header.tranStateTableOffset, commitLogOffset: c.header.commitLogOffset, msgId: c.header.msgId }, { oneway: true, fromCheck: true });
  }

  async heartbeat(): Promise<void> {
    const body = JSON.stringify({ clientID: `tx-${this.group}`, producerDataSet: [{ groupName: this.group }], consumerDataSet: [] });
    const res = await this.client.invoke(newRequest(RequestCode.HEART_BEAT, null, Buffer.from(body)), 10_000);
    assert.equal(res.code, ResponseCode.SUCCESS);
  }

  /** A half message; resolves with the send response and the half's commit-log offset. */
  async sendHalf(topic: string, body: string, opts: { queueId?: number; uniq: string; tags?: string }): Promise<{ res: RemotingCommand; queueOffset: number; commitLogOffset: number }> {
    const props = [opts.tags ? `TAGS\u0001${opts.tags}` : '', `UNIQ_KEY\u0001${opts.uniq}`, 'TRAN_MSG\u0001true', `PGROUP\u0001${this.group}`, 'WAIT\u0001true'].filter(Boolean).join('\u0002');
    const ext = { a: this.group, b: topic, c: 'TBW102', d: '4', e: String(opts.queueId ?? 0), f: '4', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false' };
    const res = await this.client.invoke(newRequest(RequestCode.SEND_MESSAGE_V2, ext, Buffer.from(body)), 10_000);
    assert.equal(res.code, ResponseCode.SUCCESS, res.remark ?? '');
    return { res, queueOffset: Number(res.extFields!.queueOffset), commitLogOffset: decodeOffsetMsgId(res.extFields!.msgId).offset };
  }

  /** END_TRANSACTION; oneway (as Java sends it) resolves with null. */
  async end(state: number, at: { tranStateTableOffset: number | string; commitLogOffset: number | string; msgId?: string }, opts: { oneway?: boolean; fromCheck?: boolean; group?: string; timeoutMs?: number } = {}): Promise<RemotingCommand | null> {
    const ext = {
      producerGroup: opts.group ?? this.group,
      tranStateTableOffset: String(at.tranStateTableOffset),
      commitLogOffset: String(at.commitLogOffset),
      commitOrRollback: String(state),
      fromTransactionCheck: String(opts.fromCheck ?? false),
      msgId: at.msgId ?? 'no-uniq-key',
    };
    const cmd = newRequest(RequestCode.END_TRANSACTION, ext);
    if (opts.oneway) {
      this.client.invokeOneway(cmd);
      return null;
    }
    return this.client.invoke(cmd, opts.timeoutMs ?? 10_000);
  }

  close(): void {
    this.client.close();
  }
}

describe('transactions', () => {
  let ferry: FerryProcess;
  let client: WireClient;

  before(async () => {
    ferry = await FerryProcess.start({ overrides: ['transactionCheckInterval=1000', 'transactionTimeOut=1500', 'transactionCheckMax=100'] });
    client = await WireClient.connect(ferry.brokerAddr);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  test('commit: the half message is parked in the half topic, then stored in its real queue with an op message', async () => {
    assert.equal((await client.createTopic('TxCommit', 2)).code, 0);
    const p = await TxProducer.connect(ferry.brokerAddr, 'pg_commit');
    try {
      const halfFrom = await maxOffset(client, HALF, 0);
      const opFrom = await maxOffset(client, OP, 0);
      const sent = await p.sendHalf('TxCommit', 'pay 10', { queueId: 1, uniq: 'UK-COMMIT', tags: 'TagT' });
      assert.equal(sent.res.extFields!.queueId, '1', 'the response names the queue the producer chose');
      assert.equal(sent.queueOffset, halfFrom, 'queueOffset is the half queue offset');

      const half = await until('the half message', async () => (await readQueue(client, HALF, 0, halfFrom))[0]);
      assert.equal(half.topic, HALF);
      assert.equal(half.queueId, 0);
      assert.equal(half.physicalOffset, sent.commitLogOffset);
      assert.equal(half.sysFlag & 0xc, 0, 'stored with transaction type NOT');
      assert.equal(half.properties.get('REAL_TOPIC'), 'TxCommit');
      assert.equal(half.properties.get('REAL_QID'), '1');
      assert.equal(half.properties.get('TRAN_MSG'), 'true');
      assert.equal(half.properties.get('PGROUP'), 'pg_commit');
      assert.equal(await maxOffset(client, 'TxCommit', 1), 0, 'nothing in the real queue yet');

      const at = { tranStateTableOffset: sent.queueOffset, commitLogOffset: sent.commitLogOffset, msgId: 'UK-COMMIT' };
      const wrongGroup = await p.end(COMMIT, at, { group: 'pg_other' });
      assert.deepEqual([wrongGroup?.code, wrongGroup?.remark], [ResponseCode.SYSTEM_ERROR, 'The producer group wrong']);
      const wrongOffset = await p.end(COMMIT, { ...at, tranStateTableOffset: sent.queueOffset + 1 });
      assert.deepEqual([wrongOffset?.code, wrongOffset?.remark], [ResponseCode.SYSTEM_ERROR, 'The transaction state table offset wrong']);
      const nowhere = await p.end(COMMIT, { ...at, commitLogOffset: sent.commitLogOffset + 1 });
      assert.deepEqual([nowhere?.code, nowhere?.remark], [ResponseCode.SYSTEM_ERROR, 'Find prepared transaction message failed']);
      const badState = await p.end(5, at);
      assert.equal(badState?.code, ResponseCode.SYSTEM_ERROR);

      const ok = await p.end(COMMIT, at);
      assert.equal(ok?.code, ResponseCode.SUCCESS, ok?.remark ?? '');
      // The answer comes once the CommitLog holds it; the ConsumeQueue entry follows on dispatch.
      const final = await until('the committed message in its real queue', async () => (await readQueue(client, 'TxCommit', 1))[0]);
      assert.equal(final.queueOffset, 0);
      assert.equal(final.sysFlag & 0xc, COMMIT, 'transaction type COMMIT');
      assert.equal(final.preparedTransactionOffset, sent.commitLogOffset);
      assert.equal(final.properties.has('TRAN_MSG'), false, 'TRAN_MSG removed');
      assert.equal(final.properties.get('UNIQ_KEY'), 'UK-COMMIT');
      assert.equal(final.properties.get('PGROUP'), 'pg_commit');
      assert.equal(final.body.toString(), 'pay 10');
      assert.equal(final.bornTimestamp, half.bornTimestamp);
      assert.equal(final.bodyCrc, half.bodyCrc);
      const tagged = await client.pull('tx_tag_cg', 'TxCommit', 1, 0, { subscription: 'TagT' });
      assert.equal(decodeRecords(tagged.body).length, 1, 'the tag filter finds it');

      const ops = await until('the op message', async () => {
        const list = await readQueue(client, OP, 0, opFrom);
        return list.length ? list : null;
      });
      await sleep(300);
      assert.equal((await readQueue(client, OP, 0, opFrom)).length, 1, 'one op message');
      assert.equal(ops[0].body.toString(), String(sent.queueOffset));
      assert.equal(ops[0].properties.get('TAGS'), 'd');
      assert.equal(ops[0].queueId, 0);
    } finally {
      p.close();
    }
  });

  test('rollback stores only the op message; unknown (0) does nothing and is not answered', async () => {
    assert.equal((await client.createTopic('TxRollback', 1)).code, 0);
    const p = await TxProducer.connect(ferry.brokerAddr, 'pg_rollback');
    try {
      const opFrom = await maxOffset(client, OP, 0);
      const sent = await p.sendHalf('TxRollback', 'refund', { uniq: 'UK-ROLLBACK' });
      const at = { tranStateTableOffset: sent.queueOffset, commitLogOffset: sent.commitLogOffset, msgId: 'UK-ROLLBACK' };
      await assert.rejects(p.end(0, at, { timeoutMs: 800 }), /timed out/, 'no response for an unknown state');
      assert.deepEqual(await readQueue(client, OP, 0, opFrom), [], 'no op for an unknown state');
      await p.end(ROLLBACK, at, { oneway: true });
      const ops = await until('the op message', async () => {
        const list = await readQueue(client, OP, 0, opFrom);
        return list.length ? list : null;
      });
      assert.deepEqual(ops.map((m) => m.body.toString()), [String(sent.queueOffset)]);
      await sleep(2500); // past transactionTimeOut and several check intervals
      assert.equal(await maxOffset(client, 'TxRollback', 0), 0, 'nothing delivered');
      assert.deepEqual(p.checks, [], 'a settled half message is never checked');
    } finally {
      p.close();
    }
  });

  test('check-back: an open transaction is checked, the producer commits it, and it is never checked again', async () => {
    assert.equal((await client.createTopic('TxCheck', 2)).code, 0);
    const p = await TxProducer.connect(ferry.brokerAddr, 'pg_check');
    try {
      await p.heartbeat();
      p.onCheck = () => COMMIT;
      const t0 = Date.now();
      const sent = await p.sendHalf('TxCheck', 'maybe', { queueId: 1, uniq: 'UK-CHECK', tags: 'TagC' });
      const check = await until('CHECK_TRANSACTION_STATE', () => p.checks[0], 20_000);
      assert.ok(Date.now() - t0 >= 1400, `checked after transactionTimeOut (${Date.now() - t0} ms)`);
      const h = check.header;
      assert.equal(h.msgId, 'UK-CHECK');
      assert.equal(h.transactionId, 'UK-CHECK');
      assert.ok(Number(h.commitLogOffset) > sent.commitLogOffset, 'the renewed copy is checked');
      assert.ok(Number(h.tranStateTableOffset) > sent.queueOffset);
      assert.equal(decodeOffsetMsgId(h.offsetMsgId).offset, Number(h.commitLogOffset));
      assert.equal(check.msg.topic, 'TxCheck', 'the body names the real topic');
      assert.equal(check.msg.queueId, 1);
      assert.equal(check.msg.queueOffset, Number(h.tranStateTableOffset));
      assert.equal(check.msg.physicalOffset, Number(h.commitLogOffset));
      assert.equal(check.msg.properties.get('TRANSACTION_CHECK_TIMES'), '1');
      assert.equal(check.msg.properties.get('PGROUP'), 'pg_check');
      assert.equal(check.msg.body.toString(), 'maybe');

      // The renewed copy in the half queue is what the header names.
      const copies = await until('the renewed copy', async () => {
        const list = await readQueue(client, HALF, 0, Number(h.tranStateTableOffset));
        return list.length ? list : null;
      });
      assert.equal(copies[0].physicalOffset, Number(h.commitLogOffset));
      assert.equal(copies[0].properties.get('TRANSACTION_CHECK_TIMES'), '1');

      const final = await until('the committed message', async () => (await readQueue(client, 'TxCheck', 1))[0]);
      assert.equal(final.body.toString(), 'maybe');
      assert.equal(final.sysFlag & 0xc, COMMIT);
      assert.equal(final.preparedTransactionOffset, Number(h.commitLogOffset));
      await sleep(2000); // several check intervals
      assert.equal(p.checks.length, 1, 'checked once');
      assert.equal(await maxOffset(client, 'TxCheck', 1), 1, 'committed once');
    } finally {
      p.close();
    }
  });

  test('check progress survives a restart: open transactions are checked on, old copies are not re-checked', async () => {
    assert.equal((await client.createTopic('TxRestart', 1)).code, 0);
    let p = await TxProducer.connect(ferry.brokerAddr, 'pg_restart');
    let copiesBefore = 0;
    try {
      await p.heartbeat();
      const a = await p.sendHalf('TxRestart', 'A', { uniq: 'UK-A' });
      assert.equal((await p.end(COMMIT, { tranStateTableOffset: a.queueOffset, commitLogOffset: a.commitLogOffset, msgId: 'UK-A' }))?.code, 0);
      const b = await p.sendHalf('TxRestart', 'B', { uniq: 'UK-B' });
      assert.equal((await p.end(ROLLBACK, { tranStateTableOffset: b.queueOffset, commitLogOffset: b.commitLogOffset, msgId: 'UK-B' }))?.code, 0);
      await p.sendHalf('TxRestart', 'C', { uniq: 'UK-C' });
      await until('a check of C', () => p.checks.length > 0, 20_000);
      client.close();
      p.close();
      assert.equal(await ferry.stop(), 0);
      copiesBefore = Math.max(...p.checks.map((c) => Number(c.msg.properties.get('TRANSACTION_CHECK_TIMES'))));
      assert.deepEqual(p.checks.map((c) => c.header.msgId).filter((id) => id !== 'UK-C'), [], 'only C is checked');

      const offsets = decodeConsumerOffsetJson(fs.readFileSync(path.join(ferry.storeDir, 'config', 'consumerOffset.json'), 'utf8'));
      assert.ok((offsets.get(`${HALF}@CID_RMQ_SYS_TRANS`)?.get(0) ?? 0) > 0, 'half queue progress persisted');
      assert.ok((offsets.get(`${OP}@CID_RMQ_SYS_TRANS`)?.get(0) ?? 0) > 0, 'op queue progress persisted');

      await ferry.launch();
      client = await WireClient.connect(ferry.brokerAddr);
      p = await TxProducer.connect(ferry.brokerAddr, 'pg_restart');
      p.onCheck = (c) => (c.header.msgId === 'UK-C' ? COMMIT : null);
      await p.heartbeat();
      const after = await until('a check of C after the restart', () => p.checks[0], 20_000);
      assert.equal(after.header.msgId, 'UK-C');
      assert.ok(Number(after.msg.properties.get('TRANSACTION_CHECK_TIMES')) > copiesBefore, `checks go on from ${copiesBefore}, got ${after.msg.properties.get('TRANSACTION_CHECK_TIMES')}`);
      const msgs = await until('A and C', async () => {
        const list = await readQueue(client, 'TxRestart', 0);
        return list.length >= 2 ? list : null;
      });
      await sleep(1500);
      assert.deepEqual((await readQueue(client, 'TxRestart', 0)).map((m) => m.body.toString()), ['A', 'C'], 'A and C once each, B never');
      assert.equal(msgs.length, 2);
      assert.deepEqual(p.checks.map((c) => c.header.msgId), ['UK-C'], 'nothing else checked after the restart');
    } finally {
      p.close();
    }
  });
});

describe('transactions: transactionCheckMax', () => {
  let ferry: FerryProcess;
  let client: WireClient;

  before(async () => {
    ferry = await FerryProcess.start({ overrides: ['transactionCheckInterval=300', 'transactionTimeOut=1000', 'transactionCheckMax=2'] });
    client = await WireClient.connect(ferry.brokerAddr);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  test('a half message nobody settles is checked transactionCheckMax times, then moved to TRANS_CHECK_MAX_TIME_TOPIC', async () => {
    assert.equal((await client.createTopic('TxNever', 1)).code, 0);
    const p = await TxProducer.connect(ferry.brokerAddr, 'pg_never');
    try {
      await p.heartbeat();
      p.onCheck = () => 0; // UNKNOW
      await p.sendHalf('TxNever', 'limbo', { uniq: 'UK-NEVER' });
      const gone = await until('the message in TRANS_CHECK_MAX_TIME_TOPIC', async () => (await readQueue(client, CHECK_MAX, 0)).find((m) => m.properties.get('UNIQ_KEY') === 'UK-NEVER'), 20_000);
      assert.equal(gone.topic, CHECK_MAX);
      assert.equal(gone.properties.get('REAL_TOPIC'), 'TxNever');
      assert.equal(gone.properties.get('TRANSACTION_CHECK_TIMES'), '2');
      assert.equal(gone.body.toString(), 'limbo');
      await sleep(1500);
      assert.deepEqual(p.checks.map((c) => c.msg.properties.get('TRANSACTION_CHECK_TIMES')), ['1', '2'], 'checked twice, then no more');
      assert.equal(await maxOffset(client, 'TxNever', 0), 0, 'never delivered');
    } finally {
      p.close();
    }
  });
});
