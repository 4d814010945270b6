import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyCrc, crc32, crc32Update } from '../../../src/shared/storage/crc32.js';

const ascii = (s: string) => Buffer.from(s, 'latin1');

function bitwiseCrc(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('crc32 check value of "123456789" is 0xCBF43926', () => {
  const b = ascii('123456789');
  assert.equal(crc32(b, 0, b.length), 0xcbf43926);
});

test('crc32 fixed vectors', () => {
  assert.equal(crc32(new Uint8Array(0), 0, 0), 0);
  const fox = ascii('The quick brown fox jumps over the lazy dog');
  assert.equal(crc32(fox, 0, fox.length), 0x414fa339);
  assert.equal(crc32(ascii('hi'), 0, 2), 0xd8932aac);
  assert.equal(crc32(ascii('hello'), 0, 5), 0x3610a686);
});

test('crc32 honours start/end and matches a bitwise reference at every length and alignment', () => {
  const data = new Uint8Array(300);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255;
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= 80; end++) {
      assert.equal(crc32(data, start, end), bitwiseCrc(data, start, end), `range ${start}..${end}`);
    }
  }
  assert.equal(crc32(data, 3, 300), bitwiseCrc(data, 3, 300));
  const framed = Buffer.concat([ascii('xx'), ascii('123456789'), ascii('yyy')]);
  assert.equal(crc32(framed, 2, 11), 0xcbf43926);
});

test('crc32Update continues a running CRC', () => {
  const b = ascii('123456789');
  assert.equal(crc32Update(crc32(b, 0, 4), b, 4, 9), 0xcbf43926);
});

test('bodyCrc is crc32 & 0x7fffffff, as RocketMQ stores it', () => {
  assert.equal(bodyCrc(ascii('hi'), 0, 2), 0x58932aac);
  const b = ascii('123456789');
  assert.equal(bodyCrc(b, 0, b.length), 0x4bf43926);
});

test('crc32 of long inputs (the native path where Node has it) matches the reference, also continued', () => {
  const data = new Uint8Array(5000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 197 + 11) & 255;
  for (const [start, end] of [[0, 256], [1, 257], [3, 1027], [7, 5000], [0, 255]]) {
    assert.equal(crc32(data, start, end), bitwiseCrc(data, start, end), `range ${start}..${end}`);
  }
  const head = crc32Update(0, data, 0, 300);
  assert.equal(crc32Update(head, data, 300, 4000), bitwiseCrc(data, 0, 4000), 'a long continuation of a short CRC');
  assert.equal(crc32Update(crc32Update(0, data, 0, 2000), data, 2000, 2100), bitwiseCrc(data, 0, 2100), 'a short continuation of a long CRC');
});
