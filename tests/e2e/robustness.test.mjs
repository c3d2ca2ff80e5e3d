// Robustness: concurrent writes keep their invariants, odd inputs never crash
// or 5xx the server, HTTP framing (chunked, pipelined) works, and access ends
// with membership.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, rawRequest, expectOk, expectError, expectNoContent, registerUser, createWorkspace,
  createProject, createTask, addMember, uniq, fmtRes,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let member; let ws; let proj;

test('setup', async () => {
  admin = await registerUser(ctx.url);
  member = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Robust WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, member, 'member');
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'RB' });
});

test('40 tasks created in parallel get the keys RB-1..RB-40, each once', async () => {
  const results = await Promise.all([...Array(40).keys()].map((i) => api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, {
    token: i % 2 ? admin.accessToken : member.accessToken, body: { title: `parallel ${i}` },
  })));
  const keys = results.map((r) => expectOk(r, 201).key).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
  assert.deepEqual(keys, [...Array(40).keys()].map((i) => `RB-${i + 1}`));
  const board = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/board`, { token: admin.accessToken }));
  const todo = board.columns.find((c) => c.name === 'todo').tasks;
  assert.equal(todo.length, 40);
  const idx = todo.map((t) => t.orderIndex);
  if (idx.every((x) => typeof x === 'number')) assert.deepEqual(idx, [...idx.keys()], 'order indexes 0..n-1 without duplicates');
});

test('IDs are URL-safe and time-ordered', async () => {
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await createTask(ctx.url, admin.accessToken, proj.id, { title: `ordered ${i}` }));
  const ids = made.map((t) => t.id);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]+$/, `URL-safe id: ${id}`);
  assert.deepEqual([...ids].sort(), ids, `ids sort in creation order: ${ids}`);
  assert.equal(new Set(ids).size, ids.length);
});

test('the same email registered in parallel: exactly one 201, the rest 409', async () => {
  const email = `race-${uniq()}@example.com`;
  const results = await Promise.all([...Array(6).keys()].map(() => api(ctx.url, 'POST', '/auth/register', {
    body: { email, password: 'race-password', firstName: 'R', lastName: 'C' },
  })));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], `statuses: ${statuses}`);
});

test('one refresh token used in parallel rotates at most once', async () => {
  const u = await registerUser(ctx.url);
  const results = await Promise.all([...Array(5).keys()].map(() => api(ctx.url, 'POST', '/auth/refresh', {
    body: { refreshToken: u.refreshToken },
  })));
  const ok = results.filter((r) => r.status === 200);
  assert.ok(ok.length <= 1, `at most one 200, got ${results.map((r) => r.status)}`);
  for (const r of results) if (r.status !== 200) expectError(r, 401);
  // the reuse revoked the family: the winner's new token is refused too
  if (ok.length === 1) {
    expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: ok[0].json.data.refreshToken } }), 401);
  }
});

test('the same user invited in parallel: one invitation; accepted in parallel: one 200, the other 404', async () => {
  const u = await registerUser(ctx.url);
  const results = await Promise.all([0, 1].map(() => api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: admin.accessToken, body: { email: u.email, role: 'member' },
  })));
  assert.deepEqual(results.map((r) => r.status), [201, 201]);
  assert.equal(results[0].json.data.id, results[1].json.data.id, 'the pending invitation is renewed, not doubled');
  const accepts = await Promise.all([0, 1].map(() => api(ctx.url, 'POST', `/invitations/${results[0].json.data.id}/accept`, {
    token: u.accessToken,
  })));
  assert.deepEqual(accepts.map((r) => r.status).sort(), [200, 404]);
});

test('Unicode text round-trips; a symbol-only or non-ASCII name still derives a valid slug', async () => {
  const title = 'Überprüfung 🚀 — 日本語 “quotes” \\ back\\slash';
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title, description: 'tab\there\nnewline' });
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: member.accessToken }));
  assert.equal(got.title, title);
  assert.equal(got.description, 'tab\there\nnewline');
  for (const name of ['!!!', 'Ünïcödé Téam', '日本語チーム']) {
    const res = await api(ctx.url, 'POST', '/workspaces', { token: admin.accessToken, body: { name } });
    if (res.status === 201) {
      assert.match(res.json.data.slug, /^[a-z0-9]+(-[a-z0-9]+)*$/, `slug of ${name}: ${fmtRes(res)}`);
      assert.equal(res.json.data.name, name);
    } else {
      expectError(res, 422);
    }
  }
});

test('odd bodies are 4xx, never 5xx', async () => {
  const post = (raw) => api(ctx.url, 'POST', '/workspaces', { token: admin.accessToken, raw });
  const cases = [
    '', ' ', 'null', 'true', '"string"', '123', '{"name": null}', '{"name": {"nested": 1}}', '{"name": ["a"]}',
    '{"name":"a\\u0000b"}', '{"name":"\\ud800"}', '[' .repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
    Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // invalid UTF-8
  ];
  for (const raw of cases) {
    const res = await post(raw);
    assert.ok(res.status >= 400 && res.status < 500, `4xx expected for ${String(raw).slice(0, 40)}: ${fmtRes(res)}`);
    assert.ok(res.json && res.json.statusCode === res.status, `error envelope for ${String(raw).slice(0, 40)}: ${fmtRes(res)}`);
  }
  // the server is still fine
  expectOk(await api(ctx.url, 'GET', '/users/me', { token: admin.accessToken }));
});

test('odd path segments are 404, never 5xx', async () => {
  for (const p of [`/tasks/${'x'.repeat(300)}`, '/tasks/%00', '/tasks/%2e%2e', '/tasks/..%2f..%2fetc', '/projects/%ZZ', `/workspaces/${ws.id}%20`, '/tasks/💥']) {
    const res = await api(ctx.url, 'GET', p, { token: admin.accessToken });
    assert.ok(res.status === 404 || res.status === 400, `404 (or 400) expected: ${fmtRes(res)}`);
  }
});

test('odd query strings are 422 or ignored, never 5xx', async () => {
  for (const q of ['limit=1e2', 'limit=10.5', 'page=-1', 'page=99999999999999999999', 'limit=%00', 'q=%25%5F%5C', 'q=' + 'a'.repeat(2000), 'status=todo&status=done']) {
    const res = await api(ctx.url, 'GET', `/projects/${proj.id}/tasks?${q}`, { token: admin.accessToken });
    assert.ok(res.status === 200 || res.status === 422, `200 or 422 expected: ${fmtRes(res)}`);
  }
  // LIKE wildcards in q are literal
  const pct = await createTask(ctx.url, admin.accessToken, proj.id, { title: '100% done_yes' });
  const hits = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/tasks?q=${encodeURIComponent('0% d')}&limit=100`, { token: admin.accessToken }));
  assert.deepEqual(hits.map((t) => t.id), [pct.id]);
  const none = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/tasks?q=${encodeURIComponent('%')}&limit=100`, { token: admin.accessToken }));
  assert.deepEqual(none.map((t) => t.id), [pct.id], 'a % in q matches only a literal %');
});

test('a chunked request body is accepted', async () => {
  const res = await rawRequest(ctx.srv.port, {
    method: 'POST',
    path: '/workspaces',
    headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${admin.accessToken}` },
    body: JSON.stringify({ name: 'Chunked WS' }),
  });
  assert.equal(res.status, 201, fmtRes(res));
  assert.equal(res.json.data.name, 'Chunked WS');
});

