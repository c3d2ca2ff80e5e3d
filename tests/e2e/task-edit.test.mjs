// PATCH /tasks/:id takes every field create takes (assignees and labels
// included, with the activity and notifications of the dedicated routes);
// no route ignores a field silently (an unknown body field is a 422 naming
// it); activity entries name their task; notification texts use status names
// people read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, registerUser, createWorkspace, createProject, createTask, createLabel,
  invite, addMember, assigneeIdsOf,
} from './lib/api.mjs';

const ctx = serverSuite();
let ann; let bob; let ws; let proj; let task; let label;

const notes = async (user) => expectOk(await api(ctx.url, 'GET', '/notifications?limit=100', { token: user.accessToken }));

test('setup', async () => {
  ann = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Lead' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Dev' });
  ws = await createWorkspace(ctx.url, ann.accessToken, { name: 'Edit WS' });
  await addMember(ctx.url, ann.accessToken, ws.id, bob);
  proj = await createProject(ctx.url, ann.accessToken, ws.id, { key: 'EDT' });
  task = await createTask(ctx.url, ann.accessToken, proj.id, { title: 'Edit me' });
  label = await createLabel(ctx.url, ann.accessToken, ws.id, { name: 'bug', color: '#ff0000' });
});

test('PATCH /tasks/:id saves assigneeIds and labelIds, with assignee_changed and task_assigned', async () => {
  const res = await api(ctx.url, 'PATCH', `/tasks/${task.id}`, {
    token: ann.accessToken, body: { title: 'Edited', assigneeIds: [bob.user.id], labelIds: [label.id] },
  });
  const t = expectOk(res);
  assert.deepEqual(assigneeIdsOf(t), [bob.user.id], 'the assignee is saved');
  assert.deepEqual(t.labelIds, [label.id], 'the label is saved');
  const again = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}`, { token: ann.accessToken }));
  assert.deepEqual(assigneeIdsOf(again), [bob.user.id], 'a reload shows the assignee');

  const log = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/activity`, { token: ann.accessToken }));
  const changed = log.find((a) => a.action === 'assignee_changed');
  assert.ok(changed, `assignee_changed written: ${log.map((a) => a.action)}`);
  assert.deepEqual(changed.changes.added, [bob.user.id]);
  const assigned = (await notes(bob)).filter((n) => n.type === 'task_assigned' && n.data.taskId === task.id);
  assert.equal(assigned.length, 1, 'bob is notified once');
  assert.match(assigned[0].title, /Edited/, 'the notification names the new title');

  // Clearing: an empty set (or null) removes them; the same set again is no change.
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${task.id}`, { token: ann.accessToken, body: { assigneeIds: [bob.user.id] } }));
  assert.equal((await notes(bob)).filter((n) => n.type === 'task_assigned' && n.data.taskId === task.id).length, 1);
  const cleared = expectOk(await api(ctx.url, 'PATCH', `/tasks/${task.id}`, { token: ann.accessToken, body: { assigneeIds: null, labelIds: [] } }));
  assert.deepEqual(assigneeIdsOf(cleared), []);
  assert.deepEqual(cleared.labelIds, []);
});

test('PATCH /tasks/:id refuses a non-member assignee with 422 and changes nothing', async () => {
  const outsider = await registerUser(ctx.url);
  const res = await api(ctx.url, 'PATCH', `/tasks/${task.id}`, {
    token: ann.accessToken, body: { title: 'Not saved', assigneeIds: [outsider.user.id] },
  });
  expectError(res, 422, 'VALIDATION_ERROR');
  assert.ok(res.json.errors.some((e) => e.field === 'assigneeIds'), JSON.stringify(res.json));
  const t = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}`, { token: ann.accessToken }));
  assert.equal(t.title, 'Edited');
});

test('an unknown body field is a 422 naming it, on every kind of route', async () => {
  const cases = [
    ['PATCH', `/tasks/${task.id}`, { title: 'x', assignee: bob.user.id }, 'assignee'],
    ['POST', `/projects/${proj.id}/tasks`, { title: 'x', tags: ['a'] }, 'tags'],
    ['PATCH', `/workspaces/${ws.id}`, { name: 'x', colour: 'red' }, 'colour'],
    ['POST', '/notifications/read-all', { everything: true }, 'everything'],
    ['PATCH', `/tasks/${task.id}/assignees`, { assigneeIds: [], notify: false }, 'notify'],
  ];
  for (const [method, p, body, field] of cases) {
    const res = await api(ctx.url, method, p, { token: ann.accessToken, body });
    expectError(res, 422, 'VALIDATION_ERROR');
    const err = res.json.errors.find((e) => e.field === field);
    assert.ok(err, `${method} ${p}: ${field} named: ${JSON.stringify(res.json)}`);
    assert.match(err.message, /not a known field/);
  }
  // The title was not changed by the refused PATCH.
  const t = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}`, { token: ann.accessToken }));
  assert.equal(t.title, 'Edited');
  // An empty body where none is expected is still fine.
  expectOk(await api(ctx.url, 'POST', '/notifications/read-all', { token: ann.accessToken, body: {} }));
});

test('activity names its task (taskKey, taskTitle), in the REST log and the live stream replay', async () => {
  const t2 = await createTask(ctx.url, ann.accessToken, proj.id, { title: 'Named task' });
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${t2.id}/status`, { token: ann.accessToken, body: { status: 'review' } }));
  const log = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/activity?limit=100`, { token: ann.accessToken }));
  for (const a of log.filter((x) => x.taskId === t2.id)) {
    assert.equal(a.taskKey, t2.key, `${a.action} names the key`);
    assert.equal(a.taskTitle, 'Named task', `${a.action} names the title`);
  }
  assert.ok(log.filter((x) => x.taskId === t2.id).length >= 2);
});

test('a status notification uses the status name people read ("In progress", not "in-progress")', async () => {
  const t3 = await createTask(ctx.url, bob.accessToken, proj.id, { title: 'Watch me' });
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${t3.id}/status`, { token: ann.accessToken, body: { status: 'in-progress' } }));
  const n = (await notes(bob)).find((x) => x.type === 'task_status_changed' && x.data.taskId === t3.id);
  assert.ok(n, 'bob (reporter) notified');
  assert.match(n.title, /moved to In progress$/, n.title);
  assert.doesNotMatch(n.title, /in-progress/);
});

serverEndChecks(ctx);
