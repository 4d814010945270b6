import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';

// ali-ons is the pure-JS RocketMQ client from the npm registry (CommonJS, no types).
const require = createRequire(import.meta.url);
const { Producer, Consumer, Message } = require('ali-ons');

let ferry: FerryProcess;
const quietLogger = { info() {}, warn() {}, debug() {}, error() {} };

before(async () => {
  ferry = await FerryProcess.start();
  const admin = await WireClient.connect(ferry.brokerAddr);
  // ali-ons does not fall back to TBW102: topics are created first, as `mqadmin updateTopic` does.
  assert.equal((await admin.createTopic('OnsTopic', 4)).code, 0);
  admin.close();
});

after(async () => {
  await ferry?.dispose();
  // ali-ons keeps its scheduled tasks (route polling, rebalance) alive after close(); end this
  // test process once its results are reported, keeping the exit code the runner set.
  setTimeout(() => process.exit(), 200).unref();
});

function clientOptions(extra: Record<string, unknown>) {
  // httpclient is only used to look name servers up over HTTP (onsAddr); with nameSrv it is never called.
  return { httpclient: { request: () => Promise.reject(new Error('no HTTP lookups in tests')) }, nameSrv: [ferry.namesrvAddr], accessKeyId: 'test', accessKeySecret: 'test', logger: quietLogger, instanceName: `i${process.pid}${Math.random()}`, ...extra };
}

test('ali-ons producer and push consumer through the embedded name server', { timeout: 90_000 }, async () => {
  const received = new Map<string, string>();
  const consumer = new Consumer(clientOptions({ consumerGroup: 'CID_ons_test', rebalanceInterval: 1000 }));
  let done: () => void;
  const allIn = new Promise<void>((r) => (done = r));
  const N = 100;
  consumer.subscribe('OnsTopic', 'TagA || TagB', async (msg: { msgId: string; tags: string; body: Buffer }) => {
    received.set(msg.body.toString(), msg.tags);
    if (received.size >= N) done();
  });
  consumer.on('error', () => {});
  await consumer.ready();

  const producer = new Producer(clientOptions({ producerGroup: 'PID_ons_test' }));
  producer.on('error', () => {});
  await producer.ready();
  // Let the consumer's rebalance settle on all queues before sending.
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < N; i++) {
    const r = await producer.send(new Message('OnsTopic', i % 2 ? 'TagA' : 'TagB', `m${i}`));
    assert.equal(r.sendStatus, 'SEND_OK');
    assert.match(r.msgId, /^[0-9A-F]{32}$/);
  }
  const skipped = await producer.send(new Message('OnsTopic', 'TagC', 'not for this consumer'));
  assert.equal(skipped.sendStatus, 'SEND_OK');
  await Promise.race([allIn, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${received.size} of ${N} received`)), 60_000))]);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(received.size, N);
  for (let i = 0; i < N; i++) assert.equal(received.get(`m${i}`), i % 2 ? 'TagA' : 'TagB');
  assert.ok(!received.has('not for this consumer'));
  await producer.close();
  await consumer.close();
});
