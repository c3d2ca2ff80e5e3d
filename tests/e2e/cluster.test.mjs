// Three instances as one server: one PostgreSQL database (VIBED_TEST_PG_URL),
// one Redis (a throwaway redis-server started here on a free loopback port)
// and clients spread over them with the official socket.io-client and
// EventSource. Skipped when VIBED_TEST_PG_URL is not set (SQLite cannot be
// shared between machines, so a cluster always runs on PostgreSQL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EventSource from 'eventsource';
import {
  PREFIX, api, expectOk, registerUser, createWorkspace, addMember, createProject, createTask,
  createChannel,
} from './lib/api.mjs';
import {
  PG_URL, startServer, waitFor, randomSecret, createPgDatabase, dropPgDatabase, assertNoServerErrors,
} from './lib/server.mjs';
import { connect, closeAll, seen, received, summary, emitAck, expectAckOk, messageIdOf } from './lib/chat.mjs';
import { freePort } from './lib/cluster.mjs';

const SKIP = PG_URL ? false : 'the cluster runs on PostgreSQL: set VIBED_TEST_PG_URL (scripts/test.sh does)';
const PRESENCE_TTL_MS = 2000;

let redis = null;
let redisPort = 0;
let redisDir = null;
let db = null;
const servers = [];

function redisCli(...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), ...args],
    { encoding: 'utf8' }).trim();
}

/** Waits until n instances subscribe to the channel of hub topic `topic`. */
async function subscribed(topic, n) {
  await waitFor(() => {
    const out = redisCli('PUBSUB', 'NUMSUB', `vibed:t:${topic}`).split('\n');
    return Number(out[1]) >= n;
  }, { timeoutMs: 5000, what: `${n} instance(s) subscribed to ${topic}` });
}

async function stopRedis() {
  redis.kill('SIGKILL');
  await new Promise((r) => (redis.exitCode !== null || redis.signalCode !== null ? r() : redis.once('exit', r)));
}

async function startRedis() {
  if (!redisPort) redisPort = await freePort();
  if (!redisDir) redisDir = mkdtempSync(path.join(tmpdir(), 'vibed-redis-'));
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', redisDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  redis.stdout.resume();
  redis.stderr.resume();
  await waitFor(() => {
    try { return redisCli('PING') === 'PONG'; } catch { return false; }
  }, { timeoutMs: 10000, what: 'redis-server to answer' });
}

function startInstance(name) {
  return startServer({
    name,
    databaseUrl: db.url,
    secret: servers.secret,
    env: { REDIS_URL: `redis://127.0.0.1:${redisPort}`, PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) },
  });
}

before(async () => {
  if (SKIP) return;
  await startRedis();
  db = createPgDatabase();
  servers.secret = randomSecret(48);
  // The first one runs the migrations alone.
  servers.push(await startInstance('cluster-a'));
  servers.push(await startInstance('cluster-b'));
  servers.push(await startInstance('cluster-c'));
});

after(async () => {
  closeAll();
  for (const s of servers) if (!s.stopped) await s.kill();
  if (redis) await stopRedis();
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  if (db) dropPgDatabase(db.name);
});

const st = {};

test('every instance reports redis ok', { skip: SKIP }, async () => {
  for (const s of servers) {
    const data = expectOk(await api(s.url, 'GET', '/health'));
    assert.equal(data.redis, 'ok', s.url);
  }
});

