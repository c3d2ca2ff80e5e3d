// Activity is really written: one row per change, none for reads or refused
// writes. There is no REST route for it yet, so this reads the database
// directly: the SQLite file with the sqlite3 CLI (skipped where the CLI is not
// installed), or PostgreSQL with psql.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { PG_URL } from './lib/server.mjs';
import {
  api, expectOk, expectError, expectNoContent, registerUser, createWorkspace, createProject,
  createTask, addMember,
} from './lib/api.mjs';

const hasSqlite = (() => {
  try { execFileSync('sqlite3', ['-version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();
const skip = !hasSqlite && !PG_URL && 'sqlite3 CLI not installed';

const ctx = serverSuite();

/** Rows of the activity table for one workspace, oldest first. */
function activity(wid) {
  assert.match(wid, /^[A-Za-z0-9_-]+$/);
  return ctx.srv.queryRows(
    `SELECT action, actor_id AS "actorId", project_id AS "projectId", task_id AS "taskId", changes FROM activity WHERE workspace_id = '${wid}' ORDER BY id`);
}

test('every change of a workspace, its members, projects and tasks writes one row', { skip }, async () => {
  const a = await registerUser(ctx.url);
  const b = await registerUser(ctx.url);
  const ws = await createWorkspace(ctx.url, a.accessToken, { name: 'Audited WS' });
  await addMember(ctx.url, a.accessToken, ws.id, b, 'member');
  expectOk(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${b.user.id}`, { token: a.accessToken, body: { role: 'admin' } }));
  const p = await createProject(ctx.url, a.accessToken, ws.id, { key: 'AUD' });
  const t = await createTask(ctx.url, b.accessToken, p.id, { title: 'audited task' });
  // reads and refused writes leave no trace
  expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: a.accessToken }));
  expectOk(await api(ctx.url, 'GET', `/projects/${p.id}/board`, { token: a.accessToken }));
  expectError(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: a.accessToken, body: { status: 'nowhere' } }), 422);
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, { token: a.accessToken, body: { title: 'audited task, renamed' } }));
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: a.accessToken, body: { status: 'done' } }));
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}/assignees`, { token: a.accessToken, body: { assigneeIds: [b.user.id] } }));
  expectNoContent(await api(ctx.url, 'DELETE', `/tasks/${t.id}`, { token: b.accessToken }));
  expectOk(await api(ctx.url, 'PATCH', `/projects/${p.id}`, { token: a.accessToken, body: { description: 'audited' } }));
  expectNoContent(await api(ctx.url, 'DELETE', `/projects/${p.id}`, { token: a.accessToken }));
  const leave = await api(ctx.url, 'POST', `/workspaces/${ws.id}/leave`, { token: b.accessToken });
  assert.ok(leave.status === 200 || leave.status === 204);

  const rows = activity(ws.id);
  assert.deepEqual(rows.map((r) => r.action), [
    'workspace_created', 'member_joined', 'member_role_changed', 'project_created', 'task_created',
    'task_updated', 'status_changed', 'assignee_changed', 'task_deleted', 'project_updated', 'project_archived',
    'member_left',
  ]);
  const by = (action) => rows.find((r) => r.action === action);
  assert.equal(by('workspace_created').actorId, a.user.id);
  assert.equal(by('task_created').actorId, b.user.id);
  assert.equal(by('task_created').taskId, t.id);
  assert.equal(by('task_created').projectId, p.id);
  assert.equal(by('status_changed').actorId, a.user.id);
  assert.match(by('status_changed').changes, /done/);
  assert.match(by('assignee_changed').changes, new RegExp(b.user.id));
  assert.equal(by('task_deleted').taskId, t.id, 'the log keeps the deleted task id');
  assert.equal(by('member_left').actorId, b.user.id);
  for (const r of rows) assert.doesNotThrow(() => JSON.parse(r.changes), `changes is JSON: ${r.changes}`);
});

serverEndChecks(ctx);
