// Tasks: keys per project, defaults, validation, list filters and pagination,
// update/delete rules, status, assignees, reorder and subtasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createProject, createTask, addMember, assigneeIdsOf, fmtRes,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let bob; let carol; let outsider;
let ws; let proj; let other;

const STATUSES = ['todo', 'in-progress', 'review', 'done'];
const PRIORITIES = ['critical', 'high', 'medium', 'low', 'none'];

async function board(pid, token = admin.accessToken) {
  const b = expectOk(await api(ctx.url, 'GET', `/projects/${pid}/board`, { token }));
  const cols = {};
  for (const c of b.columns) cols[c.name] = c.tasks.map((t) => t.id);
  return cols;
}

test('setup: admin, two members, an outsider, two projects', async () => {
  admin = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Member' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Member' });
  outsider = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Tasks WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, bob, 'member');
  await addMember(ctx.url, admin.accessToken, ws.id, carol, 'member');
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'TSK' });
  other = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'OTH' });
});

test('create: 201, key KEY-1 then KEY-2, defaults todo/none, reporter is the caller', async () => {
  const res = await api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: bob.accessToken, body: { title: 'First task' } });
  const t1 = expectOk(res, 201);
  assert.equal(t1.key, 'TSK-1');
  assert.equal(t1.title, 'First task');
  assert.equal(t1.status, 'todo');
  assert.equal(t1.priority, 'none');
  assert.equal(t1.projectId, proj.id);
  assert.equal(t1.reporterId, bob.user.id);
  assert.deepEqual(assigneeIdsOf(t1), []);
  const t2 = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Second' });
  assert.equal(t2.key, 'TSK-2');
  const o1 = await createTask(ctx.url, admin.accessToken, other.id, { title: 'Other first' });
  assert.equal(o1.key, 'OTH-1', 'keys are numbered per project');
  const t3 = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Third' });
  assert.equal(t3.key, 'TSK-3');
});

test('create: every field is stored and returned', async () => {
  const body = {
    title: 'Full task',
    description: 'All the fields',
    status: 'in-progress',
    priority: 'high',
    assigneeIds: [bob.user.id, carol.user.id],
    dueDate: '2030-01-15',
    estimatePoints: 5,
  };
  const t = await createTask(ctx.url, admin.accessToken, proj.id, body);
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: carol.accessToken }));
  for (const x of [t, got]) {
    assert.equal(x.title, body.title);
    assert.equal(x.description, body.description);
    assert.equal(x.status, 'in-progress');
    assert.equal(x.priority, 'high');
    assert.deepEqual(assigneeIdsOf(x), [bob.user.id, carol.user.id].sort());
    assert.ok(String(x.dueDate).startsWith('2030-01-15'), `dueDate kept: ${x.dueDate}`);
    assert.equal(x.estimatePoints, 5);
  }
});

test('create: validation is 422 naming the field', async () => {
  const post = (body) => api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: admin.accessToken, body });
  expectFieldError(await post({}), 'title');
  expectFieldError(await post({ title: 'x', status: 'backlog' }), 'status');
  expectFieldError(await post({ title: 'x', priority: 'urgent' }), 'priority');
  expectFieldError(await post({ title: 'x', assigneeIds: [outsider.user.id] }), 'assigneeIds');
  expectFieldError(await post({ title: 'x', assigneeIds: 'nope' }), 'assigneeIds');
  expectFieldError(await post({ title: 'x', dueDate: 'tomorrow' }), 'dueDate');
  expectFieldError(await post({ title: 'x', estimatePoints: 'lots' }), 'estimatePoints');
  // nothing was created by the refused requests
  const list = await api(ctx.url, 'GET', `/projects/${proj.id}/tasks?q=x&limit=100`, { token: admin.accessToken });
  assert.ok(!expectOk(list).some((t) => t.title === 'x'), fmtRes(list));
});

test('create: outsider 404; no token 401', async () => {
  expectError(await api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: outsider.accessToken, body: { title: 'x' } }), 404);
  expectError(await api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { body: { title: 'x' } }), 401);
});

