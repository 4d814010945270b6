// The Java value model of RocketMQ's SQL92 filter: property values are Strings, literals are
// Integer / Long / Double / String / Boolean, NULL and missing properties are null. Comparison
// converts between them the way the broker's ComparisonExpression does (string conversion on).

/** Thrown while evaluating; the broker then treats the message as not matching. */
export class SqlEvalError extends Error {
  override readonly name = 'SqlEvalError';
}

export class JInt {
  constructor(readonly v: number) {}
  toString(): string {
    return String(this.v);
  }
}

export class JLong {
  constructor(readonly v: bigint) {}
  toString(): string {
    return String(this.v);
  }
}

export class JDouble {
  constructor(readonly v: number) {}
  toString(): string {
    return javaDoubleString(this.v);
  }
}

export type JNumber = JInt | JLong | JDouble;
export type JValue = null | boolean | string | JNumber;

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

export function isNumber(v: JValue): v is JNumber {
  return v instanceof JInt || v instanceof JLong || v instanceof JDouble;
}

/** Java's Double.toString for the common cases (used only in messages). */
function javaDoubleString(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  const s = String(v);
  return /[.eE]/.test(s) || !Number.isFinite(v) ? s : `${s}.0`;
}

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** Value of a decimal digit as Character.digit(ch, 10) sees it (BMP chars only, like parseInt), or -1. */
function digitValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  if (c < 128 || (c >= 0xd800 && c <= 0xdfff)) return -1;
  const nd = DECIMAL_DIGIT;
  if (!nd.test(s[i])) return -1;
  // Unicode decimal digits come in aligned runs 0..9.
  let k = 0;
  while (k < 64 && nd.test(String.fromCharCode(c - k - 1))) k++;
  return k % 10;
}

/** Integer.valueOf / Long.valueOf of a String: optional sign, decimal digits, range checked. */
export function parseJavaInteger(s: string, long: false): JInt;
export function parseJavaInteger(s: string, long: true): JLong;
export function parseJavaInteger(s: string, long: boolean): JInt | JLong {
  const fail = () => new SqlEvalError(`NumberFormatException: For input string: "${s}"`);
  const n = s.length;
  if (n === 0) throw fail();
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
    if (n === 1) throw fail();
  }
  let digits = '';
  for (; i < n; i++) {
    const d = digitValue(s, i);
    if (d < 0) throw fail();
    digits += String(d);
  }
  const big = neg ? -BigInt(digits) : BigInt(digits);
  if (long) {
    if (big < LONG_MIN || big > LONG_MAX) throw fail();
    return new JLong(big);
  }
  if (big < INT_MIN || big > INT_MAX) throw fail();
  return new JInt(Number(big));
}

const DECIMAL_DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?$/;
const HEX_DOUBLE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/** Double.valueOf of a String (Java trims chars <= ' ', accepts NaN, Infinity, f/d suffixes, hex). */
export function parseJavaDouble(raw: string): number {
  let a = 0;
  let b = raw.length;
  while (a < b && raw.charCodeAt(a) <= 32) a++;
  while (b > a && raw.charCodeAt(b - 1) <= 32) b--;
  const s = raw.slice(a, b);
  if (DECIMAL_DOUBLE.test(s)) {
    const last = s.charCodeAt(s.length - 1);
    return Number(last >= 65 ? s.slice(0, -1) : s);
  }
  switch (s) {
    case 'NaN': case '+NaN': case '-NaN':
      return NaN;
    case 'Infinity': case '+Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
  }
  const h = HEX_DOUBLE.exec(s);
  if (h && (h[2].length > 0 || (h[3] ?? '').length > 0)) {
    const frac = h[3] ?? '';
    const mantissa = BigInt(`0x${h[2] || '0'}${frac}`);
    const exp = Number(h[4]) - 4 * frac.length;
    const v = Number(mantissa) * 2 ** exp;
    return h[1] === '-' ? -v : v;
  }
  throw new SqlEvalError(`NumberFormatException: For input string: "${raw}"`);
}

/** Boolean.valueOf(String). */
export function parseJavaBoolean(s: string): boolean {
  return s.length === 4 && s.toLowerCase() === 'true';
}

/** Double.compare: NaN above everything and equal to itself, -0.0 below 0.0. */
export function compareDouble(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  if (a === 0) {
    const az = Object.is(a, -0);
    const bz = Object.is(b, -0);
    return az === bz ? 0 : az ? -1 : 1;
  }
  return 0;
}

function sign(a: number | bigint | string, b: number | bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** compareTo of two values of the same Java class. */
function compareSame(l: Exclude<JValue, null>, r: Exclude<JValue, null>): number {
  if (typeof l === 'string') return sign(l, r as string);
  if (typeof l === 'boolean') return l === r ? 0 : l ? 1 : -1;
  if (l instanceof JDouble) return compareDouble(l.v, (r as JDouble).v);
  return sign(l.v, (r as JInt | JLong).v);
}

type Kind = 'string' | 'boolean' | 'int' | 'long' | 'double';

function kindOf(v: Exclude<JValue, null>): Kind {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof JInt) return 'int';
  if (v instanceof JLong) return 'long';
  return 'double';
}

function toLong(v: JInt | JLong): JLong {
  return v instanceof JLong ? v : new JLong(BigInt(v.v));
}

function toDouble(v: JNumber): JDouble {
  return v instanceof JDouble ? v : new JDouble(Number(v.v));
}

function fromString(s: string, to: Kind): Exclude<JValue, null> {
  switch (to) {
    case 'boolean': return parseJavaBoolean(s);
    case 'int': return parseJavaInteger(s, false);
    case 'long': return parseJavaInteger(s, true);
    case 'double': return new JDouble(parseJavaDouble(s));
    default: return s;
  }
}

/**
 * ComparisonExpression.__compare with string conversion on: values of different classes are
 * converted (int -> long -> double; a String to the other side's class), pairs it cannot
 * convert compare as -1, a String that does not parse is an evaluation error.
 */
export function compareJava(lv: Exclude<JValue, null>, rv: Exclude<JValue, null>): number {
  const lk = kindOf(lv);
  const rk = kindOf(rv);
  if (lk === rk) return compareSame(lv, rv);
  switch (lk) {
    case 'boolean':
      // Java casts the Boolean to String here and fails.
      if (rk === 'string') throw new SqlEvalError('ClassCastException: Boolean cannot be cast to String');
      return -1;
    case 'int':
    case 'long':
      if (rk === 'int' || rk === 'long') return compareSame(toLong(lv as JInt | JLong), toLong(rv as JInt | JLong));
      if (rk === 'double') return compareSame(toDouble(lv as JNumber), rv);
      if (rk === 'string') return compareSame(lv, fromString(rv as string, lk));
      return -1;
    case 'double':
      if (rk === 'int' || rk === 'long') return compareSame(lv, toDouble(rv as JNumber));
      if (rk === 'string') return compareSame(lv, fromString(rv as string, 'double'));
      return -1;
    case 'string':
      return compareSame(fromString(lv as string, rk), rv);
  }
}

/** UnaryExpression.negate: Integer and Long wrap around like Java's unary minus. */
export function negateJava(v: JNumber): JNumber {
  if (v instanceof JInt) return new JInt(-v.v | 0);
  if (v instanceof JLong) return new JLong(BigInt.asIntN(64, -v.v));
  return new JDouble(-v.v);
}
