import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumeComplete, consumeLine, fixed7, humanTime, parseReportLine, produceComplete, produceLine } from '../../../src/main/loadgen/report-format.js';

test('times print as UtilAll.timeMillisToHumanString2 (local time)', () => {
  assert.equal(humanTime(new Date(2024, 0, 2, 3, 4, 5, 6).getTime()), '2024-01-02 03:04:05,006');
});

test('averages print as Java %7.3f', () => {
  assert.equal(fixed7(1.5), '  1.500');
  assert.equal(fixed7(1234.5678), '1234.568');
  assert.equal(fixed7(NaN), '    NaN');
});

test('producer lines have the RocketMQ Producer tool format and parse back', () => {
  const t = new Date(2024, 5, 7, 8, 9, 10, 11).getTime();
  const line = produceLine(t, { tps: 12345.9, maxRtMs: 17.8, avgRtMs: 2.3456, sendFailed: 1, responseFailed: 2 });
  assert.equal(line, 'Current Time: 2024-06-07 08:09:10,011 | Send TPS: 12345 | Max RT(ms): 17 | Average RT(ms):   2.346 | Send Failed: 1 | Response Failed: 2');
  assert.deepEqual(parseReportLine(line), {
    kind: 'produce',
    time: '2024-06-07 08:09:10,011',
    values: { 'Send TPS': 12345, 'Max RT(ms)': 17, 'Average RT(ms)': 2.346, 'Send Failed': 1, 'Response Failed': 2 },
  });
  const done = produceComplete(100, { tps: 50, maxRtMs: 3, avgRtMs: NaN, sendFailed: 0, responseFailed: 0 });
  assert.equal(done, '[Complete] Send Total: 100 | Send TPS: 50 | Max RT(ms): 3 | Average RT(ms):     NaN | Send Failed: 0 | Response Failed: 0');
  assert.equal(parseReportLine(done)?.values['Send Total'], 100);
});

test('the 4.9.8 producer form (no separators) parses too', () => {
  const line = 'Current Time: 2024-06-07 08:09:10,011 Send TPS: 9876 Max RT(ms): 250 Average RT(ms):   6.478 Send Failed: 0 Response Failed: 0';
  assert.equal(parseReportLine(line)?.values['Send TPS'], 9876);
});

test('consumer lines have the RocketMQ Consumer tool format and parse back', () => {
  const t = new Date(2024, 5, 7, 8, 9, 10, 11).getTime();
  const f = { tps: 999, avgB2cMs: 1.25, avgS2cMs: 0.5, maxB2cMs: 12, maxS2cMs: 11, failed: 0 };
  const line = consumeLine(t, f);
  assert.equal(line, 'Current Time: 2024-06-07 08:09:10,011 | Consume TPS: 999 | AVG(B2C) RT(ms):   1.250 | AVG(S2C) RT(ms):   0.500 | MAX(B2C) RT(ms): 12 | MAX(S2C) RT(ms): 11 | Consume Fail: 0');
  assert.equal(parseReportLine(line)?.kind, 'consume');
  assert.equal(parseReportLine(consumeComplete(5, f))?.values['Consume Total'], 5);
  assert.equal(parseReportLine('Current Time: now | Send TPS: 1'), null);
});
