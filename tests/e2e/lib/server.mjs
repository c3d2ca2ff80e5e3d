// Starts and stops a real vibed process for one test file.
//
// startServer() spawns the binary on a free port with a fresh SQLite database
// in a temporary folder, waits for its "listening" log line and returns a
// handle. Every stderr line is parsed as JSON and kept in `logs`; stop() sends
// SIGTERM, waits for the exit and asserts a clean one (code 0, no signal).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import readline from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const VIBED_BIN = process.env.VIBED_BIN || path.join(REPO_ROOT, 'build', 'vibed');
const ARTIFACTS = path.resolve(here, '..', 'artifacts');

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 15000;

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

let serial = 0;

/** A random printable secret of n characters. */
export function randomSecret(n = 48) {
  return randomBytes(n).toString('base64url').slice(0, n);
}

/**
 * Spawns vibed. opts.env is merged over process.env (after the harness
 * defaults, so a test can override AUTH_RATE_LIMIT); opts.name labels the
 * artifact log file. Resolves to
 * {url, port, logs, secret, dbPath, dir, child, stop(), kill()}.
 */
export async function startServer(opts = {}) {
  if (!existsSync(VIBED_BIN)) {
    throw new Error(`vibed binary not found at ${VIBED_BIN} (set VIBED_BIN)`);
  }
  // opts.dir/opts.secret: restart on the data of an earlier server (the
  // folder is then the caller's to remove).
  const dir = opts.dir || mkdtempSync(path.join(tmpdir(), 'vibed-e2e-'));
  const dbPath = path.join(dir, 'test.db');
  const secret = opts.secret || randomSecret(48);
  const args = [
    'serve', '--port', '0', '--host', '127.0.0.1',
    '--database-url', `sqlite:${dbPath}`,
    '--jwt-secret', secret,
    '--log-level', 'info',
    ...(opts.args || []),
  ];
  const env = { ...process.env, AUTH_RATE_LIMIT: '100000', ...(opts.env || {}) };
  const child = spawn(VIBED_BIN, args, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);

  const logs = [];
  const stdout = [];
  const name = `${opts.name || path.basename(process.argv[1] || 'server')}-${++serial}`;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); });
  });
  let exitInfo = null;
  exited.then((info) => { exitInfo = info; });

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => stdout.push(d));
  const rl = readline.createInterface({ input: child.stderr });
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `vibed did not log "listening" within ${START_TIMEOUT_MS} ms; stderr:\n${dump(logs)}`)),
    START_TIMEOUT_MS);
    rl.on('line', (line) => {
      let obj;
      try { obj = JSON.parse(line); } catch { obj = { raw: line }; }
      if (obj === null || typeof obj !== 'object') obj = { raw: line };
      logs.push(obj);
      if (obj.msg === 'listening' && Number.isInteger(obj.port)) {
        clearTimeout(timer);
        resolve(obj.port);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`vibed exited before listening (code ${code}, signal ${signal}); stderr:\n${dump(logs)}`));
    });
  });
  const stderrClosed = new Promise((resolve) => rl.on('close', resolve));

  let port;
  try {
    port = await listening;
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    saveArtifacts(name, logs, stdout);
    throw err;
  }

  let stopped = false;
  const handle = {
    url: `http://127.0.0.1:${port}`,
    port,
    logs,
    secret,
    dbPath,
    dir,
    child,
    get stopped() { return stopped; },
    get exitInfo() { return exitInfo; },
    /** SIGTERM, wait, and assert a clean exit (code 0, not a signal). */
    async stop() {
      if (stopped) return exitInfo;
      stopped = true;
      if (!exitInfo) child.kill('SIGTERM');
      const info = await withTimeout(exited, STOP_TIMEOUT_MS);
      if (!info) {
        child.kill('SIGKILL');
        await exited;
        await stderrClosed;
        finish();
        assert.fail(`vibed did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
      }
      await stderrClosed;
      finish();
      assert.equal(info.signal, null, `vibed was ended by signal ${info.signal}`);
      assert.equal(info.code, 0, `vibed exited with code ${info.code}; last log lines:\n${dump(logs.slice(-15))}`);
      return info;
    },
    /** Hard stop for after-hooks when a test already failed; never asserts. */
    async kill() {
      if (stopped) return;
      stopped = true;
      if (!exitInfo) child.kill('SIGKILL');
      await exited;
      finish();
    },
  };
  function finish() {
    saveArtifacts(name, logs, stdout);
    if (!opts.dir && !opts.keepDir) rmSync(dir, { recursive: true, force: true });
  }
  return handle;
}

/** Access-log lines (those with a numeric status). */
export function accessLogs(logs) {
  return logs.filter((l) => typeof l.status === 'number' && typeof l.method === 'string');
}

/** Asserts that no log line reports a status >= 500. */
export function assertNoServerErrors(logs) {
  const bad = logs.filter((l) => typeof l.status === 'number' && l.status >= 500);
  assert.equal(bad.length, 0, `server logged ${bad.length} response(s) with status >= 500:\n${dump(bad)}`);
}

/** Polls fn (sync or async) until it returns a truthy value; bounded. */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Asserts that none of the given secrets appears in any log line. */
export function assertNoSecretsLogged(logs, secrets) {
  const text = logs.map((l) => JSON.stringify(l));
  const leaked = [];
  for (const s of secrets) {
    const i = text.findIndex((t) => t.includes(s));
    if (i >= 0) leaked.push(`${s.slice(0, 12)}... in ${text[i].slice(0, 300)}`);
  }
  assert.equal(leaked.length, 0, `secrets written to the log:\n${leaked.join('\n')}`);
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function dump(lines) {
  return lines.map((l) => JSON.stringify(l)).join('\n');
}

function saveArtifacts(name, logs, stdout) {
  try {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, `${name}.stderr.jsonl`), logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
    if (stdout.length) writeFileSync(path.join(ARTIFACTS, `${name}.stdout.txt`), stdout.join(''));
  } catch { /* artifacts are a convenience only */ }
}
