// Channels: create (public/private/direct), list with isMember, get with
// members, visibility of private channels, membership add/remove rules,
// delete by the creator or an admin, validation and unknown ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, createWorkspace,
  createProject, createChannel, addMember, fmtRes, UNKNOWN_ID, assertNoLeak, listAllPages,
} from './lib/api.mjs';

const ctx = serverSuite();
let admin; let bob; let carol; let dave; let outsider;
let ws; let ws2; let proj; let foreignProj;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const get = (cid, token) => api(ctx.url, 'GET', `/channels/${cid}`, { token });
const listAll = (token, wid = ws.id) => listAllPages(ctx.url, token, `/workspaces/${wid}/channels`);

test('setup: admin, three members, an outsider; a project; a second workspace', async () => {
  admin = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Member' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Member' });
  dave = await registerUser(ctx.url, { firstName: 'Dave', lastName: 'Member' });
  outsider = await registerUser(ctx.url);
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Channels WS' });
  ws2 = await createWorkspace(ctx.url, outsider.accessToken, { name: 'Elsewhere' });
  for (const u of [bob, carol, dave]) await addMember(ctx.url, admin.accessToken, ws.id, u, 'member');
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'CHN' });
  foreignProj = await createProject(ctx.url, outsider.accessToken, ws2.id, { key: 'FOR' });
});

test('POST /workspaces/:wid/channels: 201, public by default, the creator is its member', async () => {
  const res = await api(ctx.url, 'POST', `/workspaces/${ws.id}/channels`, { token: bob.accessToken, body: { name: 'general', description: 'Everything' } });
  const ch = expectOk(res, 201);
  assert.equal(typeof ch.id, 'string');
  assert.equal(ch.workspaceId, ws.id);
  assert.equal(ch.name, 'general');
  assert.equal(ch.type, 'public');
  assert.equal(ch.description, 'Everything');
  assert.equal(ch.projectId, null);
  assert.equal(ch.createdBy, bob.user.id);
  assert.equal(ch.memberCount, 1);
  assert.equal(ch.isMember, true);
  assert.match(ch.createdAt, ISO);
  const g = expectOk(await get(ch.id, bob.accessToken));
  assert.deepEqual(g.members.map((m) => m.userId), [bob.user.id]);
  assert.equal(g.members[0].firstName, 'Bob');
  assert.ok(!JSON.stringify(g).includes(bob.email), 'no emails in the channel');
  const seen = expectOk(await get(ch.id, carol.accessToken));
  assert.equal(seen.isMember, false, 'another member sees a public channel without being in it');
});

test('create with memberIds and a projectId of the workspace', async () => {
  const ch = await createChannel(ctx.url, admin.accessToken, ws.id, {
    name: 'proj-chat', projectId: proj.id, memberIds: [bob.user.id, bob.user.id, admin.user.id, carol.user.id],
  });
  assert.equal(ch.projectId, proj.id);
  assert.equal(ch.memberCount, 3, 'duplicates and the creator are counted once');
  const g = expectOk(await get(ch.id, carol.accessToken));
  assert.deepEqual(g.members.map((m) => m.userId).sort(), [admin.user.id, bob.user.id, carol.user.id].sort());
  assert.equal(g.isMember, true);
});

test('create validation: 422 naming the field; nothing is created', async () => {
  const post = (body) => api(ctx.url, 'POST', `/workspaces/${ws.id}/channels`, { token: bob.accessToken, body });
  expectFieldError(await post({}), 'name');
  expectFieldError(await post({ name: '' }), 'name');
  for (const name of ['Upper', 'has space', 'under_score', 'émoji', 'dot.name']) expectFieldError(await post({ name }), 'name');
  expectFieldError(await post({ name: 'x'.repeat(81) }), 'name');
  expectFieldError(await post({ name: 'bad-type', type: 'secret' }), 'type');
  expectFieldError(await post({ name: 'bad-project', projectId: foreignProj.id }), 'projectId');
  expectFieldError(await post({ name: 'bad-project2', projectId: UNKNOWN_ID }), 'projectId');
  expectFieldError(await post({ name: 'bad-members', memberIds: [outsider.user.id] }), 'memberIds');
  expectFieldError(await post({ name: 'bad-members2', memberIds: 'nope' }), 'memberIds');
  expectFieldError(await post({ name: 'lonely-dm', type: 'direct' }), 'memberIds');
  expectFieldError(await post({ name: 'self-dm', type: 'direct', memberIds: [bob.user.id] }), 'memberIds');
  const names = (await listAll(admin.accessToken)).map((c) => c.name);
  for (const n of ['bad-type', 'bad-project', 'bad-project2', 'bad-members', 'bad-members2', 'lonely-dm', 'self-dm']) {
    assert.ok(!names.includes(n), `${n} must not exist`);
  }
});

