// Notifications: comment_added to the task's assignees and reporter,
// @mentions (handle = email local part, case-insensitive, members only) in
// comments and channel messages, the list, unread-count, mark one read and
// read-all, and that a user only ever sees their own notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, registerUser, createWorkspace, createProject,
  createTask, createComment, createChannel, postMessage, addMember, unreadCount, uniq, UNKNOWN_ID,
  listAllPages,
} from './lib/api.mjs';

const ctx = serverSuite();
const u = {}; // users by name
let ws; let proj; let task;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const handle = (x) => x.email.split('@')[0];

async function notifications(user, qs = 'limit=100') {
  const res = await api(ctx.url, 'GET', `/notifications?${qs}`, { token: user.accessToken });
  return { data: expectOk(res), meta: res.json.meta };
}

/** Unread counts of every user, by name. */
async function counts() {
  const out = {};
  for (const [k, v] of Object.entries(u)) out[k] = await unreadCount(ctx.url, v.accessToken);
  return out;
}

/** Asserts the unread counts went up by delta (names missing from delta: 0). */
async function expectDelta(before, delta, what) {
  const now = await counts();
  for (const k of Object.keys(u)) {
    assert.equal(now[k] - before[k], delta[k] || 0, `${what}: unread count of ${k} (${before[k]} -> ${now[k]})`);
  }
  return now;
}

test('setup: reporter, assignee, commenter, a member to mention, an outsider with a handle', async () => {
  const s = uniq(6);
  u.ann = await registerUser(ctx.url, { email: `ann.${s}@example.com`, firstName: 'Ann', lastName: 'Reporter' });
  u.dave = await registerUser(ctx.url, { email: `dave.${s}@example.com`, firstName: 'Dave', lastName: 'Assignee' });
  u.bob = await registerUser(ctx.url, { email: `bob.${s}@example.com`, firstName: 'Bob', lastName: 'Commenter' });
  u.mia = await registerUser(ctx.url, { email: `mia.${s}@example.com`, firstName: 'Mia', lastName: 'Mentioned' });
  u.carol = await registerUser(ctx.url, { email: `carol.${s}@example.com`, firstName: 'Carol', lastName: 'Quiet' });
  u.olga = await registerUser(ctx.url, { email: `olga.${s}@example.com`, firstName: 'Olga', lastName: 'Outsider' });
  ws = await createWorkspace(ctx.url, u.ann.accessToken, { name: 'Notify WS' });
  for (const k of ['dave', 'bob', 'mia', 'carol']) await addMember(ctx.url, u.ann.accessToken, ws.id, u[k], 'member');
  await createWorkspace(ctx.url, u.olga.accessToken, { name: 'Olga WS' });
  proj = await createProject(ctx.url, u.ann.accessToken, ws.id, { key: 'NTF' });
  task = await createTask(ctx.url, u.ann.accessToken, proj.id, { title: 'Watched task', assigneeIds: [u.dave.user.id] });
});

test('notification shape; invites and assignments already notified; GET /notifications is paginated', async () => {
  const { data, meta } = await notifications(u.dave);
  const types = data.map((n) => n.type);
  assert.ok(types.includes('workspace_invite'), `dave was invited: ${types}`);
  assert.ok(types.includes('task_assigned'), `dave was assigned: ${types}`);
  for (const n of data) {
    assert.equal(typeof n.id, 'string');
    assert.equal(typeof n.title, 'string');
    assert.ok(n.title.length > 0);
    assert.equal(n.workspaceId, ws.id);
    assert.equal(n.read, false);
    assert.equal(n.readAt, null);
    assert.match(n.createdAt, ISO);
    assert.ok(n.data && typeof n.data === 'object');
  }
  assert.equal(meta.total, data.length);
  assert.equal(meta.page, 1);
  for (let i = 1; i < data.length; i++) assert.ok(data[i - 1].id > data[i].id, 'newest first');
  const p1 = await notifications(u.dave, 'limit=1');
  assert.equal(p1.data.length, 1);
  assert.equal(p1.data[0].id, data[0].id);
  assert.deepEqual(p1.meta, { page: 1, limit: 1, total: data.length, totalPages: data.length, hasNext: data.length > 1, hasPrev: false });
  expectFieldError(await api(ctx.url, 'GET', '/notifications?limit=101', { token: u.dave.accessToken }), 'limit');
  expectFieldError(await api(ctx.url, 'GET', '/notifications?unread=maybe', { token: u.dave.accessToken }), 'unread');
});

