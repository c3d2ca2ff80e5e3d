// Labels: per-workspace CRUD, name uniqueness (case aside) per workspace,
// validation, and labelIds on tasks (only the task's workspace's labels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createProject, createTask, createLabel, addMember, UNKNOWN_ID, assertNoLeak,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let bob; let outsider;
let ws; let ws2; let proj;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

test('setup: admin and a member of one workspace; the admin owns a second one; an outsider', async () => {
  admin = await registerUser(ctx.url);
  bob = await registerUser(ctx.url);
  outsider = await registerUser(ctx.url);
  await createWorkspace(ctx.url, outsider.accessToken, { name: 'Elsewhere' });
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Labels WS' });
  ws2 = await createWorkspace(ctx.url, admin.accessToken, { name: 'Second WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, bob, 'member');
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'LBL' });
});

test('POST /workspaces/:wid/labels: 201 with the label shape (a member may create)', async () => {
  const res = await api(ctx.url, 'POST', `/workspaces/${ws.id}/labels`, { token: bob.accessToken, body: { name: 'Bug', color: '#FF0000' } });
  const l = expectOk(res, 201);
  assert.equal(typeof l.id, 'string');
  assert.equal(l.workspaceId, ws.id);
  assert.equal(l.name, 'Bug');
  assert.equal(l.color.toLowerCase(), '#ff0000');
  assert.match(l.createdAt, ISO);
  assert.match(l.updatedAt, ISO);
});

test('GET /workspaces/:wid/labels: the workspace\'s labels, by name, case aside', async () => {
  await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'feature', color: '#00ff00' });
  await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'Alpha', color: '#0000ff' });
  await createLabel(ctx.url, admin.accessToken, ws2.id, { name: 'Only in ws2', color: '#000000' });
  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: bob.accessToken }));
  assert.ok(Array.isArray(list));
  assert.deepEqual(list.map((l) => l.name), ['Alpha', 'Bug', 'feature']);
  assert.ok(list.every((l) => l.workspaceId === ws.id));
});

test('names are unique per workspace regardless of case: 409; the same name elsewhere is fine', async () => {
  const post = (wid, body) => api(ctx.url, 'POST', `/workspaces/${wid}/labels`, { token: admin.accessToken, body });
  expectError(await post(ws.id, { name: 'Bug', color: '#123456' }), 409, 'LABEL_NAME_TAKEN');
  expectError(await post(ws.id, { name: 'bUG', color: '#123456' }), 409, 'LABEL_NAME_TAKEN');
  const other = expectOk(await post(ws2.id, { name: 'Bug', color: '#123456' }), 201);
  assert.equal(other.workspaceId, ws2.id);
  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: admin.accessToken }));
  assert.equal(list.filter((l) => l.name.toLowerCase() === 'bug').length, 1, 'no duplicate was stored');
});

test('create validation: 422 naming name or color', async () => {
  const post = (body) => api(ctx.url, 'POST', `/workspaces/${ws.id}/labels`, { token: bob.accessToken, body });
  expectFieldError(await post({ color: '#112233' }), 'name');
  expectFieldError(await post({ name: '', color: '#112233' }), 'name');
  expectFieldError(await post({ name: 'n'.repeat(51), color: '#112233' }), 'name');
  expectFieldError(await post({ name: 7, color: '#112233' }), 'name');
  expectFieldError(await post({ name: 'nocolor' }), 'color');
  for (const color of ['red', '#12345', '#1234567', '#GGGGGG', '112233', '#12 345']) {
    expectFieldError(await post({ name: 'badcolor', color }), 'color');
  }
  const fifty = expectOk(await post({ name: 'n'.repeat(50), color: '#abcdef' }), 201);
  assert.equal(fifty.name.length, 50);
  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: admin.accessToken }));
  assert.ok(!list.some((l) => l.name === 'badcolor' || l.name === 'nocolor'), 'nothing stored by refused requests');
});

test('PATCH /labels/:id: rename and recolor; a taken name 409; bad values 422', async () => {
  const l = await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'Rename me', color: '#111111' });
  const r1 = expectOk(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { name: 'Renamed' } }));
  assert.equal(r1.name, 'Renamed');
  assert.equal(r1.color, '#111111', 'color kept');
  const r2 = expectOk(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { color: '#222222' } }));
  assert.equal(r2.name, 'Renamed', 'name kept');
  assert.equal(r2.color, '#222222');
  // its own name in another case is not a conflict with itself
  const r3 = expectOk(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { name: 'RENAMED' } }));
  assert.equal(r3.name, 'RENAMED');
  expectError(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { name: 'bug' } }), 409, 'LABEL_NAME_TAKEN');
  expectFieldError(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { color: 'blue' } }), 'color');
  expectFieldError(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { name: '' } }), 'name');
  expectFieldError(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { name: 'x'.repeat(51) } }), 'name');
  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: admin.accessToken }));
  const got = list.find((x) => x.id === l.id);
  assert.deepEqual([got.name, got.color], ['RENAMED', '#222222'], 'refused changes left the label as it was');
  expectError(await api(ctx.url, 'PATCH', `/labels/${UNKNOWN_ID}`, { token: bob.accessToken, body: { name: 'x' } }), 404);
});