test('a name is unique among the workspace\'s live channels: 409; free again after delete; fine elsewhere', async () => {
  const a = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'dup-name' });
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/channels`, { token: carol.accessToken, body: { name: 'dup-name' } }), 409, 'CHANNEL_NAME_TAKEN');
  expectError(await api(ctx.url, 'POST', `/workspaces/${ws.id}/channels`, { token: carol.accessToken, body: { name: 'dup-name', type: 'private' } }), 409, 'CHANNEL_NAME_TAKEN');
  await createChannel(ctx.url, outsider.accessToken, ws2.id, { name: 'dup-name' });
  expectNoContent(await api(ctx.url, 'DELETE', `/channels/${a.id}`, { token: bob.accessToken }));
  const b = await createChannel(ctx.url, carol.accessToken, ws.id, { name: 'dup-name' });
  assert.notEqual(b.id, a.id);
});

test('private channels are invisible (404) to workspace members outside them', async () => {
  const priv = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'secret-room', type: 'private', memberIds: [carol.user.id] });
  assert.equal(priv.type, 'private');
  assert.equal(priv.memberCount, 2);
  // members of the channel see it
  expectOk(await get(priv.id, carol.accessToken));
  // dave (workspace member, not in the channel) and the admin (not in it either) do not
  for (const u of [dave, admin, outsider]) {
    const res = await get(priv.id, u.accessToken);
    expectError(res, 404);
    assertNoLeak(res, ['secret-room', bob.user.id], 'private channel GET');
    expectError(await api(ctx.url, 'POST', `/channels/${priv.id}/members`, { token: u.accessToken, body: { userId: u.user.id } }), 404);
    expectError(await api(ctx.url, 'GET', `/channels/${priv.id}/messages`, { token: u.accessToken }), 404);
    expectError(await api(ctx.url, 'POST', `/channels/${priv.id}/messages`, { token: u.accessToken, body: { content: 'let me in' } }), 404);
  }
  expectError(await api(ctx.url, 'DELETE', `/channels/${priv.id}/members/${carol.user.id}`, { token: dave.accessToken }), 404);
  const daveNames = (await listAll(dave.accessToken)).map((c) => c.name);
  assert.ok(!daveNames.includes('secret-room'), 'not listed for a non-member');
  const carolList = await listAll(carol.accessToken);
  const entry = carolList.find((c) => c.id === priv.id);
  assert.ok(entry, 'listed for a member');
  assert.equal(entry.isMember, true);
  // a direct channel works the same
  const dm = await createChannel(ctx.url, carol.accessToken, ws.id, { name: 'dm-carol-bob', type: 'direct', memberIds: [bob.user.id] });
  assert.equal(dm.type, 'direct');
  expectOk(await get(dm.id, bob.accessToken));
  expectError(await get(dm.id, dave.accessToken), 404);
  // once added, dave sees the private channel
  expectOk(await api(ctx.url, 'POST', `/channels/${priv.id}/members`, { token: carol.accessToken, body: { userId: dave.user.id } }), 201);
  assert.equal(expectOk(await get(priv.id, dave.accessToken)).isMember, true);
});

test('GET /workspaces/:wid/channels: sorted by name, isMember per caller, paginated', async () => {
  const w = await createWorkspace(ctx.url, admin.accessToken, { name: 'List WS' });
  await addMember(ctx.url, admin.accessToken, w.id, bob, 'member');
  for (const n of ['delta', 'alpha', 'charlie', 'bravo', 'echo']) await createChannel(ctx.url, admin.accessToken, w.id, { name: n });
  await createChannel(ctx.url, admin.accessToken, w.id, { name: 'zz-private', type: 'private' });
  const res = await api(ctx.url, 'GET', `/workspaces/${w.id}/channels?limit=2`, { token: bob.accessToken });
  assert.deepEqual(expectOk(res).map((c) => c.name), ['alpha', 'bravo']);
  assert.deepEqual(res.json.meta, { page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false });
  const p3 = await api(ctx.url, 'GET', `/workspaces/${w.id}/channels?limit=2&page=3`, { token: bob.accessToken });
  assert.deepEqual(expectOk(p3).map((c) => c.name), ['echo']);
  const all = await listAll(bob.accessToken, w.id);
  assert.deepEqual(all.map((c) => c.name), ['alpha', 'bravo', 'charlie', 'delta', 'echo']);
  assert.ok(all.every((c) => c.isMember === false));
  const adminAll = await listAll(admin.accessToken, w.id);
  assert.deepEqual(adminAll.map((c) => c.name), ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'zz-private']);
  assert.ok(adminAll.every((c) => c.isMember === true));
  expectFieldError(await api(ctx.url, 'GET', `/workspaces/${w.id}/channels?limit=0`, { token: bob.accessToken }), 'limit');
  expectError(await api(ctx.url, 'GET', `/workspaces/${w.id}/channels`, { token: outsider.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/workspaces/${UNKNOWN_ID}/channels`, { token: bob.accessToken }), 404);
});