test('presence: online once per user across instances; two tabs count once', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, B, C] = servers;
  st.owner = await registerUser(A.url, { firstName: 'Olga', lastName: 'Owner' });
  st.bea = await registerUser(B.url, { firstName: 'Bea', lastName: 'OnB' });
  st.cem = await registerUser(C.url, { firstName: 'Cem', lastName: 'OnC' });
  st.ws = await createWorkspace(A.url, st.owner.accessToken, { name: 'Cluster WS' });
  await addMember(A.url, st.owner.accessToken, st.ws.id, st.bea);
  await addMember(A.url, st.owner.accessToken, st.ws.id, st.cem);
  st.sa = await connect(A.url, st.owner.accessToken, { transports: ['websocket'] });
  st.sb = await connect(B.url, st.bea.accessToken, { transports: ['websocket'] });
  await seen(st.sa, 'presence:online', (d) => d.userId === st.bea.user.id);
  st.sc = await connect(C.url, st.cem.accessToken, { transports: ['websocket'] });
  await seen(st.sa, 'presence:online', (d) => d.userId === st.cem.user.id);
  await seen(st.sb, 'presence:online', (d) => d.userId === st.cem.user.id);
  // A second tab of Bea, on C: nobody is told again; closing it says nothing.
  const tab = await connect(C.url, st.bea.accessToken, { transports: ['websocket'] });
  tab.close();
  // A marker: Cem's second connection elsewhere is as silent; then a new user.
  const dan = await registerUser(A.url, { firstName: 'Dan', lastName: 'Marker' });
  await addMember(A.url, st.owner.accessToken, st.ws.id, dan);
  const sd = await connect(B.url, dan.accessToken, { transports: ['websocket'] });
  for (const s of [st.sa, st.sb, st.sc]) {
    await seen(s, 'presence:online', (d) => d.userId === dan.user.id);
  }
  sd.close();
  for (const s of [st.sa, st.sb, st.sc]) {
    await seen(s, 'presence:offline', (d) => d.userId === dan.user.id);
  }
  // A saw Bea come (once); C connected after her and her tab there is no news.
  for (const [s, who, n] of [[st.sa, 'A', 1], [st.sc, 'C', 0]]) {
    assert.equal(received(s, 'presence:online', (d) => d.userId === st.bea.user.id).length, n, `${who}: ${summary(s)}`);
    assert.equal(received(s, 'presence:offline', (d) => d.userId === st.bea.user.id).length, 0, `${who}: ${summary(s)}`);
  }
  for (const [s, who] of [[st.sa, 'A'], [st.sb, 'B']]) {
    assert.equal(received(s, 'presence:online', (d) => d.userId === st.cem.user.id).length, 1, `${who}: ${summary(s)}`);
  }
  for (const s of [st.sa, st.sb, st.sc]) {
    assert.equal(received(s, 'presence:online', (d) => d.userId === dan.user.id).length, 1, summary(s));
    assert.equal(received(s, 'presence:offline', (d) => d.userId === dan.user.id).length, 1, summary(s));
  }
});

test('a user added to the workspace while online on B comes online on A and C', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, B] = servers;
  const fay = await registerUser(A.url, { firstName: 'Fay', lastName: 'Late' });
  const sf = await connect(B.url, fay.accessToken, { transports: ['websocket'] });
  await addMember(A.url, st.owner.accessToken, st.ws.id, fay);
  for (const s of [st.sa, st.sb, st.sc]) await seen(s, 'presence:online', (d) => d.userId === fay.user.id);
  sf.close();
  for (const s of [st.sa, st.sb, st.sc]) await seen(s, 'presence:offline', (d) => d.userId === fay.user.id);
  for (const s of [st.sa, st.sb, st.sc]) {
    assert.equal(received(s, 'presence:online', (d) => d.userId === fay.user.id).length, 1, summary(s));
  }
});

