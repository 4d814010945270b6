import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideSendBack,
  dlqTopicOf,
  effectiveMaxReconsumeTimes,
  groupOfRetryTopic,
  retryTopicOf,
  sendBackProperties,
  sendGoesToDlq,
} from '../../src/shared/retry.js';

test('retry and DLQ topic names', () => {
  assert.equal(retryTopicOf('cg'), '%RETRY%cg');
  assert.equal(dlqTopicOf('cg'), '%DLQ%cg');
  assert.equal(groupOfRetryTopic('%RETRY%cg'), 'cg');
  assert.equal(groupOfRetryTopic('%DLQ%cg'), null);
  assert.equal(groupOfRetryTopic('TopicA'), null);
});

test('max reconsume times: the header value from version 121 (V3_4_9) on, else the group', () => {
  assert.equal(effectiveMaxReconsumeTimes(409, 3, 16), 3);
  assert.equal(effectiveMaxReconsumeTimes(121, 0, 16), 0);
  assert.equal(effectiveMaxReconsumeTimes(120, 3, 16), 16);
  assert.equal(effectiveMaxReconsumeTimes(409, undefined, 16), 16);
  assert.equal(effectiveMaxReconsumeTimes(409, NaN, 5), 5);
});

test('send path: a %RETRY% send goes to the DLQ once reconsumeTimes reaches the max', () => {
  assert.equal(sendGoesToDlq(15, 16), false);
  assert.equal(sendGoesToDlq(16, 16), true);
  assert.equal(sendGoesToDlq(17, 16), true);
  assert.equal(sendGoesToDlq(0, 0), true);
});

test('send-back decision vectors', () => {
  const r = () => 0.99;
  // [reconsumeTimes, max, delayLevel, retryQueueNums] -> decision
  const cases: [number, number, number, number, object][] = [
    [0, 16, 0, 1, { dlq: false, topic: '%RETRY%g', queueId: 0, delayLevel: 3 }],
    [2, 16, 0, 1, { dlq: false, topic: '%RETRY%g', queueId: 0, delayLevel: 5 }],
    [2, 16, 1, 4, { dlq: false, topic: '%RETRY%g', queueId: 3, delayLevel: 1 }],
    [15, 16, 0, 1, { dlq: false, topic: '%RETRY%g', queueId: 0, delayLevel: 18 }],
    [16, 16, 0, 1, { dlq: true, topic: '%DLQ%g', queueId: 0, delayLevel: 0 }],
    [0, 16, -1, 1, { dlq: true, topic: '%DLQ%g', queueId: 0, delayLevel: 0 }],
    [0, 0, 2, 1, { dlq: true, topic: '%DLQ%g', queueId: 0, delayLevel: 0 }],
  ];
  for (const [times, max, level, queues, expected] of cases) {
    assert.deepEqual(decideSendBack('g', times, max, level, queues, r), expected, `${times}/${max} level ${level}`);
  }
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(decideSendBack('g', 0, 16, 0, 3).queueId);
  assert.deepEqual([...seen].sort(), [0, 1, 2], 'random queue in [0, retryQueueNums)');
});

test('send-back properties: RETRY_TOPIC, ORIGIN_MESSAGE_ID, WAIT=false, DELAY', () => {
  const original = new Map([['TAGS', 'A'], ['UNIQ_KEY', 'U1'], ['WAIT', 'true'], ['REAL_TOPIC', '%RETRY%g'], ['REAL_QID', '0']]);
  const retry = sendBackProperties(original, 'TopicA', '7F00000100002A9F0000000000000000', { dlq: false, topic: '%RETRY%g', queueId: 0, delayLevel: 4 });
  assert.deepEqual([...retry], [
    ['TAGS', 'A'], ['UNIQ_KEY', 'U1'], ['WAIT', 'false'], ['REAL_TOPIC', '%RETRY%g'], ['REAL_QID', '0'],
    ['RETRY_TOPIC', 'TopicA'], ['DELAY', '4'], ['ORIGIN_MESSAGE_ID', '7F00000100002A9F0000000000000000'],
  ]);
  assert.equal(original.has('DELAY'), false, 'the input map is not changed');

  // A message already retried keeps its first topic and id; the DLQ copy has no DELAY.
  const again = new Map([['RETRY_TOPIC', 'TopicA'], ['ORIGIN_MESSAGE_ID', 'FIRST'], ['DELAY', '3']]);
  const dead = sendBackProperties(again, '%RETRY%g', 'SECOND', { dlq: true, topic: '%DLQ%g', queueId: 0, delayLevel: 0 });
  assert.equal(dead.get('RETRY_TOPIC'), 'TopicA');
  assert.equal(dead.get('ORIGIN_MESSAGE_ID'), 'FIRST');
  assert.equal(dead.has('DELAY'), false);
  const blank = sendBackProperties(new Map([['ORIGIN_MESSAGE_ID', ' ']]), 'T', 'ID', { dlq: true, topic: '%DLQ%g', queueId: 0, delayLevel: 0 });
  assert.equal(blank.get('ORIGIN_MESSAGE_ID'), 'ID');
});
