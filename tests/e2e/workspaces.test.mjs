// Workspaces and their members: create, list, update, delete, invite, roles,
// leave, and the owner/last-admin rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  addMember, memberUserId, secretKeys, uniq, fmtRes,
} from './lib/api.mjs';

const ctx = serverSuite();
let owner; let bob; let carol; let dave; let outsider;
let ws;

const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

async function members(token, wid) {
  const res = await api(ctx.url, 'GET', `/workspaces/${wid}/members`, { token });
  const data = expectOk(res);
  assert.ok(Array.isArray(data), fmtRes(res));
  return data;
}

function roleOf(list, userId) {
  const m = list.find((x) => memberUserId(x) === userId);
  return m && m.role;
}

test('setup: users', async () => {
  owner = await registerUser(ctx.url, { firstName: 'Olga', lastName: 'Owner' });
  bob = await registerUser(ctx.url);
  carol = await registerUser(ctx.url);
  dave = await registerUser(ctx.url);
  outsider = await registerUser(ctx.url);
});

test('POST /workspaces: 201, slug derived from the name, creator is admin', async () => {
  const res = await api(ctx.url, 'POST', '/workspaces', {
    token: owner.accessToken,
    body: { name: 'Acme Corp', description: 'The team', logoUrl: 'https://example.com/logo.png' },
  });
  ws = expectOk(res, 201);
  assert.equal(typeof ws.id, 'string');
  assert.equal(ws.name, 'Acme Corp');
  assert.equal(ws.description, 'The team');
  assert.equal(ws.logoUrl, 'https://example.com/logo.png');
  assert.match(ws.slug, SLUG_RE);
  assert.ok(ws.slug.startsWith('acme-corp'), `slug derived from the name, got ${ws.slug}`);
  const list = await members(owner.accessToken, ws.id);
  assert.equal(list.length, 1);
  assert.equal(roleOf(list, owner.user.id), 'admin');
});

test('POST /workspaces: an explicit slug is kept; a taken slug is 409', async () => {
  const slug = `team-${uniq(6)}`;
  const w = await createWorkspace(ctx.url, owner.accessToken, { name: 'Explicit', slug });
  assert.equal(w.slug, slug);
  expectError(await api(ctx.url, 'POST', '/workspaces', { token: bob.accessToken, body: { name: 'Other', slug } }), 409);
});

test('POST /workspaces: the same name twice derives two distinct slugs', async () => {
  const a = await createWorkspace(ctx.url, bob.accessToken, { name: 'Same Name' });
  const b = await createWorkspace(ctx.url, bob.accessToken, { name: 'Same Name' });
  assert.match(a.slug, SLUG_RE);
  assert.match(b.slug, SLUG_RE);
  assert.notEqual(a.slug, b.slug);
});

test('POST /workspaces: validation is 422', async () => {
  expectFieldError(await api(ctx.url, 'POST', '/workspaces', { token: owner.accessToken, body: {} }), 'name');
  expectFieldError(await api(ctx.url, 'POST', '/workspaces', { token: owner.accessToken, body: { name: 'X', slug: 'Bad Slug' } }), 'slug');
  expectFieldError(await api(ctx.url, 'POST', '/workspaces', { token: owner.accessToken, body: { name: 'X', logoUrl: 'not a url' } }), 'logoUrl');
  expectFieldError(await api(ctx.url, 'POST', '/workspaces', { token: owner.accessToken, body: { name: 42 } }), 'name');
});

test('GET /workspaces lists only the caller\'s workspaces, with the role', async () => {
  const mine = await createWorkspace(ctx.url, outsider.accessToken, { name: 'Outsider Land' });
  const res = await api(ctx.url, 'GET', '/workspaces', { token: owner.accessToken });
  const list = expectOk(res);
  assert.ok(Array.isArray(list), fmtRes(res));
  const ids = list.map((w) => w.id);
  assert.ok(ids.includes(ws.id), 'own workspace listed');
  assert.ok(!ids.includes(mine.id), "another user's workspace is not listed");
  assert.equal(list.find((w) => w.id === ws.id).role, 'admin');
  const theirs = expectOk(await api(ctx.url, 'GET', '/workspaces', { token: outsider.accessToken }));
  assert.deepEqual(theirs.map((w) => w.id), [mine.id]);
});

