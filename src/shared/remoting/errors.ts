import { ResponseCode } from '../codes.js';

/** An error that answers a request with a RocketMQ response code and remark. */
export class RemotingError extends Error {
  constructor(readonly code: number, remark: string) {
    super(remark);
    this.name = 'RemotingError';
  }
}

/** The peer sent bytes that are not a valid remoting frame: the connection must be closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export const illegal = (remark: string) => new RemotingError(ResponseCode.MESSAGE_ILLEGAL, remark);
export const systemError = (remark: string) => new RemotingError(ResponseCode.SYSTEM_ERROR, remark);