test('list: filters status, assigneeId, priority, q; pagination meta over 25 tasks', async () => {
  const lst = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'LST' });
  for (let i = 0; i < 25; i++) {
    await createTask(ctx.url, admin.accessToken, lst.id, {
      title: i % 5 === 0 ? `needle ${i}` : `hay ${i}`,
      status: STATUSES[i % 4],
      priority: PRIORITIES[i % 5],
      assigneeIds: i % 3 === 0 ? [bob.user.id] : [],
    });
  }
  const raw = (qs) => api(ctx.url, 'GET', `/projects/${lst.id}/tasks?${qs}`, { token: carol.accessToken });
  const get = async (qs) => {
    const res = await raw(qs);
    return { data: expectOk(res), meta: res.json.meta, res };
  };
  const ids = new Set();
  const p1 = await get('limit=10');
  assert.equal(p1.data.length, 10);
  assert.deepEqual(p1.meta, { page: 1, limit: 10, total: 25, totalPages: 3, hasNext: true, hasPrev: false });
  p1.data.forEach((t) => ids.add(t.id));
  const p2 = await get('limit=10&page=2');
  assert.equal(p2.data.length, 10);
  assert.deepEqual(p2.meta, { page: 2, limit: 10, total: 25, totalPages: 3, hasNext: true, hasPrev: true });
  p2.data.forEach((t) => ids.add(t.id));
  const p3 = await get('limit=10&page=3');
  assert.equal(p3.data.length, 5);
  assert.deepEqual(p3.meta, { page: 3, limit: 10, total: 25, totalPages: 3, hasNext: false, hasPrev: true });
  p3.data.forEach((t) => ids.add(t.id));
  assert.equal(ids.size, 25, 'the three pages cover all 25 tasks without overlap');
  const p4 = await get('limit=10&page=4');
  assert.equal(p4.data.length, 0);
  assert.equal(p4.meta.total, 25);
  assert.equal(p4.meta.hasNext, false);

  const range = (pred) => [...Array(25).keys()].filter(pred);
  const titles = (d) => d.map((t) => t.title).sort();
  const expectTitles = (is) => is.map((i) => (i % 5 === 0 ? `needle ${i}` : `hay ${i}`)).sort();

  const done = await get('status=done&limit=100');
  assert.deepEqual(titles(done.data), expectTitles(range((i) => i % 4 === 3)));
  assert.equal(done.meta.total, 6);
  assert.ok(done.data.every((t) => t.status === 'done'));

  const high = await get('priority=high&limit=100');
  assert.deepEqual(titles(high.data), expectTitles(range((i) => i % 5 === 1)));
  assert.equal(high.meta.total, 5);

  const bobs = await get(`assigneeId=${bob.user.id}&limit=100`);
  assert.deepEqual(titles(bobs.data), expectTitles(range((i) => i % 3 === 0)));
  assert.equal(bobs.meta.total, 9);
  assert.ok(bobs.data.every((t) => assigneeIdsOf(t).includes(bob.user.id)));

  const needles = await get('q=needle&limit=100');
  assert.deepEqual(titles(needles.data), expectTitles(range((i) => i % 5 === 0)));

  const combo = await get('status=todo&priority=critical');
  assert.deepEqual(titles(combo.data), expectTitles([0, 20]));
  assert.equal(combo.meta.total, 2);

  const pagedFilter = await get('status=done&limit=4&page=2');
  assert.equal(pagedFilter.data.length, 2);
  assert.deepEqual(pagedFilter.meta, { page: 2, limit: 4, total: 6, totalPages: 2, hasNext: false, hasPrev: true });

  expectFieldError(await raw('priority=urgent'), 'priority');
  expectFieldError(await raw('status=nowhere'), 'status');
  expectFieldError(await raw('limit=101'), 'limit');
  expectError(await api(ctx.url, 'GET', `/projects/${lst.id}/tasks`, { token: outsider.accessToken }), 404);
});

test('list: sort orders the results', async () => {
  const srt = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'SRT' });
  for (const [title, priority, dueDate] of [
    ['bravo', 'low', '2030-03-01'], ['alpha', 'critical', undefined], ['charlie', 'none', '2030-01-01'], ['delta', 'high', '2030-02-01'],
  ]) {
    await createTask(ctx.url, admin.accessToken, srt.id, { title, priority, dueDate });
  }
  const list = async (sort) => {
    const res = await api(ctx.url, 'GET', `/projects/${srt.id}/tasks?sort=${encodeURIComponent(sort)}`, { token: admin.accessToken });
    return expectOk(res).map((t) => t.title);
  };
  assert.deepEqual(await list('createdAt'), ['bravo', 'alpha', 'charlie', 'delta']);
  assert.deepEqual(await list('-createdAt'), ['delta', 'charlie', 'alpha', 'bravo']);
  assert.deepEqual(await list('-priority'), ['alpha', 'delta', 'bravo', 'charlie']);
  assert.deepEqual(await list('priority'), ['charlie', 'bravo', 'delta', 'alpha']);
  const byDue = await list('dueDate');
  assert.deepEqual(byDue.slice(0, 3), ['charlie', 'delta', 'bravo'], 'earliest due first');
  assert.equal(byDue[3], 'alpha', 'no due date last');
  expectFieldError(await api(ctx.url, 'GET', `/projects/${srt.id}/tasks?sort=password`, { token: admin.accessToken }), 'sort');
});

