'use strict';

// A policy that grants this uid leases under /app/* only: a lease elsewhere is AccessDenied.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');

const sealbox = require('..');
const { Daemon } = require('../harness/daemon');

const daemon = new Daemon();
before(async () => {
  const config = path.join(daemon.base, 'sealbox.yaml');
  const uid = process.getuid();
  fs.writeFileSync(config, `policy:
  - principals: ["uid:${uid}"]
    allow: ["ssm:*", "secretsmanager:*", "kms:*"]
    resources: ["*"]
  - principals: ["uid:${uid}"]
    allow: ["lease:*"]
    resources: ["/app/*"]
`);
  daemon.args = ['--config', config];
  await daemon.start();
});
after(() => daemon.cleanup());

test('a lease the policy does not grant is AccessDenied (403), naming the caller', async () => {
  await daemon.putParameter('/app/granted', 'yes');
  await daemon.putParameter('/other/refused', 'no');
  const c = new sealbox.SealboxClient({ socketPath: daemon.socketPath });
  assert.equal(await c.lease('/app/granted').withValue((v) => v.toString()), 'yes');
  await assert.rejects(c.lease('/other/refused').withValue(() => assert.fail('no value expected')), (e) => {
    assert.ok(e instanceof sealbox.AccessDenied && e instanceof sealbox.SealboxError);
    assert.equal(e.status, 403);
    assert.equal(e.code, 'AccessDenied');
    assert.ok(e.message.includes(`uid:${process.getuid()}`) && e.message.includes('/other/refused'), e.message);
    return true;
  });
  c.close();
});
