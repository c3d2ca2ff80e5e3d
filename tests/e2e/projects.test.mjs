// Projects: create with keys, list with pagination, update, archive (read-only
// afterwards) and the board.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createProject, createTask, addMember, fmtRes,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let member; let lead; let outsider;
let ws; let ws2;
let proj;

test('setup: a workspace with an admin, a member and a lead-to-be', async () => {
  admin = await registerUser(ctx.url);
  member = await registerUser(ctx.url);
  lead = await registerUser(ctx.url);
  outsider = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Projects WS' });
  ws2 = await createWorkspace(ctx.url, admin.accessToken, { name: 'Second WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, member, 'member');
  await addMember(ctx.url, admin.accessToken, ws.id, lead, 'member');
});

test('POST projects: 201 with the given fields', async () => {
  const res = await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
    token: admin.accessToken,
    body: { name: 'Core Platform', key: 'CORE', description: 'The core', leadId: lead.user.id },
  });
  proj = expectOk(res, 201);
  assert.equal(typeof proj.id, 'string');
  assert.equal(proj.name, 'Core Platform');
  assert.equal(proj.key, 'CORE');
  assert.equal(proj.description, 'The core');
  assert.equal(proj.leadId, lead.user.id);
  assert.equal(proj.workspaceId, ws.id);
});

test('POST projects: key must match ^[A-Z][A-Z0-9]{1,9}$ (422)', async () => {
  for (const key of ['A', 'core', '1ABC', 'ABCDEFGHIJK', 'AB-C', 'A B', '']) {
    expectFieldError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
      token: admin.accessToken, body: { name: 'Bad key', key },
    }), 'key');
  }
  expectFieldError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
    token: admin.accessToken, body: { name: 'No key' },
  }), 'key');
  expectFieldError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
    token: admin.accessToken, body: { key: 'NONAME' },
  }), 'name');
  for (const key of ['AB', 'A1', 'ABCDEFGHIJ', 'Z9Z9Z9Z9Z9']) {
    await createProject(ctx.url, admin.accessToken, ws2.id, { key });
  }
});

test('POST projects: a lead who is not a member is 422', async () => {
  expectFieldError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
    token: admin.accessToken, body: { name: 'Foreign lead', key: 'FLEAD', leadId: outsider.user.id },
  }), 'leadId');
});

test('POST projects: a duplicate key in the same workspace is 409; in another workspace it is fine', async () => {
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
    token: member.accessToken, body: { name: 'Again', key: 'CORE' },
  }), 409);
  const other = await createProject(ctx.url, admin.accessToken, ws2.id, { key: 'CORE', name: 'Core elsewhere' });
  assert.equal(other.key, 'CORE');
  assert.notEqual(other.id, proj.id);
});

test('POST projects: any member may create; outsider 404', async () => {
  await createProject(ctx.url, member.accessToken, ws.id, { key: 'MEMB' });
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/projects`, {
    token: outsider.accessToken, body: { name: 'Nope', key: 'NOPE' },
  }), 404);
});

test('GET projects: paginated, with correct meta', async () => {
  // ws now has CORE and MEMB; add three more for five in all
  for (const key of ['PGA', 'PGB', 'PGC']) await createProject(ctx.url, admin.accessToken, ws.id, { key });
  const seen = new Set();
  const p1 = await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects?limit=2&page=1`, { token: member.accessToken });
  const d1 = expectOk(p1);
  assert.equal(d1.length, 2, fmtRes(p1));
  assert.deepEqual(p1.json.meta, { page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false });
  d1.forEach((p) => seen.add(p.id));
  const p2 = await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects?limit=2&page=2`, { token: member.accessToken });
  expectOk(p2).forEach((p) => seen.add(p.id));
  assert.deepEqual(p2.json.meta, { page: 2, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: true });
  const p3 = await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects?limit=2&page=3`, { token: member.accessToken });
  const d3 = expectOk(p3);
  assert.equal(d3.length, 1);
  d3.forEach((p) => seen.add(p.id));
  assert.deepEqual(p3.json.meta, { page: 3, limit: 2, total: 5, totalPages: 3, hasNext: false, hasPrev: true });
  assert.equal(seen.size, 5, 'pages do not overlap');
  const all = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects`, { token: member.accessToken }));
  assert.equal(all.length, 5);
  assert.ok(all.every((p) => p.workspaceId === undefined || p.workspaceId === ws.id), 'only this workspace');
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/projects`, { token: outsider.accessToken }), 404);
});

test('GET /projects/:pid: member 200; outsider 404', async () => {
  const got = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: member.accessToken }));
  assert.equal(got.id, proj.id);
  assert.equal(got.key, 'CORE');
  expectError(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: outsider.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', '/projects/p_unknown_000000000', { token: member.accessToken }), 404);
});

test('PATCH /projects/:pid: member 200; outsider 404; validation 422', async () => {
  const upd = expectOk(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, {
    token: member.accessToken, body: { name: 'Core Platform 2', description: 'Updated' },
  }));
  assert.equal(upd.name, 'Core Platform 2');
  assert.equal(upd.description, 'Updated');
  expectError(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, { token: outsider.accessToken, body: { name: 'X' } }), 404);
  expectFieldError(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, { token: admin.accessToken, body: { name: 7 } }), 'name');
  const got = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: admin.accessToken }));
  assert.equal(got.name, 'Core Platform 2');
});

