'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { Unavailable, UntrustedDaemon } = require('./errors');

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 16384;

/**
 * Checks, before anything is sent, who owns the socket file: this process's user, root, or the
 * owner of the directory holding it (the daemon's, as with /run/sealbox owned by sealbox). The
 * owner of a Unix socket file is the user that bound it, so another user who replaced the socket
 * owns the file. Node cannot read SO_PEERCRED (the listening process's uid, which the Python and
 * Swift clients check), so this is the closest check it allows; see the README for what it does
 * not cover. Returns the file's identity, compared again after connecting.
 */
function checkSocketFile(socketPath) {
  let st;
  try {
    st = fs.statSync(socketPath);
  } catch {
    return null; // connect() reports the missing socket with its fix
  }
  const directory = path.dirname(socketPath);
  let owner = null;
  try {
    owner = fs.statSync(directory).uid;
  } catch {
    // no owner to trust
  }
  const own = typeof process.geteuid === 'function' ? process.geteuid() : null;
  if (!st.isSocket()) {
    throw new UntrustedDaemon(`refusing to talk to ${socketPath}: it is not a socket. Nothing was sent.`,
      { code: 'UntrustedDaemon' });
  }
  if (own !== null && st.uid !== own && st.uid !== 0 && st.uid !== owner) {
    throw new UntrustedDaemon(
      `refusing to talk to ${socketPath}: the socket belongs to uid ${st.uid}, which is not you (uid ${own}), ` +
      `root, or the owner of ${directory}; another user may have replaced the socket. Nothing was sent.`,
      { code: 'UntrustedDaemon' });
  }
  return { dev: st.dev, ino: st.ino };
}

/**
 * One kept-alive HTTP/1.1 connection to sealboxd, over its Unix socket or loopback TCP. Requests
 * are serialized. The response body is read into one Buffer sized from Content-Length, and every
 * chunk Node read from the socket is zeroed once copied, so the body leaves no copy in the read
 * buffers either.
 */
class Connection {
  constructor({ socketPath = null, host = null, port = null, timeout = 10000 }) {
    this.socketPath = socketPath;
    this.host = host;
    this.port = port;
    this.timeout = timeout;
    this.socket = null;
    this.used = false;
    this.queue = Promise.resolve();
  }

  where() {
    return this.socketPath !== null ? `the Sealbox socket ${this.socketPath}` : `sealboxd at ${this.host}:${this.port}`;
  }

  fix(err) {
    if (this.socketPath === null) {
      return 'is sealboxd running with --listen on that address? Start it with `make run` (127.0.0.1:2773 by default).';
    }
    switch (err && err.code) {
      case 'ENOENT':
        return 'no socket there: start sealboxd (`make run`), or set SEALBOX_SOCKET to the socket path sealboxd ' +
          'prints in its ready line (--socket, default <data-dir>/sealbox.sock).';
      case 'EACCES':
        return 'the socket is mode 0660: run the handler as the daemon\'s user or in its group, or as a user the ' +
          'policy allows.';
      case 'ECONNREFUSED':
        return 'nothing listens on it (a stale socket file?): start or restart sealboxd (`make run`).';
      default:
        return 'check that sealboxd is running (`make run`) and that SEALBOX_SOCKET points at its socket.';
    }
  }

