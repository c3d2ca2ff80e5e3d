// Comments: create/list/edit/delete on a task, replies, the task's
// commentCount, author-only changes, validation and unknown ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createProject, createTask, createComment, addMember, fmtRes, UNKNOWN_ID, assertNoLeak,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let bob; let carol; let outsider;
let ws; let proj; let task; let otherTask;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function commentCount(tid) {
  return expectOk(await api(ctx.url, 'GET', `/tasks/${tid}`, { token: admin.accessToken })).commentCount;
}

test('setup: admin (reporter), two members, an outsider; a task assigned to bob', async () => {
  admin = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Builder' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Member' });
  outsider = await registerUser(ctx.url);
  await createWorkspace(ctx.url, outsider.accessToken, { name: 'Elsewhere' });
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Comments WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, bob, 'member');
  await addMember(ctx.url, admin.accessToken, ws.id, carol, 'member');
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'CMT' });
  task = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Discussed task', assigneeIds: [bob.user.id] });
  otherTask = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Other task' });
  assert.equal(task.commentCount, 0);
});

test('POST /tasks/:id/comments: 201 with the comment shape; commentCount goes up', async () => {
  const res = await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, { token: bob.accessToken, body: { body: 'First!' } });
  const c = expectOk(res, 201);
  assert.equal(typeof c.id, 'string');
  assert.equal(c.taskId, task.id);
  assert.equal(c.authorId, bob.user.id);
  assert.equal(c.authorName, 'Bob Builder');
  assert.equal(c.parentCommentId, null);
  assert.equal(c.body, 'First!');
  assert.match(c.createdAt, ISO);
  assert.match(c.updatedAt, ISO);
  assert.ok(!res.text.includes(bob.email), 'the author email is not exposed');
  assert.equal(await commentCount(task.id), 1);
  await createComment(ctx.url, carol.accessToken, task.id, { body: 'Second' });
  assert.equal(await commentCount(task.id), 2);
  assert.equal(await commentCount(otherTask.id), 0, 'other tasks are not counted');
});

test('GET /tasks/:id/comments: oldest first, paginated with meta', async () => {
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Paged comments' });
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await createComment(ctx.url, i % 2 ? bob.accessToken : carol.accessToken, t.id, { body: `c${i}` }));
  const all = await api(ctx.url, 'GET', `/tasks/${t.id}/comments`, { token: admin.accessToken });
  assert.deepEqual(expectOk(all).map((c) => c.body), ['c0', 'c1', 'c2', 'c3', 'c4']);
  assert.deepEqual(all.json.meta, { page: 1, limit: 20, total: 5, totalPages: 1, hasNext: false, hasPrev: false });
  const p2 = await api(ctx.url, 'GET', `/tasks/${t.id}/comments?limit=2&page=2`, { token: bob.accessToken });
  assert.deepEqual(expectOk(p2).map((c) => c.id), [made[2].id, made[3].id]);
  assert.deepEqual(p2.json.meta, { page: 2, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: true });
  const p3 = await api(ctx.url, 'GET', `/tasks/${t.id}/comments?limit=2&page=3`, { token: bob.accessToken });
  assert.deepEqual(expectOk(p3).map((c) => c.id), [made[4].id]);
  expectFieldError(await api(ctx.url, 'GET', `/tasks/${t.id}/comments?limit=101`, { token: bob.accessToken }), 'limit');
  expectFieldError(await api(ctx.url, 'GET', `/tasks/${t.id}/comments?page=0`, { token: bob.accessToken }), 'page');
  const empty = expectOk(await api(ctx.url, 'GET', `/tasks/${otherTask.id}/comments`, { token: bob.accessToken }));
  assert.deepEqual(empty, []);
});

