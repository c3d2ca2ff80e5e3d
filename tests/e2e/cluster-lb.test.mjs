// Three instances behind nginx with the shipped configuration
// (deploy/nginx/vibed.conf): long-polling, WebSocket and SSE clients spread
// over the instances by nginx; Engine.IO's "Session ID unknown" on the wrong
// instance; a rolling restart (SIGTERM of the instance 200 clients are on);
// the auth rate limits counted across the cluster; uploads in progress on
// one instance surviving another's start. Skipped without VIBED_TEST_PG_URL
// (a cluster shares one PostgreSQL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  api, expectOk, createWorkspace, addMember, createProject, createTask, createChannel,
} from './lib/api.mjs';
import { PG_URL, waitFor, psql } from './lib/server.mjs';
import {
  startCluster, startNginx, addressesFor, upstreamOf, connectFrom, eventSourceFrom, destroyAgents,
} from './lib/cluster.mjs';

const SKIP = PG_URL ? false : 'the cluster runs on PostgreSQL: set VIBED_TEST_PG_URL (scripts/test.sh does)';
const AUTH_LIMIT = 40;
const ACCOUNT_LIMIT = 5;

let cluster = null;
let lb = null;
let addrs = [];
const sockets = new Set();
const st = {};

function track(s) { sockets.add(s); return s; }

before(async () => {
  if (SKIP) return;
  cluster = await startCluster(3, {
    env: {
      PRESENCE_TTL_MS: '3000',
      AUTH_RATE_LIMIT: String(AUTH_LIMIT),
      AUTH_ACCOUNT_RATE_LIMIT: String(ACCOUNT_LIMIT),
    },
  });
  lb = await startNginx(cluster.servers.map((s) => s.port));
  addrs = await addressesFor(lb, cluster.servers.map((s) => s.port));
  const [A] = cluster.servers;
  // Registrations come from distinct forwarded addresses (the instances trust
  // 127.0.0.1 as their proxy), so they stay clear of the auth limit tested below.
  let n = 0;
  st.register = async (name) => {
    n++;
    const ip = `10.1.${Math.floor(n / 250)}.${n % 250}`;
    const email = `${name.toLowerCase()}-${Date.now()}-${n}@example.test`;
    const res = await api(A.url, 'POST', '/auth/register', {
      body: { email, password: 'correct horse battery staple', firstName: name, lastName: 'Lb' },
      headers: { 'X-Forwarded-For': ip },
    });
    return { ...expectOk(res, 201), email };
  };
  st.owner = await st.register('Olga');
  st.ws = await createWorkspace(A.url, st.owner.accessToken, { name: 'LB WS' });
  st.chan = await createChannel(A.url, st.owner.accessToken, st.ws.id);
});

after(async () => {
  for (const s of sockets) s.close();
  destroyAgents();
  if (lb) await lb.stop();
  if (cluster) await cluster.stop();
});

async function member(name) {
  const u = await st.register(name);
  await addMember(cluster.servers[0].url, st.owner.accessToken, st.ws.id, u);
  return u;
}

async function send(socket, content) {
  const ack = await socket.timeout(8000).emitWithAck('message:send', { channelId: st.chan.id, content });
  assert.equal(ack?.ok, true, `send ${content}: ${JSON.stringify(ack)}`);
  return ack;
}

async function join(socket) {
  const ack = await socket.timeout(8000).emitWithAck('channel:join', { channelId: st.chan.id });
  assert.equal(ack?.ok, true, `join: ${JSON.stringify(ack)}`);
}

const news = (s, content) => s.received.filter((r) => r.event === 'message:new' && r.data?.content === content);

/** Chat through nginx over one transport: a client per instance. */
async function chatThroughNginx(transports, tag) {
  const users = [];
  for (let i = 0; i < 3; i++) users.push(await member(`${tag}${i}`));
  const socks = [];
  for (let i = 0; i < 3; i++) {
    socks.push(track(await connectFrom(lb.url, users[i].accessToken, addrs[i], { transports })));
    await join(socks[i]);
  }
  // Each socket is on its own instance: nginx sends its address there.
  const ports = new Set();
  for (const a of addrs) ports.add(await upstreamOf(lb, a));
  assert.equal(ports.size, 3);
  for (let i = 0; i < 3; i++) await send(socks[i], `${tag}-msg-${i}`);
  for (const s of socks) {
    await waitFor(() => [0, 1, 2].every((i) => news(s, `${tag}-msg-${i}`).length >= 1),
      { timeoutMs: 8000, what: `${tag}: every message on every socket` });
  }
  // A marker from the first socket: nothing more is on its way.
  await send(socks[0], `${tag}-marker`);
  for (const s of socks) await waitFor(() => news(s, `${tag}-marker`).length === 1, { what: 'marker' });
  for (const s of socks) {
    for (let i = 0; i < 3; i++) assert.equal(news(s, `${tag}-msg-${i}`).length, 1, `${tag}: message ${i} once`);
    assert.equal(s.io.engine.transport.name, transports[0]);
  }
  for (const s of socks) s.close();
}