  hostHeader() {
    return this.socketPath !== null ? 'localhost' : `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Sends one request; resolves { status, body: Buffer } (the caller wipes the body). */
  request(method, urlPath, body, headers) {
    const run = () => this.requestWithRetry(method, urlPath, body, headers);
    const result = this.queue.then(run, run);
    this.queue = result.then(() => undefined, () => undefined);
    return result;
  }

  async requestWithRetry(method, urlPath, body, headers) {
    for (let attempt = 0; ; attempt++) {
      const socket = await this.open();
      const reused = this.used;
      try {
        const response = await this.exchange(socket, method, urlPath, body, headers);
        this.used = true;
        return response;
      } catch (err) {
        this.drop();
        if (err instanceof Unavailable && err.beforeResponse && reused && attempt === 0) {
          continue; // a kept-alive connection the daemon closed (idle, or restarted): once more, fresh
        }
        throw err;
      }
    }
  }

  open() {
    if (this.socket !== null && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.socket = null;
    this.used = false;
    return new Promise((resolve, reject) => {
      let identity = null;
      try {
        if (this.socketPath !== null) identity = checkSocketFile(this.socketPath);
      } catch (err) {
        reject(err);
        return;
      }
      const socket = this.socketPath !== null
        ? net.createConnection({ path: this.socketPath })
        : net.createConnection({ host: this.host, port: this.port });
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
        this.timeout);
      const fail = (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Unavailable(`cannot connect to ${this.where()} (${err.code || err.message}): ${this.fix(err)}`,
          { code: 'Unavailable' }));
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        if (this.socketPath !== null) {
          // Checked again before anything is sent, and it must be the file checked before (this
          // narrows, but does not close, the window for swapping it).
          let again = null;
          try {
            again = checkSocketFile(this.socketPath);
          } catch (err) {
            socket.destroy();
            reject(err);
            return;
          }
          if (again === null || (identity !== null && (again.dev !== identity.dev || again.ino !== identity.ino))) {
            socket.destroy();
            reject(new UntrustedDaemon(`refusing to talk to ${this.socketPath}: the socket file was replaced while ` +
              'connecting. Nothing was sent.', { code: 'UntrustedDaemon' }));
            return;
          }
        }
        socket.on('error', () => {}); // reported through 'close' during an exchange
        socket.on('close', () => {
          if (this.socket === socket) this.socket = null;
        });
        if (this.socketPath === null) socket.setNoDelay(true);
        socket.unref(); // an idle connection never keeps the process alive
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  drop() {
    if (this.socket !== null) this.socket.destroy();
    this.socket = null;
    this.used = false;
  }

  close() {
    this.drop();
  }

  exchange(socket, method, urlPath, body, headers) {
    return new Promise((resolve, reject) => {
      const lines = [`${method} ${urlPath} HTTP/1.1`, `Host: ${this.hostHeader()}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      lines.push(`Content-Length: ${body ? body.length : 0}`, '', '');
      let head = Buffer.alloc(0);
      let status = 0;
      let out = null;
      let got = 0;
      let closeAfter = false;
      let settled = false;
      let received = false;

      const finish = (err, value) => {
        if (settled) return;
        settled = true;
        socket.removeListener('data', onData);
        socket.removeListener('close', onClose);
        socket.removeListener('timeout', onTimeout);
        socket.setTimeout(0);
        socket.unref();
        if (err) {
          if (out !== null) out.fill(0);
          reject(err);
        } else {
          if (closeAfter) socket.destroy();
          resolve(value);
        }
      };
      const lost = (why) => {
        const err = new Unavailable(`lost the connection to ${this.where()} (${why}): ${this.fix(null)}`,
          { code: 'Unavailable' });
        err.beforeResponse = !received;
        return err;
      };
      const onClose = () => finish(lost('closed'));
      const takeBody = (chunk, start) => {
        const n = Math.min(chunk.length - start, out.length - got);
        chunk.copy(out, got, start, start + n);
        got += n;
        return start + n;
      };
      const onData = (chunk) => {
        received = true;
        try {
          if (out === null) {
            head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
            const end = head.indexOf(HEAD_END);
            if (end < 0) {
              if (head.length > MAX_HEAD) throw new Error('response head too large');
              return;
            }
            const parsed = parseHead(head.subarray(0, end).toString('latin1'));
            status = parsed.status;
            closeAfter = parsed.close;
            out = Buffer.alloc(parsed.length);
            const at = takeBody(head, end + 4);
            if (at !== head.length) throw new Error('more bytes than Content-Length');
            head.fill(0);
            chunk.fill(0);
          } else {
            const at = takeBody(chunk, 0);
            const extra = at !== chunk.length;
            chunk.fill(0);
            if (extra) throw new Error('more bytes than Content-Length');
          }
          if (got === out.length) finish(null, { status, body: out });
        } catch (err) {
          chunk.fill(0);
          head.fill(0);
          socket.destroy();
          finish(new Unavailable(`malformed answer from ${this.where()} (${err.message})`, { code: 'BadResponse' }));
        }
      };

      const onTimeout = () => {
        socket.destroy();
        finish(lost(`no answer within ${this.timeout} ms`));
      };
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.on('timeout', onTimeout);
      socket.ref();
      socket.setTimeout(this.timeout);
      const headBytes = Buffer.from(lines.join('\r\n'), 'latin1');
      socket.write(body && body.length ? Buffer.concat([headBytes, body]) : headBytes); // one write, one segment
    });
  }
}

function parseHead(text) {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error('bad status line');
  let length = null;
  let close = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'connection' && value.toLowerCase() === 'close') close = true;
    else if (name === 'transfer-encoding') throw new Error('chunked bodies are not expected from sealboxd');
  }
  if (length === null) {
    const s = Number(m[1]);
    if (s === 204 || s === 304 || s < 200) length = 0;
    else throw new Error('no Content-Length');
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad Content-Length');
  return { status: Number(m[1]), length, close };
}

module.exports = { Connection, checkSocketFile };
