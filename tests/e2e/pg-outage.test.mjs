// PostgreSQL stopped and started again under a running server: every REST
// write and chat send in flight gets an answer (success, or 503
// DATABASE_UNAVAILABLE / ack {ok:false, code:'UNAVAILABLE'}), /health says
// db: down (503) while the database is away, the server reconnects by itself
// and serves again, and every acknowledged write is in the database.
// Runs only against the throwaway cluster of scripts/pg-test-server.sh
// (VIBED_TEST_PG_DIR), which it stops and starts with pg_ctl.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  api, expectOk, expectError, registerUser, createWorkspace, createProject, createChannel,
} from './lib/api.mjs';
import { connect, closeAll, emitAck } from './lib/chat.mjs';
import { startServer, waitFor, REPO_ROOT, PG_URL } from './lib/server.mjs';

const PG_DIR = process.env.VIBED_TEST_PG_DIR;
const skip = !(PG_URL && PG_DIR) && 'needs the throwaway cluster (VIBED_TEST_PG_URL and VIBED_TEST_PG_DIR)';
const script = path.join(REPO_ROOT, 'scripts', 'pg-test-server.sh');
const pgStop = () => execFileSync('bash', [script, 'stop', PG_DIR], { stdio: 'ignore' });
const pgStart = () => execFileSync('bash', [script, 'restart', PG_DIR], { stdio: 'ignore' });

let srv;
after(async () => {
  closeAll();
  if (PG_DIR) { try { pgStart(); } catch { /* already running */ } }
  if (srv) await srv.kill();
});

async function health() {
  const res = await api(srv.url, 'GET', '/health');
  return { status: res.status, db: res.json?.data?.db ?? res.json?.db };
}

test('PostgreSQL outage: answers for everything in flight, 503 while down, back by itself, nothing acknowledged lost', { skip, timeout: 120000 }, async () => {
  srv = await startServer({ name: 'pg-outage' });
  const u = await registerUser(srv.url);
  const ws = await createWorkspace(srv.url, u.accessToken, { name: 'Outage WS' });
  const p = await createProject(srv.url, u.accessToken, ws.id, { key: 'OUT' });
  const ch = await createChannel(srv.url, u.accessToken, ws.id, { name: 'outage' });
  const sock = await connect(srv.url, u.accessToken, { transports: ['websocket'] });
  expectOkAck(await emitAck(sock, 'channel:join', { channelId: ch.id }));
  assert.equal((await health()).status, 200);

  const created = [];
  const sent = [];
  const outcomes = { ok: 0, unavailable: 0 };
  let n = 0;
  let stopped = false;
  // A steady stream of writes over both paths, until told to stop.
  async function writer() {
    while (!stopped) {
      const i = n++;
      const [res, ack] = await Promise.all([
        api(srv.url, 'POST', `/projects/${p.id}/tasks`, { token: u.accessToken, body: { title: `task ${i}` } }),
        emitAck(sock, 'message:send', { channelId: ch.id, content: `msg ${i}` }, { timeoutMs: 15000 }),
      ]);
      if (res.status === 201) {
        created.push(expectOk(res, 201).id);
        outcomes.ok++;
      } else {
        expectError(res, 503, 'DATABASE_UNAVAILABLE');
        outcomes.unavailable++;
      }
      if (ack && ack.ok === true) {
        sent.push(`msg ${i}`);
      } else {
        assert.equal(ack?.code, 'UNAVAILABLE', `chat ack: ok or UNAVAILABLE expected, got ${JSON.stringify(ack)}`);
      }
    }
  }
  const loops = [writer(), writer()];
  await waitFor(() => created.length >= 10, { timeoutMs: 20000, what: 'writes before the outage' });
  pgStop();
  await waitFor(async () => (await health()).status === 503, { timeoutMs: 20000, what: 'health 503' });
  const down = await health();
  assert.equal(down.db, 'down');
  const before = outcomes.unavailable;
  await waitFor(() => outcomes.unavailable > before + 2, { timeoutMs: 20000, what: '503 answers while down' });
  pgStart();
  const t0 = Date.now();
  await waitFor(async () => (await health()).status === 200, { timeoutMs: 20000, intervalMs: 100, what: 'health 200 again' });
  const okBefore = outcomes.ok;
  await waitFor(() => outcomes.ok > okBefore + 5, { timeoutMs: 20000, what: 'writes after the return' });
  assert.ok(Date.now() - t0 < 20000);
  stopped = true;
  await Promise.all(loops);

  // Every acknowledged write is there.
  for (const id of created) {
    expectOk(await api(srv.url, 'GET', `/tasks/${id}`, { token: u.accessToken }));
  }
  const have = new Set();
  let cursor = '';
  for (;;) {
    const res = await api(srv.url, 'GET', `/channels/${ch.id}/messages?limit=100${cursor}`, { token: u.accessToken });
    const page = expectOk(res);
    for (const m of page) have.add(m.content);
    if (page.length < 100) break;
    cursor = `&before=${page[page.length - 1].id}`;
  }
  const lost = sent.filter((c) => !have.has(c));
  assert.deepEqual(lost, [], 'acknowledged chat messages missing');
  assert.ok(outcomes.unavailable > 0);
  sock.close();
  await srv.stop();
  srv = null;
});

function expectOkAck(ack) {
  assert.equal(ack?.ok, true, JSON.stringify(ack));
}
