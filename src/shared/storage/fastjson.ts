// JSON the way fastjson 1.x writes and reads it (reference doc §3.14, §6.6): raw integer map keys,
// JSON objects as map keys, null members omitted, tab-indented pretty format; and a lenient parser.

/** Text emitted verbatim by stringifyFastJson (as a value, or as a Map key). */
export class JsonRaw {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export interface FastJsonOptions {
  /** write integer keys (Map number keys, integer-looking object keys) without quotes */
  unquotedIntKeys?: boolean;
  /** fastjson PrettyFormat: tabs, one string-keyed member per line */
  pretty?: boolean;
}

const INT_KEY = /^-?\d+$/;

/** A Java double as fastjson writes it: always with a fraction ("0.0", "2.5"). */
export function jsonDouble(n: number): JsonRaw {
  if (!Number.isFinite(n)) return new JsonRaw('null');
  return new JsonRaw(Number.isInteger(n) && Math.abs(n) < 1e16 ? n.toFixed(1) : String(n));
}

export function stringifyFastJson(value: unknown, opts: FastJsonOptions = {}): string {
  const w = new Writer(opts.unquotedIntKeys === true, opts.pretty === true);
  w.value(value, 0);
  return w.out;
}

/**
 * `{<key object>:<value>,...}` — fastjson's form for maps keyed by beans such as MessageQueue.
 * Key objects are written compactly with their properties in the given order.
 */
export function stringifyObjectKeyMap(entries: [unknown, unknown][], opts: FastJsonOptions = {}): JsonRaw {
  return new JsonRaw(stringifyFastJson(new Map(entries.map(([k, v]) => [toRawKey(k), v])), opts));
}

function toRawKey(k: unknown): unknown {
  return k !== null && typeof k === 'object' && !(k instanceof JsonRaw) ? new JsonRaw(stringifyFastJson(k)) : k;
}

class Writer {
  out = '';
  constructor(
    private readonly unquotedIntKeys: boolean,
    private readonly pretty: boolean,
  ) {}

  private newline(level: number): void {
    this.out += '\n' + '\t'.repeat(level);
  }

  value(v: unknown, level: number): void {
    if (v === null || v === undefined) {
      this.out += 'null';
    } else if (typeof v === 'string') {
      this.out += JSON.stringify(v);
    } else if (typeof v === 'number') {
      this.out += Number.isFinite(v) ? String(v) : 'null';
    } else if (typeof v === 'boolean' || typeof v === 'bigint') {
      this.out += String(v);
    } else if (v instanceof JsonRaw) {
      this.out += v.text;
    } else if (v instanceof Uint8Array) {
      this.out += '"' + Buffer.from(v.buffer, v.byteOffset, v.length).toString('base64') + '"';
    } else if (v instanceof Date) {
      this.out += String(v.getTime());
    } else if (Array.isArray(v) || v instanceof Set) {
      this.array(v, level);
    } else if (v instanceof Map) {
      this.members(v.entries(), level, false);
    } else if (typeof v === 'object') {
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') this.value(toJSON.call(v), level);
      else this.members(Object.entries(v), level, true);
    } else {
      this.out += 'null'; // functions, symbols
    }
  }

  private array(items: Iterable<unknown>, level: number): void {
    this.out += '[';
    let first = true;
    for (const item of items) {
      if (!first) this.out += ',';
      first = false;
      if (this.pretty) this.newline(level + 1);
      this.value(item, level + 1);
    }
    if (this.pretty && !first) this.newline(level);
    this.out += ']';
  }

  /** objectKeys: keys come from a plain object, where "12" stands for an integer key. */
  private members(entries: Iterable<[unknown, unknown]>, level: number, objectKeys: boolean): void {
    this.out += '{';
    let first = true;
    for (const [k, v] of entries) {
      if (v === null || v === undefined) continue;
      if (!first) this.out += ',';
      first = false;
      const key = this.key(k, objectKeys);
      // fastjson's MapSerializer only breaks the line before quoted (String) keys.
      if (this.pretty && key.charCodeAt(0) === 34) this.newline(level + 1);
      this.out += key + ':';
      this.value(v, level + 1);
    }
    if (this.pretty && !first) this.newline(level);
    this.out += '}';
  }

