// The report lines of RocketMQ's benchmark tools (example/.../benchmark/Producer.java and
// Consumer.java, " | "-separated as the 5.x tools print them), and a parser that also accepts the
// 4.9.8 producer form without the separators.

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;
const pad3 = (n: number) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/** UtilAll.timeMillisToHumanString2: local "yyyy-MM-dd HH:mm:ss,SSS". */
export function humanTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())},${pad3(d.getMilliseconds())}`;
}

/** Java's "%7.3f" (NaN prints as NaN, right-aligned). */
export function fixed7(x: number): string {
  const s = Number.isNaN(x) ? 'NaN' : !Number.isFinite(x) ? (x > 0 ? 'Infinity' : '-Infinity') : x.toFixed(3);
  return s.padStart(7, ' ');
}

const int = (x: number) => String(Math.trunc(x));

export interface ProduceFigures {
  tps: number;
  maxRtMs: number;
  avgRtMs: number;
  sendFailed: number;
  responseFailed: number;
}

export function produceLine(now: number, f: ProduceFigures): string {
  return `Current Time: ${humanTime(now)} | Send TPS: ${int(f.tps)} | Max RT(ms): ${int(f.maxRtMs)} | Average RT(ms): ${fixed7(f.avgRtMs)} | Send Failed: ${int(f.sendFailed)} | Response Failed: ${int(f.responseFailed)}`;
}

export function produceComplete(sendTotal: number, f: ProduceFigures): string {
  return `[Complete] Send Total: ${int(sendTotal)} | Send TPS: ${int(f.tps)} | Max RT(ms): ${int(f.maxRtMs)} | Average RT(ms): ${fixed7(f.avgRtMs)} | Send Failed: ${int(f.sendFailed)} | Response Failed: ${int(f.responseFailed)}`;
}

export interface ConsumeFigures {
  tps: number;
  avgB2cMs: number;
  avgS2cMs: number;
  maxB2cMs: number;
  maxS2cMs: number;
  failed: number;
}

export function consumeLine(now: number, f: ConsumeFigures): string {
  return `Current Time: ${humanTime(now)} | Consume TPS: ${int(f.tps)} | AVG(B2C) RT(ms): ${fixed7(f.avgB2cMs)} | AVG(S2C) RT(ms): ${fixed7(f.avgS2cMs)} | MAX(B2C) RT(ms): ${int(f.maxB2cMs)} | MAX(S2C) RT(ms): ${int(f.maxS2cMs)} | Consume Fail: ${int(f.failed)}`;
}

/** Ferry's own summary; RocketMQ's Consumer tool runs until killed and has none. */
export function consumeComplete(total: number, f: ConsumeFigures): string {
  return `[Complete] Consume Total: ${int(total)} | Consume TPS: ${int(f.tps)} | AVG(B2C) RT(ms): ${fixed7(f.avgB2cMs)} | AVG(S2C) RT(ms): ${fixed7(f.avgS2cMs)} | MAX(B2C) RT(ms): ${int(f.maxB2cMs)} | MAX(S2C) RT(ms): ${int(f.maxS2cMs)} | Consume Fail: ${int(f.failed)}`;
}

export type ReportKind = 'produce' | 'produce-complete' | 'consume' | 'consume-complete';

export interface ParsedReport {
  kind: ReportKind;
  /** "yyyy-MM-dd HH:mm:ss,SSS" of periodic lines */
  time: string | null;
  values: Record<string, number>;
}

const TIME = '(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3})';
const D = '(-?\\d+)';
const F = ' *(NaN|-?Infinity|-?\\d+\\.\\d{3})';

function pattern(head: string, fields: [string, string][], sep: string): { re: RegExp; names: string[] } {
  const esc = (s: string) => s.replace(/[()[\]|.]/g, (c) => '\\' + c);
  const body = fields.map(([label, v]) => `${esc(label)}: ${v}`).join(sep);
  return { re: new RegExp(`^${head}${sep}${body}$`), names: fields.map(([l]) => l) };
}

const PRODUCE_FIELDS: [string, string][] = [['Send TPS', D], ['Max RT(ms)', D], ['Average RT(ms)', F], ['Send Failed', D], ['Response Failed', D]];
const CONSUME_FIELDS: [string, string][] = [['Consume TPS', D], ['AVG(B2C) RT(ms)', F], ['AVG(S2C) RT(ms)', F], ['MAX(B2C) RT(ms)', D], ['MAX(S2C) RT(ms)', D], ['Consume Fail', D]];

const PATTERNS: { kind: ReportKind; timed: boolean; re: RegExp; names: string[] }[] = [
  { kind: 'produce', timed: true, ...pattern(`Current Time: ${TIME}`, PRODUCE_FIELDS, ' \\| ') },
  { kind: 'produce', timed: true, ...pattern(`Current Time: ${TIME}`, PRODUCE_FIELDS, ' ') },
  { kind: 'produce-complete', timed: false, ...pattern(`\\[Complete\\] Send Total: ${D}`, PRODUCE_FIELDS, ' \\| ') },
  { kind: 'produce-complete', timed: false, ...pattern(`\\[Complete\\] Send Total: ${D}`, PRODUCE_FIELDS, ' ') },
  { kind: 'consume', timed: true, ...pattern(`Current Time: ${TIME}`, CONSUME_FIELDS, ' \\| ') },
  { kind: 'consume-complete', timed: false, ...pattern(`\\[Complete\\] Consume Total: ${D}`, CONSUME_FIELDS, ' \\| ') },
];

/** Parses one report line; null when it is not one. */
export function parseReportLine(line: string): ParsedReport | null {
  for (const p of PATTERNS) {
    const m = p.re.exec(line);
    if (!m) continue;
    const values: Record<string, number> = {};
    let g = 1;
    let time: string | null = null;
    if (p.timed) time = m[g++];
    else values[p.kind === 'produce-complete' ? 'Send Total' : 'Consume Total'] = Number(m[g++]);
    for (const name of p.names) values[name] = Number(m[g++]);
    return { kind: p.kind, time, values };
  }
  return null;
}
