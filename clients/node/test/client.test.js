'use strict';

// The Node client against the real daemon: parameter and secret leases, the Buffer zeroed after
// withValue, re-leasing, typed errors, TCP with the token. The daemon's binary: $SEALBOXD.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const v8 = require('node:v8');
const { after, before, describe, test } = require('node:test');

const sealbox = require('..');
const { Daemon, freePort } = require('../harness/daemon');

const daemon = new Daemon();
let client;

before(async () => {
  await daemon.start();
  client = new sealbox.SealboxClient({ socketPath: daemon.socketPath });
});

after(async () => {
  if (client) client.close();
  await daemon.cleanup();
});

function unique(prefix) {
  return `/${prefix}/${crypto.randomBytes(6).toString('hex')}`;
}

async function leaseIds() {
  const res = await daemon.call('GET', '/v1/leases');
  assert.equal(res.status, 200);
  return res.body.leases.map((l) => l.leaseId);
}

describe('parameter leases', () => {
  test('round trip: lazy handle, value bytes, version, and the handle holds no plaintext', async () => {
    const name = unique('p');
    const secret = 'correct horse battery staple';
    await daemon.putParameter(name, secret);
    const handle = client.lease(name, { ttlSeconds: 120 });
    assert.equal(handle.leaseId, null, 'nothing is sent before the first withValue');
    const got = await handle.withValue((v) => {
      assert.ok(Buffer.isBuffer(v));
      return v.toString('utf8');
    });
    assert.equal(got, secret);
    assert.match(handle.leaseId, /^[0-9a-f]{32}$/);
    assert.equal(handle.version, 1);
    assert.equal(handle.lastVersion, 1);
    assert.ok((await leaseIds()).includes(handle.leaseId));
    const shown = util.inspect(handle, { depth: 1 }) + JSON.stringify({ ...handle, client: null }) + String(handle);
    assert.ok(!shown.includes(secret), 'the handle never holds the value');
    // The next redeem reuses the lease and sees an updated parameter.
    const first = handle.leaseId;
    await daemon.putParameter(name, 'rotated', { overwrite: true });
    assert.equal(await handle.withValue((v) => v.toString()), 'rotated');
    assert.equal(handle.leaseId, first);
    assert.equal(handle.lastVersion, 2);
  });

  test('JSON escapes and non-ASCII come back byte for byte', async () => {
    const name = unique('p');
    const secret = 'q"uo\\te\n\ttab/é€😀\u0001';
    await daemon.putParameter(name, secret);
    const bytes = await client.lease(name).withValue((v) => Buffer.from(v));
    assert.deepEqual(bytes, Buffer.from(secret, 'utf8'));
  });

  test('the module-level lease() uses SEALBOX_SOCKET', async () => {
    const name = unique('p');
    await daemon.putParameter(name, 'from-the-default-client');
    const saved = process.env.SEALBOX_SOCKET;
    process.env.SEALBOX_SOCKET = daemon.socketPath;
    try {
      // A fresh copy of the module, so its default client is made now, from this environment.
      const dir = path.dirname(require.resolve('..'));
      for (const key of Object.keys(require.cache)) if (key.startsWith(dir + path.sep)) delete require.cache[key];
      const fresh = require('..');
      assert.equal(fresh.client().socketPath, daemon.socketPath);
      assert.equal(await fresh.lease(name).withValue((v) => v.toString()), 'from-the-default-client');
      fresh.client().close();
    } finally {
      if (saved === undefined) delete process.env.SEALBOX_SOCKET;
      else process.env.SEALBOX_SOCKET = saved;
    }
  });

  test('renew extends the lease from now; release ends it and the next use makes a new one', async () => {
    const name = unique('p');
    await daemon.putParameter(name, 'renewable');
    const handle = await client.lease(name, { ttlSeconds: 60 }).create();
    const before = handle.expiresAt;
    await handle.renew(600);
    assert.ok(handle.expiresAt >= before + 500 * 1000, `${handle.expiresAt} vs ${before}`);
    const first = handle.leaseId;
    await handle.release();
    assert.equal(handle.leaseId, null);
    assert.ok(!(await leaseIds()).includes(first));
    assert.equal(await handle.withValue((v) => v.toString()), 'renewable');
    assert.notEqual(handle.leaseId, first);
  });

  test('concurrent withValue calls share one lease', async () => {
    const name = unique('p');
    await daemon.putParameter(name, 'shared');
    const handle = client.lease(name);
    const values = await Promise.all(Array.from({ length: 20 }, () => handle.withValue((v) => v.toString())));
    assert.deepEqual(values, Array(20).fill('shared'));
    // Nothing piles up on the kept-alive connection, however many requests it carried.
    const socket = client._conn.socket;
    for (const event of ['data', 'timeout']) assert.equal(socket.listenerCount(event), 0, event);
    assert.ok(socket.listenerCount('close') <= 2, `${socket.listenerCount('close')} close listeners`);
    const mine = (await daemon.call('GET', '/v1/leases')).body.leases.filter((l) => l.name === name);
    assert.equal(mine.length, 1, 'one lease for twenty concurrent first uses');
    assert.equal(mine[0].leaseId, handle.leaseId);
  });
});

