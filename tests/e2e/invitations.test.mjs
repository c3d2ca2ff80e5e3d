// Invitations need consent: an invite is a pending invitation whatever the
// email (no enumeration), the invitee accepts or declines it, admins list and
// revoke pending ones, and invitations sent before the invitee registered
// reach them once they do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectNoContent, registerUser, createWorkspace, invite, uniq,
} from './lib/api.mjs';

const ctx = serverSuite();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const WEEK_MS = 7 * 24 * 3600 * 1000;
let admin; let bob; let ws;

const mine = async (user) => expectOk(await api(ctx.url, 'GET', '/invitations', { token: user.accessToken }));
const memberIds = async (wid) => expectOk(await api(ctx.url, 'GET', `/workspaces/${wid}/members?limit=100`, {
  token: admin.accessToken,
})).map((m) => m.userId);

test('setup', async () => {
  admin = await registerUser(ctx.url, { firstName: 'Ada', lastName: 'Admin' });
  bob = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Invitations WS' });
});

test('a registered and an unknown email get the same answer: 201 pending', async () => {
  const known = await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: admin.accessToken, body: { email: bob.email, role: 'member' },
  });
  const unknown = await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: admin.accessToken, body: { email: `nobody-${uniq()}@example.com`, role: 'member' },
  });
  for (const res of [known, unknown]) {
    const d = expectOk(res, 201);
    assert.equal(d.status, 'pending');
    assert.equal(d.workspaceId, ws.id);
    assert.equal(d.invitedBy, admin.user.id);
    assert.match(d.expiresAt, ISO);
    const ttl = Date.parse(d.expiresAt) - Date.parse(d.createdAt);
    assert.ok(Math.abs(ttl - WEEK_MS) < 1000, `expires after 7 days: ${ttl}`);
  }
  assert.deepEqual(Object.keys(known.json.data).sort(), Object.keys(unknown.json.data).sort());
  assert.ok(!(await memberIds(ws.id)).includes(bob.user.id), 'no member before consent');
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: bob.accessToken }), 404);
});

test('the invitee sees it, is notified, and becomes a member by accepting', async () => {
  const list = await mine(bob);
  assert.equal(list.length, 1);
  const inv = list[0];
  assert.equal(inv.workspaceId, ws.id);
  assert.equal(inv.workspaceName, 'Invitations WS');
  assert.equal(inv.role, 'member');
  assert.equal(inv.invitedBy, admin.user.id);
  assert.equal(inv.invitedByName, 'Ada Admin');
  assert.match(inv.expiresAt, ISO);
  const notes = expectOk(await api(ctx.url, 'GET', '/notifications', { token: bob.accessToken }));
  const note = notes.find((n) => n.type === 'workspace_invite');
  assert.ok(note, 'workspace_invite notification');
  assert.equal(note.data.invitationId, inv.id);
  // Nobody else can act on it.
  const other = await registerUser(ctx.url);
  expectError(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: other.accessToken }), 404, 'INVITATION_NOT_FOUND');
  expectError(await api(ctx.url, 'POST', `/invitations/${inv.id}/decline`, { token: admin.accessToken }), 404, 'INVITATION_NOT_FOUND');

  const w = expectOk(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: bob.accessToken }));
  assert.equal(w.id, ws.id);
  assert.equal(w.role, 'member');
  assert.ok((await memberIds(ws.id)).includes(bob.user.id));
  assert.deepEqual(await mine(bob), []);
  expectError(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: admin.accessToken, body: { email: bob.email },
  }), 409, 'ALREADY_MEMBER');
  const feed = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity`, { token: admin.accessToken }));
  assert.ok(feed.some((r) => r.action === 'member_joined' && r.changes.userId === bob.user.id));
});

test('an invitation sent before the invitee registers reaches the new account', async () => {
  const email = `Later-${uniq()}@Example.com`;
  const inv = await invite(ctx.url, admin.accessToken, ws.id, email, 'admin');
  const later = await registerUser(ctx.url, { email: email.toLowerCase() });
  const list = await mine(later);
  assert.deepEqual(list.map((i) => i.id), [inv.id]);
  const w = expectOk(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: later.accessToken }));
  assert.equal(w.role, 'admin');
});

test('decline drops it: no member, gone from the list, cannot be accepted after', async () => {
  const carol = await registerUser(ctx.url);
  const inv = await invite(ctx.url, admin.accessToken, ws.id, carol.email);
  expectNoContent(await api(ctx.url, 'POST', `/invitations/${inv.id}/decline`, { token: carol.accessToken }));
  assert.deepEqual(await mine(carol), []);
  expectError(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: carol.accessToken }), 404);
  assert.ok(!(await memberIds(ws.id)).includes(carol.user.id));
});

test('admins list and revoke pending invitations; members may not', async () => {
  const dave = await registerUser(ctx.url);
  const inv = await invite(ctx.url, admin.accessToken, ws.id, dave.email);
  const pending = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/invitations`, { token: admin.accessToken }));
  const row = pending.find((i) => i.id === inv.id);
  assert.ok(row, 'listed');
  assert.equal(row.email, dave.email.toLowerCase());
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/invitations`, { token: bob.accessToken }), 403);
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/invitations/${inv.id}`, { token: bob.accessToken }), 403);
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/invitations`, { token: dave.accessToken }), 404);
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/invitations/${inv.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/invitations/${inv.id}`, { token: admin.accessToken }), 404);
  assert.deepEqual(await mine(dave), []);
  expectError(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: dave.accessToken }), 404);
});

test('invitations are rate limited per inviter (429 RATE_LIMITED), so emails cannot be probed in bulk', async () => {
  const spammer = await registerUser(ctx.url);
  const w = await createWorkspace(ctx.url, spammer.accessToken);
  let limited;
  for (let i = 0; i < 150 && !limited; i++) {
    const res = await api(ctx.url, 'POST', `/workspaces/${w.id}/invite`, {
      token: spammer.accessToken, body: { email: `probe-${i}-${uniq()}@example.com` },
    });
    if (res.status === 429) limited = { i, res };
    else expectOk(res, 201);
  }
  assert.ok(limited, 'a limit was reached');
  assert.equal(limited.i, 100, 'after 100 invitations');
  expectError(limited.res, 429, 'RATE_LIMITED');
});

serverEndChecks(ctx);