test('GET/PATCH /tasks/:id: member reads and updates; validation 422; outsider 404', async () => {
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Editable' });
  const upd = expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, {
    token: carol.accessToken, body: { title: 'Edited', description: 'now with text', priority: 'medium', estimatePoints: 3 },
  }));
  assert.equal(upd.title, 'Edited');
  assert.equal(upd.description, 'now with text');
  assert.equal(upd.priority, 'medium');
  assert.equal(upd.estimatePoints, 3);
  assert.equal(upd.key, t.key, 'the key does not change');
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: bob.accessToken }));
  assert.equal(got.title, 'Edited');
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, { token: carol.accessToken, body: { priority: 'urgent' } }), 'priority');
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, { token: carol.accessToken, body: { status: 'nowhere' } }), 'status');
  expectError(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: outsider.accessToken }), 404);
  expectError(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, { token: outsider.accessToken, body: { title: 'x' } }), 404);
  expectError(await api(ctx.url, 'GET', '/tasks/t_unknown_00000000', { token: bob.accessToken }), 404);
});

test('DELETE /tasks/:id: another member 403; the reporter 204; an admin 204', async () => {
  const mine = await createTask(ctx.url, bob.accessToken, proj.id, { title: "Bob's" });
  expectError(await api(ctx.url, 'DELETE', `/tasks/${mine.id}`, { token: carol.accessToken }), 403);
  expectError(await api(ctx.url, 'DELETE', `/tasks/${mine.id}`, { token: outsider.accessToken }), 404);
  expectOk(await api(ctx.url, 'GET', `/tasks/${mine.id}`, { token: bob.accessToken }));
  expectNoContent(await api(ctx.url, 'DELETE', `/tasks/${mine.id}`, { token: bob.accessToken }));
  expectError(await api(ctx.url, 'GET', `/tasks/${mine.id}`, { token: bob.accessToken }), 404);
  const carols = await createTask(ctx.url, carol.accessToken, proj.id, { title: "Carol's" });
  expectNoContent(await api(ctx.url, 'DELETE', `/tasks/${carols.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'GET', `/tasks/${carols.id}`, { token: carol.accessToken }), 404);
  expectError(await api(ctx.url, 'DELETE', `/tasks/${carols.id}`, { token: admin.accessToken }), 404);
});

test('PATCH /tasks/:id/status: moves the task; a status that is not a column is 422', async () => {
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Movable' });
  const moved = expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: bob.accessToken, body: { status: 'review' } }));
  assert.equal(moved.status, 'review');
  const cols = await board(proj.id);
  assert.ok(cols.review.includes(t.id));
  assert.ok(!cols.todo.includes(t.id));
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: bob.accessToken, body: { status: 'archived' } }), 'status');
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: bob.accessToken, body: {} }), 'status');
  expectError(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: outsider.accessToken, body: { status: 'done' } }), 404);
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: bob.accessToken }));
  assert.equal(got.status, 'review');
});

test('PATCH /tasks/:id/assignees: replaces the set; a non-member is 422', async () => {
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Assignable', assigneeIds: [bob.user.id] });
  const a = expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}/assignees`, {
    token: carol.accessToken, body: { assigneeIds: [carol.user.id, admin.user.id] },
  }));
  assert.deepEqual(assigneeIdsOf(a), [carol.user.id, admin.user.id].sort());
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${t.id}/assignees`, {
    token: carol.accessToken, body: { assigneeIds: [bob.user.id, outsider.user.id] },
  }), 'assigneeIds');
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: bob.accessToken }));
  assert.deepEqual(assigneeIdsOf(got), [carol.user.id, admin.user.id].sort(), 'a refused change leaves the set as it was');
  const cleared = expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}/assignees`, { token: carol.accessToken, body: { assigneeIds: [] } }));
  assert.deepEqual(assigneeIdsOf(cleared), []);
  expectError(await api(ctx.url, 'PATCH', `/tasks/${t.id}/assignees`, {
    token: outsider.accessToken, body: { assigneeIds: [] },
  }), 404);
});