test('replies: parentCommentId of the same task; another task\'s comment is 422', async () => {
  const parent = await createComment(ctx.url, bob.accessToken, task.id, { body: 'parent' });
  const reply = await createComment(ctx.url, carol.accessToken, task.id, { body: 'reply', parentCommentId: parent.id });
  assert.equal(reply.parentCommentId, parent.id);
  const foreign = await createComment(ctx.url, bob.accessToken, otherTask.id, { body: 'elsewhere' });
  const before = await commentCount(task.id);
  expectFieldError(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, {
    token: bob.accessToken, body: { body: 'bad reply', parentCommentId: foreign.id },
  }), 'parentCommentId');
  expectFieldError(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, {
    token: bob.accessToken, body: { body: 'bad reply', parentCommentId: UNKNOWN_ID },
  }), 'parentCommentId');
  expectFieldError(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, {
    token: bob.accessToken, body: { body: 'bad reply', parentCommentId: 'not an id!' },
  }), 'parentCommentId');
  assert.equal(await commentCount(task.id), before, 'refused replies are not counted');
});

test('validation: body required, non-empty, a string, at most 10000 characters', async () => {
  const post = (body) => api(ctx.url, 'POST', `/tasks/${task.id}/comments`, { token: bob.accessToken, body });
  const before = await commentCount(task.id);
  expectFieldError(await post({}), 'body');
  expectFieldError(await post({ body: '' }), 'body');
  expectFieldError(await post({ body: 42 }), 'body');
  expectFieldError(await post({ body: null }), 'body');
  expectFieldError(await post({ body: 'x'.repeat(10001) }), 'body');
  const max = expectOk(await post({ body: 'é'.repeat(10000) }), 201);
  assert.equal([...max.body].length, 10000, '10000 characters (not bytes) are accepted');
  assert.equal(await commentCount(task.id), before + 1);
  expectError(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, { token: bob.accessToken, raw: '{"body":' }), 400);
});

test('unknown or deleted task: 404; no token: 401', async () => {
  expectError(await api(ctx.url, 'POST', `/tasks/${UNKNOWN_ID}/comments`, { token: bob.accessToken, body: { body: 'x' } }), 404);
  expectError(await api(ctx.url, 'GET', `/tasks/${UNKNOWN_ID}/comments`, { token: bob.accessToken }), 404);
  const gone = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'soon gone' });
  const c = await createComment(ctx.url, bob.accessToken, gone.id, { body: 'on a doomed task' });
  expectNoContent(await api(ctx.url, 'DELETE', `/tasks/${gone.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'GET', `/tasks/${gone.id}/comments`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'POST', `/tasks/${gone.id}/comments`, { token: bob.accessToken, body: { body: 'x' } }), 404);
  expectError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: bob.accessToken, body: { body: 'x' } }), 404);
  expectError(await api(ctx.url, 'DELETE', `/comments/${c.id}`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/tasks/${task.id}/comments`), 401);
  expectError(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, { body: { body: 'x' } }), 401);
});

test('outsider: 404 on every comment route and nothing leaks', async () => {
  const c = await createComment(ctx.url, bob.accessToken, task.id, { body: 'secret words 7f3a' });
  const secrets = [task.title, c.body, bob.user.id, ws.name];
  const rows = [
    ['POST', `/tasks/${task.id}/comments`, { body: 'intrusion' }],
    ['GET', `/tasks/${task.id}/comments`],
    ['PATCH', `/comments/${c.id}`, { body: 'hijack' }],
    ['DELETE', `/comments/${c.id}`],
  ];
  for (const [m, p, body] of rows) {
    const res = await api(ctx.url, m, p, { token: outsider.accessToken, body });
    expectError(res, 404);
    assertNoLeak(res, secrets, `${m} ${p} as outsider`);
  }
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/comments?limit=100`, { token: bob.accessToken }));
  const mine = list.find((x) => x.id === c.id);
  assert.equal(mine.body, 'secret words 7f3a', 'the outsider changed nothing');
  assert.ok(!list.some((x) => x.body === 'intrusion'));
});

test('PATCH /comments/:id: the author edits; another member and the admin get 403', async () => {
  const c = await createComment(ctx.url, bob.accessToken, task.id, { body: 'typo here' });
  expectError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: carol.accessToken, body: { body: 'carol was here' } }), 403);
  expectError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: admin.accessToken, body: { body: 'admin was here' } }), 403);
  const upd = expectOk(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: bob.accessToken, body: { body: 'fixed here' } }));
  assert.equal(upd.id, c.id);
  assert.equal(upd.body, 'fixed here');
  assert.equal(upd.authorId, bob.user.id);
  assert.equal(upd.createdAt, c.createdAt);
  assert.ok(upd.updatedAt >= c.updatedAt);
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/comments?limit=100`, { token: carol.accessToken }));
  assert.equal(list.find((x) => x.id === c.id).body, 'fixed here');
  expectFieldError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: bob.accessToken, body: {} }), 'body');
  expectFieldError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: bob.accessToken, body: { body: '' } }), 'body');
  expectFieldError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: bob.accessToken, body: { body: 'y'.repeat(10001) } }), 'body');
  expectError(await api(ctx.url, 'PATCH', `/comments/${UNKNOWN_ID}`, { token: bob.accessToken, body: { body: 'x' } }), 404);
});

