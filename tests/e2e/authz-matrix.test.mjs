// Authorization matrix: for every route on an object inside a workspace, an
// outsider gets 404 (never 403, never the object), no token gets 401, and a
// member gets 2xx, or 403 where the route is admin-only (or reporter/lead-only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, registerUser, createWorkspace, createProject, createTask, addMember,
  fmtRes, uniq,
} from './lib/api.mjs';

const ctx = serverSuite();
const f = {}; // fixtures

test('setup: admin, member, outsider; workspace, project, task', async () => {
  f.admin = await registerUser(ctx.url);
  f.member = await registerUser(ctx.url);
  f.outsider = await registerUser(ctx.url);
  f.spare = await registerUser(ctx.url); // invited by the invite row
  f.ws = await createWorkspace(ctx.url, f.admin.accessToken, { name: 'Matrix WS' });
  await addMember(ctx.url, f.admin.accessToken, f.ws.id, f.member, 'member');
  f.proj = await createProject(ctx.url, f.admin.accessToken, f.ws.id, { key: 'MTX', leadId: f.admin.user.id });
  f.task = await createTask(ctx.url, f.admin.accessToken, f.proj.id, { title: 'Matrix task' });
  // the outsider owns a workspace of its own, so it is a real, active user
  await createWorkspace(ctx.url, f.outsider.accessToken, { name: 'Elsewhere' });
});

// Each row: method, path (from fixtures), body, what a member gets, and an
// optional prepare() giving a fresh member for destructive rows.
const rows = [
  { m: 'GET', r: '/workspaces/:wid', member: 200 },
  { m: 'PATCH', r: '/workspaces/:wid', body: () => ({ description: 'changed' }), member: 403 },
  { m: 'DELETE', r: '/workspaces/:wid', member: 403 },
  { m: 'POST', r: '/workspaces/:wid/invite', body: () => ({ email: f.spare.email, role: 'member' }), member: 403 },
  { m: 'GET', r: '/workspaces/:wid/invitations', member: 403 },
  { m: 'GET', r: '/workspaces/:wid/members', member: 200 },
  { m: 'PATCH', r: '/workspaces/:wid/members/:adminId', body: () => ({ role: 'member' }), member: 403 },
  { m: 'DELETE', r: '/workspaces/:wid/members/:adminId', member: 403 },
  {
    m: 'POST',
    r: '/workspaces/:wid/leave',
    member: [200, 204],
    prepare: async () => {
      const u = await registerUser(ctx.url);
      await addMember(ctx.url, f.admin.accessToken, f.ws.id, u, 'member');
      return u.accessToken;
    },
  },
  { m: 'POST', r: '/workspaces/:wid/projects', body: () => ({ name: 'By member', key: `M${uniq(5).toUpperCase()}`.replace(/[^A-Z0-9]/g, 'Q') }), member: 201 },
  { m: 'GET', r: '/workspaces/:wid/projects', member: 200 },
  { m: 'GET', r: '/projects/:pid', member: 200 },
  { m: 'PATCH', r: '/projects/:pid', body: () => ({ description: 'member edit' }), member: 200 },
  { m: 'DELETE', r: '/projects/:pid', member: 403 },
  { m: 'GET', r: '/projects/:pid/board', member: 200 },
  { m: 'POST', r: '/projects/:pid/tasks', body: () => ({ title: 'member task' }), member: 201 },
  { m: 'GET', r: '/projects/:pid/tasks', member: 200 },
  { m: 'GET', r: '/tasks/:tid', member: 200 },
  { m: 'PATCH', r: '/tasks/:tid', body: () => ({ title: 'member edit' }), member: 200 },
  { m: 'DELETE', r: '/tasks/:tid', member: 403 },
  { m: 'PATCH', r: '/tasks/:tid/status', body: () => ({ status: 'review' }), member: 200 },
  { m: 'PATCH', r: '/tasks/:tid/assignees', body: () => ({ assigneeIds: [f.member.user.id] }), member: 200 },
  { m: 'POST', r: '/tasks/:tid/reorder', body: () => ({ status: 'todo', orderIndex: 0 }), member: [200, 204] },
  { m: 'GET', r: '/tasks/:tid/subtasks', member: 200 },
  { m: 'GET', r: '/users/:adminId', member: 200 },
  {
    m: 'DELETE',
    r: '/tasks/:myTask',
    member: 204,
    label: 'DELETE /tasks/:id (own task, as its reporter)',
    prepare: async () => {
      f.memberTask = await createTask(ctx.url, f.member.accessToken, f.proj.id, { title: 'mine' });
      return f.member.accessToken;
    },
  },
];

/** Fills a route template from the fixtures. */
function pathOf(r) {
  const vals = {
    ':wid': f.ws.id, ':pid': f.proj.id, ':tid': f.task.id, ':adminId': f.admin.user.id, ':myTask': f.memberTask?.id,
  };
  return r.replace(/:[A-Za-z]+/g, (k) => vals[k]);
}

/** What an outsider must never see in a response body. */
function secretsOf() {
  return [f.ws.id, f.ws.name, f.proj.id, f.task.id, f.task.title, f.admin.email];
}

for (const row of rows) {
  const name = row.label || `${row.m} ${row.r}`;
  test(`authz: ${name}`, async () => {
    const path = pathOf(row.r);
    const body = row.body ? row.body() : undefined;

    // outsider: 404, and the body reveals nothing
    const out = await api(ctx.url, row.m, path, { token: f.outsider.accessToken, body });
    assert.equal(out.status, 404, `${name} as outsider: ${fmtRes(out)}`);
    expectError(out, 404);
    for (const s of secretsOf()) assert.ok(!out.text.includes(s), `${name}: the outsider's 404 leaks ${s}`);

    // no token: 401
    const anon = await api(ctx.url, row.m, path, { body });
    assert.equal(anon.status, 401, `${name} without a token: ${fmtRes(anon)}`);
    expectError(anon, 401);

    // member: 2xx or the documented 403
    const token = row.prepare ? await row.prepare() : f.member.accessToken;
    const res = await api(ctx.url, row.m, pathOf(row.r), { token, body: row.body ? row.body() : undefined });
    const allowed = Array.isArray(row.member) ? row.member : [row.member];
    assert.ok(allowed.includes(res.status), `${name} as member: expected ${allowed.join(' or ')}: ${fmtRes(res)}`);
    if (res.status === 403) expectError(res, 403);
    else if (res.status !== 204) expectOk(res, res.status);
  });
}

test('the workspace objects are intact after the outsider and member rows', async () => {
  const w = expectOk(await api(ctx.url, 'GET', `/workspaces/${f.ws.id}`, { token: f.admin.accessToken }));
  assert.equal(w.name, 'Matrix WS');
  const p = expectOk(await api(ctx.url, 'GET', `/projects/${f.proj.id}`, { token: f.admin.accessToken }));
  assert.notEqual(p.status, 'archived');
  expectOk(await api(ctx.url, 'GET', `/tasks/${f.task.id}`, { token: f.admin.accessToken }));
  const members = expectOk(await api(ctx.url, 'GET', `/workspaces/${f.ws.id}/members`, { token: f.admin.accessToken }));
  const ids = members.map((m) => m.userId ?? m.user?.id ?? m.id);
  assert.ok(!ids.includes(f.outsider.user.id), 'the outsider never became a member');
  assert.ok(!ids.includes(f.spare.user.id), 'the refused invites added nobody');
});

serverEndChecks(ctx);
