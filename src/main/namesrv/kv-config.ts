import { encodeKvTable } from './route-json.js';

/** Name server KV config: namespace -> key -> value (PUT/GET/DELETE_KV_CONFIG, GET_KVLIST_BY_NAMESPACE). */
export class KvConfig {
  private readonly table = new Map<string, Map<string, string>>();

  put(namespace: string, key: string, value: string): void {
    let ns = this.table.get(namespace);
    if (!ns) this.table.set(namespace, (ns = new Map()));
    ns.set(key, value);
  }

  get(namespace: string, key: string): string | null {
    return this.table.get(namespace)?.get(key) ?? null;
  }

  delete(namespace: string, key: string): void {
    const ns = this.table.get(namespace);
    if (!ns) return;
    ns.delete(key);
    if (ns.size === 0) this.table.delete(namespace);
  }

  /** KVTable JSON of a namespace, or null when it has no entries (as Java). */
  listJson(namespace: string): string | null {
    const ns = this.table.get(namespace);
    return ns && ns.size > 0 ? encodeKvTable(ns) : null;
  }

  /** `{"configTable":{ns:{k:v}}}`, the shape of Java's kvConfig.json, for whoever persists it. */
  toJson(): string {
    const o: Record<string, Record<string, string>> = {};
    for (const [ns, m] of this.table) o[ns] = Object.fromEntries(m);
    return JSON.stringify({ configTable: o });
  }

  loadJson(text: string): void {
    const o = JSON.parse(text)?.configTable ?? {};
    for (const ns of Object.keys(o)) for (const k of Object.keys(o[ns] ?? {})) this.put(ns, k, String(o[ns][k]));
  }
}
