import { ResponseCode } from '../../shared/codes.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { halfSendProperties, halfSysFlag, HALF_QUEUE_ID, TRANS_HALF_TOPIC } from '../../shared/transaction.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import type { Replica } from './replica.js';
import type { SendRequest } from './send-request.js';

/**
 * A transactional send (sysFlag type PREPARED) becomes a half message: RocketMQ 4.9's
 * TransactionalMessageBridge.parseHalfMessageInner. The send path stores the returned request in
 * RMQ_SYS_TRANS_HALF_TOPIC queue 0 (slot given) and answers as for any send, with the queue the
 * producer chose and the half queue's offset (the producer's tranStateTableOffset later).
 */
export function halfSend(req: SendRequest, queueId: number, d: { replica: Replica; config: BrokerConfig }): { req: SendRequest; slot: number } {
  if (d.config.rejectTransactionMessage) throw new RemotingError(ResponseCode.NO_PERMISSION, `the broker[${d.config.brokerIP1}] sending transaction message is forbidden`);
  const slot = d.replica.topics.get(TRANS_HALF_TOPIC)?.slots[HALF_QUEUE_ID];
  if (slot === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the transaction half topic ${TRANS_HALF_TOPIC} has no queue ${HALF_QUEUE_ID}`);
  return {
    req: { ...req, topic: TRANS_HALF_TOPIC, sysFlag: halfSysFlag(req.sysFlag), properties: halfSendProperties(req.properties, req.topic, queueId, req.producerGroup) },
    slot,
  };
}
