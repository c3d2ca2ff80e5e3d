// Users: own profile, and other users visible only through a shared workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, registerUser, createWorkspace, addMember, secretKeys,
} from './lib/api.mjs';

const ctx = serverSuite();
let alice; let bob; let carol;

test('setup: alice and bob share a workspace, carol is a stranger', async () => {
  alice = await registerUser(ctx.url, { firstName: 'Alice', lastName: 'Archer' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Baker' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Cooper' });
  const ws = await createWorkspace(ctx.url, alice.accessToken);
  await addMember(ctx.url, alice.accessToken, ws.id, bob, 'member');
});

test('GET /users/me returns the caller without secrets', async () => {
  const me = expectOk(await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken }));
  assert.equal(me.id, alice.user.id);
  assert.equal(me.email, alice.email);
  assert.equal(me.firstName, 'Alice');
  assert.equal(me.lastName, 'Archer');
  assert.deepEqual(secretKeys(me), []);
});

test('PATCH /users/me updates the profile', async () => {
  const res = await api(ctx.url, 'PATCH', '/users/me', { token: alice.accessToken, body: { firstName: 'Alicia', lastName: 'Arch' } });
  const updated = expectOk(res);
  assert.equal(updated.firstName, 'Alicia');
  assert.equal(updated.lastName, 'Arch');
  assert.deepEqual(secretKeys(updated), []);
  const me = expectOk(await api(ctx.url, 'GET', '/users/me', { token: alice.accessToken }));
  assert.equal(me.firstName, 'Alicia');
  assert.equal(me.email, alice.email);
});

test('PATCH /users/me cannot raise the global role', async () => {
  const res = await api(ctx.url, 'PATCH', '/users/me', { token: bob.accessToken, body: { firstName: 'Bobby', role: 'superadmin' } });
  assert.ok(res.status === 200 || res.status === 422, `200 (role ignored) or 422 expected, got ${res.status}`);
  const me = expectOk(await api(ctx.url, 'GET', '/users/me', { token: bob.accessToken }));
  assert.notEqual(me.role, 'superadmin');
  const login = expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: bob.email, password: bob.password } }));
  assert.equal(login.user.role ?? 'user', 'user');
});

test('GET /users/:id of a user who shares a workspace is 200 without secrets', async () => {
  const other = expectOk(await api(ctx.url, 'GET', `/users/${bob.user.id}`, { token: alice.accessToken }));
  assert.equal(other.id, bob.user.id);
  assert.deepEqual(secretKeys(other), []);
  const back = expectOk(await api(ctx.url, 'GET', `/users/${alice.user.id}`, { token: bob.accessToken }));
  assert.equal(back.id, alice.user.id);
});

test('GET /users/:id of oneself is 200', async () => {
  expectOk(await api(ctx.url, 'GET', `/users/${carol.user.id}`, { token: carol.accessToken }));
});

test('GET /users/:id of a stranger is 404, the same as an unknown id', async () => {
  const a = expectError(await api(ctx.url, 'GET', `/users/${carol.user.id}`, { token: alice.accessToken }), 404);
  const b = expectError(await api(ctx.url, 'GET', `/users/${alice.user.id}`, { token: carol.accessToken }), 404);
  const unknown = expectError(await api(ctx.url, 'GET', '/users/u_unknown_0000000000', { token: alice.accessToken }), 404);
  assert.equal(a.code, unknown.code);
  assert.equal(b.code, unknown.code);
});

test('users routes need a token', async () => {
  expectError(await api(ctx.url, 'GET', '/users/me'), 401);
  expectError(await api(ctx.url, 'PATCH', '/users/me', { body: { firstName: 'X' } }), 401);
  expectError(await api(ctx.url, 'GET', `/users/${alice.user.id}`), 401);
});

serverEndChecks(ctx);