test('labelIds on tasks: own workspace\'s labels are kept; another workspace\'s are 422', async () => {
  const bug = (await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: admin.accessToken })).json.data.find((l) => l.name === 'Bug');
  const feat = await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'task-label', color: '#444444' });
  const foreign = await createLabel(ctx.url, admin.accessToken, ws2.id, { name: 'foreign', color: '#555555' });
  const t = await createTask(ctx.url, bob.accessToken, proj.id, { title: 'Labelled', labelIds: [bug.id, feat.id] });
  assert.deepEqual([...t.labelIds].sort(), [bug.id, feat.id].sort());
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: admin.accessToken }));
  assert.deepEqual([...got.labelIds].sort(), [bug.id, feat.id].sort());

  const post = (body) => api(ctx.url, 'POST', `/projects/${proj.id}/tasks`, { token: bob.accessToken, body: { title: 'bad labels', ...body } });
  expectFieldError(await post({ labelIds: [foreign.id] }), 'labelIds');
  expectFieldError(await post({ labelIds: [bug.id, foreign.id] }), 'labelIds');
  expectFieldError(await post({ labelIds: [UNKNOWN_ID] }), 'labelIds');
  expectFieldError(await post({ labelIds: 'nope' }), 'labelIds');
  expectFieldError(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, { token: bob.accessToken, body: { labelIds: [foreign.id] } }), 'labelIds');
  const still = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: admin.accessToken }));
  assert.deepEqual([...still.labelIds].sort(), [bug.id, feat.id].sort(), 'a refused PATCH keeps the labels');
  const list = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/tasks?q=bad%20labels`, { token: admin.accessToken }));
  assert.equal(list.length, 0, 'no task was created by the refused requests');

  const upd = expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}`, { token: bob.accessToken, body: { labelIds: [feat.id] } }));
  assert.deepEqual(upd.labelIds, [feat.id]);
});

test('DELETE /labels/:id: 204; gone from the list and from its tasks; then 404', async () => {
  const l = await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'Doomed', color: '#666666' });
  const keep = await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'Kept', color: '#777777' });
  const t = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Carries doomed', labelIds: [l.id, keep.id] });
  expectNoContent(await api(ctx.url, 'DELETE', `/labels/${l.id}`, { token: bob.accessToken }));
  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: admin.accessToken }));
  assert.ok(!list.some((x) => x.id === l.id));
  const got = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: admin.accessToken }));
  assert.deepEqual(got.labelIds, [keep.id]);
  expectError(await api(ctx.url, 'DELETE', `/labels/${l.id}`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'PATCH', `/labels/${l.id}`, { token: bob.accessToken, body: { name: 'x' } }), 404);
  expectError(await api(ctx.url, 'DELETE', `/labels/${UNKNOWN_ID}`, { token: bob.accessToken }), 404);
  // the name is free again
  await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'doomed', color: '#666666' });
});

test('outsider: 404 on every label route, nothing leaks; no token: 401; unknown workspace 404', async () => {
  const l = await createLabel(ctx.url, admin.accessToken, ws.id, { name: 'Private-ish', color: '#888888' });
  const rows = [
    ['POST', `/workspaces/${ws.id}/labels`, { name: 'intruder', color: '#000000' }],
    ['GET', `/workspaces/${ws.id}/labels`],
    ['PATCH', `/labels/${l.id}`, { name: 'hijacked' }],
    ['DELETE', `/labels/${l.id}`],
  ];
  for (const [m, p, body] of rows) {
    const out = await api(ctx.url, m, p, { token: outsider.accessToken, body });
    expectError(out, 404);
    assertNoLeak(out, [l.name, ws.name, '#888888'], `${m} ${p} as outsider`);
    expectError(await api(ctx.url, m, p, { body }), 401);
  }
  const list = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/labels`, { token: admin.accessToken }));
  assert.equal(list.find((x) => x.id === l.id).name, 'Private-ish');
  assert.ok(!list.some((x) => x.name === 'intruder'));
  expectError(await api(ctx.url, 'GET', `/workspaces/${UNKNOWN_ID}/labels`, { token: admin.accessToken }), 404);
  expectError(await api(ctx.url, 'POST', `/workspaces/${UNKNOWN_ID}/labels`, { token: admin.accessToken, body: { name: 'x', color: '#000000' } }), 404);
  // a member of ws2 only (bob is not) cannot touch ws2's labels either
  const w2 = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws2.id}/labels`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'PATCH', `/labels/${w2[0].id}`, { token: bob.accessToken, body: { name: 'cross' } }), 404);
});

serverEndChecks(ctx);
