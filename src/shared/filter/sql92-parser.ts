// Recursive-descent parser of RocketMQ's SQL92 selector subset into an AST, with the checks the
// broker makes while building its expression tree (what may be compared with what, BETWEEN
// bounds, IN on a property only, boolean results where a condition is required).
//
// Precedence, loosest first (all binary operators left-associative):
//   OR;  AND;  = <> IS [NOT] NULL;  > >= < <= [NOT] BETWEEN [NOT] IN [NOT] CONTAINS|STARTSWITH|ENDSWITH;
//   unary + - NOT;  literals, properties, ( ... ).
// Note that NOT binds tighter than comparisons, as in RocketMQ: `NOT a = 1` is `(NOT a) = 1`.
// Like RocketMQ, parsing stops after the first complete expression: trailing tokens are ignored.

import { compareJava, isNumber, JDouble, JInt, JLong, type JValue } from './java-values.js';
import { SqlFilterError } from './sql92-errors.js';
import { Lexer, lineColumn, type Token, type TokenKind } from './sql92-lexer.js';

export type CompareOp = '>' | '>=' | '<' | '<=';
export type StringOp = 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';

export type SqlNode =
  /** A literal: string, number, TRUE, FALSE or NULL. */
  | { kind: 'const'; value: JValue }
  | { kind: 'prop'; name: string }
  | { kind: 'neg'; operand: SqlNode }
  | { kind: 'not'; operand: SqlNode }
  /** A property used as a condition: TRUE only if it is a Boolean (never, for message properties). */
  | { kind: 'bool'; operand: SqlNode }
  | { kind: 'and' | 'or'; left: SqlNode; right: SqlNode }
  /** `=`; `IS NULL` is `= NULL`, `<>` and `IS NOT NULL` are NOT of it. */
  | { kind: 'eq'; left: SqlNode; right: SqlNode }
  | { kind: 'cmp'; op: CompareOp; left: SqlNode; right: SqlNode }
  | { kind: 'in'; operand: SqlNode & { kind: 'prop' }; values: ReadonlySet<string>; list: readonly string[]; not: boolean }
  /** RocketMQ 5.1.3+ string operators; two-valued (a missing property gives FALSE, also with NOT). */
  | { kind: 'str'; op: StringOp; operand: SqlNode; search: string; not: boolean };

const NULL_CONST: SqlNode = { kind: 'const', value: null };
const STRING_OPS: ReadonlySet<TokenKind> = new Set<TokenKind>(['CONTAINS', 'STARTSWITH', 'ENDSWITH']);

/** Whether RocketMQ types the node as a BooleanExpression. */
function isBoolean(n: SqlNode): boolean {
  if (n.kind === 'const') return n.value === null || typeof n.value === 'boolean';
  return n.kind !== 'prop' && n.kind !== 'neg';
}

/** Parses `expression`; throws SqlFilterError. */
export function parseSql92(expression: string): SqlNode {
  return new Parser(expression).selector();
}

class Parser {
  private readonly lexer: Lexer;
  private readonly ahead: Token[] = [];

  constructor(private readonly src: string) {
    this.lexer = new Lexer(src);
  }

  private peek(k = 0): Token {
    while (this.ahead.length <= k) this.ahead.push(this.lexer.next());
    return this.ahead[k];
  }

  private take(kind: TokenKind): Token {
    const t = this.peek();
    if (t.kind !== kind) throw this.unexpected(t);
    this.ahead.shift();
    return t;
  }

  private unexpected(t: Token): SqlFilterError {
    const { line, column } = lineColumn(this.src, t.pos);
    return new SqlFilterError(`Encountered "${t.image}" at line ${line}, column ${column}.`, t.pos);
  }

  private semantic(message: string, at: Token): SqlFilterError {
    return new SqlFilterError(message, at.pos);
  }

  selector(): SqlNode {
    const first = this.peek();
    return this.asBoolean(this.orExpression(), first);
  }

  private asBoolean(n: SqlNode, at: Token): SqlNode {
    if (isBoolean(n)) return n;
    if (n.kind === 'prop') return { kind: 'bool', operand: n };
    throw this.semantic(`Expression will not result in a boolean value: ${formatSql92(n)}`, at);
  }

  private orExpression(): SqlNode {
    const at = this.peek();
    let left = this.andExpression();
    while (this.peek().kind === 'OR') {
      const op = this.take('OR');
      const right = this.andExpression();
      left = { kind: 'or', left: this.asBoolean(left, at), right: this.asBoolean(right, op) };
    }
    return left;
  }

  private andExpression(): SqlNode {
    const at = this.peek();
    let left = this.equalityExpression();
    while (this.peek().kind === 'AND') {
      const op = this.take('AND');
      const right = this.equalityExpression();
      left = { kind: 'and', left: this.asBoolean(left, at), right: this.asBoolean(right, op) };
    }
    return left;
  }