test('long-polling clients through nginx chat across instances, each message once', { skip: SKIP, timeout: 60000 }, async () => {
  await chatThroughNginx(['polling'], 'poll');
});

test('WebSocket clients through nginx chat across instances, each message once', { skip: SKIP, timeout: 60000 }, async () => {
  await chatThroughNginx(['websocket'], 'wsock');
});

test('an EventSource through nginx gets a task change made on another instance', { skip: SKIP, timeout: 30000 }, async () => {
  const [A] = cluster.servers;
  const project = await createProject(A.url, st.owner.accessToken, st.ws.id);
  const url = `${lb.url}/api/v1/projects/${project.id}/stats/live?access_token=${encodeURIComponent(st.owner.accessToken)}`;
  // From the address nginx sends to the third instance; the task goes to the first.
  assert.equal(await upstreamOf(lb, addrs[2]), cluster.servers[2].port);
  const es = eventSourceFrom(url, addrs[2]);
  const got = [];
  es.addEventListener('stats:update', (e) => got.push(JSON.parse(e.data)));
  try {
    await waitFor(() => got.length > 0, { timeoutMs: 8000, what: 'first stats through nginx' });
    await waitFor(() => cluster.redis.cli('PUBSUB', 'NUMSUB', `vibed:t:project:${project.id}`).split('\n')[1] === '1',
      { timeoutMs: 5000, what: 'the third instance subscribed' });
    await createTask(A.url, st.owner.accessToken, project.id, { title: 'Through nginx' });
    await waitFor(() => got.some((g) => g.totalTasks === 1), { timeoutMs: 5000, what: 'stats with the task (unbuffered)' });
  } finally {
    es.close();
  }
});

