// CPU time of this process (all threads) and, on Linux, of another local process (the broker).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks = 0;

function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of `pid` in seconds, from /proc/<pid>/stat (fields 14 and 15). */
export function processCpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  const hz = ticksPerSecond();
  return { user: Number(fields[11]) / hz, system: Number(fields[12]) / hz };
}

export interface CpuSample {
  user: number;
  system: number;
}

export function selfCpu(): CpuSample {
  const u = process.cpuUsage();
  return { user: u.user / 1e6, system: u.system / 1e6 };
}

/** "user 1.234 s, system 0.567 s, 12.345 us/msg" */
export function describeCpu(from: CpuSample, to: CpuSample, messages: number): string {
  const user = to.user - from.user;
  const system = to.system - from.system;
  const per = messages > 0 ? (((user + system) * 1e6) / messages).toFixed(3) : 'n/a';
  return `user ${user.toFixed(3)} s, system ${system.toFixed(3)} s, ${per} us/msg over ${messages} msgs`;
}