test('GET /projects/:pid/board: four columns in order with their tasks', async () => {
  const t1 = await createTask(ctx.url, member.accessToken, proj.id, { title: 'first' });
  const t2 = await createTask(ctx.url, member.accessToken, proj.id, { title: 'second', status: 'review' });
  const t3 = await createTask(ctx.url, member.accessToken, proj.id, { title: 'third' });
  const res = await api(ctx.url, 'GET', `/projects/${proj.id}/board`, { token: member.accessToken });
  const board = expectOk(res);
  assert.equal(board.project.id, proj.id, fmtRes(res));
  assert.deepEqual(board.columns.map((c) => c.name), ['todo', 'in-progress', 'review', 'done']);
  const orders = board.columns.map((c) => c.order);
  assert.ok(orders.every((o) => typeof o === 'number'), 'order is numeric');
  assert.deepEqual([...orders].sort((a, b) => a - b), orders, 'columns sorted by order');
  assert.equal(new Set(orders).size, 4, 'distinct orders');
  for (const c of board.columns) {
    assert.equal(typeof c.color, 'string');
    assert.ok(Array.isArray(c.tasks));
  }
  const col = (n) => board.columns.find((c) => c.name === n).tasks.map((t) => t.id);
  assert.deepEqual(col('todo'), [t1.id, t3.id]);
  assert.deepEqual(col('review'), [t2.id]);
  assert.deepEqual(col('in-progress'), []);
  assert.deepEqual(col('done'), []);
  expectError(await api(ctx.url, 'GET', `/projects/${proj.id}/board`, { token: outsider.accessToken }), 404);
});

test('DELETE /projects/:pid archives: member (not lead) 403; outsider 404', async () => {
  expectError(await api(ctx.url, 'DELETE', `/projects/${proj.id}`, { token: member.accessToken }), 403);
  expectError(await api(ctx.url, 'DELETE', `/projects/${proj.id}`, { token: outsider.accessToken }), 404);
  const got = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: member.accessToken }));
  assert.notEqual(got.status, 'archived');
});

test('PATCH leadId: a plain member cannot make themselves lead (403), so cannot archive', async () => {
  expectError(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, {
    token: member.accessToken, body: { leadId: member.user.id },
  }), 403, 'FORBIDDEN');
  expectError(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, {
    token: member.accessToken, body: { leadId: null },
  }), 403, 'FORBIDDEN');
  // Sending the current lead unchanged is not a change.
  expectOk(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, {
    token: member.accessToken, body: { leadId: lead.user.id },
  }));
  expectError(await api(ctx.url, 'DELETE', `/projects/${proj.id}`, { token: member.accessToken }), 403);
  const got = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: member.accessToken }));
  assert.equal(got.leadId, lead.user.id);
  assert.notEqual(got.status, 'archived');
});

test('PATCH leadId: the current lead hands over; an admin can set it', async () => {
  const p2 = await createProject(ctx.url, admin.accessToken, ws.id, { leadId: lead.user.id });
  const a = expectOk(await api(ctx.url, 'PATCH', `/projects/${p2.id}`, {
    token: lead.accessToken, body: { leadId: member.user.id },
  }));
  assert.equal(a.leadId, member.user.id);
  expectError(await api(ctx.url, 'PATCH', `/projects/${p2.id}`, {
    token: lead.accessToken, body: { leadId: lead.user.id },
  }), 403, 'FORBIDDEN');
  const b = expectOk(await api(ctx.url, 'PATCH', `/projects/${p2.id}`, {
    token: admin.accessToken, body: { leadId: lead.user.id },
  }));
  assert.equal(b.leadId, lead.user.id);
});

test('DELETE /projects/:pid by the lead (a plain member) archives; it stays readable', async () => {
  const board = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/board`, { token: lead.accessToken }));
  const taskId = board.columns[0].tasks[0].id;
  expectNoContent(await api(ctx.url, 'DELETE', `/projects/${proj.id}`, { token: lead.accessToken }));
  const got = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}`, { token: member.accessToken }));
  assert.equal(got.status, 'archived');
  expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/board`, { token: member.accessToken }));
  expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/tasks`, { token: member.accessToken }));
  expectOk(await api(ctx.url, 'GET', `/tasks/${taskId}`, { token: member.accessToken }));

  // every write is refused with 409 PROJECT_ARCHIVED
  expectError(await api(ctx.url, 'PATCH', `/projects/${proj.id}`, { token: admin.accessToken, body: { name: 'No' } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: admin.accessToken, body: { title: 'No' } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'PATCH', `/tasks/${taskId}`, { token: admin.accessToken, body: { title: 'No' } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'PATCH', `/tasks/${taskId}/status`, { token: admin.accessToken, body: { status: 'done' } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'PATCH', `/tasks/${taskId}/assignees`, { token: admin.accessToken, body: { assigneeIds: [] } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'POST', `/tasks/${taskId}/reorder`, { token: admin.accessToken, body: { status: 'todo', orderIndex: 0 } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'DELETE', `/tasks/${taskId}`, { token: admin.accessToken }), 409, 'PROJECT_ARCHIVED');
  const after = expectOk(await api(ctx.url, 'GET', `/tasks/${taskId}`, { token: member.accessToken }));
  assert.notEqual(after.title, 'No');
});

test('DELETE /projects/:pid by a workspace admin archives', async () => {
  const p = await createProject(ctx.url, member.accessToken, ws.id, { key: 'ADMX' });
  expectNoContent(await api(ctx.url, 'DELETE', `/projects/${p.id}`, { token: admin.accessToken }));
  const got = expectOk(await api(ctx.url, 'GET', `/projects/${p.id}`, { token: admin.accessToken }));
  assert.equal(got.status, 'archived');
});

serverEndChecks(ctx);
