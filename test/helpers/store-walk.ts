import fs from 'node:fs';
import path from 'node:path';
import { checkRecord, decodeRecord, type DecodedMessage } from '../../src/shared/storage/message.js';
import { readInt } from '../../src/shared/storage/longs.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize } from '../../src/shared/storage/consumequeue.js';

/** 20-digit file names of a CommitLog or ConsumeQueue directory, as start offsets, ascending. */
export function offsetFiles(dir: string): number[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^\d{20}$/.test(n)).map(Number).sort((a, b) => a - b);
}

export function fileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export interface WalkedRecord {
  phy: number;
  size: number;
  msg: DecodedMessage;
}

export interface CommitLogWalk {
  records: WalkedRecord[];
  /** Where valid data ends (the next record would go here). */
  end: number;
  files: number[];
  /**
   * What is wrong after `end`, if anything: non-zero bytes after the last valid record (a half
   * record), a file of the wrong length, data in a file past the end. Empty when clean.
   */
  problems: string[];
}

/**
 * Walks a CommitLog the way recovery does: record by record from the first file, checking magic,
 * size and (optionally) the body CRC with `checkRecord`, jumping to the next file at a BLANK
 * marker. Everything after the first invalid record must be zeros, or it is reported.
 */
export function walkCommitLog(dir: string, fileSize: number, verifyCrc = true): CommitLogWalk {
  const files = offsetFiles(dir);
  const records: WalkedRecord[] = [];
  const problems: string[] = [];
  let end = files.length ? files[0] : 0;
  let ended = false;
  for (const start of files) {
    const buf = fs.readFileSync(path.join(dir, fileName(start)));
    if (buf.length !== fileSize) problems.push(`file ${fileName(start)} is ${buf.length} bytes, not ${fileSize}`);
    if (ended) {
      const nz = firstNonZero(buf, 0);
      if (nz >= 0) problems.push(`file ${fileName(start)} after the end of data (${end}) has non-zero bytes at ${start + nz}`);
      continue;
    }
    if (start !== end) {
      problems.push(`file ${fileName(start)} does not start where the previous one ended (${end})`);
      end = start;
    }
    let p = 0;
    for (;;) {
      const len = checkRecord(buf, p, buf.length - p, verifyCrc);
      if (len > 0) {
        records.push({ phy: start + p, size: len, msg: decodeRecord(buf.subarray(p, p + len), 0) });
        p += len;
        continue;
      }
      if (len === 0) {
        // BLANK: the rest of the file is unused; records continue in the next file.
        end = start + fileSize;
        break;
      }
      end = start + p;
      ended = true;
      const nz = firstNonZero(buf, p);
      if (nz >= 0) {
        const size = buf.length - p >= 4 ? readInt(buf, p) : -1;
        problems.push(`non-zero bytes after the last valid record: at ${start + nz} (end of valid data ${end}, size field there ${size})`);
      }
      break;
    }
  }
  return { records, end, files, problems };
}

function firstNonZero(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return i;
  return -1;
}

export interface CqUnit {
  /** logical offset */
  offset: number;
  phy: number;
  size: number;
}

/** The units of one ConsumeQueue (topic, queueId), from its first file, up to the first empty unit. */
export function readConsumeQueue(root: string, topic: string, queueId: number): CqUnit[] {
  const dir = path.join(root, 'consumequeue', topic, String(queueId));
  const units: CqUnit[] = [];
  for (const start of offsetFiles(dir)) {
    const buf = fs.readFileSync(path.join(dir, fileName(start)));
    for (let p = 0; p + CQ_UNIT_SIZE <= buf.length; p += CQ_UNIT_SIZE) {
      const size = readCqSize(buf, p);
      if (size <= 0) return units;
      units.push({ offset: (start + p) / CQ_UNIT_SIZE, phy: readCqPhyOffset(buf, p), size });
    }
  }
  return units;
}

/** pino JSON lines of a Ferry process's output whose `msg` is `msg`. */
export function logLines(output: string, msg: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes(msg)) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o.msg === msg) out.push(o);
    } catch {
      // not a log line
    }
  }
  return out;
}
