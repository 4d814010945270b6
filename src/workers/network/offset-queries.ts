import { RequestCode, ResponseCode } from '../../shared/codes.js';
import { responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import type { SharedState } from '../../shared/shared-state.js';
import type { StoreReader } from '../storage/store-reader.js';
import type { Replica } from './replica.js';

/** Store queries a network worker answers itself from shared offsets and file reads. */
export const LOCAL_QUERY_CODES: ReadonlySet<number> = new Set([
  RequestCode.GET_MAX_OFFSET,
  RequestCode.GET_MIN_OFFSET,
  RequestCode.GET_EARLIEST_MSG_STORETIME,
  RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
  RequestCode.VIEW_MESSAGE_BY_ID,
]);

export function answerQuery(cmd: RemotingCommand, replica: Replica, state: SharedState, reader: StoreReader): RemotingCommand {
  const h = cmd.extFields ?? {};
  const need = (k: string): string => {
    const v = h[k];
    if (v === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is null`);
    return v;
  };
  if (cmd.code === RequestCode.VIEW_MESSAGE_BY_ID) {
    const offset = Number(need('offset'));
    const record = /^\d{1,19}$/.test(need('offset')) ? reader.readRecord(offset) : null;
    if (!record) return responseFor(cmd, ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${need('offset')}`);
    return responseFor(cmd, ResponseCode.SUCCESS, null, null, record);
  }
  const topic = need('topic');
  const queueId = Number(need('queueId'));
  if (!/^-?\d{1,10}$/.test(need('queueId'))) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <queueId> is not a whole number: ${need('queueId')}`);
  const slot = replica.topics.get(topic)?.slots[queueId] ?? -1;
  const max = state.maxOffset(slot);
  const min = state.minOffset(slot);
  switch (cmd.code) {
    case RequestCode.GET_MAX_OFFSET:
      return responseFor(cmd, ResponseCode.SUCCESS, null, { offset: String(max) });
    case RequestCode.GET_MIN_OFFSET:
      return responseFor(cmd, ResponseCode.SUCCESS, null, { offset: String(min) });
    case RequestCode.GET_EARLIEST_MSG_STORETIME:
      return responseFor(cmd, ResponseCode.SUCCESS, null, { timestamp: String(max > min ? reader.storeTimeAt(topic, queueId, min) : 0) });
    default: {
      if (!/^-?\d{1,19}$/.test(need('timestamp'))) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <timestamp> is not a whole number: ${need('timestamp')}`);
      const ts = Number(need('timestamp'));
      const offset = max > min ? reader.searchOffsetByTimestamp(topic, queueId, ts, min, max) : 0;
      return responseFor(cmd, ResponseCode.SUCCESS, null, { offset: String(offset) });
    }
  }
}