test('a comment notifies the assignee and the reporter (comment_added), not its author', async () => {
  const before = await counts();
  const c = await createComment(ctx.url, u.bob.accessToken, task.id, { body: 'Looks good to me' });
  await expectDelta(before, { dave: 1, ann: 1 }, 'plain comment');
  for (const who of [u.dave, u.ann]) {
    const n = (await notifications(who)).data[0];
    assert.equal(n.type, 'comment_added');
    assert.equal(n.data.taskId, task.id);
    assert.equal(n.data.commentId, c.id);
    assert.ok(n.title.includes('Bob Commenter'), `title names the author: ${n.title}`);
    assert.ok(!n.title.includes(u.bob.email), 'no email in the title');
  }
  // the assignee commenting notifies the reporter only
  const b2 = await counts();
  await createComment(ctx.url, u.dave.accessToken, task.id, { body: 'On it' });
  await expectDelta(b2, { ann: 1 }, 'assignee comment');
});

test('@mentions in a comment: case-insensitive handle; non-members, unknown handles, e-mail addresses and self get nothing', async () => {
  const before = await counts();
  const body = `Ping @${handle(u.mia).toUpperCase()}, also @${handle(u.olga)} and @nobody-${uniq(4)}, mail ${u.carol.email}, me @${handle(u.bob)}.`;
  const c = await createComment(ctx.url, u.bob.accessToken, task.id, { body });
  await expectDelta(before, { mia: 1, dave: 1, ann: 1 }, 'comment with mentions');
  const n = (await notifications(u.mia)).data[0];
  assert.equal(n.type, 'mentioned');
  assert.equal(n.data.taskId, task.id);
  assert.equal(n.data.commentId, c.id);
  assert.equal(n.workspaceId, ws.id);
  const olga = (await notifications(u.olga)).data;
  assert.ok(!olga.some((x) => x.type === 'mentioned'), 'the non-member was not notified');
  assert.ok(!JSON.stringify(olga).includes(task.id), 'nothing about the task reached the outsider');

  // editing: the same mentions notify nobody again; a new one is notified
  const b2 = await counts();
  expectOk(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: u.bob.accessToken, body: { body: `${body} (edited)` } }));
  await expectDelta(b2, {}, 'edit with the same mentions');
  expectOk(await api(ctx.url, 'PATCH', `/comments/${c.id}`, { token: u.bob.accessToken, body: { body: `@mia-not-here @${handle(u.mia)} and now @${handle(u.carol)}` } }));
  await expectDelta(b2, { carol: 1 }, 'edit adding a mention');
  assert.equal((await notifications(u.carol)).data[0].type, 'mentioned');
});

test('@mentions in channel messages: public channel members of the workspace; private channels only their members', async () => {
  const pub = await createChannel(ctx.url, u.bob.accessToken, ws.id, { name: 'town-square' });
  const before = await counts();
  const m = await postMessage(ctx.url, u.bob.accessToken, pub.id, `hey @${handle(u.mia)} and @${handle(u.olga).toUpperCase()}`);
  await expectDelta(before, { mia: 1 }, 'public message mention');
  const n = (await notifications(u.mia)).data[0];
  assert.equal(n.type, 'mentioned');
  assert.equal(n.data.channelId, pub.id);
  assert.equal(n.data.messageId, m.id);

  const priv = await createChannel(ctx.url, u.bob.accessToken, ws.id, { name: 'back-room', type: 'private', memberIds: [u.carol.user.id] });
  const b2 = await counts();
  await postMessage(ctx.url, u.bob.accessToken, priv.id, `@${handle(u.mia)} cannot see this, @${handle(u.carol)} can`);
  await expectDelta(b2, { carol: 1 }, 'private message mention');
  const miaAll = JSON.stringify((await notifications(u.mia)).data);
  assert.ok(!miaAll.includes(priv.id) && !miaAll.includes('back-room'), 'nothing about the private channel reached mia');
  const carolN = (await notifications(u.carol)).data[0];
  assert.ok(!carolN.title.includes('back-room'), `the private channel is not named: ${carolN.title}`);

  // editing a message to add a mention notifies the new one only
  const b3 = await counts();
  expectOk(await api(ctx.url, 'PATCH', `/messages/${m.id}`, { token: u.bob.accessToken, body: { content: `hey @${handle(u.mia)} and @${handle(u.dave)}` } }));
  await expectDelta(b3, { dave: 1 }, 'message edit adding a mention');
});