test('invite: a pending invitation (201) until accepted; unknown email 201 alike; member again 409', async () => {
  const inv = expectOk(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: owner.accessToken, body: { email: bob.email, role: 'member' },
  }), 201);
  assert.equal(inv.status, 'pending');
  assert.equal(roleOf(await members(owner.accessToken, ws.id), bob.user.id), undefined, 'not a member before accepting');
  expectOk(await api(ctx.url, 'POST', `/invitations/${inv.id}/accept`, { token: bob.accessToken }));
  await addMember(ctx.url, owner.accessToken, ws.id, carol, 'admin');
  const ghost = expectOk(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: owner.accessToken, body: { email: `ghost-${uniq()}@example.com`, role: 'member' },
  }), 201);
  assert.deepEqual(Object.keys(ghost).sort(), Object.keys(inv).sort(), 'the same shape for an unknown email');
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: owner.accessToken, body: { email: bob.email, role: 'member' },
  }), 409, 'ALREADY_MEMBER');
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: owner.accessToken, body: { email: owner.email, role: 'member' },
  }), 409);
});

test('invite: validation 422; member 403; outsider 404', async () => {
  expectFieldError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: owner.accessToken, body: { email: dave.email, role: 'owner' },
  }), 'role');
  expectFieldError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: owner.accessToken, body: { email: 'nope', role: 'member' },
  }), 'email');
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: bob.accessToken, body: { email: dave.email, role: 'member' },
  }), 403);
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/invite`, {
    token: outsider.accessToken, body: { email: dave.email, role: 'member' },
  }), 404);
  const list = await members(owner.accessToken, ws.id);
  assert.equal(roleOf(list, dave.user.id), undefined, 'dave was not added by the refused invites');
  const mine = expectOk(await api(ctx.url, 'GET', '/invitations', { token: dave.accessToken }));
  assert.deepEqual(mine, [], 'no invitation from the refused invites');
});

test('GET /workspaces/:wid and members: members see it with roles, no secrets; outsider 404', async () => {
  const got = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: bob.accessToken }));
  assert.equal(got.id, ws.id);
  const list = await members(bob.accessToken, ws.id);
  assert.equal(list.length, 3);
  assert.equal(roleOf(list, owner.user.id), 'admin');
  assert.equal(roleOf(list, bob.user.id), 'member');
  assert.equal(roleOf(list, carol.user.id), 'admin');
  assert.deepEqual(secretKeys(list), []);
  const bobList = expectOk(await api(ctx.url, 'GET', '/workspaces', { token: bob.accessToken }));
  assert.equal(bobList.find((w) => w.id === ws.id)?.role, 'member');
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: outsider.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}/members`, { token: outsider.accessToken }), 404);
});

test('PATCH /workspaces/:wid: admin 200; member 403; outsider 404', async () => {
  const updated = expectOk(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}`, {
    token: owner.accessToken, body: { name: 'Acme Renamed', description: 'New' },
  }));
  assert.equal(updated.name, 'Acme Renamed');
  assert.equal(updated.description, 'New');
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}`, { token: bob.accessToken, body: { name: 'Bob was here' } }), 403);
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}`, { token: outsider.accessToken, body: { name: 'Nope' } }), 404);
  const got = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: owner.accessToken }));
  assert.equal(got.name, 'Acme Renamed');
});

test('PATCH members/:userId: admin changes roles; member 403; bad role 422; non-member 404', async () => {
  const up = await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${bob.user.id}`, {
    token: owner.accessToken, body: { role: 'admin' },
  });
  expectOk(up);
  assert.equal(roleOf(await members(owner.accessToken, ws.id), bob.user.id), 'admin');
  expectOk(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${bob.user.id}`, {
    token: owner.accessToken, body: { role: 'member' },
  }));
  assert.equal(roleOf(await members(owner.accessToken, ws.id), bob.user.id), 'member');
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${carol.user.id}`, {
    token: bob.accessToken, body: { role: 'member' },
  }), 403);
  expectFieldError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${bob.user.id}`, {
    token: owner.accessToken, body: { role: 'king' },
  }), 'role');
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${outsider.user.id}`, {
    token: owner.accessToken, body: { role: 'admin' },
  }), 404);
});

