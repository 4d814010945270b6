// HeartbeatData of a clustering push consumer subscribed with "*" (reference doc §3.5), as the
// Java client writes it (fastjson: alphabetical fields).

export function consumerHeartbeat(clientID: string, group: string, topic: string, subVersion: number): Buffer {
  const sub = (t: string, v: number) => ({ classFilterMode: false, codeSet: [], expressionType: 'TAG', subString: '*', subVersion: v, tagsSet: [], topic: t });
  const data = {
    clientID,
    consumerDataSet: [
      {
        consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
        consumeType: 'CONSUME_PASSIVELY',
        groupName: group,
        messageModel: 'CLUSTERING',
        subscriptionDataSet: [sub(topic, subVersion), sub(`%RETRY%${group}`, subVersion + 1)],
        unitMode: false,
      },
    ],
    producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }],
  };
  return Buffer.from(JSON.stringify(data), 'utf8');
}
