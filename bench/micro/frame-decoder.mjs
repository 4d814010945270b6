// Microbenchmark of the frame decoder under a flood of sends: frames the size of RocketMQ's
// Producer's 128 B sends with JSON headers, arriving in 64 KB socket reads, each read in memory of
// its own (as Node's socket reads are), so that most reads end inside a frame. Needs a build.
//
//   node bench/micro/frame-decoder.mjs [frame-bytes] [megabytes]
import { FrameDecoder } from '../../dist/src/shared/remoting/frame-decoder.js';

const FRAME = Number(process.argv[2] ?? 420);
const MB = Number(process.argv[3] ?? 256);
const READ = 64 * 1024;

const frame = Buffer.alloc(4 + FRAME, 0x61);
frame.writeInt32BE(FRAME, 0);
const perRead = [];
// Back-to-back frames cut into reads, as many as make both a whole number of frames and of reads,
// so that the reads can be pushed over and over as one stream.
const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));
const period = Buffer.concat(Array.from({ length: READ / gcd(READ, frame.length) }, () => frame));
for (let at = 0; at + READ <= period.length; at += READ) {
  const read = Buffer.allocUnsafeSlow(READ);
  period.copy(read, 0, at, at + READ);
  perRead.push(read);
}
let sink = 0;
const onFrame = (f) => {
  sink += f.length;
};
const rounds = Math.max(1, Math.round((MB * 1024 * 1024) / (perRead.length * READ)));
const lines = [];
for (let pass = 0; pass < 3; pass++) {
  const dec = new FrameDecoder();
  const t = performance.now();
  for (let r = 0; r < rounds; r++) for (const read of perRead) dec.push(read, onFrame);
  const ms = performance.now() - t;
  const frames = (rounds * perRead.length * READ) / frame.length;
  lines.push(`pass ${pass + 1}: ${((ms * 1e6) / frames).toFixed(1)} ns per frame, ${((rounds * perRead.length * READ) / 1048576 / (ms / 1000)).toFixed(0)} MB/s`);
}
if (sink === 0) throw new Error('unreachable');
process.stdout.write(`${FRAME}-byte frames in ${READ / 1024} KB reads, ${MB} MB per pass\n${lines.join('\n')}\n`);
