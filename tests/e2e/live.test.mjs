// Live dashboards over Server-Sent Events: headers, first event at once,
// pushes after REST changes, activity replay with Last-Event-ID, auth errors
// as JSON, access_token in the query (never logged), 1000 streams opened and
// closed without leaking connections, and a removed member's streams closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import EventSource from 'eventsource';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { waitFor } from './lib/server.mjs';
import {
  api, expectOk, registerUser, createWorkspace, createProject, createTask, addMember, seenSecrets,
  PREFIX,
} from './lib/api.mjs';

const ctx = serverSuite({ env: { VIBED_LIVE_KEEPALIVE_MS: '300' } });
let owner; let bob; let outsider; let ws; let project;

/**
 * A raw SSE request (node:http, no reconnects). Collects parsed events
 * ({event, id, data, comment}) and exposes until(pred), close() and `ended`.
 */
function sse(p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({
      host: '127.0.0.1', port: ctx.srv.port, path: p.startsWith('/api/') ? p : PREFIX + p,
      headers: { accept: 'text/event-stream', ...headers }, agent: false,
    }, (res) => {
      const h = {
        status: res.statusCode, headers: res.headers, events: [], text: '', ended: false,
        close() { req.destroy(); },
      };
      let buf = '';
      const waiters = [];
      const check = () => {
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i].pred(h)) { waiters[i].resolve(h); waiters.splice(i, 1); }
        }
      };
      h.until = (pred, ms = 5000, what = 'event') => new Promise((res2, rej2) => {
        if (pred(h)) { res2(h); return; }
        const w = { pred, resolve: (v) => { clearTimeout(w.t); res2(v); } };
        w.t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          rej2(new Error(`timed out waiting for ${what}; got:\n${h.text.slice(-2000)}`));
        }, ms);
        waiters.push(w);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        h.text += chunk;
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = { event: 'message', data: [], id: undefined, comment: undefined, at: Date.now() };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) ev.comment = line.slice(1).trim();
            else if (line.startsWith('data: ')) ev.data.push(line.slice(6));
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
            else if (line.startsWith('retry: ')) ev.retry = Number(line.slice(7));
          }
          ev.data = ev.data.length ? ev.data.join('\n') : undefined;
          if (ev.data !== undefined) {
            try { ev.json = JSON.parse(ev.data); } catch { /* not JSON */ }
          }
          h.events.push(ev);
        }
        check();
      });
      res.on('close', () => { h.ended = true; check(); });
      res.on('error', () => {});
      resolve(h);
    });
    req.on('error', (e) => reject(e));
  });
}