test('a polling request for a session another instance holds gets "Session ID unknown" (400)', { skip: SKIP, timeout: 30000 }, async () => {
  const [A, B] = cluster.servers;
  const open = await fetch(`${A.url}/ws/?EIO=4&transport=polling`);
  assert.equal(open.status, 200);
  const text = await open.text();
  const { sid } = JSON.parse(text.slice(text.indexOf('{')));
  assert.ok(sid);
  for (const [method, body] of [['GET', undefined], ['POST', '40/chat,']]) {
    const res = await fetch(`${B.url}/ws/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, { method, body });
    assert.equal(res.status, 400, method);
    assert.deepEqual(await res.json(), { code: 1, message: 'Session ID unknown' }, method);
  }
  // The session on A is unharmed: a close packet ends it.
  const close = await fetch(`${A.url}/ws/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, { method: 'POST', body: '1' });
  assert.equal(close.status, 200);
  for (const s of cluster.servers) assert.ok(!s.logs.some((l) => Number(l.status) >= 500), 'no 5xx');
});

/** Waits until the clock is not within marginMs of the end of a window. */
async function clearOfWindowEnd(windowMs, marginMs) {
  await waitFor(() => windowMs - (Date.now() % windowMs) > marginMs,
    { timeoutMs: marginMs + 2000, what: 'a fresh rate-limit window' });
}

test('the auth rate limit per address holds across the three instances', { skip: SKIP, timeout: 60000 }, async () => {
  await clearOfWindowEnd(60000, 15000);
  const from = '10.200.0.7';
  const statuses = [];
  for (let i = 0; i < AUTH_LIMIT * 2; i++) {
    const s = cluster.servers[i % 3];
    const res = await api(s.url, 'POST', '/auth/refresh', {
      body: { refreshToken: 'not-a-token' }, headers: { 'X-Forwarded-For': from },
    });
    statuses.push(res.status);
    if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
  }
  const allowed = statuses.filter((s) => s !== 429).length;
  assert.equal(allowed, AUTH_LIMIT, `allowed ${allowed} of ${statuses.length}: ${statuses.join(',')}`);
  // The shared windows are numbered on the wall clock, the same on every
  // machine (a monotonic clock counts from each machine's boot).
  const keys = cluster.redis.cli('KEYS', `vibed:rl:*${from}*`).split('\n').filter(Boolean);
  assert.ok(keys.length > 0, 'the address is counted in Redis');
  const nowIdx = Math.floor(Date.now() / 60000);
  for (const k of keys) {
    const idx = Number(k.slice(k.lastIndexOf(':') + 1));
    assert.ok(idx === nowIdx || idx === nowIdx - 1, `${k}: window ${idx}, wall-clock window ${nowIdx}`);
  }
  // Another address is not affected.
  const other = await api(cluster.servers[1].url, 'POST', '/auth/refresh', {
    body: { refreshToken: 'not-a-token' }, headers: { 'X-Forwarded-For': '10.200.0.8' },
  });
  assert.notEqual(other.status, 429);
});

test('the sign-in limit per account holds across the three instances', { skip: SKIP, timeout: 60000 }, async () => {
  await clearOfWindowEnd(15 * 60000, 15000);
  const email = `target-${Date.now()}@example.test`;
  const statuses = [];
  for (let i = 0; i < ACCOUNT_LIMIT * 3; i++) {
    const res = await api(cluster.servers[i % 3].url, 'POST', '/auth/login', {
      body: { email, password: 'wrong password here' }, headers: { 'X-Forwarded-For': `10.201.0.${i + 1}` },
    });
    statuses.push(res.status);
  }
  const allowed = statuses.filter((s) => s !== 429).length;
  assert.equal(allowed, ACCOUNT_LIMIT, statuses.join(','));
});

test('uploads in progress on one instance survive another instance starting', { skip: SKIP, timeout: 60000 }, async () => {
  const [A] = cluster.servers;
  const project = await createProject(A.url, st.owner.accessToken, st.ws.id);
  const task = await createTask(A.url, st.owner.accessToken, project.id, { title: 'Uploads' });
  const boundary = '----vbclusterupload';
  const content = Buffer.alloc(300 * 1024, 7);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const total = head.length + content.length + tail.length;
  const begin = () => {
    const sock = net.connect(A.port, '127.0.0.1');
    let answer = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => { answer += d; });
    sock.on('error', () => {});
    const done = new Promise((r) => sock.on('close', () => r(answer)));
    sock.write(`POST /api/v1/tasks/${task.id}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${st.owner.accessToken}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${total}\r\nConnection: close\r\n\r\n`);
    sock.write(head);
    sock.write(content.subarray(0, 1000));
    return { sock, done };
  };
  const rows = () => A.queryRows(`SELECT id, state FROM attachments WHERE task_id = '${task.id}' ORDER BY created_at`);
  // An upload in progress, and an old leftover (a crashed instance's, begun
  // before any upload in progress could have been).
  const live = begin();
  await waitFor(() => rows().length === 1, { timeoutMs: 5000, what: 'the live upload row' });
  const stale = begin();
  await waitFor(() => rows().length === 2, { timeoutMs: 5000, what: 'the stale upload row' });
  const staleId = rows().map((r) => r.id).find((id) => id !== rows()[0].id);
  // Two hours ago, on the wall clock the rows' times are kept in.
  psql(cluster.db.url, `UPDATE attachments SET created_at = created_at - 7200000 WHERE id = '${staleId}'`);
  // A new instance starts (a rolling restart brings one up).
  const d = await cluster.start('cluster-lb-d');
  assert.ok(d.logs.some((l) => /deleted 1 unfinished uploads/.test(l.msg || '')), 'the stale row is cleaned up');
  const left = rows();
  assert.equal(left.length, 1, JSON.stringify(left));
  assert.notEqual(left[0].id, staleId);
  // The live upload finishes.
  live.sock.write(content.subarray(1000));
  live.sock.write(tail);
  const answer = await live.done;
  assert.match(answer, /^HTTP\/1\.1 201/, answer.slice(0, 300));
  stale.sock.destroy();
  await d.stop();
  cluster.servers.splice(cluster.servers.indexOf(d), 1);
});

