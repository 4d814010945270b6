#!/usr/bin/env node
// Picks one representative request frame per client, code and header type out of a recording made
// by test/tools/record-frames.mjs (see capture.sh) and writes it as a .hex fixture:
//
//   node test/tools/golden-frames/write-fixtures.mjs <frames.jsonl> <out dir> <java version> <go version> <broker>
//
// Selection (the scenario is JavaClients.java / go/main.go):
//   105 GET_ROUTEINFO_BY_TOPIC  the first one for the golden topic (the producer's)
//   310, 320, 10                the only one
//   34 HEART_BEAT               the first one carrying the golden consumer group
//   14, 11, 15                  the first one for queue 1 of the golden topic

import fs from 'node:fs';
import path from 'node:path';

const NAMES = {
  10: 'SEND_MESSAGE',
  11: 'PULL_MESSAGE',
  14: 'QUERY_CONSUMER_OFFSET',
  15: 'UPDATE_CONSUMER_OFFSET',
  34: 'HEART_BEAT',
  105: 'GET_ROUTEINFO_BY_TOPIC',
  310: 'SEND_MESSAGE_V2',
  320: 'SEND_BATCH_MESSAGE',
};
const LANGUAGES = ['JAVA', 'CPP', 'DOTNET', 'PYTHON', 'DELPHI', 'ERLANG', 'RUBY', 'OTHER', 'HTTP', 'GO'];

/** Header of a whole frame (length prefix included), either header type, plus the body. */
function decode(frame) {
  const typeAndLen = frame.readUInt32BE(4);
  const type = typeAndLen >>> 24;
  const headerLen = typeAndLen & 0xffffff;
  const body = frame.subarray(8 + headerLen);
  if (type === 0) {
    const h = JSON.parse(frame.toString('utf8', 8, 8 + headerLen));
    const language = typeof h.language === 'number' ? LANGUAGES[h.language] : h.language;
    return { type: 'JSON', code: h.code, language, ext: h.extFields ?? {}, body };
  }
  let p = 8;
  const code = frame.readInt16BE(p);
  const language = LANGUAGES[frame[p + 2]];
  p += 17;
  p += frame.readInt32BE(p - 4); // remark
  const extLen = frame.readInt32BE(p);
  p += 4;
  const ext = {};
  for (const end = p + extLen; p < end; ) {
    const kl = frame.readUInt16BE(p);
    const key = frame.toString('utf8', p + 2, p + 2 + kl);
    p += 2 + kl;
    const vl = frame.readInt32BE(p);
    ext[key] = frame.toString('utf8', p + 4, p + 4 + vl);
    p += 4 + vl;
  }
  return { type: 'ROCKETMQ', code, language, ext, body };
}

function topicOf(ext) {
  return ext.topic ?? ext.b;
}

function main() {
  const [input, outDir, javaVersion, goVersion, broker] = process.argv.slice(2);
  if (!broker) throw new Error('usage: write-fixtures.mjs <frames.jsonl> <out dir> <java version> <go version> <broker>');
  const requests = fs.readFileSync(input, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((r) => r.dir === 'request')
    .map((r) => {
      const frame = Buffer.from(r.hex, 'hex');
      return { ...r, frame, ...decode(frame) };
    });

  const wanted = [];
  for (const type of ['JSON', 'ROCKETMQ']) {
    const topic = `GoldenTopic${type}`;
    const group = `GoldenConsumer${type}`;
    const java = requests.filter((r) => r.language === 'JAVA' && r.type === type);
    const queue1 = (r) => topicOf(r.ext) === topic && r.ext.queueId === '1';
    wanted.push(
      ['java', type, 105, java.find((r) => r.code === 105 && r.ext.topic === topic)],
      ['java', type, 310, java.find((r) => r.code === 310 && topicOf(r.ext) === topic)],
      ['java', type, 320, java.find((r) => r.code === 320 && topicOf(r.ext) === topic)],
      ['java', type, 34, java.find((r) => r.code === 34 && r.body.toString('utf8').includes(`"groupName":"${group}"`))],
      ['java', type, 14, java.find((r) => r.code === 14 && queue1(r))],
      ['java', type, 11, java.find((r) => r.code === 11 && queue1(r))],
      ['java', type, 15, java.find((r) => r.code === 15 && queue1(r))],
    );
  }
  const go = requests.filter((r) => r.language === 'GO');
  wanted.push(
    ['go', 'JSON', 10, go.find((r) => r.code === 10 && r.ext.topic === 'GoldenTopicGO')],
    ['go', 'JSON', 11, go.find((r) => r.code === 11 && r.ext.topic === 'GoldenTopicGO' && r.ext.queueId === '1')],
  );

  fs.mkdirSync(outDir, { recursive: true });
  let missing = 0;
  for (const [client, type, code, r] of wanted) {
    const label = `${client} ${type} ${code} ${NAMES[code]}`;
    if (!r) {
      process.stderr.write(`write-fixtures: no frame for ${label}\n`);
      missing++;
      continue;
    }
    const version = client === 'java' ? javaVersion : goVersion;
    const file = `${client}-${version}-${type.toLowerCase()}-${code}-${NAMES[code].toLowerCase().replace(/_/g, '-')}.hex`;
    const clientName = client === 'java' ? `rocketmq-client (Java) ${version}` : `rocketmq-client-go/v2 ${version}`;
    const lines = [
      `# Golden request frame, as the client wrote it to the socket (4-byte length prefix included).`,
      `# client:  ${clientName}`,
      `# code:    ${code} ${NAMES[code]}`,
      `# header:  ${type} (serialize type ${type === 'JSON' ? 0 : 1})`,
      `# length:  ${r.frame.length} bytes`,
      `# capture: test/tools/golden-frames/capture.sh (client -> test/tools/record-frames.mjs -> ${broker}), 127.0.0.1 only`,
    ];
    for (let i = 0; i < r.frame.length; i += 32) {
      lines.push(r.frame.subarray(i, i + 32).toString('hex').replace(/(..)(?!$)/g, '$1 '));
    }
    fs.writeFileSync(path.join(outDir, file), lines.join('\n') + '\n');
    process.stdout.write(`${file}\n`);
  }
  if (missing) process.exit(1);
}

main();
