// Authorization matrix for the collaboration routes (comments, labels,
// activity, channels, messages, notifications): an outsider gets 404 (never
// 403, never the object), no token gets 401, and a member gets 2xx, or 403
// where the route is author/sender/creator/admin-only, or 404 for a private
// channel it is not in and for another user's notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, registerUser, createWorkspace, createProject, createTask, addMember,
  createComment, createLabel, createChannel, postMessage, fmtRes, uniq,
} from './lib/api.mjs';

const ctx = serverSuite();
const f = {}; // fixtures

test('setup: admin, member, outsider; a task, comment, label, channels, message, notification of the admin', async () => {
  f.admin = await registerUser(ctx.url);
  f.member = await registerUser(ctx.url);
  f.outsider = await registerUser(ctx.url);
  await createWorkspace(ctx.url, f.outsider.accessToken, { name: 'Elsewhere' });
  f.ws = await createWorkspace(ctx.url, f.admin.accessToken, { name: 'Collab Matrix WS' });
  await addMember(ctx.url, f.admin.accessToken, f.ws.id, f.member, 'member');
  f.proj = await createProject(ctx.url, f.admin.accessToken, f.ws.id, { key: 'CLB' });
  f.task = await createTask(ctx.url, f.admin.accessToken, f.proj.id, { title: 'Collab matrix task' });
  f.comment = await createComment(ctx.url, f.admin.accessToken, f.task.id, { body: 'admin comment 4d2e' });
  f.label = await createLabel(ctx.url, f.admin.accessToken, f.ws.id, { name: 'matrix-label', color: '#101010' });
  f.chan = await createChannel(ctx.url, f.admin.accessToken, f.ws.id, { name: 'matrix-public' });
  f.priv = await createChannel(ctx.url, f.admin.accessToken, f.ws.id, { name: 'matrix-private', type: 'private' });
  f.msg = await postMessage(ctx.url, f.admin.accessToken, f.chan.id, 'admin message 93ac');
  // the member's comment notifies the admin (the task's reporter)
  await createComment(ctx.url, f.member.accessToken, f.task.id, { body: 'member comment' });
  const n = expectOk(await api(ctx.url, 'GET', '/notifications', { token: f.admin.accessToken }));
  f.notif = n.find((x) => x.type === 'comment_added');
  assert.ok(f.notif, 'the admin has a comment_added notification');
});