describe('secret leases', () => {
  test('a SecretString, a SecretBinary, and a staging label', async () => {
    const id = `node/${crypto.randomBytes(6).toString('hex')}`;
    await daemon.aws('secretsmanager.CreateSecret', { Name: id, SecretString: '{"user":"app","password":"p1"}' });
    const handle = client.lease({ secretId: id });
    assert.equal(await handle.withValue((v) => v.toString()), '{"user":"app","password":"p1"}');
    assert.match(String(handle.version), /^[0-9a-f-]{32,64}$/);
    const firstVersion = handle.lastVersion;
    await daemon.aws('secretsmanager.PutSecretValue', { SecretId: id, SecretString: 'p2' });
    assert.equal(await handle.withValue((v) => v.toString()), 'p2', 'a new AWSCURRENT shows at the next redeem');
    assert.notEqual(handle.lastVersion, firstVersion);
    const previous = client.lease({ secretId: id, versionStage: 'AWSPREVIOUS' });
    assert.equal(await previous.withValue((v) => v.toString()), '{"user":"app","password":"p1"}');
    assert.equal(previous.lastVersion, firstVersion);

    const binId = `node/${crypto.randomBytes(6).toString('hex')}`;
    for (const size of [1, 2, 3, 256]) {
      const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (255 - i) & 0xff));
      const name = `${binId}-${size}`;
      await daemon.aws('secretsmanager.CreateSecret', { Name: name, SecretBinary: bytes.toString('base64') });
      const got = await client.lease({ secretId: name }).withValue((v) => Buffer.from(v));
      assert.deepEqual(got, bytes, `SecretBinary of ${size} bytes`);
    }
  });

  test('a secret scheduled for deletion is a LeaseError (InvalidRequest), at redeem and at creation', async () => {
    const id = `node/${crypto.randomBytes(6).toString('hex')}`;
    await daemon.aws('secretsmanager.CreateSecret', { Name: id, SecretString: 'doomed' });
    const handle = await client.lease({ secretId: id }).create();
    await daemon.aws('secretsmanager.DeleteSecret', { SecretId: id, RecoveryWindowInDays: 7 });
    await assert.rejects(handle.withValue(() => assert.fail('no value expected')), (e) =>
      e instanceof sealbox.LeaseError && e.status === 409 && e.code === 'InvalidRequest' && !e.message.includes('doomed'));
    await assert.rejects(client.lease({ secretId: id }).create(),
      (e) => e instanceof sealbox.LeaseError && e.code === 'InvalidRequest');
  });

  test('a missing secret is NotFound at creation', async () => {
    await assert.rejects(client.lease({ secretId: 'node/no-such-secret' }).create(),
      (e) => e instanceof sealbox.NotFound && e.status === 404 && e.code === 'ResourceNotFound');
  });
});

describe('withValue zeroes the Buffer', () => {
  test('after a return, a throw and a rejected promise', async () => {
    const name = unique('z');
    const secret = 'wipe-me-please';
    await daemon.putParameter(name, secret);
    const handle = client.lease(name);
    const zero = Buffer.alloc(secret.length);

    let kept = null;
    const result = await handle.withValue((v) => {
      kept = v;
      assert.equal(v.toString(), secret);
      return 42;
    });
    assert.equal(result, 42);
    assert.equal(kept.length, secret.length);
    assert.deepEqual(kept, zero, 'zeroed after the callback returned');

    kept = null;
    await assert.rejects(handle.withValue((v) => {
      kept = v;
      throw new Error('boom');
    }), /boom/);
    assert.deepEqual(kept, zero, 'zeroed after the callback threw');

    kept = null;
    let seenLate = null;
    await assert.rejects(handle.withValue(async (v) => {
      kept = v;
      await new Promise((r) => setTimeout(r, 20));
      seenLate = v.toString(); // still intact while the promise is pending
      throw new Error('later');
    }), /later/);
    assert.equal(seenLate, secret);
    assert.deepEqual(kept, zero, 'zeroed after the promise rejected');

    // The value Buffer is its own allocation, not a slice of Node's shared pool.
    await handle.withValue((v) => {
      assert.equal(v.byteOffset, 0);
      assert.equal(v.buffer.byteLength, v.length);
    });
  });
});

