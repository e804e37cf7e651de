'use strict';

const { LeaseError, RELEASE_CODES } = require('./errors');

/** Milliseconds before the known expiry at which a lease is replaced without asking. */
const EXPIRY_MARGIN_MS = 500;

/**
 * A handle on a lease: the parameter name (or secret id) and, once created, the lease id, its
 * expiry and version. It never holds plaintext, so it is safe in global scope.
 */
class Lease {
  constructor(client, { name = null, secretId = null, versionStage = null, versionId = null,
    ttlSeconds = 300, maxUses = 0 } = {}) {
    if (Boolean(name) === Boolean(secretId)) throw new TypeError('a parameter name or secretId is required, not both');
    if (name && (versionStage !== null || versionId !== null)) {
      throw new TypeError('versionStage and versionId go with secretId');
    }
    this.client = client;
    this.name = name;
    this.secretId = secretId;
    this.versionStage = versionStage;
    this.versionId = versionId;
    this.ttlSeconds = ttlSeconds;
    this.maxUses = maxUses;
    /** The lease id once created (not a secret: it opens nothing outside this process). */
    this.leaseId = null;
    /** The expiry the daemon gave, in milliseconds since the epoch. */
    this.expiresAt = null;
    /** The version when the lease was made: a parameter's number, a secret's version id. */
    this.version = null;
    /** The version last redeemed. */
    this.lastVersion = null;
    this._uses = 0;
    this._creating = null;
  }

  /** Creates a lease now (replacing any held): fails fast, e.g. NotFound for a misspelt name. */
  async create() {
    if (this._creating === null) {
      this._creating = this._create().finally(() => {
        this._creating = null;
      });
    }
    await this._creating;
    return this;
  }

  async _create() {
    const info = await this.client.createLease({
      name: this.name, secretId: this.secretId, versionStage: this.versionStage, versionId: this.versionId,
      ttlSeconds: this.ttlSeconds, maxUses: this.maxUses,
    });
    this.leaseId = info.leaseId;
    this.expiresAt = Number(info.expiresAt) * 1000;
    this.version = info.version !== undefined ? info.version : info.versionId;
    this._uses = 0;
  }

  /** The lease id to redeem, creating or replacing the lease when it is known to be unusable. */
  async _current() {
    for (;;) {
      if (this._creating !== null) await this._creating.catch(() => {});
      const stale = this.leaseId === null ||
        (this.expiresAt !== null && Date.now() >= this.expiresAt - EXPIRY_MARGIN_MS) ||
        (this.maxUses > 0 && this._uses >= this.maxUses);
      if (!stale) break;
      await this.create();
      if (this.leaseId !== null) break;
    }
    this._uses++;
    return this.leaseId;
  }

  async _redeem() {
    const leaseId = await this._current();
    let result;
    try {
      result = await this.client.redeemInto(leaseId);
    } catch (err) {
      if (!(err instanceof LeaseError) || !RELEASE_CODES.has(err.code)) throw err;
      if (this.leaseId === leaseId) await this.create(); // a concurrent call may have replaced it already
      result = await this.client.redeemInto(await this._current());
    }
    this.lastVersion = result.version;
    return result.value;
  }

  /**
   * Redeems the lease and calls `fn` with the plaintext in a Buffer of its own (not a slice of
   * Node's shared pool). When `fn` returns, throws, or its promise settles, every byte of the
   * Buffer is set to 0. Returns what `fn` returns (awaited).
   */
  async withValue(fn) {
    if (typeof fn !== 'function') throw new TypeError('withValue takes a function');
    const value = await this._redeem();
    try {
      return await fn(value);
    } finally {
      value.fill(0);
    }
  }

  /** Extends the lease from now (the daemon caps it); creates one if none is held. */
  async renew(ttlSeconds = null) {
    if (this.leaseId === null) return this.create();
    try {
      const info = await this.client.renewLease(this.leaseId, ttlSeconds || this.ttlSeconds);
      this.expiresAt = Number(info.expiresAt) * 1000;
    } catch (err) {
      if (!(err instanceof LeaseError) || !RELEASE_CODES.has(err.code)) throw err;
      await this.create();
    }
    return this;
  }

  /** Ends the lease now (DELETE); a later withValue creates a new one. */
  async release() {
    const leaseId = this.leaseId;
    this.leaseId = null;
    if (leaseId === null) return;
    try {
      await this.client.deleteLease(leaseId);
    } catch (err) {
      if (!(err instanceof LeaseError)) throw err;
    }
  }

  toString() {
    const what = this.secretId === null ? JSON.stringify(this.name) : `secret ${JSON.stringify(this.secretId)}`;
    const held = this.leaseId ? `lease ${this.leaseId.slice(0, 8)}…` : 'no lease yet';
    return `<Lease ${what} (${held})>`;
  }
}

module.exports = { Lease, EXPIRY_MARGIN_MS };
