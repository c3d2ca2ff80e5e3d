// The activity routes: GET /workspaces/:wid/activity, /projects/:pid/activity
// and /tasks/:id/activity. Every kind of change writes exactly one row, seen
// through the REST routes, newest first and paginated; access is members only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createProject, createTask, createComment, createChannel, createLabel, addMember, fmtRes,
  UNKNOWN_ID, listAllPages, assertNoLeak,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let bob; let carol; let dave; let outsider;
let ws; let proj; let proj2; let task; let gone; let channel; let label; let comment;
/** Every change made, oldest first: {action, actor, projectId, taskId}. */
const expected = [];

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function did(action, actor, projectId = null, taskId = null) {
  expected.push({ action, actorId: actor.user.id, projectId, taskId });
}

const shapeOf = (rows) => rows.map((r) => ({ action: r.action, actorId: r.actorId, projectId: r.projectId, taskId: r.taskId }));
const fmt = (rows) => rows.map((r) => r.action).join(', ');

function assertNewestFirst(rows, what) {
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i - 1].id > rows[i].id, `${what}: ids decrease (row ${i})`);
    assert.ok(rows[i - 1].createdAt >= rows[i].createdAt, `${what}: createdAt does not increase (row ${i})`);
  }
}

test('setup: one of every kind of change, through the REST API', async () => {
  admin = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Builder' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Leaver' });
  dave = await registerUser(ctx.url, { firstName: 'Dave', lastName: 'Removed' });
  outsider = await registerUser(ctx.url);
  await createWorkspace(ctx.url, outsider.accessToken, { name: 'Elsewhere' });

  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Audited WS' });
  did('workspace_created', admin);
  for (const u of [bob, carol, dave]) {
    await addMember(ctx.url, admin.accessToken, ws.id, u, 'member');
    did('member_joined', u); // the invitee joins by accepting
  }
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'AUD' });
  did('project_created', admin, proj.id);
  proj2 = await createProject(ctx.url, bob.accessToken, ws.id, { key: 'OTR' });
  did('project_created', bob, proj2.id);

  task = await createTask(ctx.url, bob.accessToken, proj.id, { title: 'Audited task' });
  did('task_created', bob, proj.id, task.id);
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${task.id}`, { token: carol.accessToken, body: { title: 'Audited task, renamed' } }));
  did('task_updated', carol, proj.id, task.id);
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${task.id}/status`, { token: bob.accessToken, body: { status: 'review' } }));
  did('status_changed', bob, proj.id, task.id);
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${task.id}/assignees`, { token: admin.accessToken, body: { assigneeIds: [bob.user.id, carol.user.id] } }));
  did('assignee_changed', admin, proj.id, task.id);
  comment = await createComment(ctx.url, carol.accessToken, task.id, { body: 'audited comment' });
  did('comment_added', carol, proj.id, task.id);

  // a task in the other project
  const other = await createTask(ctx.url, admin.accessToken, proj2.id, { title: 'Other project task' });
  did('task_created', admin, proj2.id, other.id);

  channel = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'audit-chat', projectId: proj.id });
  did('channel_created', bob, proj.id);
  await createChannel(ctx.url, carol.accessToken, ws.id, { name: 'ws-chat' });
  did('channel_created', carol);
  label = await createLabel(ctx.url, bob.accessToken, ws.id, { name: 'audited', color: '#123456' });
  did('label_created', bob);

  gone = await createTask(ctx.url, bob.accessToken, proj.id, { title: 'Short-lived task' });
  did('task_created', bob, proj.id, gone.id);
  expectNoContent(await api(ctx.url, 'DELETE', `/tasks/${gone.id}`, { token: bob.accessToken }));
  did('task_deleted', bob, proj.id, gone.id);

  const left = await api(ctx.url, 'POST', `/workspaces/${ws.id}/leave`, { token: carol.accessToken });
  assert.ok(left.status === 200 || left.status === 204, fmtRes(left));
  did('member_left', carol);
  const removed = await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${dave.user.id}`, { token: admin.accessToken });
  assert.ok(removed.status === 200 || removed.status === 204, fmtRes(removed));
  did('member_left', admin);

  // reads and refused writes leave no trace
  expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}`, { token: bob.accessToken }));
  expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/comments`, { token: bob.accessToken }));
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${task.id}/status`, { token: bob.accessToken, body: { status: 'nowhere' } }), 'status');
  expectError(await api(ctx.url, 'PATCH', `/comments/${comment.id}`, { token: bob.accessToken, body: { body: 'not mine' } }), 403);
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/labels`, { token: bob.accessToken, body: { name: 'AUDITED', color: '#000000' } }), 409);
});