  private equalityExpression(): SqlNode {
    let left = this.comparisonExpression();
    for (;;) {
      const t = this.peek();
      if (t.kind === '=' || t.kind === '<>') {
        this.take(t.kind);
        const right = this.comparisonExpression();
        const eq = this.createEqual(left, right, t);
        left = t.kind === '=' ? eq : { kind: 'not', operand: eq };
      } else if (t.kind === 'IS') {
        if (this.peek(1).kind === 'NULL') {
          this.take('IS');
          this.take('NULL');
          left = { kind: 'eq', left, right: NULL_CONST };
        } else {
          this.take('IS');
          this.take('NOT');
          this.take('NULL');
          left = { kind: 'not', operand: { kind: 'eq', left, right: NULL_CONST } };
        }
      } else {
        return left;
      }
    }
  }

  private comparisonExpression(): SqlNode {
    let left = this.unaryExpr();
    for (;;) {
      const t = this.peek();
      switch (t.kind) {
        case '>': case '>=': case '<': case '<=': {
          this.take(t.kind);
          left = this.createCompare(t.kind, left, this.unaryExpr(), t);
          continue;
        }
        case 'BETWEEN': {
          this.take('BETWEEN');
          left = this.between(left, false, t);
          continue;
        }
        case 'IN': {
          this.take('IN');
          left = this.inList(left, false, t);
          continue;
        }
        case 'CONTAINS': case 'STARTSWITH': case 'ENDSWITH': {
          this.take(t.kind);
          left = { kind: 'str', op: t.kind, operand: left, search: this.stringLiteral(), not: false };
          continue;
        }
        case 'NOT': {
          const second = this.peek(1);
          if (second.kind === 'BETWEEN') {
            this.take('NOT');
            this.take('BETWEEN');
            left = this.between(left, true, t);
          } else if (second.kind === 'IN') {
            this.take('NOT');
            this.take('IN');
            left = this.inList(left, true, t);
          } else if (STRING_OPS.has(second.kind)) {
            this.take('NOT');
            this.take(second.kind);
            left = { kind: 'str', op: second.kind as StringOp, operand: left, search: this.stringLiteral(), not: true };
          } else {
            // RocketMQ enters its operator loop on NOT and then finds no alternative.
            throw this.unexpected(t);
          }
          continue;
        }
        default:
          return left;
      }
    }
  }

  private between(value: SqlNode, not: boolean, at: Token): SqlNode {
    const low = this.unaryExpr();
    this.take('AND');
    const high = this.unaryExpr();
    if (not) {
      return { kind: 'or', left: this.createCompare('<', value, low, at), right: this.createCompare('>', value, high, at) };
    }
    if (low.kind === 'const' && high.kind === 'const') {
      if (low.value === null || high.value === null) throw this.semantic('Illegal values of between, values can not be null!', at);
      let order: number;
      try {
        order = compareJava(high.value, low.value);
      } catch (e) {
        throw this.semantic(`Illegal values of between: ${(e as Error).message}`, at);
      }
      if (order < 0) {
        throw this.semantic(`Illegal values of between, left value(${formatSql92(low)}) must less than or equal to right value(${formatSql92(high)})`, at);
      }
    }
    return { kind: 'and', left: this.createCompare('>=', value, low, at), right: this.createCompare('<=', value, high, at) };
  }

  private inList(left: SqlNode, not: boolean, at: Token): SqlNode {
    this.take('(');
    const list = [this.stringLiteral()];
    while (this.peek().kind === ',') {
      this.take(',');
      list.push(this.stringLiteral());
    }
    this.take(')');
    if (left.kind !== 'prop') throw this.semantic(`Expected a property for In expression, got: ${formatSql92(left)}`, at);
    return { kind: 'in', operand: left, values: new Set(list), list, not };
  }

  private createCompare(op: CompareOp, left: SqlNode, right: SqlNode, at: Token): SqlNode {
    this.checkLessThanOperand(left, at);
    this.checkLessThanOperand(right, at);
    return { kind: 'cmp', op, left, right };
  }

  /** Only numbers (or what may evaluate to one) can be ordered. */
  private checkLessThanOperand(n: SqlNode, at: Token): void {
    if (n.kind === 'const') {
      if (isNumber(n.value)) return;
      throw this.semantic(`Value '${formatSql92(n)}' cannot be compared.`, at);
    }
    if (isBoolean(n)) throw this.semantic(`Value '${formatSql92(n)}' cannot be compared.`, at);
  }

