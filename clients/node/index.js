'use strict';

// A dependency-free Sealbox client for Node.js handlers (Node 18+). See README.md.
// Exports are plain names (no `a: b.c`), so that ESM `import { lease } from 'sealbox-client'` sees them all.

const { SealboxClient, DEFAULT_SOCKET, TOKEN_HEADER } = require('./lib/client');
const { Lease } = require('./lib/lease');
const {
  SealboxError, LeaseError, AccessDenied, NotFound, Unavailable, UntrustedDaemon,
} = require('./lib/errors');

let defaultClient = null;

/** The client on `$SEALBOX_SOCKET` (else `.sealbox/sealbox.sock`), made at first use. */
function client() {
  if (defaultClient === null) defaultClient = new SealboxClient();
  return defaultClient;
}

/**
 * `lease('/app/db/password')` or `lease({ secretId: 'prod/db', versionStage: 'AWSCURRENT' })` on
 * the default client: a handle for global scope, holding no plaintext; nothing is sent until the
 * first `withValue`.
 */
function lease(nameOrSpec, options = {}) {
  return client().lease(nameOrSpec, options);
}

module.exports = {
  SealboxClient,
  Lease,
  lease,
  client,
  DEFAULT_SOCKET,
  TOKEN_HEADER,
  SealboxError,
  LeaseError,
  AccessDenied,
  NotFound,
  Unavailable,
  UntrustedDaemon,
};
