import { test } from 'node:test';
import assert from 'node:assert/strict';
import { javaHashCode, javaHashCodeUtf8 } from '../../../src/shared/storage/hash.js';

const utf8Hash = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return javaHashCodeUtf8(b, 0, b.length);
};

test('javaHashCode matches Java String.hashCode vectors', () => {
  assert.equal(javaHashCode('TagA'), 2598919);
  assert.equal(javaHashCode('TopicTest#key1'), -1655984460);
  assert.equal(javaHashCode(''), 0);
  assert.equal(javaHashCode('hello'), 99162322);
  assert.equal(javaHashCode('Aa'), 2112);
  assert.equal(javaHashCode('BB'), 2112);
  assert.equal(javaHashCode('polygenelubricants'), -2147483648);
});

test('javaHashCodeUtf8 equals javaHashCode of the decoded string', () => {
  assert.equal(utf8Hash('TagA'), 2598919);
  assert.equal(utf8Hash('TopicTest#key1'), -1655984460);
  for (const s of ['', 'é', 'ÿ€', '中文标签', 'mixé中😀z', '😀', '\u0000\u007f\u0080\u07ff\u0800\uffff', '\u{10ffff}']) {
    assert.equal(utf8Hash(s), javaHashCode(s), JSON.stringify(s));
  }
  // the emoji is the surrogate pair D83D DE00 in Java
  assert.equal(utf8Hash('😀'), 31 * 0xd83d + 0xde00);
});

test('javaHashCodeUtf8 works on a sub-range', () => {
  const b = Buffer.from('xxTagAyy');
  assert.equal(javaHashCodeUtf8(b, 2, 6), 2598919);
});

test('seed continues a hash: hash(a+b) from the parts', () => {
  const topic = Buffer.from('TopicTest');
  const key = Buffer.from('key1');
  let h = javaHashCodeUtf8(topic, 0, topic.length);
  h = javaHashCode('#', h);
  h = javaHashCodeUtf8(key, 0, key.length, h);
  assert.equal(h, -1655984460);
  assert.equal(javaHashCode('key1', javaHashCode('TopicTest#')), -1655984460);
});

test('malformed UTF-8 hashes like its U+FFFD replacement', () => {
  const cases = [
    [0xff],
    [0x80, 0x41],
    [0xc3],
    [0xe4, 0xb8],
    [0xe4, 0xb8, 0x41],
    [0xf0, 0x9f, 0x98],
    [0xed, 0xa0, 0x80], // encoded surrogate
    [0xc0, 0xaf], // overlong
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0x41, 0xe0, 0x80, 0x42],
  ];
  for (const c of cases) {
    const b = Buffer.from(c);
    assert.equal(javaHashCodeUtf8(b, 0, b.length), javaHashCode(b.toString('utf8')), Buffer.from(c).toString('hex'));
  }
  assert.equal(javaHashCodeUtf8(Buffer.from([0xff]), 0, 1), 0xfffd);
});
