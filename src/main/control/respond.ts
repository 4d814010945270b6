import { ResponseCode } from '../../shared/codes.js';
import { responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { stringifyFastJson } from '../../shared/storage/fastjson.js';

/** SUCCESS with an optional body (text is sent as UTF-8) and header. */
export function ok(req: RemotingCommand, body: string | Buffer | null = null, extFields: Record<string, string> | null = null): RemotingCommand {
  return responseFor(req, ResponseCode.SUCCESS, null, extFields, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

export function fail(req: RemotingCommand, code: number, remark: string): RemotingCommand {
  return responseFor(req, code, remark);
}

/** fastjson text of a value whose objects are already in fastjson's (alphabetical) member order. */
export const json = (value: unknown): string => stringifyFastJson(value);

/** A request body as text ('' when there is none). */
export function bodyText(cmd: RemotingCommand): string {
  return cmd.body ? cmd.body.toString('utf8') : '';
}