/** Random lowercase hex digits in a Buffer, never made into a string in this process. */
function hexBytes(n) {
  const raw = crypto.randomBytes(n);
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = 0x61 + (raw[i] >> 4);        // 'a'..'p': hex-like, and never a digit run
    out[2 * i + 1] = 0x61 + (raw[i] & 0x0f);
  }
  raw.fill(0);
  return out;
}

/** Puts a SecureString whose value is only ever a Buffer here. */
async function putBytes(name, value) {
  const body = Buffer.concat([Buffer.from(JSON.stringify({ Name: name, Type: 'SecureString' }).slice(0, -1) +
    ',"Value":"'), value, Buffer.from('"}')]);
  const res = await daemon.call('POST', '/', body, { 'X-Amz-Target': 'AmazonSSM.PutParameter',
    'Content-Type': 'application/x-amz-json-1.1' });
  assert.equal(res.status, 200);
}

describe('no copies of the value', () => {
  test('the chunks read from the socket are zeroed once copied', async () => {
    const name = unique('chunks');
    const value = hexBytes(24);
    await putBytes(name, value);
    const handle = await client.lease(name).create(); // the connection is open now
    const socket = client._conn.socket;
    assert.ok(socket, 'a kept-alive connection');
    const seen = [];
    const copies = [];
    const spy = (chunk) => {
      seen.push(chunk);
      copies.push(Buffer.from(chunk));
    };
    socket.on('data', spy); // runs before the client's own listener, which is added per request
    try {
      assert.ok(await handle.withValue((v) => v.equals(value)));
    } finally {
      socket.removeListener('data', spy);
    }
    assert.ok(copies.some((c) => c.indexOf(value) >= 0), 'the value did come through these chunks');
    for (const chunk of seen) assert.equal(chunk.indexOf(value), -1, 'a chunk still holds the value');
  });

  test('a redeem makes no JavaScript string of the value (heap snapshot)', async () => {
    const name = unique('heap');
    const value = hexBytes(24);
    await putBytes(name, value);
    const control = hexBytes(24);
    await putBytes(`${name}-control`, control);
    // The control is turned into a string on purpose: the snapshot must show it, or the search is blind.
    const controlString = await client.lease(`${name}-control`).withValue((v) => v.toString('latin1'));
    assert.ok(await client.lease(name).withValue((v) => v.equals(value)));
    const file = path.join(os.tmpdir(), `sealbox-node-${process.pid}.heapsnapshot`);
    try {
      v8.writeHeapSnapshot(file);
      const snapshot = fs.readFileSync(file);
      assert.ok(snapshot.indexOf(control) >= 0, 'the control string is in the snapshot');
      assert.equal(snapshot.indexOf(value), -1, 'the value must not be in any string');
    } finally {
      fs.rmSync(file, { force: true });
    }
    assert.equal(controlString.length, 48);
  });
});