test('joins, a message, typing and a leave cross instances exactly once', { skip: SKIP, timeout: 30000 }, async () => {
  const [A] = servers;
  const { sa, sb, sc } = st;
  st.chan = await createChannel(A.url, st.owner.accessToken, st.ws.id);
  const topic = `channel:${st.chan.id}`;
  expectAckOk(await emitAck(sa, 'channel:join', { channelId: st.chan.id }), 'join A');
  await subscribed(topic, 1);
  expectAckOk(await emitAck(sb, 'channel:join', { channelId: st.chan.id }), 'join B');
  await subscribed(topic, 2);
  await seen(sa, 'channel:user_joined', (d) => d.userId === st.bea.user.id);
  expectAckOk(await emitAck(sc, 'channel:join', { channelId: st.chan.id }), 'join C');
  await subscribed(topic, 3);
  for (const s of [sa, sb]) await seen(s, 'channel:user_joined', (d) => d.userId === st.cem.user.id);

  const ack = expectAckOk(await emitAck(sa, 'message:send', { channelId: st.chan.id, content: 'hello cluster' }), 'send');
  const mid = messageIdOf(ack);
  for (const s of [sa, sb, sc]) await seen(s, 'message:new', (d) => d.messageId === mid);
  expectAckOk(await emitAck(sb, 'channel:typing', { channelId: st.chan.id }), 'typing');
  for (const s of [sa, sc]) await seen(s, 'channel:typing', (d) => d.userId === st.bea.user.id);
  expectAckOk(await emitAck(sc, 'channel:leave', { channelId: st.chan.id }), 'leave C');
  for (const s of [sa, sb]) await seen(s, 'channel:user_left', (d) => d.userId === st.cem.user.id);
  // A marker message: everything before it has arrived where it would.
  const m2 = expectAckOk(await emitAck(sb, 'message:send', { channelId: st.chan.id, content: 'marker' }), 'marker');
  for (const s of [sa, sb]) await seen(s, 'message:new', (d) => d.messageId === messageIdOf(m2));

  for (const [s, who] of [[sa, 'A'], [sb, 'B'], [sc, 'C']]) {
    assert.equal(received(s, 'message:new', (d) => d.messageId === mid).length, 1, `${who}: ${summary(s)}`);
  }
  assert.equal(received(sa, 'channel:user_joined', (d) => d.userId === st.bea.user.id).length, 1, summary(sa));
  assert.equal(received(sa, 'channel:user_joined', (d) => d.userId === st.cem.user.id).length, 1, summary(sa));
  assert.equal(received(sb, 'channel:user_joined', (d) => d.userId === st.cem.user.id).length, 1, summary(sb));
  assert.equal(received(sb, 'channel:user_joined', (d) => d.userId === st.bea.user.id).length, 0, 'no echo of the own join');
  for (const [s, who] of [[sa, 'A'], [sc, 'C']]) {
    assert.equal(received(s, 'channel:typing').length, 1, `${who}: ${summary(s)}`);
  }
  assert.equal(received(sb, 'channel:typing').length, 0, 'the typist is not told');
  for (const [s, who] of [[sa, 'A'], [sb, 'B']]) {
    assert.equal(received(s, 'channel:user_left', (d) => d.userId === st.cem.user.id).length, 1, `${who}: ${summary(s)}`);
  }
  assert.equal(received(sc, 'message:new', (d) => d.messageId === messageIdOf(m2)).length, 0, 'C left before the marker');
});

test('a task change on A reaches a project stats stream on C within 1 s', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, , C] = servers;
  const project = await createProject(A.url, st.owner.accessToken, st.ws.id);
  const url = `${C.url}${PREFIX}/projects/${project.id}/stats/live?access_token=${encodeURIComponent(st.owner.accessToken)}`;
  const es = new EventSource(url);
  const got = [];
  es.addEventListener('stats:update', (e) => got.push({ at: Date.now(), data: JSON.parse(e.data) }));
  try {
    await waitFor(() => got.length > 0, { timeoutMs: 5000, what: 'first stats on C' });
    await subscribed(`project:${project.id}`, 1);
    const t0 = Date.now();
    await createTask(A.url, st.owner.accessToken, project.id, { title: 'Cross-instance task' });
    const hit = await waitFor(() => got.find((g) => g.data.totalTasks === 1), { timeoutMs: 5000, what: 'stats with the task on C' });
    const ms = hit.at - t0;
    console.log(`task on A -> stats on C after ${ms} ms`);
    assert.ok(ms < 1000, `stats on C after ${ms} ms`);
  } finally {
    es.close();
  }
});

