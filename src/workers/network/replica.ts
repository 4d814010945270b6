import type { SubscriptionGroupView, SubscriptionView, TopicConfig } from '../../shared/worker-protocol.js';
import { javaHashCode } from '../../shared/storage/hash.js';
import { compileCached, type CompiledSql, type SqlFilterError } from '../../shared/filter/sql92.js';

export interface TopicEntry {
  config: TopicConfig;
  slots: number[];
}

/** A subscription ready for filtering ConsumeQueue units by tag hash. */
export interface Filter {
  all: boolean;
  codes: Set<number>;
  expressionType: string;
  subVersion: number;
  /** Non-TAG (SQL92) subscriptions: the compiled expression, or why it does not compile; null for TAG. */
  sql: CompiledSql | SqlFilterError | null;
}

export function tagFilter(subString: unknown, expressionType: unknown, subVersion: number, group = '', topic = ''): Filter {
  const type = typeof expressionType === 'string' && expressionType ? expressionType : 'TAG';
  const s = (typeof subString === 'string' ? subString : '').trim();
  const codes = new Set<number>();
  let all = type === 'TAG' && (s === '' || s === '*');
  if (type === 'TAG' && !all) {
    for (const tag of s.split('||')) {
      const t = tag.trim();
      if (t) codes.add(javaHashCode(t));
    }
    if (codes.size === 0) all = true;
  }
  const sql = type === 'TAG' ? null : compileCached(group, topic, type, typeof subString === 'string' ? subString : '');
  return { all, codes, expressionType: type, subVersion, sql };
}

/** A Map that counts its changes: what was looked up in it holds until the count moves. */
export class CountedMap<K, V> extends Map<K, V> {
  changes = 0;

  override set(key: K, value: V): this {
    this.changes++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.changes++;
    return super.delete(key);
  }

  override clear(): void {
    this.changes++;
    super.clear();
  }
}

/** The network worker's copy of the control state it needs for sends and pulls. */
export class Replica {
  readonly topics = new CountedMap<string, TopicEntry>();
  readonly groups = new Map<string, SubscriptionGroupView>();
  readonly subscriptions = new Map<string, Map<string, Filter>>();

  setSubscriptions(group: string, subs: SubscriptionView[]): void {
    if (subs.length === 0) {
      this.subscriptions.delete(group);
      return;
    }
    const m = new Map<string, Filter>();
    for (const s of subs) m.set(s.topic, tagFilter(s.subString, s.expressionType, s.subVersion, group, s.topic));
    this.subscriptions.set(group, m);
  }

  /** Applies a HEART_BEAT seen on this worker at once, so the client's next pull finds it. */
  mergeHeartbeat(body: Buffer | null): void {
    if (!body) return;
    let hb: any;
    try {
      hb = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    for (const c of Array.isArray(hb?.consumerDataSet) ? hb.consumerDataSet : []) {
      if (typeof c?.groupName !== 'string' || !Array.isArray(c.subscriptionDataSet)) continue;
      let m = this.subscriptions.get(c.groupName);
      if (!m) this.subscriptions.set(c.groupName, (m = new Map()));
      for (const s of c.subscriptionDataSet) {
        if (typeof s?.topic !== 'string') continue;
        const cur = m.get(s.topic);
        const version = Number(s.subVersion) || 0;
        if (!cur || cur.subVersion <= version) m.set(s.topic, tagFilter(s.subString, s.expressionType, version, c.groupName, s.topic));
      }
    }
  }
}
