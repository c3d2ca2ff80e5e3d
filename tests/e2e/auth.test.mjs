// Auth: register, login, refresh rotation with family revocation, logout, and
// every way a bearer token can be wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectFieldError, expectNoContent, registerUser, uniq,
  secretKeys, signJwt, decodeJwt, b64url, fmtRes,
} from './lib/api.mjs';
import { randomSecret } from './lib/server.mjs';

const ctx = serverSuite();

function assertAuthShape(data, email) {
  assert.ok(data.user && typeof data.user === 'object', 'user object');
  assert.equal(typeof data.user.id, 'string');
  assert.equal(data.user.email.toLowerCase(), email.toLowerCase());
  assert.deepEqual(secretKeys(data.user), [], 'user must not expose password or hash fields');
  assert.equal(typeof data.accessToken, 'string');
  assert.equal(data.accessToken.split('.').length, 3, 'access token is a JWT');
  assert.equal(typeof data.refreshToken, 'string');
  assert.ok(data.refreshToken.length >= 32, 'refresh token is long enough');
  assert.notEqual(data.refreshToken, data.accessToken);
}

test('register: 201 {user, accessToken, refreshToken} without password fields', async () => {
  const email = `reg-${uniq()}@example.com`;
  const res = await api(ctx.url, 'POST', '/auth/register', {
    body: { email, password: 'correct horse', firstName: 'Ada', lastName: 'Lovelace' },
  });
  const data = expectOk(res, 201);
  assertAuthShape(data, email);
  assert.equal(data.user.firstName, 'Ada');
  assert.equal(data.user.lastName, 'Lovelace');
  assert.ok(!/correct horse/.test(res.text), 'the password never appears in a response');
  const claims = decodeJwt(data.accessToken);
  assert.equal(claims.header.alg, 'HS256');
  assert.equal(claims.payload.sub, data.user.id);
  assert.equal(claims.payload.email.toLowerCase(), email);
  assert.equal(claims.payload.role, 'user');
  assert.ok(claims.payload.exp > Date.now() / 1000, 'exp in the future');
  const me = expectOk(await api(ctx.url, 'GET', '/users/me', { token: data.accessToken }));
  assert.equal(me.id, data.user.id);
});

test('register: duplicate email is 409 (also in another case)', async () => {
  const u = await registerUser(ctx.url);
  expectError(await api(ctx.url, 'POST', '/auth/register', {
    body: { email: u.email, password: 'another-pass', firstName: 'X', lastName: 'Y' },
  }), 409);
  expectError(await api(ctx.url, 'POST', '/auth/register', {
    body: { email: u.email.toUpperCase(), password: 'another-pass', firstName: 'X', lastName: 'Y' },
  }), 409);
});

test('register: validation errors are 422 with the fields named', async () => {
  const base = { email: `v-${uniq()}@example.com`, password: 'longenough', firstName: 'A', lastName: 'B' };
  expectFieldError(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, email: 'not-an-email' } }), 'email');
  expectFieldError(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, password: 'short12' } }), 'password');
  expectFieldError(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, password: 'p'.repeat(129) } }), 'password');
  expectFieldError(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, firstName: undefined } }), 'firstName');
  expectFieldError(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, lastName: undefined } }), 'lastName');
  const both = expectError(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, email: 'bad', password: 'x' } }), 422);
  const fields = both.errors.map((e) => e.field);
  assert.ok(fields.includes('email') && fields.includes('password'), `both fields reported: ${fields}`);
  // boundaries that must pass
  expectOk(await api(ctx.url, 'POST', '/auth/register', { body: { ...base, password: 'p'.repeat(8) } }), 201);
  expectOk(await api(ctx.url, 'POST', '/auth/register', {
    body: { ...base, email: `v2-${uniq()}@example.com`, password: 'p'.repeat(128) },
  }), 201);
});

test('login: 200 with the same shape', async () => {
  const u = await registerUser(ctx.url);
  const res = await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } });
  const data = expectOk(res, 200);
  assertAuthShape(data, u.email);
  assert.equal(data.user.id, u.user.id);
  assert.notEqual(data.refreshToken, u.refreshToken);
});

test('login: wrong password and unknown email are both 401 with identical code and message', async () => {
  const u = await registerUser(ctx.url);
  const wrong = await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: 'wrong-password' } });
  const unknown = await api(ctx.url, 'POST', '/auth/login', {
    body: { email: `nobody-${uniq()}@example.com`, password: 'wrong-password' },
  });
  const a = expectError(wrong, 401);
  const b = expectError(unknown, 401);
  assert.equal(a.code, b.code);
  assert.equal(a.message, b.message);
});

test('login: malformed body is 422', async () => {
  expectFieldError(await api(ctx.url, 'POST', '/auth/login', { body: { password: 'whatever1' } }), 'email');
});

