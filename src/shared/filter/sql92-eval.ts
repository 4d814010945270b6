// Evaluation of a parsed SQL92 selector over a message's properties, with RocketMQ's semantics:
// every property value is a String, a missing property is null; comparisons with null give null
// (unknown), AND / OR / NOT are three-valued, and a message matches only when the result is TRUE.
// A value that cannot be converted for a comparison (e.g. `a > 1` with a = 'abc') is an
// evaluation error, which makes the whole expression not match (RocketMQ catches it per message).

import { compareJava, isNumber, negateJava, parseJavaDouble, compareDouble, type JValue } from './java-values.js';
import type { SqlNode } from './sql92-parser.js';

/** Where property values come from; a Map<string, string> is one. TAGS is an ordinary property. */
export interface PropertySource {
  get(name: string): string | undefined;
}

/** The three-valued result (TRUE, FALSE or null = unknown) or, for non-conditions, the value. Throws SqlEvalError. */
export function evaluateSql92(n: SqlNode, props: PropertySource): JValue {
  switch (n.kind) {
    case 'const':
      return n.value;
    case 'prop':
      return props.get(n.name) ?? null;
    case 'neg': {
      const v = evaluateSql92(n.operand, props);
      return v !== null && isNumber(v) ? negateJava(v) : null;
    }
    case 'not': {
      const v = evaluateSql92(n.operand, props);
      return v === null ? null : !v;
    }
    case 'bool': {
      const v = evaluateSql92(n.operand, props);
      return v === null ? null : typeof v === 'boolean' ? v : false;
    }
    case 'and':
    case 'or':
      return logicChain(n, props);
    case 'eq': {
      const l = evaluateSql92(n.left, props);
      const r = evaluateSql92(n.right, props);
      // RocketMQ: null on the left only gives null, null on the right only gives FALSE.
      if ((l === null) !== (r === null)) return l === null ? null : false;
      if (l === null || r === null) return true;
      if (typeof l === 'string' && typeof r === 'string') return l === r;
      return compareJava(l, r) === 0;
    }
    case 'cmp': {
      const l = evaluateSql92(n.left, props);
      if (l === null) return null;
      const r = evaluateSql92(n.right, props);
      if (r === null) return null;
      // Two strings (two properties) are compared as doubles; anything else converts to the other side.
      const c = typeof l === 'string' && typeof r === 'string' ? compareDouble(parseJavaDouble(l), parseJavaDouble(r)) : compareJava(l, r);
      return n.op === '>' ? c > 0 : n.op === '>=' ? c >= 0 : n.op === '<' ? c < 0 : c <= 0;
    }
    case 'in': {
      const v = props.get(n.operand.name);
      if (v === undefined) return null;
      return n.values.has(v) !== n.not;
    }
    case 'str': {
      if (n.search.length === 0) return false;
      const v = evaluateSql92(n.operand, props);
      if (typeof v !== 'string') return false;
      const hit = n.op === 'CONTAINS' ? v.includes(n.search) : n.op === 'STARTSWITH' ? v.startsWith(n.search) : v.endsWith(n.search);
      return hit !== n.not;
    }
  }
}

/**
 * AND / OR, short-circuiting like RocketMQ's nested evaluation, but walking a left-deep chain
 * (`x1 AND x2 AND ... AND xn`) in a loop so that long generated expressions need no deep stack.
 */
function logicChain(n: SqlNode & { kind: 'and' | 'or' }, props: PropertySource): JValue {
  const kind = n.kind;
  const rights: SqlNode[] = [];
  let bottom: SqlNode = n;
  while (bottom.kind === kind) {
    rights.push(bottom.right);
    bottom = bottom.left;
  }
  // AND: FALSE decides; OR: TRUE decides. Unknown (null) stays unless decided.
  const decisive = kind === 'or';
  let acc = evaluateSql92(bottom, props);
  for (let i = rights.length - 1; i >= 0; i--) {
    if (acc === decisive) return acc;
    const r = evaluateSql92(rights[i], props);
    if (r === decisive) return r;
    acc = acc === null || r === null ? null : !decisive;
  }
  return acc;
}

/** Whether the message matches: the expression is TRUE; unknown, FALSE and evaluation errors do not match. */
export function matchesSql92(n: SqlNode, props: PropertySource): boolean {
  try {
    return evaluateSql92(n, props) === true;
  } catch {
    return false;
  }
}