test('DELETE /comments/:id: another member 403; the author 204, then 404; commentCount goes down', async () => {
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Count me' });
  const a = await createComment(ctx.url, bob.accessToken, t.id, { body: 'a' });
  const b = await createComment(ctx.url, carol.accessToken, t.id, { body: 'b' });
  assert.equal(await commentCount(t.id), 2);
  expectError(await api(ctx.url, 'DELETE', `/comments/${a.id}`, { token: carol.accessToken }), 403);
  expectError(await api(ctx.url, 'DELETE', `/comments/${a.id}`, { token: admin.accessToken }), 403);
  assert.equal(await commentCount(t.id), 2, 'refused deletes change nothing');
  expectNoContent(await api(ctx.url, 'DELETE', `/comments/${a.id}`, { token: bob.accessToken }));
  assert.equal(await commentCount(t.id), 1);
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}/comments`, { token: bob.accessToken }));
  assert.deepEqual(list.map((x) => x.id), [b.id]);
  expectError(await api(ctx.url, 'DELETE', `/comments/${a.id}`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'PATCH', `/comments/${a.id}`, { token: bob.accessToken, body: { body: 'back?' } }), 404);
  expectError(await api(ctx.url, 'DELETE', `/comments/${UNKNOWN_ID}`, { token: bob.accessToken }), 404);
  expectNoContent(await api(ctx.url, 'DELETE', `/comments/${b.id}`, { token: carol.accessToken }));
  assert.equal(await commentCount(t.id), 0);
});

test('deleting a comment removes its replies and lowers commentCount by all of them', async () => {
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Thread' });
  const root = await createComment(ctx.url, bob.accessToken, t.id, { body: 'root' });
  const r1 = await createComment(ctx.url, carol.accessToken, t.id, { body: 'r1', parentCommentId: root.id });
  await createComment(ctx.url, admin.accessToken, t.id, { body: 'r1.1', parentCommentId: r1.id });
  const keep = await createComment(ctx.url, carol.accessToken, t.id, { body: 'unrelated' });
  assert.equal(await commentCount(t.id), 4);
  expectNoContent(await api(ctx.url, 'DELETE', `/comments/${root.id}`, { token: bob.accessToken }));
  assert.equal(await commentCount(t.id), 1);
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}/comments`, { token: bob.accessToken }));
  assert.deepEqual(list.map((x) => x.id), [keep.id]);
  expectError(await api(ctx.url, 'PATCH', `/comments/${r1.id}`, { token: carol.accessToken, body: { body: 'orphan' } }), 404);
});

test('an archived project is read-only: 409 PROJECT_ARCHIVED, listing still works', async () => {
  const ap = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'ARC' });
  const t = await createTask(ctx.url, admin.accessToken, ap.id, { title: 'Frozen' });
  const c = await createComment(ctx.url, bob.accessToken, t.id, { body: 'before the freeze' });
  const del = await api(ctx.url, 'DELETE', `/projects/${ap.id}`, { token: admin.accessToken });
  assert.ok(del.status === 200 || del.status === 204, fmtRes(del));
  expectError(await api(ctx.url, 'POST', `/tasks/${t.id}/comments`, { token: bob.accessToken, body: { body: 'x' } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: bob.accessToken, body: { body: 'x' } }), 409, 'PROJECT_ARCHIVED');
  expectError(await api(ctx.url, 'DELETE', `/comments/${c.id}`, { token: bob.accessToken }), 409, 'PROJECT_ARCHIVED');
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}/comments`, { token: carol.accessToken }));
  assert.deepEqual(list.map((x) => x.body), ['before the freeze']);
});

serverEndChecks(ctx);