  private key(k: unknown, objectKeys: boolean): string {
    if (typeof k === 'string') {
      return objectKeys && this.unquotedIntKeys && INT_KEY.test(k) ? k : JSON.stringify(k);
    }
    if (typeof k === 'number' || typeof k === 'bigint') {
      return this.unquotedIntKeys && Number.isInteger(Number(k)) ? String(k) : JSON.stringify(String(k));
    }
    if (k instanceof JsonRaw) return k.text;
    if (k !== null && typeof k === 'object') return stringifyFastJson(k);
    return JSON.stringify(String(k));
  }
}

/** JSON.stringify with object keys sorted at every level: the key used for object map keys. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) setMember(o, k, sortKeys((v as Record<string, unknown>)[k]));
    return o;
  }
  return v;
}

function setMember(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Lenient parse: standard JSON plus unquoted identifier/number keys, single-quoted strings,
 * trailing commas, and objects/arrays as keys (turned into their canonicalJson text).
 */
export function parseFastJson(text: string): any {
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail('unexpected trailing characters');
  return v;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '0': '\0' };

class Parser {
  i = 0;
  constructor(private readonly s: string) {
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  fail(msg: string): never {
    throw new SyntaxError(`fastjson parse error at ${this.i}: ${msg}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) this.i++;
      else break;
    }
  }

  value(): unknown {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return Number(this.numberText());
    const word = this.identifier();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null' || word === 'undefined') return null;
    if (word === 'NaN') return NaN;
    this.fail(word ? `unexpected word ${word}` : `unexpected ${c === undefined ? 'end of input' : JSON.stringify(c)}`);
  }

  private object(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    this.i++; // {
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return o;
      }
      const key = this.key();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      this.ws();
      setMember(o, key, this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c !== '}') this.fail('expected "," or "}"');
    }
  }

  private key(): string {
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.string();
    if (c === '{' || c === '[') return canonicalJson(this.value());
    if (c === '-' || (c >= '0' && c <= '9')) return this.numberText();
    const id = this.identifier();
    if (!id) this.fail('expected a key');
    return id;
  }

  private array(): unknown[] {
    const a: unknown[] = [];
    this.i++; // [
    for (;;) {
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return a;
      }
      a.push(this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c !== ']') this.fail('expected "," or "]"');
    }
  }

  private identifier(): string {
    const start = this.i;
    const s = this.s;
    while (this.i < s.length && /[A-Za-z0-9_$]/.test(s[this.i])) this.i++;
    return s.slice(start, this.i);
  }

  numberText(): string {
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    // Java long/double suffixes fastjson tolerates
    const suffix = this.s[this.i];
    if (suffix === 'L' || suffix === 'D' || suffix === 'F') this.i++;
    return m[0];
  }

  private string(): string {
    const s = this.s;
    const quote = s[this.i++];
    let out = '';
    let run = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s[this.i];
      if (c === quote) {
        out += s.slice(run, this.i++);
        return out;
      }
      if (c !== '\\') {
        this.i++;
        continue;
      }
      out += s.slice(run, this.i);
      const e = s[this.i + 1];
      if (e === 'u') {
        const hex = s.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 6;
      } else if (e === 'x') {
        const hex = s.slice(this.i + 2, this.i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('bad \\x escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 4;
      } else if (e === undefined) {
        this.fail('unterminated string');
      } else {
        out += ESCAPES[e] ?? e; // \" \' \\ \/ and unknown escapes stand for themselves
        this.i += 2;
      }
      run = this.i;
    }
  }
}