test('POST /channels/:id/members: 201 new, 200 again; non-members of the workspace 404', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'members-room' });
  const add = await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: carol.accessToken, body: { userId: dave.user.id } });
  const m = expectOk(add, 201);
  assert.equal(m.channelId, ch.id);
  assert.equal(m.userId, dave.user.id);
  assert.equal(m.firstName, 'Dave');
  assert.match(m.joinedAt, ISO);
  const again = expectOk(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: { userId: dave.user.id } }), 200);
  assert.equal(again.userId, dave.user.id);
  assert.equal(expectOk(await get(ch.id, bob.accessToken)).memberCount, 2);
  expectError(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: { userId: outsider.user.id } }), 404);
  expectError(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: { userId: UNKNOWN_ID } }), 404);
  expectFieldError(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: {} }), 'userId');
  expectFieldError(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: { userId: 12 } }), 'userId');
  expectError(await api(ctx.url, 'POST', `/channels/${UNKNOWN_ID}/members`, { token: bob.accessToken, body: { userId: dave.user.id } }), 404);
  expectError(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: outsider.accessToken, body: { userId: outsider.user.id } }), 404);
  const g = expectOk(await get(ch.id, admin.accessToken));
  assert.deepEqual(g.members.map((x) => x.userId).sort(), [bob.user.id, dave.user.id].sort());
});

test('DELETE /channels/:id/members/:userId: self, creator or admin; others 403; not a member 404', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'leave-room', memberIds: [carol.user.id, dave.user.id] });
  const del = (uid, token) => api(ctx.url, 'DELETE', `/channels/${ch.id}/members/${uid}`, { token });
  expectError(await del(dave.user.id, carol.accessToken), 403, 'FORBIDDEN');
  expectNoContent(await del(dave.user.id, dave.accessToken));                 // self
  expectError(await del(dave.user.id, dave.accessToken), 404);                // not a member any more
  expectNoContent(await del(carol.user.id, bob.accessToken));                 // the creator
  expectOk(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: { userId: carol.user.id } }), 201);
  expectNoContent(await del(carol.user.id, admin.accessToken));               // a workspace admin
  expectError(await del(outsider.user.id, bob.accessToken), 404);
  expectError(await del(bob.user.id, outsider.accessToken), 404);
  const g = expectOk(await get(ch.id, bob.accessToken));
  assert.deepEqual(g.members.map((x) => x.userId), [bob.user.id]);
  assert.equal(g.memberCount, 1);
  // a private channel a member left becomes invisible to them
  const priv = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'priv-leave', type: 'private', memberIds: [carol.user.id] });
  expectNoContent(await api(ctx.url, 'DELETE', `/channels/${priv.id}/members/${carol.user.id}`, { token: carol.accessToken }));
  expectError(await get(priv.id, carol.accessToken), 404);
});