test('activity on B reaches a stream on C; a reconnect on C with Last-Event-ID replays without gap or duplicate', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, B, C] = servers;
  const tok = st.owner.accessToken;
  const wsx = await createWorkspace(A.url, tok, { name: 'Activity WS' });
  const proj = await createProject(B.url, tok, wsx.id, { name: 'Activity', key: 'ACT' });
  const url = `${C.url}${PREFIX}/workspaces/${wsx.id}/activity/live`;
  const stream = (headers = {}) => {
    const es = new EventSource(url, { headers: { authorization: `Bearer ${tok}`, ...headers } });
    const got = [];
    es.addEventListener('activity', (e) => got.push({ id: e.lastEventId, data: JSON.parse(e.data) }));
    return { es, got };
  };
  const titles = (got) => got.map((g) => g.data.changes?.title).filter(Boolean);
  const s1 = stream();
  let s2 = null;
  try {
    // The stream is live once a change made on B shows on C.
    let n = 0;
    await waitFor(async () => {
      if (s1.got.length) return true;
      await createTask(B.url, tok, proj.id, { title: `warm-${n++}` });
      return false;
    }, { timeoutMs: 10000, intervalMs: 200, what: 'activity from B on the stream on C' });
    await createTask(B.url, tok, proj.id, { title: 'live-1' });
    await waitFor(() => titles(s1.got).includes('live-1'), { timeoutMs: 5000, what: 'live-1 on C' });
    const lastId = s1.got[s1.got.length - 1].id;
    assert.ok(lastId, 'activity events carry an id');
    s1.es.close();
    for (let i = 0; i < 3; i++) await createTask(B.url, tok, proj.id, { title: `missed-${i}` });
    s2 = stream({ 'Last-Event-ID': lastId });
    await createTask(B.url, tok, proj.id, { title: 'after' });
    const list = expectOk(await api(B.url, 'GET', `/workspaces/${wsx.id}/activity?limit=100`, { token: tok }));
    const expected = list.filter((r) => r.id > lastId).map((r) => r.id).sort();
    assert.ok(expected.length >= 4, `rows after ${lastId}: ${expected.length}`);
    await waitFor(() => s2.got.length >= expected.length, { timeoutMs: 5000, what: 'replay and live rows on C' });
    const ids = s2.got.map((g) => g.id);
    assert.equal(new Set(ids).size, ids.length, `duplicates: ${ids}`);
    assert.deepEqual(ids, expected, 'exactly the rows after Last-Event-ID, oldest first');
    assert.deepEqual(titles(s2.got), ['missed-0', 'missed-1', 'missed-2', 'after']);
  } finally {
    s1.es.close();
    if (s2) s2.es.close();
  }
});

test('a member removed on A loses their rooms on B and C', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, , C] = servers;
  const { sb } = st;
  const bc = await connect(C.url, st.bea.accessToken, { transports: ['websocket'] });
  expectAckOk(await emitAck(bc, 'channel:join', { channelId: st.chan.id }), 'join on C');
  await subscribed(`channel:${st.chan.id}`, 3);
  const res = await api(A.url, 'DELETE', `/workspaces/${st.ws.id}/members/${st.bea.user.id}`, { token: st.owner.accessToken });
  assert.ok(res.status === 200 || res.status === 204, `${res.status} ${res.text}`);
  for (const [s, who] of [[sb, 'B'], [bc, 'C']]) {
    await waitFor(async () => {
      const ack = await emitAck(s, 'channel:typing', { channelId: st.chan.id });
      return ack.ok === false && ack.code === 'NOT_IN_CHANNEL';
    }, { timeoutMs: 5000, what: `Bea out of the channel's room on ${who}` });
  }
  // A message sent now reaches neither of her sockets.
  const m = expectAckOk(await emitAck(st.sa, 'message:send', { channelId: st.chan.id, content: 'after removal' }), 'send');
  await seen(st.sa, 'message:new', (d) => d.messageId === messageIdOf(m));
  const marker = await connect(C.url, st.cem.accessToken, { transports: ['websocket'] });
  expectAckOk(await emitAck(marker, 'channel:join', { channelId: st.chan.id }), 'marker join');
  const m2 = expectAckOk(await emitAck(st.sa, 'message:send', { channelId: st.chan.id, content: 'marker' }), 'send');
  await seen(marker, 'message:new', (d) => d.messageId === messageIdOf(m2));
  for (const s of [sb, bc]) assert.equal(received(s, 'message:new', (d) => d.messageId === messageIdOf(m) || d.messageId === messageIdOf(m2)).length, 0, summary(s));
});

