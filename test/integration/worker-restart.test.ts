import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';
import { newRequest } from '../../src/shared/remoting/command.js';

let ferry: FerryProcess | undefined;
after(async () => ferry?.dispose());

test('a network worker that dies is logged and restarted; the broker keeps serving and loses nothing', { timeout: 60_000 }, async () => {
  ferry = await FerryProcess.start({ overrides: ['enableDebugCodes=true'] });
  const first = await WireClient.connect(ferry.brokerAddr);
  assert.equal((await first.createTopic('Survive', 1)).code, 0);
  assert.equal((await first.send('Survive', 'before')).code, 0);
  // Connections go round robin over the 2 workers: kill each worker once.
  for (let i = 0; i < 2; i++) {
    const victim = await WireClient.connect(ferry.brokerAddr);
    victim.client.invokeOneway(newRequest(9901, null, null, true));
    await new Promise((r) => setTimeout(r, 300));
    victim.close();
  }
  const deadline = Date.now() + 10_000;
  while ((ferry.output.match(/network worker exited; restarting it/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal((ferry.output.match(/network worker exited; restarting it/g) ?? []).length, 2);
  await new Promise((r) => setTimeout(r, 500));
  // A connection handed over in the instant a worker dies is closed; clients reconnect, so do we.
  for (let i = 0; i < 4; i++) {
    for (let attempt = 1; ; attempt++) {
      const c = await WireClient.connect(ferry.brokerAddr);
      try {
        const sent = await c.send('Survive', `after${i}`);
        assert.equal(sent.code, 0, sent.remark ?? '');
        break;
      } catch (e) {
        if (attempt >= 3 || !/closed/.test(String(e))) throw e;
      } finally {
        c.close();
      }
    }
  }
  const c = await WireClient.connect(ferry.brokerAddr);
  const pulled = await c.pullAtLeast('g', 'Survive', 0, 0, 5);
  assert.deepEqual(pulled.map((m) => m.body.toString()), ['before', 'after0', 'after1', 'after2', 'after3']);
  c.close();
  first.close();
  assert.equal(ferry.exitCode, null);
});