test('GET /notifications?unread=true and PATCH /notifications/:id/read', async () => {
  const all = await notifications(u.mia);
  const unread = await notifications(u.mia, 'unread=true&limit=100');
  assert.equal(unread.data.length, await unreadCount(ctx.url, u.mia.accessToken));
  assert.ok(unread.data.length >= 3, 'invite and two mentions at least');
  assert.equal(all.data.length, unread.data.length, 'nothing read yet');
  const target = unread.data[1];
  const res = await api(ctx.url, 'PATCH', `/notifications/${target.id}/read`, { token: u.mia.accessToken });
  const r = expectOk(res);
  assert.equal(r.id, target.id);
  assert.equal(r.read, true);
  assert.match(r.readAt, ISO);
  assert.equal(r.type, target.type);
  assert.equal(await unreadCount(ctx.url, u.mia.accessToken), unread.data.length - 1);
  const again = expectOk(await api(ctx.url, 'PATCH', `/notifications/${target.id}/read`, { token: u.mia.accessToken }));
  assert.equal(again.readAt, r.readAt, 'marking again keeps the first readAt');
  assert.equal(await unreadCount(ctx.url, u.mia.accessToken), unread.data.length - 1);
  const unread2 = await notifications(u.mia, 'unread=true&limit=100');
  assert.ok(!unread2.data.some((n) => n.id === target.id));
  assert.equal(unread2.meta.total, unread.data.length - 1);
  const listed = (await notifications(u.mia)).data.find((n) => n.id === target.id);
  assert.equal(listed.read, true);
  // someone else's notification, and unknown ids, are 404
  for (const other of [u.bob, u.olga, u.ann]) {
    const o = await api(ctx.url, 'PATCH', `/notifications/${unread.data[0].id}/read`, { token: other.accessToken });
    expectError(o, 404);
    assert.ok(!o.text.includes(unread.data[0].title), 'the 404 does not reveal the notification');
  }
  assert.equal((await notifications(u.mia, 'unread=true&limit=100')).data[0].id, unread.data[0].id, 'still unread');
  expectError(await api(ctx.url, 'PATCH', `/notifications/${UNKNOWN_ID}/read`, { token: u.mia.accessToken }), 404);
});

test('POST /notifications/read-all: {updated}; the count drops to 0; only the caller\'s', async () => {
  const n = await unreadCount(ctx.url, u.mia.accessToken);
  assert.ok(n > 0);
  const others = await counts();
  const r = expectOk(await api(ctx.url, 'POST', '/notifications/read-all', { token: u.mia.accessToken }));
  assert.equal(r.updated, n);
  assert.equal(await unreadCount(ctx.url, u.mia.accessToken), 0);
  assert.deepEqual((await notifications(u.mia, 'unread=true')).data, []);
  const all = await listAllPages(ctx.url, u.mia.accessToken, '/notifications');
  assert.ok(all.length > 0 && all.every((x) => x.read === true && typeof x.readAt === 'string'));
  const again = expectOk(await api(ctx.url, 'POST', '/notifications/read-all', { token: u.mia.accessToken }));
  assert.equal(again.updated, 0);
  await expectDelta(others, { mia: -others.mia }, 'read-all touches only the caller');
  // new ones count again
  await createComment(ctx.url, u.bob.accessToken, task.id, { body: `@${handle(u.mia)} one more` });
  assert.equal(await unreadCount(ctx.url, u.mia.accessToken), 1);
});

test('no token: 401 on every notification route', async () => {
  expectError(await api(ctx.url, 'GET', '/notifications'), 401);
  expectError(await api(ctx.url, 'GET', '/notifications/unread-count'), 401);
  expectError(await api(ctx.url, 'PATCH', `/notifications/${UNKNOWN_ID}/read`), 401);
  expectError(await api(ctx.url, 'POST', '/notifications/read-all'), 401);
});

serverEndChecks(ctx);
