import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clampDelayLevel,
  correctDeliverTimestamp,
  deliverTimestamp,
  deliveryOf,
  isDue,
  parkForDelay,
  parseDelayLevel,
  parseDelayLevels,
  parsePropertiesText,
  propertiesText,
  scheduleTagsCode,
} from '../../src/shared/delay.js';

const DEFAULT_LEVELS = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

test('parseDelayLevels: RocketMQ default levels in ms, index = level - 1', () => {
  assert.deepEqual(parseDelayLevels(DEFAULT_LEVELS), [
    1000, 5000, 10000, 30000, 60000, 120000, 180000, 240000, 300000, 360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000, 7200000,
  ]);
  assert.deepEqual(parseDelayLevels('1s 2s 3s'), [1000, 2000, 3000]);
  assert.deepEqual(parseDelayLevels(' 2d  1h '), [172800000, 3600000]);
  assert.deepEqual(parseDelayLevels('0s'), [0]);
});

test('parseDelayLevels: bad entries are refused with the entry named', () => {
  assert.throws(() => parseDelayLevels(''), /empty/);
  assert.throws(() => parseDelayLevels('1s 5x'), /entry 2 "5x"/);
  assert.throws(() => parseDelayLevels('s'), /entry 1 "s"/);
  assert.throws(() => parseDelayLevels('1.5s'), RangeError);
  assert.throws(() => parseDelayLevels('-1s'), RangeError);
});

test('parseDelayLevel: Java Integer.parseInt of DELAY', () => {
  assert.equal(parseDelayLevel(undefined), 0);
  assert.equal(parseDelayLevel('3'), 3);
  assert.equal(parseDelayLevel('+3'), 3);
  assert.equal(parseDelayLevel('-1'), -1);
  assert.equal(parseDelayLevel('2147483648'), null);
  assert.equal(parseDelayLevel('3s'), null);
  assert.equal(parseDelayLevel(''), null);
});

test('deliver time: store time + the level delay; 1 s for an unknown level; clamping to the max level', () => {
  const levels = parseDelayLevels('1s 2s 3s');
  assert.equal(deliverTimestamp(levels, 1, 1_700_000_000_000), 1_700_000_001_000);
  assert.equal(deliverTimestamp(levels, 3, 1_700_000_000_000), 1_700_000_003_000);
  assert.equal(deliverTimestamp(levels, 4, 1_700_000_000_000), 1_700_000_001_000);
  assert.equal(deliverTimestamp(levels, 0, 5), 1005);
  assert.equal(clampDelayLevel(99, 3), 3);
  assert.equal(clampDelayLevel(2, 3), 2);
});

test('due check: deliver time <= now; a deliver time beyond now + delay counts as now', () => {
  const levels = parseDelayLevels('1s 2s 3s');
  const now = 1_700_000_000_000;
  assert.equal(isDue(levels, 1, now, now), true);
  assert.equal(isDue(levels, 1, now, now - 1), true);
  assert.equal(isDue(levels, 1, now, now + 1), false);
  assert.equal(isDue(levels, 2, now, now + 2000), false);
  // Clock moved back (or the level got shorter): the unit is not held for longer than its delay.
  assert.equal(correctDeliverTimestamp(levels, 2, now, now + 2001), now);
  assert.equal(isDue(levels, 2, now, now + 2001), true);
  assert.equal(correctDeliverTimestamp(levels, 2, now, now + 2000), now + 2000);
});

test('scheduleTagsCode: reads DELAY from the stored properties bytes', () => {
  const levels = parseDelayLevels('1s 2s 3s');
  const out = new Int32Array(2);
  const props = Buffer.from('TAGS\u0001A\u0002DELAY\u00012\u0002REAL_TOPIC\u0001T', 'latin1');
  const buf = Buffer.concat([Buffer.from('xx'), props, Buffer.from('yy')]);
  assert.equal(scheduleTagsCode(buf, 2, 2 + props.length, 1000, levels, -7, out), 3000);
  const clamped = Buffer.from('DELAY\u000118', 'latin1');
  assert.equal(scheduleTagsCode(clamped, 0, clamped.length, 1000, levels, -7, out), 4000);
  for (const p of ['TAGS\u0001A', 'DELAY\u00010', 'DELAY\u0001-1', 'DELAY\u0001x']) {
    const b = Buffer.from(p, 'latin1');
    assert.equal(scheduleTagsCode(b, 0, b.length, 1000, levels, -7, out), -7, p);
  }
});

