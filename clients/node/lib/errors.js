'use strict';

/** Redeem failures that mean "this lease is gone, make a new one". */
const RELEASE_CODES = new Set(['LeaseNotFound', 'LeaseExpired', 'LeaseUsedUp']);

/**
 * A request to sealboxd failed. `status` is the HTTP status (null when the daemon was not
 * reached), `code` the daemon's error code, `message` its reason. Messages never contain values.
 */
class SealboxError extends Error {
  constructor(message, { status = null, code = null } = {}) {
    super(message);
    this.name = this.constructor.name;
    this.status = status;
    this.code = code;
  }

  toString() {
    const what = this.code || this.name;
    return this.status == null ? `${what}: ${this.message}` : `${what} (HTTP ${this.status}): ${this.message}`;
  }
}

/** The lease could not be created or redeemed (after the one transparent re-lease). */
class LeaseError extends SealboxError {}

/** The daemon refused the caller (401/403, or AccessDeniedException). */
class AccessDenied extends SealboxError {}

/** The parameter (version, label) or secret (staging label) does not exist. */
class NotFound extends SealboxError {}

/** The daemon could not be reached (no socket, refused, timed out, connection lost). */
class Unavailable extends SealboxError {}

/** The socket file is owned by neither this user, root, nor the owner of its directory: nothing was sent. */
class UntrustedDaemon extends SealboxError {}

/**
 * The typed error for a non-2xx answer. Native endpoints answer `{"error", "message"}`, AWS-style
 * ones `{"__type", "message"}`. Error bodies hold no secret, so JSON.parse is fine here.
 */
function errorFrom(status, body, { creating = false } = {}) {
  let code = null;
  let message = null;
  try {
    const doc = JSON.parse(body.toString('utf8'));
    if (doc && typeof doc === 'object') {
      code = doc.error || doc.__type || null;
      if (typeof code === 'string') code = code.split('#').pop();
      message = doc.message || doc.Message || null;
    }
  } catch {
    // not JSON: keep the status
  }
  if (typeof message !== 'string') message = `sealboxd answered HTTP ${status}`;
  if (typeof code !== 'string') code = null;
  const opts = { status, code };
  if (['AccessDenied', 'AccessDeniedException', 'Unauthorized'].includes(code) ||
      ((status === 401 || status === 403) && code === null)) {
    return new AccessDenied(message, { status, code: code || 'AccessDenied' });
  }
  // At creation a 404 is always the parameter or secret (ParameterNotFound, ResourceNotFound).
  if (creating && status === 404) return new NotFound(message, opts);
  if (['ParameterNotFound', 'ParameterVersionNotFound', 'ResourceNotFound'].includes(code)) {
    return new NotFound(message, opts);
  }
  if (RELEASE_CODES.has(code) ||
      ['TooManyLeases', 'KeyUnavailable', 'DecryptionFailure', 'InvalidRequest'].includes(code)) {
    return new LeaseError(message, opts);
  }
  if (status === 404) return new NotFound(message, opts);
  return new SealboxError(message, opts);
}

module.exports = {
  RELEASE_CODES, SealboxError, LeaseError, AccessDenied, NotFound, Unavailable, UntrustedDaemon, errorFrom,
};
