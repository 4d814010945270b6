import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_VERSION } from '../../shared/codes.js';
import { decodeDelayOffsetJson } from '../../shared/storage/config-files.js';
import { delayOffsetPath } from '../../workers/schedule/delay-progress.js';
import { ConfigFile } from './config-file.js';
import type { ControlState } from './state.js';
import { SCHEDULE_QUEUE_NUMS, SCHEDULE_TOPIC } from './topic-names.js';

const BROKER_VERSION_DESC = 'V4_9_8';
const ZERO_TPS = '0.0 0.0 0.0';

/** Java MixAll.humanReadableByteCount(bytes, si=false). */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const exp = Math.floor(Math.log(bytes) / Math.log(1024));
  return `${(bytes / 1024 ** exp).toFixed(1)} ${'KMGTPE'[exp - 1]}iB`;
}

/** "[ d days, h hours, m minutes, s seconds ]" as the Java store prints its uptime. */
export function formatRuntime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `[ ${Math.floor(s / 86400)} days, ${Math.floor((s % 86400) / 3600)} hours, ${Math.floor((s % 3600) / 60)} minutes, ${s % 60} seconds ]`;
}

function disk(path: string): { total: number; free: number; usable: number } | null {
  try {
    const st = statfsSync(path);
    return { total: st.blocks * st.bsize, free: st.bfree * st.bsize, usable: st.bavail * st.bsize };
  } catch {
    return null;
  }
}

/** Java UtilAll.getDiskPartitionSpaceUsedPercent: used / total, -1 when unknown. */
function usedRatio(path: string): string {
  const d = disk(path);
  return d && d.total > 0 ? String((d.total - d.free) / d.total) : '-1';
}

async function readDelayOffsets(root: string, s: ControlState): Promise<Map<number, number>> {
  return (await new ConfigFile(delayOffsetPath(root), s.ctx.logger).load(decodeDelayOffsetJson)) ?? new Map();
}

/**
 * GET_BROKER_RUNTIME_INFO's KVTable (RocketMQ 4.9 keys). Values the control plane can know are
 * real (offsets, boot time, disk use); traffic statistics Ferry does not collect yet are 0.
 */
export async function runtimeInfo(s: ControlState): Promise<Record<string, string>> {
  const c = s.ctx.config;
  const store = s.ctx.store;
  const now = Date.now();
  const t: Record<string, string> = {
    brokerVersionDesc: BROKER_VERSION_DESC,
    brokerVersion: String(BROKER_VERSION),
    msgPutTotalYesterdayMorning: '0',
    msgPutTotalTodayMorning: '0',
    msgPutTotalTodayNow: '0',
    msgGetTotalYesterdayMorning: '0',
    msgGetTotalTodayMorning: '0',
    msgGetTotalTodayNow: '0',
    sendThreadPoolQueueSize: '0',
    sendThreadPoolQueueCapacity: '0',
    pullThreadPoolQueueSize: '0',
    pullThreadPoolQueueCapacity: '0',
    queryThreadPoolQueueSize: '0',
    queryThreadPoolQueueCapacity: '0',
    EndTransactionQueueSize: '0',
    EndTransactionThreadPoolQueueCapacity: '0',
    dispatchBehindBytes: '0',
    pageCacheLockTimeMills: '0',
    sendThreadPoolQueueHeadWaitTimeMills: '0',
    pullThreadPoolQueueHeadWaitTimeMills: '0',
    queryThreadPoolQueueHeadWaitTimeMills: '0',
    earliestMessageTimeStamp: '0',
    startAcceptSendRequestTimeStamp: '0',
    // no transient store pool: RocketMQ reports Integer.MAX_VALUE
    remainTransientStoreBufferNumbs: String(0x7fffffff),
    remainHowManyDataToFlush: humanBytes(0),
    bootTimestamp: String(s.bootTimestamp),
    runtime: formatRuntime(now - s.bootTimestamp),
    putMessageEntireTimeMax: '0',
    putMessageTimesTotal: '0',
    putMessageFailedTimes: '0',
    putMessageSizeTotal: '0',
    putMessageDistributeTime: '0',
    putMessageAverageSize: '0.0',
    dispatchMaxBuffer: '0',
    getMessageEntireTimeMax: '0',
    putTps: ZERO_TPS,
    getFoundTps: ZERO_TPS,
    getMissTps: ZERO_TPS,
    getTotalTps: ZERO_TPS,
    getTransferedTps: ZERO_TPS,
    putLatency99: '0.00',
    putLatency999: '0.00',
    commitLogMinOffset: String(store.commitLogMinOffset()),
    commitLogMaxOffset: String(store.commitLogMaxOffset()),
  };
  const root = c.storePathRootDir;
  t.commitLogDiskRatio = usedRatio(c.storePathCommitLog || join(root, 'commitlog'));
  t.consumeQueueDiskRatio = usedRatio(join(root, 'consumequeue'));
  const d = disk(root);
  if (d) t.commitLogDirCapacity = `Total : ${humanBytes(d.total)}, Free : ${humanBytes(d.usable)}.`;
  // ScheduleMessageService running stats: "<delivered offset>,<max offset>" per delay level.
  const delivered = await readDelayOffsets(root, s);
  for (let level = 1; level <= SCHEDULE_QUEUE_NUMS; level++) {
    t[`scheduleMessageOffset_${level}`] = `${delivered.get(level) ?? 0},${store.maxOffset(SCHEDULE_TOPIC, level - 1)}`;
  }
  return t;
}
