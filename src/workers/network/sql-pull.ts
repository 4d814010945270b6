import { ResponseCode } from '../../shared/codes.js';
import { CompiledSql, type SqlFilterError } from '../../shared/filter/sql92.js';
import { StoreWord, type SharedState } from '../../shared/shared-state.js';
import { readInt } from '../../shared/storage/longs.js';
import { MAGIC_V1, MAGIC_V2, recordPropertiesRange } from '../../shared/storage/message.js';
import { findProperty } from '../../shared/storage/properties.js';
import { utf8Slice } from '../../shared/storage/text.js';
import type { StoreReader } from '../storage/store-reader.js';
import type { Filter } from './replica.js';

/** CommitLog bytes read at once around a candidate record (records of one queue are often near each other). */
const WINDOW = 64 * 1024;
/** Fixed fields, body length, topic length and properties length of the smallest record. */
const MIN_RECORD = 84 + 4 + 1 + 2;

/**
 * Why a pull whose subscription is not TAG cannot be served, or null. As RocketMQ 4.9: an
 * expression sent with the pull (FLAG_SUBSCRIPTION) that does not compile is
 * SUBSCRIPTION_PARSE_FAILED; a registered (heartbeat) one that did not compile left no filter
 * data, FILTER_DATA_NOT_EXIST. (FILTER_DATA_NOT_LATEST cannot happen here: the compiled filter
 * carries the subscription's own version, so SUBSCRIPTION_NOT_LATEST answers first.)
 */
export function sqlPullRejection(filter: Filter, fromRequest: boolean): { code: number; remark: string } | null {
  if (filter.sql instanceof CompiledSql) return null;
  const detail = filter.sql ? `: ${filter.sql.message}` : '';
  if (fromRequest) return { code: ResponseCode.SUBSCRIPTION_PARSE_FAILED, remark: `parse the consumer's subscription failed${detail}` };
  return { code: ResponseCode.FILTER_DATA_NOT_EXIST, remark: `The broker's consumer filter data is not exist!Your expression may be wrong!${detail}` };
}

/**
 * SQL92 filtering of one pull: ConsumeQueue units carry no properties, so each candidate record
 * is read from the CommitLog, the properties the expression uses are looked up in it, and a
 * matching record is kept as the response body (read once, never again).
 */
export class SqlRecordFilter {
  private window = Buffer.allocUnsafe(WINDOW);
  private winStart = 0;
  private winEnd = 0;
  private body = Buffer.allocUnsafe(WINDOW);
  private end = 0;
  private sql: CompiledSql | null = null;
  private keys: Uint8Array[] = [];
  private readonly props = new Map<string, string>();
  private readonly range = new Int32Array(2);
  private readonly value = new Int32Array(2);

  constructor(private readonly reader: StoreReader, private readonly state: SharedState) {}

  /** Starts a pull's scan; null if the subscription has no compiled expression. */
  begin(sql: CompiledSql | SqlFilterError | null): this | null {
    if (!(sql instanceof CompiledSql)) return null;
    if (this.sql !== sql) {
      this.sql = sql;
      this.keys = sql.properties.map((p) => Buffer.from(p, 'utf8'));
    }
    this.end = 0;
    // Bytes past the CommitLog end at an earlier read may have been written since: never reuse a window.
    this.winStart = this.winEnd = 0;
    return this;
  }

  /** Reads the record of a ConsumeQueue unit; true (and kept for the body) if it matches. */
  accept(phy: number, size: number): boolean {
    let src: Buffer;
    let off: number;
    if (phy >= this.winStart && phy + size <= this.winEnd) {
      src = this.window;
      off = phy - this.winStart;
    } else if (size <= WINDOW) {
      const want = Math.max(size, Math.min(WINDOW, this.state.store[StoreWord.COMMIT_END] - phy));
      const n = this.reader.commitLog.read(phy, this.window, 0, want);
      if (n < size) return false;
      this.winStart = phy;
      this.winEnd = phy + n;
      src = this.window;
      off = 0;
    } else {
      this.reserve(size);
      if (this.reader.commitLog.read(phy, this.body, this.end, size) < size) return false;
      src = this.body;
      off = this.end;
    }
    if (!this.matches(src, off, size)) return false;
    if (src !== this.body) {
      this.reserve(size);
      src.copy(this.body, this.end, off, off + size);
    }
    this.end += size;
    return true;
  }

  /** The matched records, concatenated: a view, valid until the next begin(). */
  matched(): Buffer {
    return this.body.subarray(0, this.end);
  }

  private matches(buf: Buffer, off: number, size: number): boolean {
    if (size < MIN_RECORD || readInt(buf, off) !== size) return false;
    const magic = readInt(buf, off + 4);
    if (magic !== MAGIC_V1 && magic !== MAGIC_V2) return false;
    const r = this.range;
    recordPropertiesRange(buf, off, r);
    if (r[0] < off || r[1] > off + size || r[1] < r[0]) return false;
    const props = this.props;
    props.clear();
    const sql = this.sql!;
    for (let i = 0; i < this.keys.length; i++) {
      if (findProperty(buf, r[0], r[1], this.keys[i], this.value)) props.set(sql.properties[i], utf8Slice(buf, this.value[0], this.value[1]));
    }
    return sql.matches(props);
  }

  private reserve(extra: number): void {
    if (this.end + extra <= this.body.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.body.length * 2, this.end + extra));
    this.body.copy(grown, 0, 0, this.end);
    this.body = grown;
  }
}
