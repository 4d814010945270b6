import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { RequestCode, ResponseCode, SerializeType } from '../../../src/shared/codes.js';
import { decodeCommand, encodeCommand, newRequest } from '../../../src/shared/remoting/command.js';
import { FrameDecoder } from '../../../src/shared/remoting/frame-decoder.js';
import { createLogger } from '../../../src/main/logger.js';
import { startNameServer } from '../../../src/main/namesrv/server.js';
import { RemotingClient } from '../../../src/main/net/remoting-client.js';
import { registerRequest, routeRequest, topicConfig } from './helpers.js';

const logger = createLogger('test', 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(f: () => Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function rawSend(port: number, bytes: Buffer): Promise<'closed'> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    const t = setTimeout(() => reject(new Error('server kept the bad connection open')), 2000);
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve('closed');
    });
  });
}

test('name server over TCP: JSON and ROCKETMQ requests, replies in the request serialize type', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const broker = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  const client = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  try {
    const reg = await broker.invoke(registerRequest({ topics: [topicConfig('TopicTest', 4)] }));
    assert.equal(reg.code, ResponseCode.SUCCESS);

    const json = await client.invoke(routeRequest('TopicTest', 317));
    assert.equal(json.serializeType, SerializeType.JSON);
    assert.equal(json.code, ResponseCode.SUCCESS);
    assert.match(json.body!.toString(), /"brokerAddrs":\{0:"127\.0\.0\.1:10911"\}/);

    const binReq = routeRequest('TopicTest', 409);
    binReq.serializeType = SerializeType.ROCKETMQ;
    const bin = await client.invoke(binReq);
    assert.equal(bin.serializeType, SerializeType.ROCKETMQ);
    assert.equal(bin.code, ResponseCode.SUCCESS);
    assert.match(bin.body!.toString(), /"brokerAddrs":\{"0":"127\.0\.0\.1:10911"\}/);

    const binMiss = routeRequest('Nope');
    binMiss.serializeType = SerializeType.ROCKETMQ;
    const miss = await client.invoke(binMiss);
    assert.equal(miss.serializeType, SerializeType.ROCKETMQ);
    assert.equal(miss.code, ResponseCode.TOPIC_NOT_EXIST);
    assert.equal(miss.remark, 'No topic route info in name server for the topic: Nope');

    // many requests in one tick: every one answered, matched by opaque
    const many = await Promise.all(Array.from({ length: 100 }, (_, i) => client.invoke(routeRequest(i % 2 ? 'TopicTest' : 'Nope'))));
    assert.deepEqual(many.map((r) => r.code), Array.from({ length: 100 }, (_, i) => (i % 2 ? 0 : 17)));
  } finally {
    broker.close();
    client.close();
    await ns.close();
  }
});

test('responses to requests that arrive together leave in one write', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  try {
    const frames = Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeCommand({ ...routeRequest('Nope'), opaque: 1000 + i })));
    const { chunks, opaques } = await new Promise<{ chunks: number; opaques: number[] }>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: ns.port }, () => s.write(frames));
      const dec = new FrameDecoder();
      const opaques: number[] = [];
      let chunks = 0;
      s.on('error', reject);
      s.on('data', (c) => {
        chunks++;
        dec.push(c, (f) => opaques.push(decodeCommand(f).opaque));
        if (opaques.length === 50) {
          s.destroy();
          resolve({ chunks, opaques });
        }
      });
    });
    assert.deepEqual(opaques, Array.from({ length: 50 }, (_, i) => 1000 + i));
    assert.ok(chunks <= 5, `50 responses came in ${chunks} chunks`);
  } finally {
    await ns.close();
  }
});

test('a malformed frame closes only that connection; other clients keep working', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const good = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  try {
    await good.invoke(registerRequest());
    // frame length below 4
    assert.equal(await rawSend(ns.port, Buffer.from([0, 0, 0, 2, 0, 0])), 'closed');
    // valid length, header that is not JSON
    const junk = Buffer.from('{not json');
    const frame = Buffer.alloc(8 + junk.length);
    frame.writeInt32BE(4 + junk.length, 0);
    frame.writeInt32BE(junk.length, 4);
    junk.copy(frame, 8);
    assert.equal(await rawSend(ns.port, frame), 'closed');
    // unknown serialize type
    assert.equal(await rawSend(ns.port, Buffer.from([0, 0, 0, 4, 7, 0, 0, 0])), 'closed');
    assert.equal(good.closed, false);
    const r = await good.invoke(routeRequest('TopicTest'));
    assert.equal(r.code, ResponseCode.SUCCESS);
  } finally {
    good.close();
    await ns.close();
  }
});

test('closing the registering connection expires the broker at once', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const broker = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  const client = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  try {
    await broker.invoke(registerRequest({ topics: [topicConfig('Live')] }));
    assert.equal((await client.invoke(routeRequest('Live'))).code, ResponseCode.SUCCESS);
    broker.close();
    await until(async () => (await client.invoke(routeRequest('Live'))).code === ResponseCode.TOPIC_NOT_EXIST);
    assert.deepEqual(ns.state.liveBrokers(), []);
  } finally {
    client.close();
    await ns.close();
  }
});

test('a broker that stops registering expires after brokerExpireMs and its connection is closed', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger, brokerExpireMs: 50 });
  const broker = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  const client = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  try {
    await broker.invoke(registerRequest({ topics: [topicConfig('Short')] }));
    await until(async () => (await client.invoke(routeRequest('Short'))).code === ResponseCode.TOPIC_NOT_EXIST);
    await until(async () => broker.closed);
    assert.equal(client.closed, false, 'connections without brokers stay open');
  } finally {
    broker.close();
    client.close();
    await ns.close();
  }
});

test('oneway requests get no reply; the connection stays usable', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const c = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  try {
    c.invokeOneway(newRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'n', key: 'k', value: 'v' }));
    c.invokeOneway(newRequest(9999, null));
    const got = await c.invoke(newRequest(RequestCode.GET_KV_CONFIG, { namespace: 'n', key: 'k' }));
    assert.deepEqual(got.extFields, { value: 'v' });
  } finally {
    c.close();
    await ns.close();
  }
});

test('close() ends every connection and frees the port', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const c = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  await ns.close();
  await until(async () => c.closed);
  await assert.rejects(RemotingClient.connect(`127.0.0.1:${ns.port}`, { connectTimeoutMs: 500 }), /connect to/);
});