test('GET /workspaces/:wid/activity: one row per change, newest first, with the row shape', async () => {
  const rows = await listAllPages(ctx.url, admin.accessToken, `/workspaces/${ws.id}/activity`);
  assert.deepEqual(shapeOf(rows), [...expected].reverse(), `workspace log: ${fmt(rows)}`);
  assertNewestFirst(rows, 'workspace log');
  const names = {
    [admin.user.id]: 'Ann Admin', [bob.user.id]: 'Bob Builder', [carol.user.id]: 'Carol Leaver', [dave.user.id]: 'Dave Removed',
  };
  for (const r of rows) {
    assert.equal(typeof r.id, 'string');
    assert.equal(r.workspaceId, ws.id);
    assert.equal(r.actorName, names[r.actorId], `actorName of ${r.action}`);
    assert.match(r.createdAt, ISO);
    assert.ok(r.changes === null || typeof r.changes === 'object', `changes of ${r.action} is an object`);
  }
  const st = rows.find((r) => r.action === 'status_changed');
  assert.deepEqual(st.changes.status, { from: 'todo', to: 'review' });
  const del = rows.find((r) => r.action === 'task_deleted');
  assert.equal(del.taskId, gone.id, 'a deleted task\'s rows stay in the workspace log');
  const ch = rows.find((r) => r.action === 'channel_created' && r.projectId === proj.id);
  assert.equal(ch.changes.channelId, channel.id);
  const lb = rows.find((r) => r.action === 'label_created');
  assert.equal(lb.changes.labelId, label.id);
  const ca = rows.find((r) => r.action === 'comment_added');
  assert.equal(ca.changes.commentId, comment.id);
  assert.ok(!JSON.stringify(rows).includes(admin.email), 'no emails in the log');
});