// Each row: method, route template, body, what a member gets, and an optional
// prepare() run first (creates the member's own object for destructive rows).
const rows = [
  { m: 'POST', r: '/tasks/:tid/comments', body: () => ({ body: 'member says hi' }), member: 201 },
  { m: 'GET', r: '/tasks/:tid/comments', member: 200 },
  { m: 'PATCH', r: '/comments/:cid', body: () => ({ body: 'member edit' }), member: 403, label: "PATCH /comments/:id (another's)" },
  { m: 'DELETE', r: '/comments/:cid', member: 403, label: "DELETE /comments/:id (another's)" },
  {
    m: 'PATCH', r: '/comments/:own', body: () => ({ body: 'edited own' }), member: 200, label: 'PATCH /comments/:id (own)',
    prepare: async () => { f.own = (await createComment(ctx.url, f.member.accessToken, f.task.id, { body: 'own' })).id; },
  },
  {
    m: 'DELETE', r: '/comments/:own', member: 204, label: 'DELETE /comments/:id (own)',
    prepare: async () => { f.own = (await createComment(ctx.url, f.member.accessToken, f.task.id, { body: 'own' })).id; },
  },
  { m: 'POST', r: '/workspaces/:wid/labels', body: () => ({ name: `member-${uniq(6)}`, color: '#202020' }), member: 201 },
  { m: 'GET', r: '/workspaces/:wid/labels', member: 200 },
  { m: 'PATCH', r: '/labels/:lid', body: () => ({ color: '#303030' }), member: 200 },
  {
    m: 'DELETE', r: '/labels/:own', member: 204, label: 'DELETE /labels/:id',
    prepare: async () => { f.own = (await createLabel(ctx.url, f.admin.accessToken, f.ws.id)).id; },
  },
  { m: 'GET', r: '/workspaces/:wid/activity', member: 200 },
  { m: 'GET', r: '/projects/:pid/activity', member: 200 },
  { m: 'GET', r: '/tasks/:tid/activity', member: 200 },
  { m: 'POST', r: '/workspaces/:wid/channels', body: () => ({ name: `member-${uniq(6)}` }), member: 201 },
  { m: 'GET', r: '/workspaces/:wid/channels', member: 200 },
  { m: 'GET', r: '/channels/:chid', member: 200 },
  { m: 'DELETE', r: '/channels/:chid', member: 403, label: "DELETE /channels/:id (another's, not admin)" },
  {
    m: 'DELETE', r: '/channels/:own', member: 204, label: 'DELETE /channels/:id (own)',
    prepare: async () => { f.own = (await createChannel(ctx.url, f.member.accessToken, f.ws.id)).id; },
  },
  { m: 'POST', r: '/channels/:chid/members', body: () => ({ userId: f.member.user.id }), member: [200, 201] },
  { m: 'DELETE', r: '/channels/:chid/members/:adminId', member: 403 },
  { m: 'GET', r: '/channels/:privId', member: 404, label: 'GET /channels/:id (private, not a member)' },
  { m: 'DELETE', r: '/channels/:privId', member: 404, label: 'DELETE /channels/:id (private, not a member)' },
  { m: 'POST', r: '/channels/:privId/members', body: () => ({ userId: f.member.user.id }), member: 404, label: 'POST /channels/:id/members (private, not a member)' },
  { m: 'GET', r: '/channels/:privId/messages', member: 404, label: 'GET /channels/:id/messages (private, not a member)' },
  { m: 'POST', r: '/channels/:privId/messages', body: () => ({ content: 'in?' }), member: 404, label: 'POST /channels/:id/messages (private, not a member)' },
  { m: 'GET', r: '/channels/:chid/messages', member: 200 },
  { m: 'POST', r: '/channels/:chid/messages', body: () => ({ content: 'member message' }), member: 201 },
  { m: 'PATCH', r: '/messages/:mid', body: () => ({ content: 'member edit' }), member: 403, label: "PATCH /messages/:id (another's)" },
  { m: 'DELETE', r: '/messages/:mid', member: 403, label: "DELETE /messages/:id (another's)" },
  {
    m: 'PATCH', r: '/messages/:own', body: () => ({ content: 'edited own' }), member: 200, label: 'PATCH /messages/:id (own)',
    prepare: async () => { f.own = (await postMessage(ctx.url, f.member.accessToken, f.chan.id, 'own')).id; },
  },
  {
    m: 'DELETE', r: '/messages/:own', member: 204, label: 'DELETE /messages/:id (own)',
    prepare: async () => { f.own = (await postMessage(ctx.url, f.member.accessToken, f.chan.id, 'own')).id; },
  },
  { m: 'PATCH', r: '/notifications/:nid/read', member: 404, label: "PATCH /notifications/:id/read (another user's)" },
];

/** Fills a route template from the fixtures. */
function pathOf(r) {
  const vals = {
    ':wid': f.ws.id, ':pid': f.proj.id, ':tid': f.task.id, ':cid': f.comment.id, ':lid': f.label.id,
    ':chid': f.chan.id, ':privId': f.priv.id, ':mid': f.msg.id, ':nid': f.notif.id, ':adminId': f.admin.user.id,
    ':own': f.own,
  };
  return r.replace(/:[A-Za-z]+/g, (k) => {
    assert.ok(vals[k], `fixture for ${k}`);
    return vals[k];
  });
}

