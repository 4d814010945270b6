import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCached, compileSql92, CompiledSql, SqlFilterError, sqlCompileError } from '../../../src/shared/filter/sql92.js';
import { evaluateSql92 } from '../../../src/shared/filter/sql92-eval.js';
import { formatSql92, parseSql92 } from '../../../src/shared/filter/sql92-parser.js';
import { Lexer, type Token } from '../../../src/shared/filter/sql92-lexer.js';
import { compareDouble, compareJava, JDouble, JInt, JLong, parseJavaDouble, parseJavaInteger, SqlEvalError } from '../../../src/shared/filter/java-values.js';
import { EVAL_VECTORS, PARSE_ERRORS, STRING_OP_VECTORS, VALID_ODDITIES, type Outcome } from './sql92-vectors.js';

function outcome(expression: string, props: Record<string, string>): Outcome {
  let c: CompiledSql;
  try {
    c = compileSql92(expression);
  } catch (e) {
    assert.ok(e instanceof SqlFilterError, `${expression}: ${String(e)}`);
    return 'PARSE';
  }
  try {
    const r = evaluateSql92(c.root, new Map(Object.entries(props)));
    assert.ok(r === null || typeof r === 'boolean', `${expression} evaluated to a non-boolean`);
    return r === null ? 'NULL' : r ? 'TRUE' : 'FALSE';
  } catch (e) {
    assert.ok(e instanceof SqlEvalError, `${expression}: ${String(e)}`);
    return 'ERR';
  }
}

function tokens(src: string): string[] {
  const lexer = new Lexer(src);
  const out: string[] = [];
  for (let t: Token = lexer.next(); t.kind !== 'EOF'; t = lexer.next()) out.push(t.kind === t.image ? t.kind : `${t.kind}:${t.image}`);
  return out;
}

test('tokenizer: keywords, identifiers, literals, operators, comments', () => {
  assert.deepEqual(tokens("Not aNd OR between IN true FALSE null Is contains StartsWith ENDSWITH"),
    ['NOT:Not', 'AND:aNd', 'OR', 'BETWEEN:between', 'IN', 'TRUE:true', 'FALSE', 'NULL:null', 'IS:Is', 'CONTAINS:contains', 'STARTSWITH:StartsWith', 'ENDSWITH']);
  assert.deepEqual(tokens('a A_1 $x _ notx nota TAGS'), ['ID:a', 'ID:A_1', 'ID:$x', 'ID:_', 'ID:notx', 'ID:nota', 'ID:TAGS']);
  assert.deepEqual(tokens('0 7 123L 9l 1.5 5. .5 1e3 1E-3 1.5e+2 007 0L 1.e5'),
    ['DECIMAL:0', 'DECIMAL:7', 'DECIMAL:123L', 'DECIMAL:9l', 'FLOAT:1.5', 'FLOAT:5.', 'FLOAT:.5', 'FLOAT:1e3', 'FLOAT:1E-3', 'FLOAT:1.5e+2',
      'DECIMAL:0', 'DECIMAL:0', 'DECIMAL:7', 'DECIMAL:0', 'ID:L', 'FLOAT:1.e5']);
  assert.deepEqual(tokens("'x' '' 'it''s' 'a\nb'"), ["STRING:'x'", "STRING:''", "STRING:'it''s'", "STRING:'a\nb'"]);
  assert.deepEqual(tokens('= <> > >= < <= ( ) , + -'), ['=', '<>', '>', '>=', '<', '<=', '(', ')', ',', '+', '-']);
  assert.deepEqual(tokens('a/* c */=-- d\n1'), ['ID:a', '=', 'DECIMAL:1']);
  assert.deepEqual(tokens('a -- no end of line'), ['ID:a', '-', '-', 'ID:no', 'ID:end', 'ID:of', 'ID:line']);
  assert.deepEqual(tokens('1e 1.5e+'), ['DECIMAL:1', 'ID:e', 'FLOAT:1.5', 'ID:e', '+']);
  for (const bad of ['#', '!', '"x"', "'open", '/* open', '.', '\u00a0', 'é', '/']) {
    assert.throws(() => tokens(bad), (e: unknown) => e instanceof SqlFilterError && /^Lexical error at line 1, column 1\./.test(e.message), bad);
  }
  assert.throws(() => tokens('a\n\tb #'), (e: unknown) => e instanceof SqlFilterError && e.message.startsWith('Lexical error at line 2, column 11.') && e.pos === 5);
});

