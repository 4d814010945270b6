import type { RemotingCommand } from '../../shared/remoting/command.js';
import { systemError } from '../../shared/remoting/errors.js';

/**
 * Typed access to a request's extFields with RocketMQ's header rules: a missing required field
 * answers SYSTEM_ERROR naming it (Java: "the custom field <x> is null"); numbers must be whole.
 */
export class RequestFields {
  private readonly ext: Record<string, string>;

  constructor(cmd: RemotingCommand) {
    this.ext = cmd.extFields ?? {};
  }

  optStr(name: string): string | undefined {
    const v = this.ext[name];
    return v === undefined || v === null ? undefined : v;
  }

  str(name: string): string {
    const v = this.optStr(name);
    if (v === undefined) throw systemError(`the custom field <${name}> is null`);
    return v;
  }

  optInt(name: string): number | undefined {
    const v = this.optStr(name);
    if (v === undefined) return undefined;
    const t = v.trim();
    if (!/^-?\d+$/.test(t)) throw systemError(`the custom field <${name}> is not a number: "${v}"`);
    return Number(t);
  }

  int(name: string): number {
    const v = this.optInt(name);
    if (v === undefined) throw systemError(`the custom field <${name}> is null`);
    return v;
  }

  /** Java Boolean.parseBoolean: "true" in any case is true, anything else false. */
  optBool(name: string): boolean | undefined {
    const v = this.optStr(name);
    return v === undefined ? undefined : v.trim().toLowerCase() === 'true';
  }

  bool(name: string): boolean {
    const v = this.optBool(name);
    if (v === undefined) throw systemError(`the custom field <${name}> is null`);
    return v;
  }
}