test('Redis goes away and comes back: local rooms keep working, health says down, subscriptions return', { skip: SKIP, timeout: 60000 }, async () => {
  const [A, B, C] = servers;
  const { sa } = st;
  const cc = await connect(C.url, st.cem.accessToken, { transports: ['websocket'] });
  expectAckOk(await emitAck(cc, 'channel:join', { channelId: st.chan.id }), 'join on C');
  await subscribed(`channel:${st.chan.id}`, 2);
  await stopRedis();
  for (const s of [A, B, C]) {
    await waitFor(async () => (await api(s.url, 'GET', '/health')).json?.data?.redis === 'down',
      { timeoutMs: 5000, what: `${s.url} to report redis down` });
  }
  // Still one server for its own clients: the sender gets its message.
  const during = expectAckOk(await emitAck(sa, 'message:send', { channelId: st.chan.id, content: 'during' }), 'send during');
  await seen(sa, 'message:new', (d) => d.messageId === messageIdOf(during));
  await startRedis();
  for (const s of [A, B, C]) {
    await waitFor(async () => (await api(s.url, 'GET', '/health')).json?.data?.redis === 'ok',
      { timeoutMs: 15000, what: `${s.url} to report redis ok again` });
  }
  await subscribed(`channel:${st.chan.id}`, 2);
  const back = expectAckOk(await emitAck(sa, 'message:send', { channelId: st.chan.id, content: 'back' }), 'send after');
  await seen(cc, 'message:new', (d) => d.messageId === messageIdOf(back));
  const marker = expectAckOk(await emitAck(sa, 'message:send', { channelId: st.chan.id, content: 'marker' }), 'marker');
  await seen(cc, 'message:new', (d) => d.messageId === messageIdOf(marker));
  assert.equal(received(cc, 'message:new', (d) => d.messageId === messageIdOf(back)).length, 1, summary(cc));
  assert.equal(received(sa, 'message:new', (d) => d.messageId === messageIdOf(back)).length, 1, summary(sa));
  // Cem (on C all along) never went offline on A meanwhile.
  assert.equal(received(sa, 'presence:offline', (d) => d.userId === st.cem.user.id).length, 0, summary(sa));
  cc.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const WS = { transports: ['websocket'] };

/** The ids of the message:new events socket s received, in order, among ids. */
function newOrder(s, ids) {
  const want = new Set(ids);
  return received(s, 'message:new').map(messageIdOf).filter((id) => want.has(id));
}

async function redisDown() {
  await stopRedis();
  for (const s of servers.filter((x) => !x.stopped)) {
    await waitFor(async () => (await api(s.url, 'GET', '/health')).json?.data?.redis === 'down',
      { timeoutMs: 5000, what: `${s.url} to report redis down` });
  }
}

async function redisUp() {
  await startRedis();
  for (const s of servers.filter((x) => !x.stopped)) {
    await waitFor(async () => (await api(s.url, 'GET', '/health')).json?.data?.redis === 'ok',
      { timeoutMs: 15000, what: `${s.url} to report redis ok again` });
  }
}

test('a channel:join new to an instance is acked only once its SUBSCRIBE is confirmed', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, B] = servers;
  const chan = await createChannel(A.url, st.owner.accessToken, st.ws.id);
  const channelId = chan.id;
  const sa = await connect(A.url, st.owner.accessToken, WS);
  const sb = await connect(B.url, st.owner.accessToken, WS);
  expectAckOk(await emitAck(sa, 'channel:join', { channelId }), 'join A');
  await subscribed(`channel:${channelId}`, 1);
  // Redis paused (shorter than a presence share's life): B's SUBSCRIBE waits.
  redis.kill('SIGSTOP');
  let resumedAt = 0;
  let ackAt = 0;
  const ackP = emitAck(sb, 'channel:join', { channelId }).then((a) => { ackAt = Date.now(); return a; });
  try {
    await sleep(400); // the pause itself
  } finally {
    resumedAt = Date.now();
    redis.kill('SIGCONT');
  }
  expectAckOk(await ackP, 'join B');
  assert.ok(ackAt >= resumedAt, `join acked ${resumedAt - ackAt} ms before Redis answered`);
  // Right after the ack, a message from A reaches B.
  const m = messageIdOf(expectAckOk(await emitAck(sa, 'message:send', { channelId, content: 'right after' }), 'send'));
  await seen(sb, 'message:new', (d) => messageIdOf(d) === m);
  sa.close();
  sb.close();
});