test('DELETE /channels/:id: another member 403; the creator 204; an admin 204; then 404', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'doomed', memberIds: [carol.user.id] });
  expectError(await api(ctx.url, 'DELETE', `/channels/${ch.id}`, { token: carol.accessToken }), 403, 'FORBIDDEN');
  expectError(await api(ctx.url, 'DELETE', `/channels/${ch.id}`, { token: dave.accessToken }), 403, 'FORBIDDEN');
  expectError(await api(ctx.url, 'DELETE', `/channels/${ch.id}`, { token: outsider.accessToken }), 404);
  expectOk(await get(ch.id, carol.accessToken));
  expectNoContent(await api(ctx.url, 'DELETE', `/channels/${ch.id}`, { token: bob.accessToken }));
  for (const u of [bob, carol, admin]) expectError(await get(ch.id, u.accessToken), 404);
  expectError(await api(ctx.url, 'DELETE', `/channels/${ch.id}`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'GET', `/channels/${ch.id}/messages`, { token: bob.accessToken }), 404);
  expectError(await api(ctx.url, 'POST', `/channels/${ch.id}/messages`, { token: bob.accessToken, body: { content: 'hello?' } }), 404);
  expectError(await api(ctx.url, 'POST', `/channels/${ch.id}/members`, { token: bob.accessToken, body: { userId: dave.user.id } }), 404);
  assert.ok(!(await listAll(bob.accessToken)).some((c) => c.id === ch.id), 'not listed once deleted');

  const carols = await createChannel(ctx.url, carol.accessToken, ws.id, { name: 'carols-room' });
  expectNoContent(await api(ctx.url, 'DELETE', `/channels/${carols.id}`, { token: admin.accessToken }));
  expectError(await get(carols.id, carol.accessToken), 404);
  // an admin may delete a private channel it is a member of
  const priv = await createChannel(ctx.url, carol.accessToken, ws.id, { name: 'priv-doomed', type: 'private', memberIds: [admin.user.id] });
  expectNoContent(await api(ctx.url, 'DELETE', `/channels/${priv.id}`, { token: admin.accessToken }));
  expectError(await api(ctx.url, 'DELETE', `/channels/${UNKNOWN_ID}`, { token: admin.accessToken }), 404);
});

test('outsider and anonymous: 404 / 401 on every channel route; nothing leaks', async () => {
  const ch = await createChannel(ctx.url, bob.accessToken, ws.id, { name: 'visible-room', description: 'hush 81c2' });
  const rows = [
    ['POST', `/workspaces/${ws.id}/channels`, { name: 'intruder' }],
    ['GET', `/workspaces/${ws.id}/channels`],
    ['GET', `/channels/${ch.id}`],
    ['DELETE', `/channels/${ch.id}`],
    ['POST', `/channels/${ch.id}/members`, { userId: outsider.user.id }],
    ['DELETE', `/channels/${ch.id}/members/${bob.user.id}`],
  ];
  for (const [m, p, body] of rows) {
    const res = await api(ctx.url, m, p, { token: outsider.accessToken, body });
    assert.equal(res.status, 404, `${m} ${p} as outsider: ${fmtRes(res)}`);
    expectError(res, 404);
    assertNoLeak(res, ['visible-room', 'hush 81c2', ws.name, bob.user.id], `${m} ${p}`);
    expectError(await api(ctx.url, m, p, { body }), 401);
  }
  const g = expectOk(await get(ch.id, bob.accessToken));
  assert.deepEqual(g.members.map((x) => x.userId), [bob.user.id]);
  assert.ok(!(await listAll(admin.accessToken)).some((c) => c.name === 'intruder'));
});

serverEndChecks(ctx);