test('the owner cannot be demoted, removed or leave (409), even by another admin', async () => {
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${owner.user.id}`, {
    token: carol.accessToken, body: { role: 'member' },
  }), 409);
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${owner.user.id}`, {
    token: owner.accessToken, body: { role: 'member' },
  }), 409);
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${owner.user.id}`, { token: carol.accessToken }), 409);
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${owner.user.id}`, { token: owner.accessToken }), 409);
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/leave`, { token: owner.accessToken }), 409);
  assert.equal(roleOf(await members(owner.accessToken, ws.id), owner.user.id), 'admin');
});

test('a sole admin-owner of a fresh workspace cannot leave (409)', async () => {
  const solo = await createWorkspace(ctx.url, dave.accessToken, { name: 'Solo' });
  expectError(await api(ctx.url, 'POST', `/workspaces/${solo.id}/leave`, { token: dave.accessToken }), 409);
  expectOk(await api(ctx.url, 'GET', `/workspaces/${solo.id}`, { token: dave.accessToken }));
});

test('DELETE members/:userId: member 403; admin removes (204) and the user loses access', async () => {
  await addMember(ctx.url, owner.accessToken, ws.id, dave, 'member');
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${dave.user.id}`, { token: bob.accessToken }), 403);
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${dave.user.id}`, { token: outsider.accessToken }), 404);
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${dave.user.id}`, { token: carol.accessToken }));
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: dave.accessToken }), 404);
  assert.equal(roleOf(await members(owner.accessToken, ws.id), dave.user.id), undefined);
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}/members/${dave.user.id}`, { token: owner.accessToken }), 404);
});

test('POST /leave: a member leaves and loses access; an outsider gets 404', async () => {
  await addMember(ctx.url, owner.accessToken, ws.id, dave, 'member');
  const res = await api(ctx.url, 'POST', `/workspaces/${ws.id}/leave`, { token: dave.accessToken });
  assert.ok(res.status === 204 || res.status === 200, `2xx expected: ${fmtRes(res)}`);
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: dave.accessToken }), 404);
  const list = expectOk(await api(ctx.url, 'GET', '/workspaces', { token: dave.accessToken }));
  assert.ok(!list.some((w) => w.id === ws.id));
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/leave`, { token: outsider.accessToken }), 404);
});

test('DELETE /workspaces/:wid: a non-owner admin is 403 and the workspace stays', async () => {
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}`, { token: carol.accessToken }), 403, 'FORBIDDEN');
  expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: carol.accessToken }));
  expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: owner.accessToken }));
});

test('a non-owner admin can be demoted and can leave', async () => {
  expectOk(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}/members/${carol.user.id}`, {
    token: owner.accessToken, body: { role: 'member' },
  }));
  expectError(await api(ctx.url, 'PATCH', `/workspaces/${ws.id}`, { token: carol.accessToken, body: { name: 'x' } }), 403);
  const res = await api(ctx.url, 'POST', `/workspaces/${ws.id}/leave`, { token: carol.accessToken });
  assert.ok(res.status === 204 || res.status === 200, `2xx expected: ${fmtRes(res)}`);
});

test('DELETE /workspaces/:wid: member 403; outsider 404; admin 204 and it is gone', async () => {
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}`, { token: bob.accessToken }), 403);
  expectError(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}`, { token: outsider.accessToken }), 404);
  expectNoContent(await api(ctx.url, 'DELETE', `/workspaces/${ws.id}`, { token: owner.accessToken }));
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: owner.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/workspaces/${ws.id}`, { token: bob.accessToken }), 404);
  const list = expectOk(await api(ctx.url, 'GET', '/workspaces', { token: bob.accessToken }));
  assert.ok(!list.some((w) => w.id === ws.id));
});

serverEndChecks(ctx);