test('Redis stopped for 5 s while messages are sent (on several instances): every message reaches every member once, in order, after Redis returns', { skip: SKIP, timeout: 90000 }, async () => {
  const [A, B, C] = servers;
  const gus = await registerUser(A.url, { firstName: 'Gus', lastName: 'OnB' });
  await addMember(A.url, st.owner.accessToken, st.ws.id, gus);
  const chan = await createChannel(A.url, st.owner.accessToken, st.ws.id);
  const channelId = chan.id;
  // One member per instance, and a second one on A (Gus's other tab): A's room is local too.
  const sa = await connect(A.url, st.owner.accessToken, WS);
  const sa2 = await connect(A.url, gus.accessToken, WS);
  const sb = await connect(B.url, gus.accessToken, WS);
  const sc = await connect(C.url, st.cem.accessToken, WS);
  const members = [[sa, 'A'], [sb, 'B'], [sc, 'C']];
  const all = [...members, [sa2, 'A']];
  for (const [s, who] of all) expectAckOk(await emitAck(s, 'channel:join', { channelId }), `join ${who}`);
  await subscribed(`channel:${channelId}`, 3);
  const before = messageIdOf(expectAckOk(await emitAck(sc, 'message:send', { channelId, content: 'before' }), 'before'));
  for (const [s] of all) await seen(s, 'message:new', (d) => messageIdOf(d) === before);

  await redisDown();
  const downAt = Date.now();
  const sent = { A: [], B: [], C: [] };
  const order = [];
  for (let round = 0; round < 3; round++) {
    for (const [s, who] of members) {
      const ack = expectAckOk(await emitAck(s, 'message:send', { channelId, content: `${who}${round}` }), `${who}${round}`);
      sent[who].push(messageIdOf(ack));
      order.push(messageIdOf(ack));
    }
  }
  // An edit on B and a delete on C, during the outage too.
  expectAckOk(await emitAck(sb, 'message:edit', { messageId: sent.B[0], content: 'B0 edited' }), 'edit');
  expectAckOk(await emitAck(sc, 'message:delete', { messageId: sent.C[0] }), 'delete');
  // Local rooms keep working: A's other member gets A's messages now, and nothing of B's or C's yet.
  for (const id of sent.A) await seen(sa2, 'message:new', (d) => messageIdOf(d) === id);
  assert.equal(newOrder(sa2, [...sent.B, ...sent.C]).length, 0, summary(sa2));
  await sleep(Math.max(0, 5000 - (Date.now() - downAt))); // the outage itself
  await redisUp();

  for (const [s, who] of all) {
    await waitFor(() => newOrder(s, order).length >= order.length,
      { timeoutMs: 15000, what: `every message on ${who}: ${summary(s)}` });
    await seen(s, 'message:edited', (d) => messageIdOf(d) === sent.B[0] || d?.message?.id === sent.B[0], { timeoutMs: 15000 })
      .catch((e) => { if (s !== sb) throw e; });
    await seen(s, 'message:deleted', (d) => messageIdOf(d) === sent.C[0], { timeoutMs: 15000 })
      .catch((e) => { if (s !== sc) throw e; });
  }
  // A marker after the return: everything before it has arrived where it would.
  const marker = messageIdOf(expectAckOk(await emitAck(sb, 'message:send', { channelId, content: 'marker' }), 'marker'));
  for (const [s] of all) await seen(s, 'message:new', (d) => messageIdOf(d) === marker);

  for (const [s, who] of all) {
    // Once each, in order: the instance's own messages as they were sent,
    // then the others' in commit order (the catch-up), never what it had.
    const got = newOrder(s, [before, ...order, marker]);
    const own = sent[who];
    const others = order.filter((id) => !own.includes(id));
    assert.deepEqual(got, [before, ...own, ...others, marker], `${who}: ${summary(s, 20)}`);
    const edited = received(s, 'message:edited', (d) => messageIdOf(d) === sent.B[0]).length;
    assert.equal(edited, s === sb ? 0 : 1, `${who} edits: ${summary(s, 20)}`);
    const deleted = received(s, 'message:deleted', (d) => messageIdOf(d) === sent.C[0]).length;
    assert.equal(deleted, s === sc ? 0 : 1, `${who} deletes: ${summary(s, 20)}`);
  }
  for (const [s] of all) s.close();
});

