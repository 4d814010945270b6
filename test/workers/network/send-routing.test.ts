import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/shared/config/broker-config.js';
import { ResponseCode } from '../../../src/shared/codes.js';
import { RemotingError } from '../../../src/shared/remoting/errors.js';
import { Replica } from '../../../src/workers/network/replica.js';
import { needsRouting, routeSend, type RoutingDeps } from '../../../src/workers/network/send-routing.js';
import type { SendRequest } from '../../../src/workers/network/send-request.js';

function deps(opts: { autoCreateGroups?: boolean; dlq?: boolean } = {}): RoutingDeps {
  const replica = new Replica();
  const topic = (name: string, queues: number, firstSlot: number) =>
    replica.topics.set(name, {
      config: { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false },
      slots: Array.from({ length: queues }, (_, i) => firstSlot + i),
    });
  topic('SCHEDULE_TOPIC_XXXX', 18, 100);
  topic('TopicA', 4, 10);
  topic('%RETRY%g', 1, 20);
  if (opts.dlq !== false) topic('%DLQ%g', 1, 30);
  replica.groups.set('g', { groupName: 'g', consumeEnable: true, consumeBroadcastEnable: true, retryQueueNums: 1, retryMaxTimes: 3 });
  const config = defaultConfig();
  config.autoCreateSubscriptionGroup = opts.autoCreateGroups ?? false;
  return { replica, config, maxDelayLevel: 18 };
}

function req(topic: string, properties: string, reconsumeTimes = 0, maxReconsumeTimes = -1, sysFlag = 0): SendRequest {
  return { producerGroup: 'pg', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 2, sysFlag, bornTimestamp: 0, flag: 0, properties, reconsumeTimes, maxReconsumeTimes, batch: false };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as RemotingError).code;
  }
  return 'no error';
};

test('needsRouting: only retry topics and properties that may hold DELAY', () => {
  assert.equal(needsRouting(req('TopicA', 'TAGS\u0001A\u0002WAIT\u0001true')), false);
  assert.equal(needsRouting(req('TopicA', 'DELAY\u00013')), true);
  assert.equal(needsRouting(req('%RETRY%g', '')), true);
  assert.equal(needsRouting(req('%DLQ%g', '')), false);
});

test('a delayed send is parked in the schedule queue of its level, with REAL_TOPIC / REAL_QID', () => {
  const r = routeSend(req('TopicA', 'TAGS\u0001A\u0002DELAY\u00013'), 409, 2, false, deps(), false);
  assert.deepEqual(r, { kind: 'store', topic: 'SCHEDULE_TOPIC_XXXX', queueId: 2, slot: 102, properties: 'TAGS\u0001A\u0002DELAY\u00013\u0002REAL_TOPIC\u0001TopicA\u0002REAL_QID\u00012' });
  assert.equal(routeSend(req('TopicA', 'XDELAY\u00013'), 409, 2, false, deps(), false), null, 'a key ending in DELAY is not DELAY');
  assert.equal(routeSend(req('TopicA', 'DELAY\u00013', 0, -1, 0x4), 409, 2, false, deps(), false), null, 'a prepared transaction message is not delayed');
});

test('retry sends: DLQ decision from reconsumeTimes (header j) and max (header l from version 121, else the group)', () => {
  const d = deps();
  // Group max 3.
  assert.equal(routeSend(req('%RETRY%g', 'RETRY_TOPIC\u0001TopicA', 2), 409, 0, false, d, false), null);
  assert.deepEqual(routeSend(req('%RETRY%g', 'RETRY_TOPIC\u0001TopicA', 3), 409, 0, false, d, false), { kind: 'store', topic: '%DLQ%g', queueId: 0, slot: 30, properties: 'RETRY_TOPIC\u0001TopicA' });
  // Header l overrides the group for recent clients only.
  assert.equal(routeSend(req('%RETRY%g', '', 3, 16), 409, 0, false, d, false), null);
  assert.equal(routeSend(req('%RETRY%g', '', 3, 16), 120, 0, false, d, false)?.kind, 'store');
  assert.equal(routeSend(req('%RETRY%g', '', 1, 1), 409, 0, false, d, false)?.kind, 'store');
  // To the DLQ and delayed: parked with REAL_TOPIC = the DLQ.
  const both = routeSend(req('%RETRY%g', 'DELAY\u00015', 3), 409, 0, false, d, false);
  assert.deepEqual(both, { kind: 'store', topic: 'SCHEDULE_TOPIC_XXXX', queueId: 4, slot: 104, properties: 'DELAY\u00015\u0002REAL_TOPIC\u0001%DLQ%g\u0002REAL_QID\u00010' });
});

test('a missing DLQ is created through the control plane once; unknown groups are 26 unless groups auto-create', () => {
  const d = deps({ dlq: false });
  assert.deepEqual(routeSend(req('%RETRY%g', '', 5), 409, 0, false, d, false), { kind: 'create', topic: '%DLQ%g' });
  assert.equal(code(() => routeSend(req('%RETRY%g', '', 5), 409, 0, false, d, true)), ResponseCode.SYSTEM_ERROR);
  assert.equal(code(() => routeSend(req('%RETRY%other', '', 0), 409, 0, false, d, false)), ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
  const auto = deps({ autoCreateGroups: true });
  assert.equal(routeSend(req('%RETRY%other', '', 0), 409, 0, false, auto, false), null, 'default retryMaxTimes 16');
  assert.deepEqual(routeSend(req('%RETRY%other', '', 16), 409, 0, false, auto, false), { kind: 'create', topic: '%DLQ%other' });
});

test('batches: a DELAY is MESSAGE_ILLEGAL, retry rules do not apply; bad DELAY is a system error', () => {
  assert.equal(code(() => routeSend(req('TopicA', 'DELAY\u00012'), 409, 0, true, deps(), false)), ResponseCode.MESSAGE_ILLEGAL);
  assert.equal(routeSend(req('TopicA', 'DELAY\u00010'), 409, 0, true, deps(), false), null);
  assert.equal(routeSend(req('%RETRY%g', '', 99), 409, 0, true, deps(), false), null);
  assert.equal(code(() => routeSend(req('TopicA', 'DELAY\u0001x'), 409, 0, false, deps(), false)), ResponseCode.SYSTEM_ERROR);
});
