/**
 * An expression RocketMQ's SQL92 filter would not compile (lexical, syntax or type error, e.g. a
 * string compared with `>`). The broker answers SUBSCRIPTION_PARSE_FAILED (23) with it.
 */
export class SqlFilterError extends Error {
  override readonly name = 'SqlFilterError';

  /** `pos`: offset in the expression where the problem was found, when there is one. */
  constructor(message: string, readonly pos = -1) {
    super(message);
  }
}