test('two pipelined requests on one connection are answered in order', async () => {
  const reqs = [
    `GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin.accessToken}\r\nX-Request-Id: pipe-1\r\n\r\n`,
    `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipe-2\r\nConnection: close\r\n\r\n`,
  ].join('');
  const text = await new Promise((resolve, reject) => {
    const sock = net.connect(ctx.srv.port, '127.0.0.1');
    const chunks = [];
    sock.setTimeout(10000, () => sock.destroy(new Error('pipelining timed out')));
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', reject);
    sock.write(reqs);
  });
  const statusLines = text.match(/HTTP\/1\.1 \d{3}/g) || [];
  assert.deepEqual(statusLines, ['HTTP/1.1 200', 'HTTP/1.1 200'], text.slice(0, 500));
  const ids = [...text.matchAll(/x-request-id:[ \t]*([^\r\n]+)/gi)].map((m) => m[1]);
  assert.deepEqual(ids, ['pipe-1', 'pipe-2']);
});

test('a garbage request line is 400 and the server keeps serving', async () => {
  const text = await new Promise((resolve, reject) => {
    const sock = net.connect(ctx.srv.port, '127.0.0.1');
    const chunks = [];
    sock.setTimeout(10000, () => sock.destroy(new Error('timed out')));
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', reject);
    sock.write('THIS IS NOT HTTP\r\n\r\n');
  });
  assert.match(text, /^HTTP\/1\.1 400/, text.slice(0, 200));
  expectOk(await api(ctx.url, 'GET', '/health'));
});

test('a removed member loses access to the projects and tasks of the workspace', async () => {
  const u = await registerUser(ctx.url);
  await addMember(ctx.url, admin.accessToken, ws.id, u, 'member');
  const t = await createTask(ctx.url, u.accessToken, proj.id, { title: 'by the leaver' });
  expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: u.accessToken }));
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${u.user.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: u.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: u.accessToken }), 404);
  expectError(await api(ctx.url, 'DELETE', `/tasks/${t.id}`, { token: u.accessToken }), 404);
  expectError(await api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: u.accessToken, body: { title: 'x' } }), 404);
  expectError(await api(ctx.url, 'GET', `/users/${admin.user.id}`, { token: u.accessToken }), 404);
  // the task they reported survives
  expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: admin.accessToken }));
});

test('deleting a workspace makes its projects and tasks 404', async () => {
  const w = await createWorkspace(ctx.url, admin.accessToken, { name: 'Doomed' });
  const p = await createProject(ctx.url, admin.accessToken, w.id, { key: 'DOOM' });
  const t = await createTask(ctx.url, admin.accessToken, p.id, { title: 'doomed task' });
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${w.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'GET', `/projects/${p.id}`, { token: admin.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: admin.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/workspaces/${w.id}/projects`, { token: admin.accessToken }), 404);
});

test('an assignee removed from the workspace cannot be assigned again', async () => {
  const u = await registerUser(ctx.url);
  await addMember(ctx.url, admin.accessToken, ws.id, u, 'member');
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'assign me', assigneeIds: [u.user.id] });
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${u.user.id}`, { token: admin.accessToken }));
  const res = await api(ctx.url, 'PATCH', `/tasks/${t.id}/assignees`, { token: admin.accessToken, body: { assigneeIds: [u.user.id] } });
  expectError(res, 422);
});

serverEndChecks(ctx);
