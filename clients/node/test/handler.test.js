'use strict';

// The handler example of docs/handlers.md (clients/node/examples/handler.js) against the real
// daemon, loaded as a Lambda runtime loads it: SEALBOX_SOCKET in the environment, then require().

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, test } = require('node:test');

const { Daemon, REPO } = require('../harness/daemon');

const EXAMPLE = path.join(__dirname, '..', 'examples', 'handler.js');
const daemon = new Daemon();
after(() => daemon.cleanup());

test('docs/handlers.md shows the example file as it is', () => {
  const docs = fs.readFileSync(path.join(REPO, 'docs', 'handlers.md'), 'utf8');
  const example = fs.readFileSync(EXAMPLE, 'utf8');
  assert.ok(docs.includes('```js\n' + example + '```\n'), 'the docs block must equal clients/node/examples/handler.js');
});

test('the handler example signs with the key it leases, and sees a rotated key at once', async () => {
  await daemon.start();
  const key = crypto.randomBytes(32);
  await daemon.aws('secretsmanager.CreateSecret', { Name: 'prod/webhook-key', SecretBinary: key.toString('base64') });
  process.env.SEALBOX_SOCKET = daemon.socketPath;
  delete process.env.SIGNING_KEY_SECRET;
  const { handler } = require(EXAMPLE);

  const body = JSON.stringify({ order: 42 });
  const expected = crypto.createHmac('sha256', key).update(body).digest('hex');
  for (let i = 0; i < 2; i++) {
    const res = await handler({ body });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['X-Signature'], expected);
  }
  // One lease served both invocations.
  const leases = (await daemon.call('GET', '/v1/leases')).body.leases.filter((l) => l.secretId === 'prod/webhook-key');
  assert.equal(leases.length, 1);

  const rotated = crypto.randomBytes(32);
  await daemon.aws('secretsmanager.PutSecretValue', { SecretId: 'prod/webhook-key',
    SecretBinary: rotated.toString('base64') });
  const res = await handler({ body });
  assert.equal(res.headers['X-Signature'], crypto.createHmac('sha256', rotated).update(body).digest('hex'));
  require('sealbox-client').client().close();
});