test('refresh: rotates; reusing the old token is 401 and revokes the whole family', async () => {
  const u = await registerUser(ctx.url);
  const other = expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } }));

  const r1 = await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } });
  const pair = expectOk(r1, 200);
  assert.equal(typeof pair.accessToken, 'string');
  assert.equal(typeof pair.refreshToken, 'string');
  assert.notEqual(pair.refreshToken, u.refreshToken, 'a new refresh token');
  expectOk(await api(ctx.url, 'GET', '/users/me', { token: pair.accessToken }));

  // reuse of the rotated token
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } }), 401);
  // ...revoked the new token of that family
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } }), 401);
  // another session (another family) of the same user still works
  expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: other.refreshToken } }));
});

test('refresh: a chain of rotations keeps working', async () => {
  const u = await registerUser(ctx.url);
  let token = u.refreshToken;
  for (let i = 0; i < 3; i++) {
    const pair = expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: token } }));
    token = pair.refreshToken;
  }
});

test('refresh: unknown token 401, missing token 422', async () => {
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } }), 401);
  expectFieldError(await api(ctx.url, 'POST', '/auth/refresh', { body: {} }), 'refreshToken');
});

test('refresh: an access token is not a refresh token', async () => {
  const u = await registerUser(ctx.url);
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.accessToken } }), 401);
});

test('logout {refreshToken}: 204, and that token no longer refreshes', async () => {
  const u = await registerUser(ctx.url);
  expectNoContent(await api(ctx.url, 'POST', '/auth/logout', {
    token: u.accessToken, body: { refreshToken: u.refreshToken },
  }));
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } }), 401);
});

test("logout with another user's refresh token does not revoke it", async () => {
  const a = await registerUser(ctx.url);
  const b = await registerUser(ctx.url);
  const res = await api(ctx.url, 'POST', '/auth/logout', { token: a.accessToken, body: { refreshToken: b.refreshToken } });
  assert.ok(res.status < 500, fmtRes(res));
  expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: b.refreshToken } }));
  // a's own session was not touched either
  expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: a.refreshToken } }));
});

test("logout with no body revokes all the caller's sessions", async () => {
  const u = await registerUser(ctx.url);
  const second = expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } }));
  const stranger = await registerUser(ctx.url);
  expectNoContent(await api(ctx.url, 'POST', '/auth/logout', { token: u.accessToken }));
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } }), 401);
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: second.refreshToken } }), 401);
  expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: stranger.refreshToken } }));
});

test('logout needs a bearer token', async () => {
  const u = await registerUser(ctx.url);
  expectError(await api(ctx.url, 'POST', '/auth/logout', { body: { refreshToken: u.refreshToken } }), 401);
  expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } }));
});

test('no token, garbage token and wrong scheme are 401', async () => {
  const u = await registerUser(ctx.url);
  expectError(await api(ctx.url, 'GET', '/users/me'), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', { token: 'garbage' }), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', { token: 'a.b.c' }), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', { headers: { Authorization: `Basic ${u.accessToken}` } }), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', { headers: { Authorization: 'Bearer' } }), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', { headers: { Authorization: `Bearer ${u.refreshToken}` } }), 401);
});

test('a token with alg "none" and a valid payload for a real user is 401', async () => {
  const u = await registerUser(ctx.url);
  const { payload } = decodeJwt(u.accessToken);
  const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
  expectError(await api(ctx.url, 'GET', '/users/me', { token: none }), 401);
  const noneNoDot = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}`;
  expectError(await api(ctx.url, 'GET', '/users/me', { token: noneNoDot }), 401);
  // "none" header with the genuine signature still must not pass
  const sig = u.accessToken.split('.')[2];
  expectError(await api(ctx.url, 'GET', '/users/me', { token: `${none}${sig}` }), 401);
});

test('a token signed HS256 with another secret is 401', async () => {
  const u = await registerUser(ctx.url);
  const { header, payload } = decodeJwt(u.accessToken);
  const forged = signJwt(header, payload, randomSecret(48));
  expectError(await api(ctx.url, 'GET', '/users/me', { token: forged }), 401);
});

test('a genuine token with a tampered payload is 401', async () => {
  const a = await registerUser(ctx.url);
  const b = await registerUser(ctx.url);
  const [h, , s] = a.accessToken.split('.');
  const { payload } = decodeJwt(a.accessToken);
  const tampered = `${h}.${b64url({ ...payload, sub: b.user.id })}.${s}`;
  expectError(await api(ctx.url, 'GET', '/users/me', { token: tampered }), 401);
});

test('control: a token signed with the server secret is accepted; expired or exp-less ones are not', async () => {
  const u = await registerUser(ctx.url);
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT' };
  const claims = { sub: u.user.id, email: u.email, role: 'user', iat: now };
  const good = signJwt(header, { ...claims, exp: now + 600 }, ctx.srv.secret);
  const me = expectOk(await api(ctx.url, 'GET', '/users/me', { token: good }));
  assert.equal(me.id, u.user.id);
  expectError(await api(ctx.url, 'GET', '/users/me', { token: signJwt(header, { ...claims, exp: now - 60 }, ctx.srv.secret) }), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', { token: signJwt(header, claims, ctx.srv.secret) }), 401);
  expectError(await api(ctx.url, 'GET', '/users/me', {
    token: signJwt({ alg: 'HS512', typ: 'JWT' }, { ...claims, exp: now + 600 }, ctx.srv.secret),
  }), 401);
});

serverEndChecks(ctx);