  private createEqual(left: SqlNode, right: SqlNode, at: Token): SqlNode {
    for (const n of [left, right]) {
      if (n.kind === 'const' && n.value === null) throw this.semantic(`'${formatSql92(n)}' cannot be compared.`, at);
    }
    if (left.kind === 'const' && right.kind === 'const' && isBoolean(left) && !isBoolean(right)) {
      throw this.semantic(`'${formatSql92(left)}' cannot be compared with '${formatSql92(right)}'`, at);
    }
    return { kind: 'eq', left, right };
  }

  private unaryExpr(): SqlNode {
    const t = this.peek();
    switch (t.kind) {
      case '+':
        this.take('+');
        return this.unaryExpr();
      case '-':
        this.take('-');
        return { kind: 'neg', operand: this.unaryExpr() };
      case 'NOT': {
        this.take('NOT');
        const at = this.peek();
        return { kind: 'not', operand: this.asBoolean(this.unaryExpr(), at) };
      }
      default:
        return this.primaryExpr();
    }
  }

  private primaryExpr(): SqlNode {
    const t = this.peek();
    switch (t.kind) {
      case 'STRING':
        return { kind: 'const', value: this.stringLiteral() };
      case 'DECIMAL':
        this.take('DECIMAL');
        return { kind: 'const', value: this.decimal(t) };
      case 'FLOAT':
        this.take('FLOAT');
        return { kind: 'const', value: this.float(t) };
      case 'TRUE':
        this.take('TRUE');
        return { kind: 'const', value: true };
      case 'FALSE':
        this.take('FALSE');
        return { kind: 'const', value: false };
      case 'NULL':
        this.take('NULL');
        return NULL_CONST;
      case 'ID':
        this.take('ID');
        return { kind: 'prop', name: t.image };
      case '(': {
        this.take('(');
        const inner = this.orExpression();
        this.take(')');
        return inner;
      }
      default:
        throw this.unexpected(t);
    }
  }

  private stringLiteral(): string {
    const image = this.take('STRING').image;
    return image.slice(1, -1).replace(/''/g, "'");
  }

  /** Long range only; Integer when it fits (ConstantExpression.createFromDecimal). */
  private decimal(t: Token): JInt | JLong {
    const text = /[lL]$/.test(t.image) ? t.image.slice(0, -1) : t.image;
    const v = BigInt(text);
    if (v > 2n ** 63n - 1n) throw this.semantic(`NumberFormatException: For input string: "${text}"`, t);
    return v <= 2n ** 31n - 1n ? new JInt(Number(v)) : new JLong(v);
  }

  /** Double, finite and not below Double.MIN_VALUE (so 0.0 is refused, as by RocketMQ). */
  private float(t: Token): JDouble {
    const v = Number(t.image);
    if (v > Number.MAX_VALUE) throw this.semantic(`${t.image} is greater than ${Number.MAX_VALUE}`, t);
    if (v < Number.MIN_VALUE) throw this.semantic(`${t.image} is less than 4.9E-324`, t);
    return new JDouble(v);
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Canonical, fully parenthesized text of a node (for messages and tests). */
export function formatSql92(n: SqlNode): string {
  switch (n.kind) {
    case 'const':
      if (n.value === null) return 'NULL';
      if (typeof n.value === 'boolean') return n.value ? 'TRUE' : 'FALSE';
      if (typeof n.value === 'string') return quote(n.value);
      return n.value instanceof JLong ? `${n.value.v}L` : String(n.value);
    case 'prop':
      return n.name;
    case 'neg':
      return `(- ${formatSql92(n.operand)})`;
    case 'not':
      return `(NOT ${formatSql92(n.operand)})`;
    case 'bool':
      return formatSql92(n.operand);
    case 'and':
    case 'or':
      return `(${formatSql92(n.left)} ${n.kind.toUpperCase()} ${formatSql92(n.right)})`;
    case 'eq':
      return `(${formatSql92(n.left)} = ${formatSql92(n.right)})`;
    case 'cmp':
      return `(${formatSql92(n.left)} ${n.op} ${formatSql92(n.right)})`;
    case 'in':
      return `(${n.operand.name} ${n.not ? 'NOT IN' : 'IN'} (${n.list.map(quote).join(', ')}))`;
    case 'str':
      return `(${formatSql92(n.operand)} ${n.not ? 'NOT ' : ''}${n.op} ${quote(n.search)})`;
  }
}

/** Names of the properties an expression reads, in first-use order. */
export function propertyNames(root: SqlNode): Set<string> {
  const out = new Set<string>();
  const stack: SqlNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    switch (n.kind) {
      case 'prop':
        out.add(n.name);
        break;
      case 'in':
        out.add(n.operand.name);
        break;
      case 'neg': case 'not': case 'bool': case 'str':
        stack.push(n.operand);
        break;
      case 'and': case 'or': case 'eq': case 'cmp':
        stack.push(n.right, n.left);
        break;
    }
  }
  return out;
}