test('workspace activity pagination: pages of 4 cover the log exactly; meta is right', async () => {
  const total = expected.length;
  const first = await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity?limit=4`, { token: bob.accessToken });
  expectOk(first);
  assert.deepEqual(first.json.meta, {
    page: 1, limit: 4, total, totalPages: Math.ceil(total / 4), hasNext: true, hasPrev: false,
  });
  const paged = await listAllPages(ctx.url, bob.accessToken, `/workspaces/${ws.id}/activity`, 4);
  const all = await listAllPages(ctx.url, bob.accessToken, `/workspaces/${ws.id}/activity`);
  assert.deepEqual(paged.map((r) => r.id), all.map((r) => r.id));
  const def = await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity`, { token: bob.accessToken });
  assert.equal(expectOk(def).length, Math.min(20, total));
  assert.equal(def.json.meta.limit, 20);
  const past = await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity?limit=4&page=99`, { token: bob.accessToken });
  assert.deepEqual(expectOk(past), []);
  assert.equal(past.json.meta.total, total);
  expectFieldError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity?limit=101`, { token: bob.accessToken }), 'limit');
  expectFieldError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity?page=0`, { token: bob.accessToken }), 'page');
  expectFieldError(await api(ctx.url, 'GET', `/projects/${proj.id}/activity?limit=0`, { token: bob.accessToken }), 'limit');
  expectFieldError(await api(ctx.url, 'GET', `/tasks/${task.id}/activity?limit=abc`, { token: bob.accessToken }), 'limit');
});

test('GET /projects/:pid/activity: only that project\'s rows, newest first', async () => {
  const rows = await listAllPages(ctx.url, bob.accessToken, `/projects/${proj.id}/activity`);
  const want = expected.filter((e) => e.projectId === proj.id).reverse();
  assert.deepEqual(shapeOf(rows), want, `project log: ${fmt(rows)}`);
  assertNewestFirst(rows, 'project log');
  const rows2 = await listAllPages(ctx.url, bob.accessToken, `/projects/${proj2.id}/activity`);
  assert.deepEqual(shapeOf(rows2), expected.filter((e) => e.projectId === proj2.id).reverse());
  const res = await api(ctx.url, 'GET', `/projects/${proj.id}/activity?limit=2&page=2`, { token: bob.accessToken });
  assert.deepEqual(expectOk(res).map((r) => r.id), rows.slice(2, 4).map((r) => r.id));
  assert.deepEqual(res.json.meta, {
    page: 2, limit: 2, total: want.length, totalPages: Math.ceil(want.length / 2), hasNext: want.length > 4, hasPrev: true,
  });
});

test('GET /tasks/:id/activity: the task\'s rows newest first; a deleted task\'s log is 404', async () => {
  const rows = await listAllPages(ctx.url, bob.accessToken, `/tasks/${task.id}/activity`);
  assert.deepEqual(rows.map((r) => r.action), ['comment_added', 'assignee_changed', 'status_changed', 'task_updated', 'task_created']);
  assert.deepEqual(shapeOf(rows), expected.filter((e) => e.taskId === task.id).reverse());
  assertNewestFirst(rows, 'task log');
  const res = await api(ctx.url, 'GET', `/tasks/${task.id}/activity?limit=2`, { token: admin.accessToken });
  assert.deepEqual(expectOk(res).map((r) => r.action), ['comment_added', 'assignee_changed']);
  assert.deepEqual(res.json.meta, { page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false });
  expectError(await api(ctx.url, 'GET', `/tasks/${gone.id}/activity`, { token: bob.accessToken }), 404);
});

test('later changes appear at the top of all three logs', async () => {
  const c2 = await createComment(ctx.url, admin.accessToken, task.id, { body: 'latest word' });
  for (const p of [`/workspaces/${ws.id}/activity`, `/projects/${proj.id}/activity`, `/tasks/${task.id}/activity`]) {
    const top = expectOk(await api(ctx.url, 'GET', `${p}?limit=1`, { token: bob.accessToken }))[0];
    assert.equal(top.action, 'comment_added', p);
    assert.equal(top.actorId, admin.user.id, p);
    assert.equal(top.changes.commentId, c2.id, p);
  }
});

test('access: outsider, a member who left, a removed member 404; no token 401; unknown ids 404', async () => {
  const paths = [`/workspaces/${ws.id}/activity`, `/projects/${proj.id}/activity`, `/tasks/${task.id}/activity`];
  for (const p of paths) {
    for (const u of [outsider, carol, dave]) {
      const res = await api(ctx.url, 'GET', p, { token: u.accessToken });
      assert.equal(res.status, 404, `${p} as ${u.firstName}: ${fmtRes(res)}`);
      expectError(res, 404);
      assertNoLeak(res, [ws.name, task.title, proj.id, 'audited comment'], `${p}`);
    }
    expectError(await api(ctx.url, 'GET', p), 401);
  }
  expectError(await api(ctx.url, 'GET', `/workspaces/${UNKNOWN_ID}/activity`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/projects/${UNKNOWN_ID}/activity`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/tasks/${UNKNOWN_ID}/activity`, { token: bob.accessToken }), 404);
});

serverEndChecks(ctx);
