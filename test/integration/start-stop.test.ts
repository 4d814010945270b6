import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';

// The broker registers, and takes sends, before its last threads are up: a stop signal can come
// in between, and must still end in a clean stop rather than the default kill.
test('a SIGTERM right after registration, before every thread is up, stops the broker cleanly', async () => {
  const ferry = await FerryProcess.start({ readyLine: 'registered with name server' });
  try {
    const client = await WireClient.connect(ferry.brokerAddr);
    const sent = await client.send('StartStop', 'early');
    client.close();
    assert.equal(sent.code, 0, sent.remark ?? '');
    assert.equal(await ferry.stop(), 0, ferry.output);
    assert.match(ferry.output, /Ferry broker stopped cleanly/);
  } finally {
    await ferry.dispose();
  }
});
