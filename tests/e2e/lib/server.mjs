// Starts and stops a real vibed process for one test file.
//
// startServer() spawns the binary on a free port with a fresh database, waits
// for its "listening" log line and returns a handle. The database is a SQLite
// file in a temporary folder, or, when VIBED_TEST_PG_URL is set (a
// postgres:// URL of a server where the user may create databases, e.g. the
// one scripts/pg-test-server.sh prints), a new PostgreSQL database created
// for this server (CREATE DATABASE through psql) and dropped after it. Every stderr line is parsed as JSON and kept in `logs`; stop() sends
// SIGTERM, waits for the exit and asserts a clean one (code 0, no signal).
import { spawn, execFileSync } from 'node:child_process';
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
/** The PostgreSQL database of each data folder, for restarts on the same data. */
const pgOfDir = new Map();

/** The PostgreSQL server of the tests, or null for SQLite. */
export const PG_URL = process.env.VIBED_TEST_PG_URL || null;

/** Runs one SQL command with psql against url; returns its unaligned output. */
export function psql(url, sql) {
  return execFileSync('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** url with its database (the path) replaced by name. */
export function pgUrlWithDb(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates a fresh database on PG_URL; returns {name, url}. */
export function createPgDatabase() {
  const name = `vibed_t_${process.pid}_${serial}_${randomBytes(4).toString('hex')}`;
  psql(PG_URL, `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  return { name, url: pgUrlWithDb(PG_URL, name) };
}

/** Drops a database made by createPgDatabase (never throws). */
export function dropPgDatabase(name) {
  try { psql(PG_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* best effort */ }
}

/** A random printable secret of n characters. */
export function randomSecret(n = 48) {
  return randomBytes(n).toString('base64url').slice(0, n);
}

/**
 * Spawns vibed. opts.env is merged over process.env (after the harness
 * defaults, so a test can override AUTH_RATE_LIMIT); opts.name labels the
 * artifact log file. A restart on the same database and port passes the
 * previous handle as opts.restartOf (its dir, secret and port are reused);
 * set keepDir on that handle before stopping it so its stop or kill keeps
 * the folder (the last server's removes it). Resolves to
 * {url, port, logs, secret, dbPath, dir, child, stop(), kill()}.
 */
export async function startServer(opts = {}) {
  if (!existsSync(VIBED_BIN)) {
    throw new Error(`vibed binary not found at ${VIBED_BIN} (set VIBED_BIN)`);
  }
  // opts.restartOf: a previous handle whose dir, secret and port are reused
  // (a restart on the same database, where tokens stay valid); opts.dir and
  // opts.secret reuse a data folder on a new port; opts.keepDir keeps the
  // folder afterwards (so does setting keepDir on the handle before a stop).
  const prev = opts.restartOf;
  const dir = prev ? prev.dir : (opts.dir || mkdtempSync(path.join(tmpdir(), 'vibed-e2e-')));
  const keepDir = Boolean(opts.dir || opts.keepDir);
  const dbPath = path.join(dir, 'test.db');
  const secret = prev ? prev.secret : (opts.secret || randomSecret(48));
  // On PostgreSQL a restart on the same data (restartOf, or dir) reuses the
  // database of that folder; otherwise each server gets a fresh database.
  const reuse = pgOfDir.get(dir);
  const pg = reuse || (PG_URL && !opts.databaseUrl ? createPgDatabase() : null);
  if (pg) pgOfDir.set(dir, pg);
  const databaseUrl = opts.databaseUrl || (pg ? pg.url : `sqlite:${dbPath}`);
  const args = [
    'serve', '--port', String(prev ? prev.port : (opts.port ?? 0)), '--host', '127.0.0.1',
    '--database-url', databaseUrl,
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
    if (pg) dropPgDatabase(pg.name);
    throw err;
  }

  let stopped = false;
  const handle = {
    url: `http://127.0.0.1:${port}`,
    port,
    logs,
    secret,
    dbPath,
    databaseUrl,
    backend: databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgresql',
    dir,
    child,
    /**
     * Rows of a read-only SQL query straight from the database (sqlite3 CLI
     * or psql), as an array of objects; the query must be portable.
     */
    queryRows(sql) {
      if (databaseUrl.startsWith('sqlite:')) {
        const out = execFileSync('sqlite3', ['-readonly', '-json', '-cmd', '.timeout 5000', dbPath, sql],
          { encoding: 'utf8' }).trim();
        return out ? JSON.parse(out) : [];
      }
      const out = psql(databaseUrl, `SELECT COALESCE(json_agg(q), '[]') FROM (${sql}) q`).trim();
      return JSON.parse(out);
    },
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
    if (!keepDir && !handle.keepDir) {
      rmSync(dir, { recursive: true, force: true });
      pgOfDir.delete(dir);
      if (pg && !opts.keepDatabase) dropPgDatabase(pg.name);
    }
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