test('parser: precedence and associativity (canonical form)', () => {
  const cases: [string, string][] = [
    ['a = 1 OR b = 2 AND c = 3', '((a = 1) OR ((b = 2) AND (c = 3)))'],
    ['(a = 1 OR b = 2) AND c = 3', '(((a = 1) OR (b = 2)) AND (c = 3))'],
    ['a = 1 AND b = 2 AND c = 3', '(((a = 1) AND (b = 2)) AND (c = 3))'],
    ['a = 1 OR b = 2 OR c = 3', '(((a = 1) OR (b = 2)) OR (c = 3))'],
    ['NOT a = 1', '((NOT a) = 1)'],
    ['NOT (a = 1)', '(NOT (a = 1))'],
    ['NOT a = 1 AND b', '(((NOT a) = 1) AND b)'],
    ['a > 1 = b < 2', '((a > 1) = (b < 2))'],
    ['a <> 1', '(NOT (a = 1))'],
    ['a IS NULL OR b IS NOT NULL', '((a = NULL) OR (NOT (b = NULL)))'],
    ['a between 1 and 2 and b = 1', '(((a >= 1) AND (a <= 2)) AND (b = 1))'],
    ['a not between -1 and 2.5', '((a < (- 1)) OR (a > 2.5))'],
    ["a not in ('x', 'y''z')", "(a NOT IN ('x', 'y''z'))"],
    ["a in ('x') or b in ('y')", "((a IN ('x')) OR (b IN ('y')))"],
    ['- - a > 1', '((- (- a)) > 1)'],
    ['+a > +1', '(a > 1)'],
    ['a OR b', '(a OR b)'],
    ['a > 2147483648 and b < 1L and c = 1.50 and d = 5. and e = 1e3', '(((((a > 2147483648L) AND (b < 1)) AND (c = 1.5)) AND (d = 5.0)) AND (e = 1000.0))'],
    ['((a = 1))', '(a = 1)'],
    ["a contains 'x' AND b not startswith 'y' OR c endswith 'z'", "(((a CONTAINS 'x') AND (b NOT STARTSWITH 'y')) OR (c ENDSWITH 'z'))"],
    ['a = 1 garbage', '(a = 1)'],
    ['TRUE', 'TRUE'],
  ];
  for (const [src, want] of cases) assert.equal(formatSql92(parseSql92(src)), want, src);
});