/** What an outsider must never see in a response body. */
function secretsOf() {
  return [f.ws.id, f.ws.name, f.proj.id, f.task.id, f.task.title, f.comment.body, f.label.name,
    f.chan.name, f.priv.name, f.msg.content, f.notif.title, f.admin.email];
}

for (const row of rows) {
  const name = row.label || `${row.m} ${row.r}`;
  test(`authz: ${name}`, async () => {
    if (row.prepare) await row.prepare();
    const path = pathOf(row.r);

    // outsider: 404, and the body reveals nothing
    const out = await api(ctx.url, row.m, path, { token: f.outsider.accessToken, body: row.body?.() });
    assert.equal(out.status, 404, `${name} as outsider: ${fmtRes(out)}`);
    expectError(out, 404);
    for (const s of secretsOf()) assert.ok(!out.text.includes(s), `${name}: the outsider's 404 leaks ${s}`);

    // no token: 401
    const anon = await api(ctx.url, row.m, path, { body: row.body?.() });
    assert.equal(anon.status, 401, `${name} without a token: ${fmtRes(anon)}`);
    expectError(anon, 401);

    // member: 2xx, or the documented 403/404
    const res = await api(ctx.url, row.m, path, { token: f.member.accessToken, body: row.body?.() });
    const allowed = Array.isArray(row.member) ? row.member : [row.member];
    assert.ok(allowed.includes(res.status), `${name} as member: expected ${allowed.join(' or ')}: ${fmtRes(res)}`);
    if (res.status === 403 || res.status === 404) {
      expectError(res, res.status);
      if (res.status === 404) {
        for (const s of [f.priv.name, f.notif.title]) assert.ok(!res.text.includes(s), `${name}: the member's 404 leaks ${s}`);
      }
    } else if (res.status !== 204) {
      expectOk(res, res.status);
    }
  });
}

test('the admin\'s objects are intact after the outsider and member rows', async () => {
  const t = f.admin.accessToken;
  const comments = expectOk(await api(ctx.url, 'GET', `/tasks/${f.task.id}/comments?limit=100`, { token: t }));
  assert.equal(comments.find((c) => c.id === f.comment.id)?.body, 'admin comment 4d2e');
  const labels = expectOk(await api(ctx.url, 'GET', `/workspaces/${f.ws.id}/labels`, { token: t }));
  assert.equal(labels.find((l) => l.id === f.label.id)?.name, 'matrix-label');
  const ch = expectOk(await api(ctx.url, 'GET', `/channels/${f.chan.id}`, { token: t }));
  assert.ok(ch.members.some((m) => m.userId === f.admin.user.id), 'the admin is still in its channel');
  const priv = expectOk(await api(ctx.url, 'GET', `/channels/${f.priv.id}`, { token: t }));
  assert.deepEqual(priv.members.map((m) => m.userId), [f.admin.user.id], 'nobody got into the private channel');
  const msgs = expectOk(await api(ctx.url, 'GET', `/channels/${f.chan.id}/messages?limit=100`, { token: t }));
  assert.equal(msgs.find((m) => m.id === f.msg.id)?.content, 'admin message 93ac');
  assert.ok(!msgs.some((m) => m.content === 'in?'));
  const privMsgs = expectOk(await api(ctx.url, 'GET', `/channels/${f.priv.id}/messages`, { token: t }));
  assert.deepEqual(privMsgs, []);
  const n = expectOk(await api(ctx.url, 'GET', '/notifications?limit=100', { token: t }));
  assert.equal(n.find((x) => x.id === f.notif.id)?.read, false, 'nobody else marked the admin\'s notification read');
  const chans = expectOk(await api(ctx.url, 'GET', `/workspaces/${f.ws.id}/channels?limit=100`, { token: t }));
  assert.ok(chans.some((c) => c.id === f.chan.id) && chans.some((c) => c.id === f.priv.id), 'both channels still live');
});

serverEndChecks(ctx);
