// Rate limits behind a trusted proxy (TRUST_PROXY=127.0.0.1, the test client
// being the "proxy"): each forwarded client has its own auth budget, an IPv6
// client is counted by its /64, the metrics loopback check uses the same
// client address, and logins are limited per account beside per address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, expectError, expectOk, registerUser, uniq, fmtRes } from './lib/api.mjs';

const ctx = serverSuite({
  env: { TRUST_PROXY: '127.0.0.1, ::1', AUTH_RATE_LIMIT: '3', AUTH_ACCOUNT_RATE_LIMIT: '4' },
});

const login = (from, email, password = 'wrong-password') => api(ctx.url, 'POST', '/auth/login', {
  headers: { 'X-Forwarded-For': from }, body: { email, password },
});

/** Logs in (wrongly) from address `from` until 429; returns the number of 401s before it. */
async function attemptsUntilLimited(from, max = 10) {
  for (let i = 0; i < max; i++) {
    const res = await login(from, `nobody-${uniq()}@example.com`);
    if (res.status === 429) {
      expectError(res, 429, 'RATE_LIMITED');
      return i;
    }
    expectError(res, 401);
  }
  return max;
}

test('each client behind the trusted proxy has its own auth budget', async () => {
  assert.equal(await attemptsUntilLimited('198.51.100.1'), 3);
  // Another client of the same proxy is not affected.
  expectError(await login('198.51.100.2', `nobody-${uniq()}@example.com`), 401);
  // The proxy appends the peer it saw: the rightmost untrusted entry counts,
  // so a client cannot pick a fresh address by prepending one.
  const forged = await login('203.0.113.50, 198.51.100.1', `nobody-${uniq()}@example.com`);
  expectError(forged, 429);
});

test('an IPv6 client is counted by its /64', async () => {
  assert.equal(await attemptsUntilLimited('2001:db8:1:2::1'), 3);
  expectError(await login('2001:db8:1:2:ffff:ffff:ffff:fffe', `nobody-${uniq()}@example.com`), 429);
  expectError(await login('2001:db8:1:3::1', `nobody-${uniq()}@example.com`), 401);
});

test('the metrics loopback check uses the forwarded client address', async () => {
  const direct = await api(ctx.url, 'GET', '/metrics');
  assert.equal(direct.status, 200, fmtRes(direct));
  const forwarded = await api(ctx.url, 'GET', '/metrics', { headers: { 'X-Forwarded-For': '198.51.100.77' } });
  expectError(forwarded, 401);
  const loop = await api(ctx.url, 'GET', '/metrics', { headers: { 'X-Forwarded-For': '127.0.0.1' } });
  assert.equal(loop.status, 200, fmtRes(loop));
});

test('logins are limited per account too, whatever the address', async () => {
  const victim = await registerUser(ctx.url);
  const statuses = [];
  for (let i = 0; i < 6; i++) {
    const res = await login(`192.0.2.${10 + i}`, victim.email);
    statuses.push(res.status);
    if (res.status === 429) {
      expectError(res, 429, 'RATE_LIMITED');
      assert.ok(Number(res.headers.get('retry-after')) > 60, `a 15-minute window: ${res.headers.get('retry-after')}`);
      break;
    }
  }
  assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
  // Even the right password waits now; another account does not.
  expectError(await login('192.0.2.99', victim.email, victim.password), 429);
  const other = await registerUser(ctx.url);
  expectOk(await login('192.0.2.100', other.email, other.password));
});

serverEndChecks(ctx);
