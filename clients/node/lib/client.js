'use strict';

const fs = require('node:fs');
const { Connection } = require('./connection');
const { AccessDenied, NotFound, SealboxError, errorFrom } = require('./errors');
const { Lease } = require('./lease');
const { parseRedeem, Malformed } = require('./redeemResponse');

const DEFAULT_SOCKET = '.sealbox/sealbox.sock';
const TOKEN_HEADER = 'X-Aws-Parameters-Secrets-Token';

/**
 * A connection to sealboxd over its Unix socket (the default: `$SEALBOX_SOCKET`, else
 * `.sealbox/sealbox.sock`) or loopback TCP (`{ tcp: { host, port }, token | tokenFile }`).
 * Requests on one client go one at a time over one kept-alive connection, which never keeps the
 * process alive while idle.
 */
class SealboxClient {
  constructor({ socketPath = null, tcp = null, token = null, tokenFile = null, timeout = 10000 } = {}) {
    if (tcp !== null && socketPath !== null) throw new TypeError('pass socketPath or tcp, not both');
    if (tcp === null) {
      this.socketPath = socketPath || process.env.SEALBOX_SOCKET || DEFAULT_SOCKET;
      this.tcp = null;
      this._conn = new Connection({ socketPath: this.socketPath, timeout });
    } else {
      if (typeof tcp === 'string') {
        const at = tcp.lastIndexOf(':');
        tcp = { host: tcp.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(tcp.slice(at + 1)) };
      }
      if (token === null && tokenFile === null) {
        throw new TypeError('on TCP, pass token (the content of <data-dir>/token) or tokenFile');
      }
      this.socketPath = null;
      this.tcp = { host: tcp.host || '127.0.0.1', port: Number(tcp.port) };
      this._conn = new Connection({ host: this.tcp.host, port: this.tcp.port, timeout });
    }
    this._token = token;
    this._tokenFile = tokenFile;
    this.timeout = timeout;
  }

  /**
   * A lease handle: `lease('/app/db/password', { ttlSeconds, maxUses })` for a parameter, or
   * `lease({ secretId, versionStage?, versionId?, ttlSeconds?, maxUses? })` for a Secrets Manager
   * secret. Nothing is sent until the first `withValue()` (or `create()`).
   */
  lease(nameOrSpec, options = {}) {
    const spec = typeof nameOrSpec === 'string' ? { ...options, name: nameOrSpec } : { ...nameOrSpec, ...options };
    return new Lease(this, spec);
  }

  /** `POST /v1/leases`: the lease's JSON (leaseId, expiresAt, version or versionId, ...). */
  async createLease({ name = null, secretId = null, versionStage = null, versionId = null, ttlSeconds = null,
    maxUses = null } = {}) {
    if (Boolean(name) === Boolean(secretId)) throw new TypeError('pass a parameter name or secretId, not both');
    const doc = secretId === null ? { name } : { secretId };
    if (versionStage !== null) doc.versionStage = versionStage;
    if (versionId !== null) doc.versionId = versionId;
    if (ttlSeconds !== null) doc.ttlSeconds = ttlSeconds;
    if (maxUses !== null) doc.maxUses = maxUses;
    return this._json('POST', '/v1/leases', doc, { expect: 201, creating: true });
  }

  /** `POST /v1/leases/{id}/renew`: extends the lease from now (capped by the daemon). */
  async renewLease(leaseId, ttlSeconds = null) {
    return this._json('POST', `/v1/leases/${encodeURIComponent(leaseId)}/renew`,
      ttlSeconds === null ? {} : { ttlSeconds });
  }

  /** `DELETE /v1/leases/{id}`. */
  async deleteLease(leaseId) {
    await this._json('DELETE', `/v1/leases/${encodeURIComponent(leaseId)}`, null, { expect: 204 });
  }

  /** `GET /v1/leases` (admin): every active lease. */
  async listLeases() {
    return (await this._json('GET', '/v1/leases', null)).leases;
  }

  /** `POST /v1/leases/revoke` (admin): `{ prefix }` or `{ leaseId }`; returns how many were revoked. */
  async revoke({ prefix = null, leaseId = null } = {}) {
    if ((prefix === null) === (leaseId === null)) throw new TypeError('pass prefix or leaseId');
    const doc = prefix !== null ? { prefix } : { leaseId };
    return Number((await this._json('POST', '/v1/leases/revoke', doc)).revoked);
  }