test('parser: what RocketMQ 4.9 refuses is a SqlFilterError with a message', () => {
  for (const src of PARSE_ERRORS) {
    assert.throws(() => compileSql92(src), (e: unknown) => e instanceof SqlFilterError && e.message.length > 0, JSON.stringify(src));
  }
  const message = (src: string) => {
    try {
      compileSql92(src);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  assert.equal(message(''), 'Encountered "<EOF>" at line 1, column 1.');
  assert.equal(message('a = 1 AND (b = 2'), 'Encountered "<EOF>" at line 1, column 17.');
  assert.equal(message("a > 'x'"), "Value ''x'' cannot be compared.");
  assert.equal(message('a = NULL'), "'NULL' cannot be compared.");
  assert.equal(message('a between 3 and 1'), 'Illegal values of between, left value(3) must less than or equal to right value(1)');
  assert.equal(message('1'), 'Expression will not result in a boolean value: 1');
  assert.equal(message("'x' in ('x')"), "Expected a property for In expression, got: 'x'");
  assert.equal(message('a = 0.0'), '0.0 is less than 4.9E-324');
  assert.match(message('a = 9223372036854775808'), /NumberFormatException/);
  assert.match(message('('.repeat(100_000) + 'a'), /Invalid MessageSelector/);
  assert.throws(() => compileSql92('a = 1', 'SQL99'), /unsupported expression type: SQL99/);
  for (const src of VALID_ODDITIES) assert.doesNotThrow(() => compileSql92(src), src);
});

test('evaluator: fixed vectors (operators, NULL semantics, numeric vs string comparison, errors)', () => {
  const failures: string[] = [];
  for (const [expression, props, want] of EVAL_VECTORS) {
    const got = outcome(expression, props);
    if (got !== want) failures.push(`${JSON.stringify(expression)} ${JSON.stringify(props)}: want ${want}, got ${got}`);
  }
  assert.deepEqual(failures, []);
});

test('evaluator: RocketMQ 5.1.3+ CONTAINS / STARTSWITH / ENDSWITH', () => {
  for (const [expression, props, want] of STRING_OP_VECTORS) assert.equal(outcome(expression, props), want, `${expression} ${JSON.stringify(props)}`);
});

test('matches(): only TRUE matches; unknown and evaluation errors do not', () => {
  const c = compileSql92("a between 0 and 3 and b = 'x'");
  assert.deepEqual(c.properties, ['a', 'b']);
  assert.equal(c.matches(new Map([['a', '1'], ['b', 'x']])), true);
  assert.equal(c.matches(new Map([['a', '1'], ['b', 'y']])), false);
  assert.equal(c.matches(new Map([['b', 'x']])), false);
  assert.equal(c.matches(new Map([['a', 'abc'], ['b', 'x']])), false);
  assert.equal(compileSql92('a IS NULL').matches(new Map()), true);
  assert.equal(compileSql92('NOT (a > 1)').matches(new Map([['a', 'x']])), false);
  assert.deepEqual(compileSql92("TAGS = 'A' or (x > 1 and TAGS <> 'B') or y in ('1')").properties, ['TAGS', 'x', 'y']);
  // long generated chains need no deep stack (evaluated left to right, short-circuiting like RocketMQ)
  const terms = Array.from({ length: 20_000 }, (_, i) => `a = ${i}`);
  assert.equal(compileSql92(terms.join(' OR ')).matches(new Map([['a', '19999']])), true);
  assert.equal(compileSql92(terms.join(' AND ')).matches(new Map([['a', '1']])), false);
  assert.equal(compileSql92(`${terms.join(' OR ')} OR a > 1.5`).matches(new Map([['a', '0']])), true);
  assert.equal(evaluateSql92(compileSql92(`b = 1 OR ${terms.slice(0, 3).join(' OR ')}`).root, new Map([['a', '7']])), null);
});

test('compile cache: by (group, topic, type, expression), errors cached too, bounded', () => {
  const a = compileCached('g', 't', 'SQL92', 'a = 1');
  assert.ok(a instanceof CompiledSql);
  assert.equal(compileCached('g', 't', 'SQL92', 'a = 1'), a);
  assert.notEqual(compileCached('g2', 't', 'SQL92', 'a = 1'), a);
  assert.notEqual(compileCached('g', 't2', 'SQL92', 'a = 1'), a);
  const bad = compileCached('g', 't', 'SQL92', 'a >');
  assert.ok(bad instanceof SqlFilterError);
  assert.equal(compileCached('g', 't', 'SQL92', 'a >'), bad);
  assert.ok(compileCached('g', 't', 'FOO', 'a = 1') instanceof SqlFilterError);
  for (let i = 0; i < 1100; i++) compileCached('g', 't', 'SQL92', `a = ${i}`);
  assert.notEqual(compileCached('g', 't', 'SQL92', 'a = 1'), a, 'the oldest entries were dropped');
  assert.equal(sqlCompileError('SQL92', "a between 0 and 3 and b = 'x'"), null);
  assert.equal(sqlCompileError('SQL92', 'a >'), 'Encountered "<EOF>" at line 1, column 4.');
  assert.equal(sqlCompileError('SQL92', ''), 'Encountered "<EOF>" at line 1, column 1.');
});

test('java values: Integer/Long/Double.valueOf and compareTo as Java does them', () => {
  assert.equal(parseJavaInteger('+7', false).v, 7);
  assert.equal(parseJavaInteger('-2147483648', false).v, -2147483648);
  assert.equal(parseJavaInteger('\u0967\u0968', false).v, 12);
  for (const bad of ['', '+', '-', ' 1', '1 ', '2147483648', '1.0', '0x1', '1_0']) assert.throws(() => parseJavaInteger(bad, false), SqlEvalError, bad);
  assert.equal(parseJavaInteger('-9223372036854775808', true).v, -(2n ** 63n));
  assert.throws(() => parseJavaInteger('9223372036854775808', true), SqlEvalError);
  const doubles: [string, number][] = [['1', 1], [' 1.5 ', 1.5], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['-1E-2', -0.01], ['2f', 2], ['2.5D', 2.5],
    ['NaN', NaN], ['-Infinity', -Infinity], ['+Infinity', Infinity], ['0x1.8p1', 3], ['-0x10P-4', -1], ['1e400', Infinity], ['\n7\t', 7]];
  for (const [s, v] of doubles) assert.ok(Object.is(parseJavaDouble(s), v), `${s} -> ${parseJavaDouble(s)}`);
  for (const bad of ['', 'x', '1..2', 'e3', '1e', 'inf', '0x1.8', '1,5', '1 2']) assert.throws(() => parseJavaDouble(bad), SqlEvalError, bad);
  assert.deepEqual([compareDouble(NaN, Infinity), compareDouble(NaN, NaN), compareDouble(-0, 0), compareDouble(0, 0), compareDouble(1, 2)], [1, 0, -1, 0, -1]);
  assert.equal(compareJava(new JInt(2), new JLong(2n)), 0);
  assert.equal(compareJava(new JLong(3n), new JDouble(2.5)), 1);
  assert.equal(compareJava('5', new JInt(3)), 1);
  assert.equal(compareJava(new JInt(3), '5'), -1);
  assert.equal(compareJava('true', true), 0);
  assert.equal(compareJava(new JInt(1), true), -1);
  assert.equal(compareJava(true, new JInt(1)), -1);
  assert.throws(() => compareJava(true, 'true'), SqlEvalError);
  assert.throws(() => compareJava('1.5', new JInt(1)), SqlEvalError);
});