test('SIGTERM of the instance 200 clients are on: all reconnect elsewhere through nginx, nothing acknowledged is lost', { skip: SKIP, timeout: 180000 }, async () => {
  const victim = cluster.servers[2];
  const from = addrs[2];
  assert.equal(await upstreamOf(lb, from), victim.port);
  const USERS = 20;
  const TABS = 10;
  const observerUser = await member('Obs');
  const observer = track(await connectFrom(cluster.servers[0].url, observerUser.accessToken, null, { transports: ['websocket'] }));
  await join(observer);
  const users = [];
  for (let i = 0; i < USERS; i++) users.push(await member(`Roll${i}`));
  const tabs = [];
  for (let i = 0; i < USERS; i++) {
    for (let t = 0; t < TABS; t++) {
      const s = track(await connectFrom(lb.url, users[i].accessToken, from, {
        transports: t % 2 ? ['websocket'] : ['polling'], reconnect: true, channels: [st.chan.id],
      }));
      s.user = i;
      tabs.push(s);
    }
  }
  for (const s of tabs) await join(s);
  // Before: acknowledged and delivered.
  await Promise.all(users.map((u, i) => send(tabs[i * TABS], `before-${i}`)));
  await waitFor(() => users.every((u, i) => news(observer, `before-${i}`).length === 1), { timeoutMs: 10000, what: 'before messages' });

  // During: one message per user in flight as SIGTERM arrives. Each is
  // acknowledged (then stored), refused (UNAVAILABLE: the instance is
  // stopping) or unanswered; never acknowledged and lost.
  const exit = new Promise((r) => victim.child.once('exit', (code, signal) => r({ code, signal })));
  const pending = users.map((u, i) => tabs[i * TABS + 1].timeout(15000)
    .emitWithAck('message:send', { channelId: st.chan.id, content: `during-${i}` })
    .then((ack) => (ack?.ok === true ? 'ok' : ack?.code || 'refused'), () => 'unanswered'));
  // Once the first is committed (the others are on their way or in the
  // store's queue), the instance is told to stop.
  await waitFor(() => users.some((u, i) => news(observer, `during-${i}`).length > 0), { timeoutMs: 10000, what: 'a first message in flight' });
  const t0 = Date.now();
  victim.child.kill('SIGTERM');
  const outcomes = await Promise.all(pending);
  const during = outcomes.map((o) => o === 'ok');
  const info = await exit;
  const stopMs = Date.now() - t0;
  assert.deepEqual(info, { code: 0, signal: null }, 'the instance exits 0');
  console.log(`SIGTERM with ${tabs.length} clients: exited 0 after ${stopMs} ms`);
  assert.ok(stopMs < 10000, `stopped in ${stopMs} ms`);
  cluster.servers.splice(cluster.servers.indexOf(victim), 1);

  // Every client reconnects by itself (a transport close, not a server-side
  // disconnect) and joins again, now on another instance.
  await waitFor(() => tabs.every((s) => s.connected && s.connects >= 2), { timeoutMs: 60000, what: 'every tab reconnected' });
  for (const s of tabs) {
    assert.ok(['transport close', 'transport error'].includes(s.disconnects[0]),
      `a transport close, not a server-side disconnect: ${s.disconnects.join(',')}`);
  }
  for (const s of tabs) await join(s);
  const port = await upstreamOf(lb, from);
  assert.notEqual(port, victim.port);

  // After: every message reaches the observer and every tab once.
  await Promise.all(users.map((u, i) => send(tabs[i * TABS + 2], `after-${i}`)));
  await waitFor(() => users.every((u, i) => news(observer, `after-${i}`).length >= 1), { timeoutMs: 15000, what: 'after messages at the observer' });
  await waitFor(() => tabs.every((s) => users.every((u, i) => news(s, `after-${i}`).length >= 1)),
    { timeoutMs: 20000, what: 'after messages on every tab' });

  // Stored once: every message acknowledged, before, during and after.
  const res = await api(cluster.servers[0].url, 'GET', `/channels/${st.chan.id}/messages?limit=100`, { token: st.owner.accessToken });
  const stored = expectOk(res).map((m) => m.content);
  const count = (c) => stored.filter((x) => x === c).length;
  for (let i = 0; i < USERS; i++) {
    assert.equal(count(`before-${i}`), 1, `before-${i}`);
    assert.equal(count(`after-${i}`), 1, `after-${i}`);
    if (during[i]) assert.equal(count(`during-${i}`), 1, `during-${i} was acknowledged`);
    else assert.ok(count(`during-${i}`) <= 1, `during-${i}`);
    assert.equal(news(observer, `before-${i}`).length, 1);
    assert.equal(news(observer, `after-${i}`).length, 1);
    assert.ok(news(observer, `during-${i}`).length <= 1);
  }
  for (const s of tabs) for (let i = 0; i < USERS; i++) assert.equal(news(s, `after-${i}`).length, 1);
  // Presence: at most one offline/online pair per user (what a reconnect
  // implies), and everyone online in the end.
  await waitFor(() => users.every((u) => {
    const ev = observer.received.filter((r) => (r.event === 'presence:online' || r.event === 'presence:offline') && r.data?.userId === u.user.id);
    return ev.length === 0 || ev[ev.length - 1].event === 'presence:online';
  }), { timeoutMs: 10000, what: 'every user online again at the observer' });
  for (const u of users) {
    const off = observer.received.filter((r) => r.event === 'presence:offline' && r.data?.userId === u.user.id);
    assert.ok(off.length <= 1, `${u.user.id} went offline ${off.length} times`);
  }
  console.log(`sends in flight at SIGTERM: ${outcomes.join(',')}`);
  for (const s of tabs) s.close();
});
