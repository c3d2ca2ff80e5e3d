// Ops: health, the OpenAPI document (it must describe every route this suite
// tests) and the docs page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, expectOk, fmtRes } from './lib/api.mjs';

const ctx = serverSuite();

// Every route the e2e suite exercises, in the router's pattern syntax.
const ROUTES = [
  'POST /auth/register', 'POST /auth/login', 'POST /auth/refresh', 'POST /auth/logout',
  'GET /users/me', 'PATCH /users/me', 'GET /users/:id',
  'POST /workspaces', 'GET /workspaces',
  'GET /workspaces/:wid', 'PATCH /workspaces/:wid', 'DELETE /workspaces/:wid',
  'POST /workspaces/:wid/invite', 'GET /workspaces/:wid/members',
  'PATCH /workspaces/:wid/members/:userId', 'DELETE /workspaces/:wid/members/:userId',
  'POST /workspaces/:wid/leave',
  'GET /workspaces/:wid/invitations', 'DELETE /workspaces/:wid/invitations/:id',
  'GET /invitations', 'POST /invitations/:id/accept', 'POST /invitations/:id/decline',
  'POST /workspaces/:wid/projects', 'GET /workspaces/:wid/projects',
  'GET /projects/:pid', 'PATCH /projects/:pid', 'DELETE /projects/:pid', 'GET /projects/:pid/board',
  'POST /projects/:pid/tasks', 'GET /projects/:pid/tasks',
  'GET /tasks/:id', 'PATCH /tasks/:id', 'DELETE /tasks/:id',
  'PATCH /tasks/:id/status', 'PATCH /tasks/:id/assignees', 'POST /tasks/:id/reorder', 'GET /tasks/:id/subtasks',
  'GET /health', 'GET /docs/openapi.json', 'GET /docs',
];

/** "/api/v1/tasks/{taskId}/status" and "/tasks/:id/status" both become "/tasks/{}/status". */
function normalize(p) {
  return p.replace(/^\/api\/v1(?=\/)/, '').replace(/\{[^}]+\}/g, '{}').replace(/:[A-Za-z_][A-Za-z0-9_]*/g, '{}');
}

test('GET /health: 200 without a token, reporting the database', async () => {
  const res = await api(ctx.url, 'GET', '/health');
  const data = expectOk(res);
  assert.ok(data && typeof data === 'object', fmtRes(res));
  assert.ok('db' in data, `health reports db: ${fmtRes(res)}`);
  const db = typeof data.db === 'object' && data.db !== null ? data.db.status : data.db;
  assert.match(String(db), /^(ok|up|healthy)$/i, `db is healthy: ${fmtRes(res)}`);
});

test('GET /docs/openapi.json: an OpenAPI 3.1 document with every tested route', async () => {
  const res = await api(ctx.url, 'GET', '/docs/openapi.json');
  const doc = res.json;
  assert.equal(res.status, 200, fmtRes(res));
  assert.match(res.headers.get('content-type') || '', /json/);
  assert.ok(doc && typeof doc === 'object', 'JSON document');
  assert.match(String(doc.openapi), /^3\.1\./, `openapi 3.1.x, got ${doc.openapi}`);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  assert.ok(doc.paths && typeof doc.paths === 'object');
  const have = new Set();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of Object.keys(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(m)) have.add(`${m.toUpperCase()} ${normalize(p)}`);
    }
  }
  const missing = ROUTES.filter((r) => {
    const [m, p] = r.split(' ');
    return !have.has(`${m} ${normalize(p)}`);
  });
  assert.deepEqual(missing, [], `routes missing from the OpenAPI document: ${missing.join(', ')}`);
  const ops = Object.values(doc.paths).flatMap((item) => Object.values(item)).filter((o) => o && o.operationId);
  assert.equal(new Set(ops.map((o) => o.operationId)).size, ops.length, 'operationIds are unique');
});

test('GET /docs/openapi.json: path parameters are declared, protected routes carry security', async () => {
  const doc = (await api(ctx.url, 'GET', '/docs/openapi.json')).json;
  const taskStatus = Object.entries(doc.paths).find(([p]) => normalize(p) === '/tasks/{}/status');
  assert.ok(taskStatus, '/tasks/{id}/status present');
  const [p, item] = taskStatus;
  const name = p.match(/\{([^}]+)\}/)[1];
  const params = [...(item.parameters || []), ...(item.patch.parameters || [])];
  assert.ok(params.some((x) => x.in === 'path' && x.name === name && x.required === true), `path parameter ${name} declared`);
  const secured = (op) => (op.security ?? doc.security ?? []).length > 0;
  assert.ok(secured(item.patch), 'PATCH /tasks/{id}/status is protected');
  const login = Object.entries(doc.paths).find(([q]) => normalize(q) === '/auth/login')[1].post;
  assert.ok(!login.security || login.security.length === 0 || login.security.some((s) => Object.keys(s).length === 0),
    'login is public');
  assert.ok(item.patch.requestBody, 'PATCH /tasks/{id}/status documents its body');
});

test('GET /docs: an HTML page without a token', async () => {
  const res = await api(ctx.url, 'GET', '/docs');
  assert.equal(res.status, 200, fmtRes(res));
  assert.match(res.headers.get('content-type') || '', /^text\/html/);
  assert.match(res.text, /<html|<!doctype html/i);
});

serverEndChecks(ctx);
