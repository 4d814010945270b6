import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerControl } from '../../../src/main/control/broker-control.js';
import { RebalanceLockManager } from '../../../src/main/control/rebalance-lock-manager.js';
import { RequestCode, ResponseCode } from '../../../src/shared/codes.js';
import { bodyJson, channel, makeEnv, request } from './helpers.js';

const mq = (queueId: number) => ({ topic: 'T', brokerName: 'broker-a', queueId });

test('locks: grant, same-client refresh, refusal, expiry, foreign unlock ignored', () => {
  let now = 0;
  const locks = new RebalanceLockManager(60_000, () => now);
  assert.deepEqual(locks.tryLockBatch('g', [mq(0), mq(1), mq(0)], 'A'), [mq(0), mq(1)]);
  now = 50_000;
  assert.deepEqual(locks.tryLockBatch('g', [mq(0)], 'A'), [mq(0)], 'refresh');
  assert.deepEqual(locks.tryLockBatch('g', [mq(0), mq(1), mq(2)], 'B'), [mq(2)], 'held by A');
  assert.deepEqual(locks.tryLockBatch('other', [mq(0)], 'B'), [mq(0)], 'groups are separate');

  now = 110_001; // mq0 refreshed at 50 000, mq1 locked at 0: both expired
  assert.deepEqual(locks.tryLockBatch('g', [mq(0), mq(1)], 'B'), [mq(0), mq(1)]);
  assert.equal(locks.holder('g', mq(0)), 'B');

  locks.unlockBatch('g', [mq(0)], 'A');
  assert.equal(locks.holder('g', mq(0)), 'B', 'A cannot unlock what B holds');
  locks.unlockBatch('g', [mq(0)], 'B');
  assert.equal(locks.holder('g', mq(0)), null);
  assert.deepEqual(locks.tryLockBatch('g', [mq(0)], 'A'), [mq(0)]);
});

test('LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies', async () => {
  const env = makeEnv();
  const control = new BrokerControl(env.ctx);
  await control.load();
  try {
    const lockBody = (clientId: string) => JSON.stringify({ clientId, consumerGroup: 'cg', mqSet: [mq(0), mq(1)] });
    const a = await control.handle(request(RequestCode.LOCK_BATCH_MQ, null, lockBody('A')), channel(1));
    assert.equal(a?.code, ResponseCode.SUCCESS);
    assert.equal(a?.body?.toString(), '{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},{"brokerName":"broker-a","queueId":1,"topic":"T"}]}');
    const b = await control.handle(request(RequestCode.LOCK_BATCH_MQ, null, lockBody('B')), channel(2));
    assert.deepEqual(bodyJson(b), { lockOKMQSet: [] });

    const unlock = request(RequestCode.UNLOCK_BATCH_MQ, null, JSON.stringify({ clientId: 'A', consumerGroup: 'cg', mqSet: [mq(1)] }), { oneway: true });
    assert.equal(await control.handle(unlock, channel(1)), null);
    assert.deepEqual(bodyJson(await control.handle(request(RequestCode.LOCK_BATCH_MQ, null, lockBody('B')), channel(2))).lockOKMQSet, [mq(1)].map((m) => ({ brokerName: m.brokerName, queueId: m.queueId, topic: m.topic })));

    const empty = await control.handle(request(RequestCode.LOCK_BATCH_MQ), channel(1));
    assert.equal(empty?.code, ResponseCode.SYSTEM_ERROR);
  } finally {
    await control.shutdown();
    env.cleanup();
  }
});