test('two instances send to one channel at once: no error, every message stored and delivered once', { skip: SKIP, timeout: 60000 }, async () => {
  const [A, B, C] = servers;
  const ivo = await registerUser(A.url, { firstName: 'Ivo', lastName: 'Writer' });
  await addMember(A.url, st.owner.accessToken, st.ws.id, ivo);
  const chan = await createChannel(A.url, st.owner.accessToken, st.ws.id);
  const channelId = chan.id;
  const wa = await connect(A.url, st.owner.accessToken, WS);
  const wb = await connect(B.url, ivo.accessToken, WS);
  const rc = await connect(C.url, st.cem.accessToken, WS);
  const all = [[wa, 'A'], [wb, 'B'], [rc, 'C']];
  for (const [s, who] of all) expectAckOk(await emitAck(s, 'channel:join', { channelId }), `join ${who}`);
  await subscribed(`channel:${channelId}`, 3);
  const N = 25;
  const sends = [];
  for (let i = 0; i < N; i++) {
    sends.push(emitAck(wa, 'message:send', { channelId, content: `a${i}` }, { timeoutMs: 15000 }));
    sends.push(emitAck(wb, 'message:send', { channelId, content: `b${i}` }, { timeoutMs: 15000 }));
  }
  const acks = await Promise.all(sends);
  acks.forEach((a, i) => expectAckOk(a, `send ${i}`));
  const ids = acks.map(messageIdOf);
  assert.equal(new Set(ids).size, 2 * N);
  for (const [s, who] of all) {
    await waitFor(() => newOrder(s, ids).length >= ids.length,
      { timeoutMs: 15000, what: `every message on ${who}: ${summary(s)}` });
  }
  const marker = messageIdOf(expectAckOk(await emitAck(wa, 'message:send', { channelId, content: 'marker' }), 'marker'));
  for (const [s] of all) await seen(s, 'message:new', (d) => messageIdOf(d) === marker);
  for (const [s, who] of all) {
    const got = newOrder(s, ids);
    assert.equal(got.length, ids.length, `${who}: ${summary(s)}`);
    assert.equal(new Set(got).size, ids.length, `${who} duplicates: ${summary(s)}`);
  }
  // Every message stored once, and each log position (offset) given once.
  const res = await api(C.url, 'GET', `/channels/${channelId}/messages?limit=100`, { token: st.cem.accessToken });
  const stored = expectOk(res).map((m) => m.id);
  for (const id of ids) assert.ok(stored.includes(id), `message ${id} stored`);
  const offsets = rc.received.filter((r) => r.event === 'message:new' && ids.includes(messageIdOf(r.data)))
    .map((r) => r.args[r.args.length - 1]);
  assert.equal(new Set(offsets).size, ids.length, `distinct offsets: ${offsets.join(',')}`);
  for (const [s] of all) s.close();
});