describe('re-leasing', () => {
  test('after expiry, known to the client and answered by the daemon (LeaseExpired)', async () => {
    const name = unique('e');
    await daemon.putParameter(name, 'short-lived');
    const known = await client.lease(name, { ttlSeconds: 1 }).create();
    const told = await client.lease(name, { ttlSeconds: 1 }).create();
    const knownFirst = known.leaseId;
    const toldFirst = told.leaseId;
    // Make one handle believe its lease is still good (as with clock skew), so that it is the
    // daemon's LeaseExpired answer that makes it re-lease, not the client's own bookkeeping.
    told.expiresAt += 3600 * 1000;
    const answers = [];
    const redeemInto = client.redeemInto;
    client.redeemInto = async function (leaseId) {
      try {
        return await redeemInto.call(this, leaseId);
      } catch (e) {
        answers.push([leaseId, e.code]);
        throw e;
      }
    };
    try {
      await new Promise((r) => setTimeout(r, 1600));
      assert.equal(await told.withValue((v) => v.toString()), 'short-lived');
      assert.notEqual(told.leaseId, toldFirst);
      assert.deepEqual(answers, [[toldFirst, 'LeaseExpired']], 'the daemon refused the old lease, once');
      assert.equal(await known.withValue((v) => v.toString()), 'short-lived');
      assert.notEqual(known.leaseId, knownFirst);
      assert.equal(answers.length, 1, 'a lease known to be expired is replaced without asking');
    } finally {
      delete client.redeemInto;
    }
  });

  test('after a revoke (LeaseNotFound) and when used up', async () => {
    const name = unique('r');
    await daemon.putParameter(name, 'again');
    const handle = await client.lease(name).create();
    const first = handle.leaseId;
    const revoked = await daemon.call('POST', '/v1/leases/revoke', { leaseId: first });
    assert.deepEqual(revoked.body, { revoked: 1 });
    assert.equal(await handle.withValue((v) => v.toString()), 'again');
    assert.notEqual(handle.leaseId, first);

    const once = client.lease(name, { maxUses: 1 });
    const ids = new Set();
    for (let i = 0; i < 3; i++) {
      assert.equal(await once.withValue((v) => v.toString()), 'again');
      ids.add(once.leaseId);
    }
    assert.equal(ids.size, 3, 'a new lease for each use of a one-use lease');
  });

  test('a parameter deleted under a lease: the one re-lease is refused with NotFound', async () => {
    const name = unique('d');
    await daemon.putParameter(name, 'v');
    const handle = await client.lease(name).create();
    await daemon.aws('AmazonSSM.DeleteParameter', { Name: name });
    await assert.rejects(handle.withValue(() => assert.fail('no value expected')),
      (e) => e instanceof sealbox.NotFound && e.status === 404);
  });
});

