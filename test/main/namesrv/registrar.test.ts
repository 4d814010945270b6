import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseCode } from '../../../src/shared/codes.js';
import { createLogger } from '../../../src/main/logger.js';
import { startNameServer } from '../../../src/main/namesrv/server.js';
import { BrokerRegistrar, type TopicConfigJson } from '../../../src/main/namesrv/registrar.js';
import { RemotingClient } from '../../../src/main/net/remoting-client.js';
import { routeRequest, topicConfig } from './helpers.js';

const logger = createLogger('test', 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(f: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function brokerTopics() {
  const table: Record<string, TopicConfigJson> = { TopicTest: topicConfig('TopicTest', 4) };
  const dataVersion = { counter: 1, timestamp: Date.now() };
  return { table, dataVersion, wrapper: () => ({ dataVersion, topicConfigTable: table }) };
}

const base = { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0, brokerAddr: '127.0.0.1:10911', haServerAddr: '127.0.0.1:10912', logger };

test('registrar registers (with bodyCrc32), re-registers on demand, unregisters on stop', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const client = await RemotingClient.connect(`127.0.0.1:${ns.port}`);
  const t = brokerTopics();
  // one name server down: start still resolves once the live one answered
  const reg = new BrokerRegistrar({ ...base, namesrvAddrs: ['127.0.0.1:1', `127.0.0.1:${ns.port}`], topicConfigWrapper: t.wrapper });
  try {
    await reg.start();
    await until(async () => (await client.invoke(routeRequest('TopicTest'))).code === ResponseCode.SUCCESS);

    t.table.Fresh = topicConfig('Fresh', 2);
    t.dataVersion.counter++;
    await reg.registerNow();
    const fresh = await client.invoke(routeRequest('Fresh', 409));
    assert.equal(fresh.code, ResponseCode.SUCCESS);
    assert.equal(JSON.parse(fresh.body!.toString()).queueDatas[0].writeQueueNums, 2);

    // a burst of calls shares queued runs and all resolve
    await Promise.all(Array.from({ length: 10 }, () => reg.registerNow()));

    await reg.stop();
    assert.equal((await client.invoke(routeRequest('TopicTest'))).code, ResponseCode.TOPIC_NOT_EXIST);
    await reg.registerNow(); // no-op once stopped
    assert.equal((await client.invoke(routeRequest('TopicTest'))).code, ResponseCode.TOPIC_NOT_EXIST);
  } finally {
    await reg.stop();
    client.close();
    await ns.close();
  }
});

test('start resolves when every name server is unreachable', async () => {
  const reg = new BrokerRegistrar({ ...base, namesrvAddrs: ['127.0.0.1:1', '127.0.0.1:2'], topicConfigWrapper: brokerTopics().wrapper });
  await reg.start();
  await reg.registerNow();
  await reg.stop();
});

test('registrar reconnects and re-registers after the name server restarts', async () => {
  let ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const port = ns.port;
  const reg = new BrokerRegistrar({ ...base, namesrvAddrs: [`127.0.0.1:${port}`], topicConfigWrapper: brokerTopics().wrapper, periodMs: 50 });
  try {
    await reg.start();
    assert.deepEqual(ns.state.liveBrokers(), ['127.0.0.1:10911']);
    await ns.close();
    await sleep(120); // periodic runs fail while it is down, without throwing
    ns = await startNameServer({ port, host: '127.0.0.1', logger });
    await until(async () => ns.state.liveBrokers().length === 1);
  } finally {
    await reg.stop();
    await ns.close();
  }
});

test('a slave registrar is told its master', async () => {
  const ns = await startNameServer({ port: 0, host: '127.0.0.1', logger });
  const master = new BrokerRegistrar({ ...base, namesrvAddrs: [`127.0.0.1:${ns.port}`], topicConfigWrapper: brokerTopics().wrapper });
  const results: any[] = [];
  const slave = new BrokerRegistrar({
    ...base,
    brokerId: 1,
    brokerAddr: '127.0.0.1:10921',
    haServerAddr: '127.0.0.1:10922',
    namesrvAddrs: [`127.0.0.1:${ns.port}`],
    topicConfigWrapper: brokerTopics().wrapper,
    onResult: (r) => results.push(r),
  });
  try {
    ns.state.kv.put('ORDER_TOPIC_CONFIG', 'TopicTest', 'broker-a:4');
    await master.start();
    await slave.start();
    assert.deepEqual(results, [{ namesrvAddr: `127.0.0.1:${ns.port}`, haServerAddr: '127.0.0.1:10912', masterAddr: '127.0.0.1:10911', orderTopicConf: { TopicTest: 'broker-a:4' } }]);
  } finally {
    await slave.stop();
    await master.stop();
    await ns.close();
  }
});