/** Collects the events of an EventSource into an array with a waiter. */
function collect(es, type) {
  const got = [];
  const waiters = [];
  es.addEventListener(type, (e) => {
    got.push({ at: Date.now(), id: e.lastEventId, data: JSON.parse(e.data) });
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].pred(got)) { waiters[i].resolve(); waiters.splice(i, 1); }
    }
  });
  got.until = (pred, ms = 5000, what = type) => new Promise((resolve, reject) => {
    if (pred(got)) { resolve(); return; }
    const w = { pred, resolve: () => { clearTimeout(w.t); resolve(); } };
    w.t = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(got).slice(-1500)}`)), ms);
    waiters.push(w);
  });
  return got;
}

/** vibed_http_open_connections from /metrics, over a fresh connection. */
async function openConnections() {
  const res = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: ctx.srv.port, path: `${PREFIX}/metrics`, agent: false, headers: { connection: 'close' } }, (r) => {
      let t = '';
      r.setEncoding('utf8');
      r.on('data', (c) => { t += c; });
      r.on('end', () => resolve(t));
    }).on('error', reject);
  });
  const m = /^vibed_http_open_connections (\d+)/m.exec(res);
  assert.ok(m, `metric missing in:\n${res.slice(0, 500)}`);
  return Number(m[1]);
}

test('setup: users, workspace, project', async () => {
  owner = await registerUser(ctx.url);
  bob = await registerUser(ctx.url);
  outsider = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, owner.accessToken);
  await addMember(ctx.url, owner.accessToken, ws.id, bob);
  project = await createProject(ctx.url, owner.accessToken, ws.id);
});

test('headers, retry hint and a first stats event at once', async () => {
  const t0 = Date.now();
  const s = await sse(`/projects/${project.id}/stats/live`, { authorization: `Bearer ${owner.accessToken}` });
  try {
    assert.equal(s.status, 200);
    assert.match(s.headers['content-type'], /^text\/event-stream/);
    assert.equal(s.headers['cache-control'], 'no-cache');
    assert.equal(s.headers.connection, 'keep-alive');
    assert.equal(s.headers['x-accel-buffering'], 'no');
    assert.equal(s.headers['x-content-type-options'], 'nosniff');
    await s.until((h) => h.events.some((e) => e.event === 'stats:update'), 3000, 'first stats');
    assert.equal(s.events[0].retry, 3000, 'a retry hint first');
    const st = s.events.find((e) => e.event === 'stats:update').json;
    assert.deepEqual(st.tasksByStatus, { todo: 0, 'in-progress': 0, review: 0, done: 0 });
    assert.equal(st.totalTasks, 0);
    assert.equal(st.completionRate, 0);
    assert.ok(!Number.isNaN(Date.parse(st.timestamp)));
    console.log(`first stats event after ${Date.now() - t0} ms`);

    const w = await sse(`/workspaces/${ws.id}/stats/live`, { authorization: `Bearer ${bob.accessToken}` });
    await w.until((h) => h.events.some((e) => e.event === 'stats:update'), 3000, 'workspace stats');
    const wst = w.events.find((e) => e.event === 'stats:update').json;
    assert.equal(typeof wst.onlineUsersCount, 'number');
    assert.ok(Array.isArray(wst.onlineUserIds));
    w.close();
  } finally {
    s.close();
  }
});

test('a task created and moved over REST reaches a project stream (access_token)', async () => {
  const url = `${ctx.url}${PREFIX}/projects/${project.id}/stats/live?access_token=${encodeURIComponent(owner.accessToken)}`;
  const es = new EventSource(url);
  const got = collect(es, 'stats:update');
  try {
    await got.until((g) => g.length >= 1, 3000, 'first event');
    const before = got[got.length - 1].data;
    let t0 = Date.now();
    const task = await createTask(ctx.url, owner.accessToken, project.id);
    await got.until((g) => g[g.length - 1].data.totalTasks === before.totalTasks + 1, 5000, 'creation');
    console.log(`task creation reached the stream ${got[got.length - 1].at - t0} ms after the request`);
    let last = got[got.length - 1].data;
    assert.equal(last.tasksByStatus.todo, before.tasksByStatus.todo + 1);

    t0 = Date.now();
    expectOk(await api(ctx.url, 'PATCH', `/tasks/${task.id}/status`, { token: owner.accessToken, body: { status: 'done' } }));
    await got.until((g) => g[g.length - 1].data.tasksByStatus.done === last.tasksByStatus.done + 1, 5000, 'move');
    console.log(`task move reached the stream ${got[got.length - 1].at - t0} ms after the request`);
    last = got[got.length - 1].data;
    assert.equal(last.tasksByStatus.todo, before.tasksByStatus.todo);
    assert.equal(last.completionRate, Math.round((last.tasksByStatus.done / last.totalTasks) * 100));
    assert.ok(Number.isInteger(last.completionRate), 'an integer percentage');

    const sub = await createTask(ctx.url, owner.accessToken, project.id, { parentTaskId: task.id });
    assert.ok(sub.id);
    await got.until((g) => g[g.length - 1].data.totalTasks === last.totalTasks + 1, 5000, 'subtask');
    const n = last.totalTasks + 1;
    const del = await api(ctx.url, 'DELETE', `/tasks/${task.id}`, { token: owner.accessToken });
    assert.ok(del.status === 204 || del.status === 200, del.text);
    await got.until((g) => g[g.length - 1].data.totalTasks === n - 2, 5000, 'deletion with its subtask');
  } finally {
    es.close();
  }
});

test('activity replay after a reconnect with Last-Event-ID: no gap, no duplicate', async () => {
  const s1 = await sse(`/workspaces/${ws.id}/activity/live`, { authorization: `Bearer ${owner.accessToken}` });
  await createTask(ctx.url, owner.accessToken, project.id, { title: 'before-1' });
  await createTask(ctx.url, owner.accessToken, project.id, { title: 'before-2' });
  await s1.until((h) => h.events.filter((e) => e.event === 'activity').length >= 2, 5000, 'two live rows');
  const seen = s1.events.filter((e) => e.event === 'activity');
  for (const e of seen) assert.equal(e.id, e.json.id, 'the SSE id is the activity id');
  const lastId = seen[seen.length - 1].id;
  s1.close();

  // Missed while disconnected.
  for (let i = 0; i < 3; i++) await createTask(ctx.url, owner.accessToken, project.id, { title: `missed-${i}` });
  const s2 = await sse(`/workspaces/${ws.id}/activity/live`, {
    authorization: `Bearer ${owner.accessToken}`, 'last-event-id': lastId,
  });
  // A live change racing with the replay query.
  const racing = createTask(ctx.url, owner.accessToken, project.id, { title: 'during-replay' });
  await racing;
  await createTask(ctx.url, owner.accessToken, project.id, { title: 'after' });

  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity?limit=100`, { token: owner.accessToken }));
  const expected = list.filter((r) => r.id > lastId).map((r) => r.id).sort();
  assert.ok(expected.length >= 5, `rows after ${lastId}: ${expected.length}`);
  await s2.until((h) => h.events.filter((e) => e.event === 'activity').length >= expected.length, 5000, 'replay + live');
  const ids = s2.events.filter((e) => e.event === 'activity').map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `duplicates: ${ids}`);
  assert.deepEqual(ids, [...ids].sort(), 'oldest first');
  assert.deepEqual(ids, expected, 'exactly the rows after Last-Event-ID');
  const titles = s2.events.filter((e) => e.event === 'activity').map((e) => e.json.changes?.title).filter(Boolean);
  assert.deepEqual(titles, ['missed-0', 'missed-1', 'missed-2', 'during-replay', 'after']);
  s2.close();

  // The lastEventId query parameter works too.
  const s3 = await sse(`/workspaces/${ws.id}/activity/live?lastEventId=${lastId}`, { authorization: `Bearer ${owner.accessToken}` });
  await s3.until((h) => h.events.filter((e) => e.event === 'activity').length >= expected.length, 5000, 'replay by query');
  s3.close();
});

