import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';

let ferry: FerryProcess | undefined;
const sockets: net.Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  await ferry?.dispose();
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('1,000 idle connections keep broker memory bounded and do not disturb a working client', { timeout: 60_000 }, async () => {
  ferry = await FerryProcess.start();
  const pid = ferry.proc!.pid!;
  const before = rssMiB(pid);
  for (let i = 0; i < 1000; i++) {
    sockets.push(await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(ferry!.brokerPort, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    }));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const grown = rssMiB(pid) - before;
  // Measured about 7 KiB per idle connection; 64 MiB leaves room for GC timing, not for a leak per connection.
  assert.ok(grown < 64, `broker RSS grew ${grown.toFixed(1)} MiB with 1,000 idle connections`);
  const c = await WireClient.connect(ferry.brokerAddr);
  assert.equal((await c.createTopic('Idle', 1)).code, 0);
  assert.equal((await c.send('Idle', 'still served')).code, 0);
  assert.deepEqual((await c.pullAtLeast('g', 'Idle', 0, 0, 1)).map((m) => m.body.toString()), ['still served']);
  c.close();
});