describe('typed errors', () => {
  test('a missing parameter is NotFound, at create() and at withValue()', async () => {
    const name = unique('missing');
    await assert.rejects(client.lease(name).create(), (e) => {
      assert.ok(e instanceof sealbox.NotFound && e instanceof sealbox.SealboxError);
      assert.equal(e.status, 404);
      assert.equal(e.code, 'ParameterNotFound');
      assert.ok(e.message.includes(name));
      return true;
    });
    await assert.rejects(client.lease(name).withValue(() => assert.fail('no value expected')), sealbox.NotFound);
  });

  test('a bad request is a SealboxError with the status and code', async () => {
    const name = unique('bad');
    await daemon.putParameter(name, 'v');
    await assert.rejects(client.lease(name, { ttlSeconds: 0 }).create(),
      (e) => e instanceof sealbox.SealboxError && e.status === 400 && e.code === 'BadRequest');
    assert.throws(() => client.lease({ name, secretId: 'x' }), TypeError);
  });

  test('no daemon is Unavailable, naming the socket or the address', async () => {
    const missing = path.join(os.tmpdir(), `no-such-${process.pid}.sock`);
    const c = new sealbox.SealboxClient({ socketPath: missing });
    await assert.rejects(c.lease('/x').withValue(() => assert.fail('no value expected')), (e) => {
      assert.ok(e instanceof sealbox.Unavailable);
      assert.equal(e.status, null);
      assert.equal(e.code, 'Unavailable');
      assert.ok(e.message.includes(missing) && e.message.includes('sealboxd'), e.message);
      return true;
    });
    const port = await freePort();
    const t = new sealbox.SealboxClient({ tcp: { host: '127.0.0.1', port }, token: 't' });
    await assert.rejects(t.lease('/x').create(), (e) => e instanceof sealbox.Unavailable &&
      e.message.includes(`127.0.0.1:${port}`));
  });

  test('a wrong token on TCP is AccessDenied (401)', async () => {
    const wrong = new sealbox.SealboxClient({ tcp: { host: '127.0.0.1', port: daemon.port }, token: 'not-the-token' });
    await assert.rejects(wrong.lease('/anything').create(),
      (e) => e instanceof sealbox.AccessDenied && e.status === 401);
    wrong.close();
  });

  test('a socket file owned by another user is UntrustedDaemon, and nothing is sent', {
    skip: process.geteuid() !== 0 ? 'needs root to chown a socket file' : false,
  }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealbox-untrusted-'));
    const socketPath = path.join(dir, 'sealbox.sock');
    let received = 0;
    const server = net.createServer((s) => s.on('data', (d) => {
      received += d.length;
    }));
    await new Promise((r) => server.listen(socketPath, r));
    try {
      fs.chownSync(socketPath, 65534, 65534);
      const c = new sealbox.SealboxClient({ socketPath });
      await assert.rejects(c.lease('/x').create(), (e) => e instanceof sealbox.UntrustedDaemon &&
        e.code === 'UntrustedDaemon' && e.message.includes('uid 65534'));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(received, 0);
      // Owned by the directory's owner (here also root) it is trusted again.
      fs.chownSync(socketPath, 0, 0);
      const d = new sealbox.SealboxClient({ socketPath, timeout: 300 });
      await assert.rejects(d.lease('/x').create(), sealbox.Unavailable); // our fake server never answers
      assert.ok(received > 0);
      d.close();
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('encrypted environment variables', () => {
  test('withEnv hands the plaintext, zeroed afterwards; a missing variable is NotFound', async () => {
    const enc = await daemon.call('POST', '/v1/env/encrypt', { name: 'NODE_TEST_SECRET', value: 'env-plaintext' });
    assert.equal(enc.status, 200, JSON.stringify(enc.body));
    assert.match(enc.body.token, /^sealbox:v1:/);
    process.env.NODE_TEST_SECRET = enc.body.token;
    let kept = null;
    try {
      assert.equal(await client.withEnv('NODE_TEST_SECRET', (v) => {
        kept = v;
        return v.toString();
      }), 'env-plaintext');
      assert.deepEqual(kept, Buffer.alloc('env-plaintext'.length));
      // Bound to its name: under another name the token does not open.
      await assert.rejects(client.decryptEnv('OTHER_NAME', enc.body.token),
        (e) => e instanceof sealbox.SealboxError && e.code === 'InvalidCiphertextException');
    } finally {
      delete process.env.NODE_TEST_SECRET;
    }
    await assert.rejects(client.withEnv('NODE_TEST_SECRET', () => assert.fail('no value expected')), sealbox.NotFound);
  });
});

describe('ES modules', () => {
  test('import sees every export by name', async () => {
    const m = await import('sealbox-client');
    for (const name of ['SealboxClient', 'Lease', 'lease', 'client', 'SealboxError', 'LeaseError', 'AccessDenied',
      'NotFound', 'Unavailable', 'UntrustedDaemon']) {
      assert.equal(typeof m[name], 'function', name);
    }
  });
});

describe('TCP', () => {
  test('with the token file, leases work as on the socket', async () => {
    const name = unique('tcp');
    await daemon.putParameter(name, 'over-tcp');
    const t = new sealbox.SealboxClient({ tcp: `127.0.0.1:${daemon.port}`, tokenFile: daemon.tokenFile });
    const handle = t.lease(name);
    assert.equal(await handle.withValue((v) => v.toString()), 'over-tcp');
    assert.equal(await handle.withValue((v) => v.toString()), 'over-tcp');
    t.close();
    const v6 = new sealbox.SealboxClient({ tcp: '[::1]:2773', token: 'x' });
    assert.deepEqual(v6.tcp, { host: '::1', port: 2773 });
    assert.throws(() => new sealbox.SealboxClient({ tcp: '127.0.0.1:2773' }), TypeError, 'TCP needs a token');
  });
});

describe('the redeem parser', () => {
  const { parseRedeem, Malformed } = require('../lib/redeemResponse');
  test('parses parameter and secret answers and refuses malformed ones', () => {
    const p = parseRedeem(Buffer.from(' {"version": 7 , "value":"a\\u00e9\\ud83d\\ude00b"} '));
    assert.deepEqual(p.value, Buffer.from('aé😀b'));
    assert.equal(p.version, 7);
    const s = parseRedeem(Buffer.from('{"binary":"AP8=","versionId":"v-1","extra":{"x":[1,"}"]}}'));
    assert.deepEqual(s.value, Buffer.from([0x00, 0xff]));
    assert.equal(s.version, 'v-1');
    assert.equal(s.binary, true);
    for (const bad of ['', '[]', '{}', '{"value":"x"', '{"value":"x" "version":1}', '{"value":1}',
      '{"value":"\\q"}', '{"binary":"A"}', '{"binary":"A*=="}', '{"version":1}', '{"value":"a","value":"b"}']) {
      assert.throws(() => parseRedeem(Buffer.from(bad)), Malformed, bad);
    }
  });
});
