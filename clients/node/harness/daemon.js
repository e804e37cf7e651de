'use strict';

// Starts the real sealboxd for the tests, as Tests/Conformance/harness.py does: the binary from
// $SEALBOXD (else .build/debug/sealboxd in the repository), a temp data dir, the socket in it,
// TCP on a free loopback port, and GET /health answering 200 before a test goes on.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 15000;

function daemonBinary() {
  return process.env.SEALBOXD || path.join(REPO, '.build', 'debug', 'sealboxd');
}

/** No SEALBOX_* (they map to daemon flags), no AWS_* from the developer's shell, no proxies. */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    const ku = k.toUpperCase();
    if (ku.startsWith('SEALBOX_') || ku.startsWith('AWS_')) continue;
    if (['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'].includes(ku)) continue;
    env[k] = v;
  }
  return env;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function health(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
  });
}

class Daemon {
  constructor({ ephemeral = false, args = [] } = {}) {
    this.base = fs.mkdtempSync(path.join(os.tmpdir(), 'sealbox-node-'));
    this.dataDir = path.join(this.base, 'data');
    this.socketPath = path.join(this.base, 'sealbox.sock');
    this.ephemeral = ephemeral;
    this.args = args;
    this.port = null;
    this.proc = null;
    this.starts = 0;
  }

  get tokenFile() {
    return path.join(this.dataDir, 'token');
  }

  async start(port = null) {
    const binary = daemonBinary();
    if (!fs.existsSync(binary)) {
      throw new Error(`sealboxd binary not found at ${binary}. Build it first (\`swift build\`, or \`make test\`), ` +
        'or point the SEALBOXD environment variable at the daemon binary.');
    }
    this.port = port || await freePort();
    this.starts++;
    const argv = ['--data-dir', this.dataDir, '--listen', `127.0.0.1:${this.port}`, '--socket', this.socketPath,
      ...(this.ephemeral ? ['--ephemeral'] : []), ...this.args];
    this.stderrPath = path.join(this.base, `sealboxd-${this.starts}.stderr`);
    const err = fs.openSync(this.stderrPath, 'w');
    this.proc = spawn(binary, argv, { env: cleanEnv(), cwd: this.base, stdio: ['ignore', 'ignore', err] });
    fs.closeSync(err);
    let exited = null;
    this.proc.once('exit', (code, signal) => {
      exited = code === null ? signal : code;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error(`sealboxd exited (${exited}) during start-up:\n${this.logs()}`);
      if (await health(this.port) === 200) return this;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.proc.kill('SIGKILL');
    throw new Error(`sealboxd did not answer 200 on GET /health within ${START_TIMEOUT_MS} ms:\n${this.logs()}`);
  }

  logs() {
    try {
      return fs.readFileSync(this.stderrPath, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM and wait; resolves the exit code. */
  stop() {
    const proc = this.proc;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc && proc.exitCode);
    return new Promise((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      proc.kill('SIGTERM');
    });
  }

  async cleanup() {
    await this.stop();
    fs.rmSync(this.base, { recursive: true, force: true });
  }

  /** One request over the socket (the caller is identified by its uid, nothing signed). */
  call(method, urlPath, body = null, headers = {}) {
    return new Promise((resolve, reject) => {
      const payload = body === null ? '' :
        (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
      const req = http.request({ socketPath: this.socketPath, method, path: urlPath,
        headers: { Host: 'localhost', 'Content-Length': Buffer.byteLength(payload), ...headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** An AWS JSON 1.1 call over the socket (`AmazonSSM.PutParameter`, `secretsmanager.CreateSecret`...). */
  async aws(target, doc) {
    const res = await this.call('POST', '/', doc, { 'X-Amz-Target': target,
      'Content-Type': 'application/x-amz-json-1.1' });
    if (res.status !== 200) throw new Error(`${target} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  putParameter(name, value, { overwrite = false } = {}) {
    return this.aws('AmazonSSM.PutParameter', { Name: name, Value: value, Type: 'SecureString', Overwrite: overwrite });
  }
}

module.exports = { Daemon, daemonBinary, freePort, REPO };