test('properties text: Java parsing rules and a lossless round trip', () => {
  const m = parsePropertiesText('A\u00011\u0002\u0002B\u0001\u0002C\u00013\u0002\u00014\u0002A\u00015');
  assert.deepEqual([...m], [['A', '5'], ['C', '3']]);
  assert.equal(propertiesText(new Map([['K', 'v'], ['DELAY', '2']])), 'K\u0001v\u0002DELAY\u00012');
  assert.equal(propertiesText(new Map()), '');
});

test('parkForDelay: DELAY > 0 parks in SCHEDULE_TOPIC_XXXX queue level-1 with REAL_TOPIC / REAL_QID', () => {
  const props = parsePropertiesText('TAGS\u0001A\u0002DELAY\u00012');
  assert.deepEqual(parkForDelay(props, 'TopicA', 5, 0, 3), { topic: 'SCHEDULE_TOPIC_XXXX', queueId: 1, level: 2 });
  assert.equal(propertiesText(props), 'TAGS\u0001A\u0002DELAY\u00012\u0002REAL_TOPIC\u0001TopicA\u0002REAL_QID\u00015');

  const far = parsePropertiesText('DELAY\u000199');
  assert.deepEqual(parkForDelay(far, 'T', 0, 0x8 /* COMMIT */, 3), { topic: 'SCHEDULE_TOPIC_XXXX', queueId: 2, level: 3 });
  assert.equal(far.get('DELAY'), '3', 'DELAY itself is clamped');

  for (const sysFlag of [0x4 /* PREPARED */, 0xc /* ROLLBACK */]) {
    const p = parsePropertiesText('DELAY\u00012');
    assert.equal(parkForDelay(p, 'T', 0, sysFlag, 3), null);
    assert.equal(p.has('REAL_TOPIC'), false);
  }
  assert.equal(parkForDelay(parsePropertiesText('DELAY\u00010'), 'T', 0, 0, 3), null);
  assert.equal(parkForDelay(parsePropertiesText('DELAY\u0001-2'), 'T', 0, 0, 3), null);
  assert.equal(parkForDelay(parsePropertiesText('TAGS\u0001A'), 'T', 0, 0, 3), null);
  assert.throws(() => parkForDelay(parsePropertiesText('DELAY\u0001soon'), 'T', 0, 0, 3), /"soon" is not a number/);
});

test('deliveryOf: real topic and queue, DELAY removed, REAL_* kept; undeliverable cases', () => {
  const props = parsePropertiesText('TAGS\u0001A\u0002DELAY\u00012\u0002REAL_TOPIC\u0001TopicA\u0002REAL_QID\u00015');
  const d = deliveryOf(props);
  assert.ok(!('error' in d));
  assert.equal(d.topic, 'TopicA');
  assert.equal(d.queueId, 5);
  assert.equal(propertiesText(d.properties), 'TAGS\u0001A\u0002REAL_TOPIC\u0001TopicA\u0002REAL_QID\u00015');
  assert.equal(props.get('DELAY'), '2', 'the input map is not changed');

  assert.match((deliveryOf(parsePropertiesText('REAL_QID\u00011')) as { error: string }).error, /REAL_TOPIC/);
  assert.match((deliveryOf(parsePropertiesText('REAL_TOPIC\u0001T')) as { error: string }).error, /REAL_QID/);
  assert.match((deliveryOf(parsePropertiesText('REAL_TOPIC\u0001T\u0002REAL_QID\u0001x')) as { error: string }).error, /REAL_QID "x"/);
  assert.match((deliveryOf(parsePropertiesText('REAL_TOPIC\u0001RMQ_SYS_TRANS_HALF_TOPIC\u0002REAL_QID\u00010')) as { error: string }).error, /RMQ_SYS_TRANS_HALF_TOPIC/);
});
