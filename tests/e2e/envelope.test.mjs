// Conventions every route keeps: envelopes, error shapes, body limits,
// routing errors, pagination bounds and request ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { waitFor, accessLogs } from './lib/server.mjs';
import {
  api, rawRequest, expectOk, expectError, expectFieldError, expectNoContent, expectStatus,
  registerUser, createWorkspace, createProject, fmtRes,
} from './lib/api.mjs';

const ctx = serverSuite();
let alice;
let ws;

test('setup: a user with a workspace', async () => {
  alice = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, alice.accessToken);
});

test('success envelope: {success:true, data}', async () => {
  const res = await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken });
  const data = expectOk(res, 200);
  assert.equal(data.id, alice.user.id);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
});

test('create answers 201, delete answers 204 with no body', async () => {
  const w = await createWorkspace(ctx.url, alice.accessToken);
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${w.id}`, { token: alice.accessToken }));
});

test('paginated envelope: {success, data:[], meta:{page,limit,total,totalPages,hasNext,hasPrev}}', async () => {
  await createProject(ctx.url, alice.accessToken, ws.id, { key: 'ENVA' });
  await createProject(ctx.url, alice.accessToken, ws.id, { key: 'ENVB' });
  const res = await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects`, { token: alice.accessToken });
  const data = expectOk(res, 200);
  assert.ok(Array.isArray(data), fmtRes(res));
  assert.deepEqual(res.json.meta, {
    page: 1, limit: 20, total: 2, totalPages: 1, hasNext: false, hasPrev: false,
  }, fmtRes(res));
});

test('malformed JSON is 400 INVALID_JSON (public and protected routes)', async () => {
  expectError(await api(ctx.url, 'POST', '/auth/login', { raw: '{"email":' }), 400, 'INVALID_JSON');
  expectError(await api(ctx.url, 'POST', '/workspaces', { token: alice.accessToken, raw: '{"name": "x",}' }),
    400, 'INVALID_JSON');
});

test('a JSON body that is not an object is 422', async () => {
  expectError(await api(ctx.url, 'POST', '/workspaces', { token: alice.accessToken, raw: '[1,2]' }), 422);
});

test('a body over 5 MB is 413 and the server keeps serving', async () => {
  const big = JSON.stringify({ name: 'big', description: 'a'.repeat(5 * 1024 * 1024 + 1024) });
  const res = await rawRequest(ctx.srv.port, {
    method: 'POST',
    path: '/workspaces',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(big),
      authorization: `Bearer ${alice.accessToken}`,
    },
    body: big,
  });
  expectError(res, 413);
  expectOk(await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken }), 200);
});

test('a body just under the limit is not refused for size', async () => {
  const body = JSON.stringify({ name: 'fits', description: 'b'.repeat(64 * 1024) });
  const res = await api(ctx.url, 'POST', '/workspaces', { token: alice.accessToken, raw: body });
  assert.notEqual(res.status, 413, fmtRes(res));
  assert.ok(res.status < 500, fmtRes(res));
});

test('unknown route is 404 with the error envelope', async () => {
  expectError(await api(ctx.url, 'GET', '/no-such-route'), 404);
  expectError(await api(ctx.url, 'GET', '/no-such-route', { token: alice.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', '/workspaces/x/y/z/w', { token: alice.accessToken }), 404);
});

test('wrong method on a known path is 405', async () => {
  expectError(await api(ctx.url, 'PUT', '/workspaces', { token: alice.accessToken, body: {} }), 405);
  expectError(await api(ctx.url, 'GET', '/auth/login'), 405);
  expectError(await api(ctx.url, 'DELETE', '/users/me', { token: alice.accessToken }), 405);
});

test('limit out of range is 422 naming limit', async () => {
  for (const q of ['limit=0', 'limit=101', 'limit=-5', 'limit=abc']) {
    expectFieldError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects?${q}`, { token: alice.accessToken }), 'limit');
  }
  expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects?limit=100`, { token: alice.accessToken }));
  expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects?limit=1`, { token: alice.accessToken }));
});

test('X-Request-Id is echoed when sent and logged with the access line', async () => {
  const rid = `e2e-rid-${Date.now()}`;
  const res = await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken, headers: { 'X-Request-Id': rid } });
  expectStatus(res, 200);
  assert.equal(res.headers.get('x-request-id'), rid);
  const line = await waitFor(() => accessLogs(ctx.srv.logs).find((l) => l.requestId === rid),
    { what: `access log line with requestId ${rid}` });
  assert.equal(line.method, 'GET');
  assert.equal(line.path, '/api/v1/users/me');
  assert.equal(line.status, 200);
  assert.equal(typeof line.durationMs, 'number');
});

test('X-Request-Id is generated when not sent, distinct per request, also on errors', async () => {
  const a = await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken });
  const b = await api(ctx.url, 'GET', '/users/me');
  const c = await api(ctx.url, 'GET', '/no-such-route');
  const ids = [a, b, c].map((r) => r.headers.get('x-request-id'));
  for (const id of ids) assert.ok(id && id.length > 0, `generated request id expected, got ${id}`);
  assert.equal(new Set(ids).size, 3, `distinct ids expected: ${ids}`);
  await waitFor(() => accessLogs(ctx.srv.logs).some((l) => l.requestId === ids[1] && l.status === 401),
    { what: 'access log of the 401 with its generated id' });
});

test('an insane X-Request-Id is replaced, not echoed', async () => {
  const bad = 'x'.repeat(200);
  const res = await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken, headers: { 'X-Request-Id': bad } });
  const got = res.headers.get('x-request-id');
  assert.ok(got && got !== bad, `expected a generated id instead of the 200-char one, got ${got}`);
});

serverEndChecks(ctx);