test('a private channel\'s name reaches neither the activity stream nor the feed of others', async () => {
  const secret = `secret-${Date.now().toString(36)}`;
  const open = `open-${Date.now().toString(36)}`;
  const s = await sse(`/workspaces/${ws.id}/activity/live`, { authorization: `Bearer ${bob.accessToken}` });
  try {
    const priv = expectOk(await api(ctx.url, 'POST', `/workspaces/${ws.id}/channels`, {
      token: owner.accessToken, body: { name: secret, type: 'private' },
    }), 201);
    const del = await api(ctx.url, 'DELETE', `/channels/${priv.id}`, { token: owner.accessToken });
    assert.ok(del.status === 200 || del.status === 204, del.text);
    expectOk(await api(ctx.url, 'POST', `/workspaces/${ws.id}/channels`, {
      token: owner.accessToken, body: { name: open, type: 'public' },
    }), 201);
    // Events arrive in commit order: once the public one is in, the private ones were sent.
    await s.until((h) => h.text.includes(open), 5000, 'the public channel_created');
    const mine = s.events.filter((e) => e.event === 'activity' && e.json?.changes?.channelId === priv.id);
    assert.deepEqual(mine.map((e) => e.json.action), ['channel_created', 'channel_deleted']);
    assert.ok(!s.text.includes(secret), `the private name leaked to the stream: ${s.text.slice(-1500)}`);
    const feed = await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity?limit=100`, { token: bob.accessToken });
    expectOk(feed);
    assert.ok(feed.text.includes(open));
    assert.ok(!feed.text.includes(secret), 'the private name leaked to the REST feed');
  } finally {
    s.close();
  }
});

test('the eventsource client receives activity events with their ids', async () => {
  const url = `${ctx.url}${PREFIX}/workspaces/${ws.id}/activity/live`;
  const es = new EventSource(url, { headers: { authorization: `Bearer ${owner.accessToken}` } });
  const got = collect(es, 'activity');
  try {
    await new Promise((resolve, reject) => { es.onopen = resolve; es.onerror = reject; });
    await createTask(ctx.url, owner.accessToken, project.id, { title: 'es-1' });
    await got.until((g) => g.some((e) => e.data.changes?.title === 'es-1'));
    assert.equal(got[got.length - 1].id, got[got.length - 1].data.id);
  } finally {
    es.close();
  }
});

test('keep-alive comments on the activity stream', async () => {
  const s = await sse(`/workspaces/${ws.id}/activity/live`, { authorization: `Bearer ${owner.accessToken}` });
  try {
    await s.until((h) => h.events.some((e) => e.comment === 'keep-alive'), 3000, 'keep-alive');
  } finally {
    s.close();
  }
});

test('errors are JSON before the stream: 401 bad/missing token, 404 non-member', async () => {
  const paths = [`/workspaces/${ws.id}/stats/live`, `/projects/${project.id}/stats/live`, `/workspaces/${ws.id}/activity/live`];
  for (const p of paths) {
    for (const headers of [{ authorization: 'Bearer not-a-token' }, {}]) {
      const s = await sse(p, headers);
      await s.until((h) => h.ended, 3000, 'end of the error answer');
      assert.equal(s.status, 401, `${p}: ${s.text}`);
      assert.match(s.headers['content-type'], /application\/json/);
      assert.equal(JSON.parse(s.text).code, 'UNAUTHORIZED');
    }
    const bad = await sse(`${p}?access_token=garbage`);
    await bad.until((h) => h.ended, 3000, 'end');
    assert.equal(bad.status, 401);
    const s = await sse(p, { authorization: `Bearer ${outsider.accessToken}` });
    await s.until((h) => h.ended, 3000, 'end of the error answer');
    assert.equal(s.status, 404, `${p}: ${s.text}`);
    assert.match(s.headers['content-type'], /application\/json/);
    assert.match(JSON.parse(s.text).code, /NOT_FOUND$/);
  }
});

test('the access_token query parameter is never logged', async () => {
  const s = await sse(`/workspaces/${ws.id}/stats/live?access_token=${owner.accessToken}`);
  await s.until((h) => h.events.some((e) => e.event === 'stats:update'), 3000, 'stats');
  s.close();
  await waitFor(() => ctx.srv.logs.some((l) => typeof l.path === 'string' && l.path.endsWith('/stats/live')), { what: 'access log line' });
  const text = ctx.srv.logs.map((l) => JSON.stringify(l)).join('\n');
  assert.ok(!text.includes(owner.accessToken), 'token found in the logs');
  assert.ok(!text.includes('access_token'), 'query string found in the logs');
  seenSecrets.add(owner.accessToken);
});

test('1000 streams opened and closed leave no open connection behind', async () => {
  const baseline = await openConnections();
  const N = 1000; const BATCH = 100;
  const kinds = [`/workspaces/${ws.id}/stats/live`, `/projects/${project.id}/stats/live`, `/workspaces/${ws.id}/activity/live`];
  for (let b = 0; b < N; b += BATCH) {
    const streams = await Promise.all(Array.from({ length: BATCH }, (_, i) => sse(kinds[(b + i) % 3], { authorization: `Bearer ${owner.accessToken}` })));
    await Promise.all(streams.map((s) => s.until((h) => h.text.includes('retry: 3000'), 10000, 'stream start')));
    for (const s of streams) assert.equal(s.status, 200);
    for (const s of streams) s.close();
  }
  const n = await waitFor(async () => { const c = await openConnections(); return c <= baseline ? c + 1 : 0; }, { timeoutMs: 10000, what: 'connections back to the baseline' });
  assert.equal(n - 1, baseline);
});

test("a removed member's streams are closed at once", async () => {
  const a = await sse(`/workspaces/${ws.id}/activity/live`, { authorization: `Bearer ${bob.accessToken}` });
  const p = await sse(`/projects/${project.id}/stats/live`, { authorization: `Bearer ${bob.accessToken}` });
  const o = await sse(`/workspaces/${ws.id}/activity/live`, { authorization: `Bearer ${owner.accessToken}` });
  await p.until((h) => h.events.some((e) => e.event === 'stats:update'), 3000, 'stats');
  const res = await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${bob.user.id}`, { token: owner.accessToken });
  assert.ok(res.status === 200 || res.status === 204, res.text);
  await a.until((h) => h.ended, 3000, 'activity stream closed');
  await p.until((h) => h.ended, 3000, 'project stream closed');
  assert.equal(o.ended, false, "another member's stream stays open");
  await o.until((h) => h.events.some((e) => e.json?.action === 'member_left'), 3000, 'member_left row');
  o.close();
  const again = await sse(`/workspaces/${ws.id}/activity/live`, { authorization: `Bearer ${bob.accessToken}` });
  await again.until((h) => h.ended, 3000, 'answer');
  assert.equal(again.status, 404);
});

serverEndChecks(ctx);
