// SQL92 message filtering (MessageSelector.bySql): compile once, evaluate per message.
// See sql92-parser.ts for the grammar and sql92-eval.ts for the semantics.

import { SqlFilterError } from './sql92-errors.js';
import { matchesSql92, type PropertySource } from './sql92-eval.js';
import { parseSql92, propertyNames, type SqlNode } from './sql92-parser.js';

export { SqlFilterError } from './sql92-errors.js';
export type { PropertySource } from './sql92-eval.js';

export const EXPRESSION_TYPE_SQL92 = 'SQL92';

/** A compiled selector. */
export class CompiledSql {
  /** The properties the expression reads, in first-use order. */
  readonly properties: readonly string[];

  constructor(readonly expression: string, readonly root: SqlNode) {
    this.properties = [...propertyNames(root)];
  }

  /** TRUE for this message's properties (unknown, FALSE and evaluation errors are no match). */
  matches(props: PropertySource): boolean {
    return matchesSql92(this.root, props);
  }
}

/** Compiles an expression of `expressionType` (only SQL92 exists besides TAG); throws SqlFilterError. */
export function compileSql92(expression: string, expressionType = EXPRESSION_TYPE_SQL92): CompiledSql {
  if (expressionType !== EXPRESSION_TYPE_SQL92) throw new SqlFilterError(`unsupported expression type: ${expressionType}`);
  try {
    return new CompiledSql(expression, parseSql92(expression));
  } catch (e) {
    if (e instanceof SqlFilterError) throw e;
    // e.g. RangeError from thousands of nested parentheses (RocketMQ: StackOverflowError, also a parse failure).
    throw new SqlFilterError(`Invalid MessageSelector: ${(e as Error).message}`);
  }
}

/** The error message if the expression does not compile, else null (CHECK_CLIENT_CONFIG). */
export function sqlCompileError(expressionType: string, expression: string): string | null {
  const r = compileCached('', '', expressionType, expression);
  return r instanceof SqlFilterError ? r.message : null;
}

const CACHE_LIMIT = 1024;
const cache = new Map<string, CompiledSql | SqlFilterError>();

/**
 * Compiled expressions (and compile errors) by (group, topic, type, expression), least recently
 * used dropped beyond 1024 entries. Heartbeats and pulls repeat the same few expressions.
 */
export function compileCached(group: string, topic: string, expressionType: string, expression: string): CompiledSql | SqlFilterError {
  const key = `${group}\u0001${topic}\u0001${expressionType}\u0001${expression}`;
  let hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  try {
    hit = compileSql92(expression, expressionType);
  } catch (e) {
    hit = e instanceof SqlFilterError ? e : new SqlFilterError(String(e));
  }
  cache.set(key, hit);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return hit;
}