  /**
   * `POST /v1/leases/{id}/redeem` without re-leasing: `{ value: Buffer, version, binary }`. The
   * caller must zero `value` (`value.fill(0)`); `Lease.withValue` does that for you.
   */
  async redeemInto(leaseId) {
    const { status, body } = await this._request('POST', `/v1/leases/${encodeURIComponent(leaseId)}/redeem`,
      Buffer.from('{}'));
    try {
      if (status !== 200) throw errorFrom(status, body);
      return parseBody(body, status, 'redeem');
    } finally {
      body.fill(0);
    }
  }

  /**
   * `POST /v1/env/decrypt`: the plaintext of an env token (`sealbox:v1:...`) for variable `name`,
   * as a Buffer the caller must zero. The token is not a secret the client can wipe: it is a string.
   */
  async decryptEnv(name, token, { keyId = null } = {}) {
    if (typeof name !== 'string' || !name) throw new TypeError('name is required');
    if (typeof token !== 'string' || !token) throw new TypeError('token is required');
    const doc = { name, token };
    if (keyId !== null) doc.keyId = keyId;
    const { status, body } = await this._request('POST', '/v1/env/decrypt', Buffer.from(JSON.stringify(doc)));
    try {
      if (status !== 200) throw errorFrom(status, body);
      return parseBody(body, status, 'env decrypt').value;
    } finally {
      body.fill(0);
    }
  }

  /**
   * Decrypts the encrypted environment variable `name` (`NAME=sealbox:v1:...`) through the daemon,
   * calling `fn` with the plaintext Buffer, zeroed when `fn` settles. NotFound when it is not set.
   */
  async withEnv(name, fn) {
    const token = process.env[name];
    if (token === undefined) {
      throw new NotFound(`the environment variable ${name} is not set (expected ${name}=sealbox:v1:...)`);
    }
    const value = await this.decryptEnv(name, token);
    try {
      return await fn(value);
    } finally {
      value.fill(0);
    }
  }

  /** Closes the kept-alive connection (a later call opens a new one). */
  close() {
    this._conn.close();
  }

  toString() {
    return this.tcp === null ? `<SealboxClient socket=${this.socketPath}>` :
      `<SealboxClient tcp=${this.tcp.host}:${this.tcp.port}>`;
  }

  async _json(method, urlPath, doc, { expect = 200, creating = false } = {}) {
    const payload = doc === null ? null : Buffer.from(JSON.stringify(doc));
    const { status, body } = await this._request(method, urlPath, payload);
    try {
      if (status !== expect) throw errorFrom(status, body, { creating });
      return body.length ? JSON.parse(body.toString('utf8')) : null;
    } finally {
      body.fill(0);
    }
  }

  _tokenValue(reread) {
    if (this._tokenFile !== null && (this._token === null || reread)) {
      try {
        this._token = fs.readFileSync(this._tokenFile, 'ascii').trim();
      } catch (err) {
        throw new AccessDenied(`cannot read the token file ${this._tokenFile} (${err.code}): it is <data-dir>/token, ` +
          'mode 0640, readable by the daemon\'s group', { code: 'TokenUnreadable' });
      }
    }
    return this._token;
  }

  async _request(method, urlPath, body) {
    let reread = false;
    for (;;) {
      const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
      if (this.tcp !== null) headers[TOKEN_HEADER] = this._tokenValue(reread);
      const response = await this._conn.request(method, urlPath, body, headers);
      if (response.status === 401 && this.tcp !== null && this._tokenFile !== null && !reread) {
        // The daemon writes a new token at each start: read the file again, once.
        response.body.fill(0);
        reread = true;
        continue;
      }
      return response;
    }
  }
}

function parseBody(body, status, what) {
  try {
    return parseRedeem(body);
  } catch (err) {
    if (err instanceof Malformed) {
      throw new SealboxError(`malformed ${what} response (${err.message})`, { status, code: 'BadResponse' });
    }
    throw err;
  }
}

module.exports = { SealboxClient, DEFAULT_SOCKET, TOKEN_HEADER };
