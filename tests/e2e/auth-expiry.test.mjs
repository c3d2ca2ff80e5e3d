// Access tokens expire (ACCESS_TOKEN_TTL=1): an expired token is 401 and the
// refresh token still gets a new pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { waitFor } from './lib/server.mjs';
import { api, expectOk, expectError, registerUser, decodeJwt } from './lib/api.mjs';

const ctx = serverSuite({ env: { ACCESS_TOKEN_TTL: '1' } });

test('the access token carries exp = iat + 1 s', async () => {
  const u = await registerUser(ctx.url);
  const { payload } = decodeJwt(u.accessToken);
  assert.equal(typeof payload.exp, 'number');
  assert.ok(payload.exp - (payload.iat ?? payload.exp - 1) <= 1, `exp - iat <= 1: ${JSON.stringify(payload)}`);
});

test('an expired access token is 401; refresh still works', async () => {
  const u = await registerUser(ctx.url);
  // A 1 s token may already be past its second by the time it is used:
  // log in again until one is seen accepted, so the test knows it was valid.
  let token = u.accessToken;
  let accepted = false;
  for (let i = 0; i < 5 && !accepted; i++) {
    const res = await api(ctx.url, 'GET', '/users/me', { token });
    if (res.status === 200) accepted = true;
    else {
      expectError(res, 401);
      token = expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } })).accessToken;
    }
  }
  assert.ok(accepted, 'a fresh 1 s token was never accepted');

  const expired = await waitFor(async () => {
    const res = await api(ctx.url, 'GET', '/users/me', { token });
    if (res.status === 401) return res;
    expectOk(res);
    return null;
  }, { timeoutMs: 10000, intervalMs: 100, what: 'the access token to expire' });
  expectError(expired, 401);

  const pair = expectOk(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } }));
  assert.notEqual(pair.accessToken, token);
  assert.equal(decodeJwt(pair.accessToken).payload.sub, u.user.id);
});

serverEndChecks(ctx);
