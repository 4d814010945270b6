import { RequestCode } from '../../../src/shared/codes.js';
import { newRequest, type RemotingCommand } from '../../../src/shared/remoting/command.js';
import { bodyCrc } from '../../../src/shared/storage/crc32.js';
import { encodeRegisterBody } from '../../../src/main/namesrv/register-body.js';
import type { TopicConfigJson } from '../../../src/main/namesrv/model.js';

export const topicConfig = (topicName: string, queues = 4, perm = 6): TopicConfigJson => ({
  topicName, readQueueNums: queues, writeQueueNums: queues, perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
});

export interface BrokerSpec {
  clusterName?: string;
  brokerName?: string;
  brokerAddr?: string;
  brokerId?: number;
  haServerAddr?: string;
  topics?: TopicConfigJson[];
  counter?: number;
  crc?: number | 'auto';
}

export function registerRequest(b: BrokerSpec = {}): RemotingCommand {
  const table: Record<string, TopicConfigJson> = {};
  for (const t of b.topics ?? [topicConfig('TopicTest')]) table[t.topicName] = t;
  const body = encodeRegisterBody({ dataVersion: { counter: b.counter ?? 1, timestamp: 1700000000000 }, topicConfigTable: table });
  const crc = b.crc === undefined || b.crc === 'auto' ? bodyCrc(body, 0, body.length) : b.crc;
  return newRequest(
    RequestCode.REGISTER_BROKER,
    {
      brokerName: b.brokerName ?? 'broker-a',
      brokerAddr: b.brokerAddr ?? '127.0.0.1:10911',
      clusterName: b.clusterName ?? 'DefaultCluster',
      haServerAddr: b.haServerAddr ?? '127.0.0.1:10912',
      brokerId: String(b.brokerId ?? 0),
      compressed: 'false',
      bodyCrc32: String(crc),
    },
    body,
  );
}

export const routeRequest = (topic: string, version?: number): RemotingCommand => {
  const r = newRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
  if (version !== undefined) r.version = version;
  return r;
};
