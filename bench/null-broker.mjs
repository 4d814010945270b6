#!/usr/bin/env node
// A broker that stores nothing: the ceiling of RocketMQ's benchmark Producer on this machine.
//
// It speaks just enough of the name server and broker protocol for the benchmark Producer (and the
// harness's startup probe) to run: route queries, heartbeats, and SEND_MESSAGE_V2, which it answers
// at once as stored, with queue offsets counted per queue. The sends are read with Ferry's own
// in-place header readers and answered with Ferry's response encoder and connection output, on one
// thread; nothing is written anywhere. Whatever send TPS the Producer shows against it is the most
// any broker can show with that Producer here: the Producer's own CPU, the kernel's loopback TCP and
// this minimal answer are all that is left. bench/compare.mjs runs it as broker `null`.
//
//   node bench/null-broker.mjs --port BROKER_PORT --ns-port NAMESRV_PORT
//
// Needs a build (`npm run build`): it imports Ferry's codecs from dist/.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = (rel) => import(pathToFileURL(path.join(REPO, 'dist', rel)).href);
const { Connection } = await load('src/workers/network/connection.js');
const { SendV2View, readSendV2, readSendV2Json } = await load('src/shared/remoting/send-v2-view.js');
const { SendResponseEncoder } = await load('src/shared/remoting/send-response.js');
const { decodeCommand, responseFor, isResponse, isOneway } = await load('src/shared/remoting/command.js');
const { RequestCode, ResponseCode, RpcFlag } = await load('src/shared/codes.js');

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  if (!Number.isInteger(v) || v <= 0 || v > 65535) {
    process.stderr.write(`null-broker: --${name} PORT is required\n`);
    process.exit(2);
  }
  return v;
}
const port = option('port');
const nsPort = option('ns-port');

/** RocketMQ's brokers create BenchmarkTest with 1,024 queues at start (Ferry too); other topics get 8. */
const queuesOf = (topic) => (topic === 'BenchmarkTest' ? 1024 : 8);
const brokerAddr = `127.0.0.1:${port}`;
function routeBody(topic) {
  const n = queuesOf(topic);
  return Buffer.from(JSON.stringify({
    brokerDatas: [{ brokerAddrs: { 0: brokerAddr }, brokerName: 'broker-a', cluster: 'DefaultCluster' }],
    filterServerTable: {},
    queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: n, topicSynFlag: 0, writeQueueNums: n }],
  }));
}

const responses = new SendResponseEncoder('DefaultRegion', 'true', Buffer.from([127, 0, 0, 1]), port);
const view = new SendV2View();
const queueOffsets = new Float64Array(1024);
let physical = 0;
let sends = 0;
let connId = 0;
const unknown = new Set();

function answerSend(conn, frame) {
  if ((view.flag & RpcFlag.ONEWAY) !== 0) return;
  const queueId = view.queueId < 0 ? 0 : view.queueId & 1023;
  const offset = queueOffsets[queueId]++;
  const at = conn.reserveResponse(responses.frameLength(view.serializeType, ResponseCode.SUCCESS, view.opaque, responses.idLength, queueId, offset));
  responses.write(conn.output, at, view.serializeType, ResponseCode.SUCCESS, view.opaque, physical, queueId, offset);
  physical += frame.length;
  sends++;
}

function answerOther(conn, frame) {
  const cmd = decodeCommand(frame);
  if (isResponse(cmd)) return;
  let res;
  switch (cmd.code) {
    case RequestCode.GET_ROUTEINFO_BY_TOPIC:
      res = responseFor(cmd, ResponseCode.SUCCESS, null, null, routeBody(cmd.extFields?.topic ?? ''));
      break;
    case RequestCode.HEART_BEAT:
    case RequestCode.UNREGISTER_CLIENT:
      res = responseFor(cmd, ResponseCode.SUCCESS);
      break;
    default:
      if (!unknown.has(cmd.code)) {
        unknown.add(cmd.code);
        process.stderr.write(`null-broker: request code ${cmd.code} is not supported\n`);
      }
      res = responseFor(cmd, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request code ${cmd.code} not supported by the null broker`);
  }
  if (!isOneway(cmd)) conn.send(res);
}

function serve(socket) {
  const conn = new Connection(connId++, socket);
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    try {
      conn.decoder.push(chunk, (frame) => {
        if (readSendV2(frame, view) || readSendV2Json(frame, view)) answerSend(conn, frame);
        else answerOther(conn, frame);
      });
    } catch (e) {
      process.stderr.write(`null-broker: ${e.message}; closing the connection\n`);
      socket.destroy();
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => { conn.closed = true; });
}

const listen = (p) => new Promise((resolve, reject) => {
  const server = net.createServer(serve);
  server.once('error', reject);
  server.listen(p, '127.0.0.1', resolve);
});
await listen(nsPort);
await listen(port);
process.stdout.write(`null broker on ${brokerAddr}, name server on 127.0.0.1:${nsPort}\n`);
const stop = () => {
  process.stdout.write(`null broker answered ${sends} sends\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
