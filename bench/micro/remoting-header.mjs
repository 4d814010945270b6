// Microbenchmark of the remoting header codec on a PULL_MESSAGE request and its FOUND response
// (the per-pull work that is not the store's). Needs a build (npm run build).
//
//   node bench/micro/remoting-header.mjs [iterations]
import { decodeCommand, encodeCommand, responseFor } from '../../dist/src/shared/remoting/command.js';

const N = Number(process.argv[2] ?? 500_000);
const ext = {
  consumerGroup: 'benchmark_consumer_65', topic: 'BenchmarkTest', queueId: '731', queueOffset: '123456', maxMsgNums: '32',
  sysFlag: '3', commitOffset: '123400', suspendTimeoutMillis: '15000', subscription: '*', subVersion: '1795391731448', expressionType: 'TAG',
};
const line = [];
for (const [name, serializeType] of [['ROCKETMQ', 1], ['JSON', 0]]) {
  const request = { code: 11, language: 0, version: 395, opaque: 12345, flag: 0, remark: null, extFields: ext, serializeType, body: null };
  const frame = encodeCommand(request).subarray(4);
  const response = responseFor(request, 0, 'FOUND', { suggestWhichBrokerId: '0', nextBeginOffset: '123457', minOffset: '0', maxOffset: '123460' }, Buffer.alloc(300));
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    for (let i = 0; i < N; i++) sink += decodeCommand(frame).opaque;
    const decode = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < N; i++) sink += encodeCommand(response).length;
    const encode = performance.now() - t;
    if (round === 2) line.push(`${name}: decode request ${((decode * 1000) / N).toFixed(2)} µs, encode response ${((encode * 1000) / N).toFixed(2)} µs`);
  }
  if (sink === 0) throw new Error('unreachable');
}
process.stdout.write(`${N} iterations, third round\n${line.join('\n')}\n`);