test('POST /tasks/:id/reorder: the board reflects the new order, within and across columns', async () => {
  const rp = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'ORD' });
  const a = await createTask(ctx.url, admin.accessToken, rp.id, { title: 'A' });
  const b = await createTask(ctx.url, admin.accessToken, rp.id, { title: 'B' });
  const c = await createTask(ctx.url, admin.accessToken, rp.id, { title: 'C' });
  assert.deepEqual((await board(rp.id)).todo, [a.id, b.id, c.id]);

  const r1 = await api(ctx.url, 'POST', `/tasks/${c.id}/reorder`, { token: bob.accessToken, body: { status: 'todo', orderIndex: 0 } });
  assert.ok(r1.status === 200 || r1.status === 204, fmtRes(r1));
  assert.deepEqual((await board(rp.id)).todo, [c.id, a.id, b.id]);

  expectOk(await api(ctx.url, 'POST', `/tasks/${a.id}/reorder`, { token: bob.accessToken, body: { status: 'todo', orderIndex: 2 } }));
  assert.deepEqual((await board(rp.id)).todo, [c.id, b.id, a.id]);

  expectOk(await api(ctx.url, 'POST', `/tasks/${b.id}/reorder`, { token: bob.accessToken, body: { status: 'review', orderIndex: 0 } }));
  let cols = await board(rp.id);
  assert.deepEqual(cols.todo, [c.id, a.id]);
  assert.deepEqual(cols.review, [b.id]);
  assert.equal(expectOk(await api(ctx.url, 'GET', `/tasks/${b.id}`, { token: bob.accessToken })).status, 'review');

  expectOk(await api(ctx.url, 'POST', `/tasks/${a.id}/reorder`, { token: bob.accessToken, body: { status: 'review', orderIndex: 0 } }));
  cols = await board(rp.id);
  assert.deepEqual(cols.todo, [c.id]);
  assert.deepEqual(cols.review, [a.id, b.id]);

  // order indexes in a column stay 0..n-1
  const full = expectOk(await api(ctx.url, 'GET', `/projects/${rp.id}/board`, { token: admin.accessToken }));
  for (const col of full.columns) {
    const idx = col.tasks.map((t) => t.orderIndex);
    if (idx.every((x) => typeof x === 'number')) assert.deepEqual(idx, [...idx.keys()], `orderIndex of ${col.name}`);
  }

  expectFieldError(await api(ctx.url, 'POST', `/tasks/${a.id}/reorder`, { token: bob.accessToken, body: { status: 'nowhere', orderIndex: 0 } }), 'status');
  expectFieldError(await api(ctx.url, 'POST', `/tasks/${a.id}/reorder`, { token: bob.accessToken, body: { status: 'todo', orderIndex: -1 } }), 'orderIndex');
  expectError(await api(ctx.url, 'POST', `/tasks/${a.id}/reorder`, { token: outsider.accessToken, body: { status: 'todo', orderIndex: 0 } }), 404);
});

test('GET /tasks/:id/subtasks lists the children; deleting the parent deletes them', async () => {
  const parent = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Parent' });
  const k1 = await createTask(ctx.url, bob.accessToken, proj.id, { title: 'Child 1', parentTaskId: parent.id });
  const k2 = await createTask(ctx.url, bob.accessToken, proj.id, { title: 'Child 2', parentTaskId: parent.id });
  assert.equal(k1.parentTaskId, parent.id);
  const subs = expectOk(await api(ctx.url, 'GET', `/tasks/${parent.id}/subtasks`, { token: carol.accessToken }));
  assert.deepEqual(subs.map((t) => t.id).sort(), [k1.id, k2.id].sort());
  assert.deepEqual(expectOk(await api(ctx.url, 'GET', `/tasks/${k1.id}/subtasks`, { token: carol.accessToken })), []);
  expectError(await api(ctx.url, 'GET', `/tasks/${parent.id}/subtasks`, { token: outsider.accessToken }), 404);
  expectNoContent(await api(ctx.url, 'DELETE', `/tasks/${parent.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'GET', `/tasks/${k1.id}`, { token: admin.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/tasks/${k2.id}`, { token: admin.accessToken }), 404);
});

test('a parent task from another project is refused', async () => {
  const foreign = await createTask(ctx.url, admin.accessToken, other.id, { title: 'Foreign parent' });
  const res = await api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: admin.accessToken, body: { title: 'x-child', parentTaskId: foreign.id } });
  assert.ok(res.status === 422 || res.status === 404, `422 or 404 expected: ${fmtRes(res)}`);
});

serverEndChecks(ctx);