test('after a Redis outage, project stats and workspace online counts are recomputed', { skip: SKIP, timeout: 60000 }, async () => {
  const [A, B, C] = servers;
  const project = await createProject(A.url, st.owner.accessToken, st.ws.id);
  const tok = encodeURIComponent(st.owner.accessToken);
  const ps = new EventSource(`${C.url}${PREFIX}/projects/${project.id}/stats/live?access_token=${tok}`);
  const ws = new EventSource(`${C.url}${PREFIX}/workspaces/${st.ws.id}/stats/live?access_token=${tok}`);
  const pGot = [];
  const wGot = [];
  ps.addEventListener('stats:update', (e) => pGot.push(JSON.parse(e.data)));
  ws.addEventListener('stats:update', (e) => wGot.push(JSON.parse(e.data)));
  let sj = null;
  try {
    await waitFor(() => pGot.length > 0 && wGot.length > 0, { timeoutMs: 5000, what: 'first stats on C' });
    await subscribed(`project:${project.id}`, 1);
    const jo = await registerUser(A.url, { firstName: 'Jo', lastName: 'Outage' });
    await addMember(A.url, st.owner.accessToken, st.ws.id, jo);
    await redisDown();
    // Missed by C: a task made on A, a user coming online on B.
    await createTask(A.url, st.owner.accessToken, project.id, { title: 'During the outage' });
    sj = await connect(B.url, jo.accessToken, WS);
    await redisUp();
    await waitFor(() => pGot.some((d) => d.totalTasks === 1), { timeoutMs: 15000, what: `project stats with the task on C: ${JSON.stringify(pGot.at(-1))}` });
    await waitFor(() => wGot.some((d) => d.onlineUserIds?.includes(jo.user.id)),
      { timeoutMs: 15000, what: `Jo online in C's workspace stats: ${JSON.stringify(wGot.at(-1))}` });
  } finally {
    ps.close();
    ws.close();
    if (sj) sj.close();
  }
});

test('an instance killed with SIGKILL: its users go offline on the others within PRESENCE_TTL_MS', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, B, C] = servers;
  const eve = await registerUser(A.url, { firstName: 'Eve', lastName: 'OnC' });
  await addMember(A.url, st.owner.accessToken, st.ws.id, eve);
  const se = await connect(C.url, eve.accessToken, { transports: ['websocket'] });
  await seen(st.sa, 'presence:online', (d) => d.userId === eve.user.id);
  const t0 = Date.now();
  await C.kill();
  await seen(st.sa, 'presence:offline', (d) => d.userId === eve.user.id, { timeoutMs: PRESENCE_TTL_MS * 3 });
  const ms = Date.now() - t0;
  console.log(`offline on A ${ms} ms after SIGKILL of C (PRESENCE_TTL_MS ${PRESENCE_TTL_MS})`);
  assert.ok(ms <= PRESENCE_TTL_MS, `offline after ${ms} ms`);
  se.close();
  assert.equal(received(st.sa, 'presence:offline', (d) => d.userId === eve.user.id).length, 1, summary(st.sa));
  // Cem was on C too.
  await seen(st.sa, 'presence:offline', (d) => d.userId === st.cem.user.id, { timeoutMs: PRESENCE_TTL_MS });
  for (const s of [A, B]) {
    const data = expectOk(await api(s.url, 'GET', '/health'));
    assert.equal(data.redis, 'ok');
  }
});

test('the surviving instances exit cleanly and logged no server error', { skip: SKIP }, async () => {
  closeAll();
  for (const s of servers.slice(0, 2)) {
    await s.stop();
    assertNoServerErrors(s.logs);
  }
});
