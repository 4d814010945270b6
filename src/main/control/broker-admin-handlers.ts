import { RequestCode, ResponseCode } from '../../shared/codes.js';
import { responseFor } from '../../shared/remoting/command.js';
import { updateConfig, configText } from './broker-config-admin.js';
import { runtimeInfo } from './runtime-info.js';
import { bodyText, fail, json, ok } from './respond.js';
import type { HandlerTable } from './state.js';

/** Broker configuration and runtime information. */
export const brokerAdminHandlers: HandlerTable = {
  [RequestCode.UPDATE_BROKER_CONFIG]: (cmd, channel, s) => {
    if (!cmd.body || cmd.body.length === 0) return ok(cmd);
    const result = updateConfig(s.ctx.config, bodyText(cmd));
    if (result.kind === 'blacklisted') return fail(cmd, ResponseCode.NO_PERMISSION, 'Can not update config in black list.');
    if (result.kind === 'invalid') return fail(cmd, ResponseCode.SYSTEM_ERROR, result.message);
    const { applied, needRestart, unknown } = result;
    s.ctx.logger.info({ applied, needRestart, unknown, by: channel.remoteAddr }, 'broker config updated');
    if (applied.length > 0) s.configVersion.next();
    if (applied.includes('logLevel')) s.ctx.logger.level = s.ctx.config.logLevel;
    if (result.permissionChanged) {
      s.topics.bumpVersion();
      s.ctx.registerNow();
    }
    const notes: string[] = [];
    if (needRestart.length > 0) notes.push(`not applied, need a restart: ${needRestart.join(',')}`);
    if (unknown.length > 0) notes.push(`unknown, ignored: ${unknown.join(',')}`);
    return responseFor(cmd, ResponseCode.SUCCESS, notes.length > 0 ? notes.join('; ') : null);
  },

  [RequestCode.GET_BROKER_CONFIG]: (cmd, _channel, s) => ok(cmd, configText(s.ctx.config), { version: json(s.configVersion) }),

  [RequestCode.GET_BROKER_RUNTIME_INFO]: async (cmd, _channel, s) => {
    const info = await runtimeInfo(s);
    const table = Object.fromEntries(Object.keys(info).sort().map((k) => [k, info[k]]));
    return ok(cmd, json({ table }));
  },
};
