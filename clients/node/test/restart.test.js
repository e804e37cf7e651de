'use strict';

// Leases live in the daemon's memory: after a restart the client's lease is unknown (404) and it
// re-leases; its kept-alive connection is dead and it reconnects; on TCP it rereads the new token.

const assert = require('node:assert/strict');
const { after, test } = require('node:test');

const sealbox = require('..');
const { Daemon } = require('../harness/daemon');

const daemon = new Daemon(); // not ephemeral: the parameter outlives the restart
after(() => daemon.cleanup());

test('the client survives a daemon restart, on the socket and on TCP', async () => {
  await daemon.start();
  const name = '/restart/secret';
  await daemon.putParameter(name, 'still-here');
  const c = new sealbox.SealboxClient({ socketPath: daemon.socketPath });
  const t = new sealbox.SealboxClient({ tcp: { host: '127.0.0.1', port: daemon.port }, tokenFile: daemon.tokenFile });
  const handle = c.lease(name);
  const tcpHandle = t.lease(name);
  assert.equal(await handle.withValue((v) => v.toString()), 'still-here');
  assert.equal(await tcpHandle.withValue((v) => v.toString()), 'still-here');
  const first = handle.leaseId;
  const tcpFirst = tcpHandle.leaseId;
  const port = daemon.port;

  assert.equal(await daemon.stop(), 0);
  await assert.rejects(handle.withValue(() => assert.fail('no value expected')), (e) =>
    e instanceof sealbox.Unavailable && e.message.includes(daemon.socketPath));

  await daemon.start(port);
  assert.equal(await handle.withValue((v) => v.toString()), 'still-here');
  assert.equal(await tcpHandle.withValue((v) => v.toString()), 'still-here');
  assert.notEqual(handle.leaseId, first);
  assert.notEqual(tcpHandle.leaseId, tcpFirst);
  c.close();
  t.close();
});
