// Tokens of RocketMQ's SQL92 selector grammar (filter module, SelectorParser): keywords are
// case-insensitive, identifiers are [a-zA-Z_$][a-zA-Z0-9_$]*, strings are single-quoted with ''
// for a quote, whitespace is space, tab, CR, LF and form feed, comments are "-- ...<EOL>" and
// "/* ... */". Tokens are produced on demand, so an unusable character after the end of a
// complete expression is only an error if the parser has to look at it.

import { SqlFilterError } from './sql92-errors.js';

export type TokenKind =
  | 'EOF'
  | 'NOT' | 'AND' | 'OR' | 'BETWEEN' | 'IN' | 'TRUE' | 'FALSE' | 'NULL' | 'IS'
  | 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH'
  | 'DECIMAL' | 'FLOAT' | 'STRING' | 'ID'
  | '=' | '<>' | '>' | '>=' | '<' | '<=' | '(' | ')' | ',' | '+' | '-';

export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  image: string;
  /** Offset of its first char in the expression. */
  pos: number;
}

const KEYWORDS: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  ['NOT', 'NOT'], ['AND', 'AND'], ['OR', 'OR'], ['BETWEEN', 'BETWEEN'], ['IN', 'IN'],
  ['TRUE', 'TRUE'], ['FALSE', 'FALSE'], ['NULL', 'NULL'], ['IS', 'IS'],
  // RocketMQ 5.1.3+ (not in 4.9): string operators.
  ['CONTAINS', 'CONTAINS'], ['STARTSWITH', 'STARTSWITH'], ['ENDSWITH', 'ENDSWITH'],
]);

const ID = /[a-zA-Z_$][a-zA-Z0-9_$]*/y;
const DECIMAL = /0|[1-9][0-9]*[lL]?/y;
const FLOATS = [
  /[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?/y,
  /\.[0-9]+(?:[eE][+-]?[0-9]+)?/y,
  /[0-9]+[eE][+-]?[0-9]+/y,
];
const STRING = /'(?:''|[^'])*'/y;
const BLOCK_COMMENT = /\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//y;
const LINE_COMMENT = /--[^\n\r]*(?:\r\n|\n|\r)/y;

function matchAt(re: RegExp, src: string, pos: number): number {
  re.lastIndex = pos;
  return re.test(src) ? re.lastIndex - pos : 0;
}

/** 1-based line and column of an offset, counting like JavaCC's SimpleCharStream (tabs to 8). */
export function lineColumn(src: string, pos: number): { line: number; column: number } {
  let line = 1;
  let column = 0;
  for (let i = 0; i < pos && i < src.length; i++) {
    const c = src[i];
    if (c === '\n' || (c === '\r' && src[i + 1] !== '\n')) {
      line++;
      column = 0;
    } else if (c === '\t') {
      column += 8 - (column % 8);
    } else if (c !== '\r') {
      column++;
    }
  }
  return { line, column: column + 1 };
}

export class Lexer {
  private pos = 0;

  constructor(readonly src: string) {}

  next(): Token {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
        this.pos++;
        continue;
      }
      if (c === '-' && src[this.pos + 1] === '-') {
        const n = matchAt(LINE_COMMENT, src, this.pos);
        if (n > 0) {
          this.pos += n;
          continue;
        }
      }
      if (c === '/' && src[this.pos + 1] === '*') {
        const n = matchAt(BLOCK_COMMENT, src, this.pos);
        if (n > 0) {
          this.pos += n;
          continue;
        }
      }
      break;
    }
    const start = this.pos;
    if (start >= src.length) return { kind: 'EOF', image: '<EOF>', pos: start };
    const c = src[start];
    const tok = (kind: TokenKind, len: number): Token => {
      this.pos = start + len;
      return { kind, image: src.slice(start, start + len), pos: start };
    };
    switch (c) {
      case '=': case '(': case ')': case ',': case '+': case '-':
        return tok(c, 1);
      case '>':
        return src[start + 1] === '=' ? tok('>=', 2) : tok('>', 1);
      case '<':
        return src[start + 1] === '=' ? tok('<=', 2) : src[start + 1] === '>' ? tok('<>', 2) : tok('<', 1);
      case "'": {
        const n = matchAt(STRING, src, start);
        if (n > 0) return tok('STRING', n);
        break;
      }
    }
    const n = matchAt(ID, src, start);
    if (n > 0) {
      const t = tok('ID', n);
      const kw = KEYWORDS.get(t.image.toUpperCase());
      if (kw) t.kind = kw;
      return t;
    }
    const d = matchAt(DECIMAL, src, start);
    let f = 0;
    for (const re of FLOATS) f = Math.max(f, matchAt(re, src, start));
    if (f > d) return tok('FLOAT', f);
    if (d > 0) return tok('DECIMAL', d);
    throw this.lexicalError(start);
  }

  private lexicalError(pos: number): SqlFilterError {
    const { line, column } = lineColumn(this.src, pos);
    const ch = this.src.codePointAt(pos)!;
    return new SqlFilterError(`Lexical error at line ${line}, column ${column}.  Encountered: ${JSON.stringify(String.fromCodePoint(ch))} (${ch})`, pos);
  }
}
