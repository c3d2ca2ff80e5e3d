// Auth rate limit per address (AUTH_RATE_LIMIT=5 per minute): rapid logins
// turn into 429 with Retry-After; other routes are not throttled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, expectError, expectOk, uniq, fmtRes } from './lib/api.mjs';

const ctx = serverSuite({ env: { AUTH_RATE_LIMIT: '5' } });

test('rapid logins from one address are answered 429 with Retry-After', async () => {
  const seen = [];
  let limited = null;
  for (let i = 0; i < 15 && !limited; i++) {
    const res = await api(ctx.url, 'POST', '/auth/login', {
      body: { email: `nobody-${uniq()}@example.com`, password: 'wrong-password' },
    });
    seen.push(res.status);
    if (res.status === 429) limited = res;
    else expectError(res, 401);
  }
  assert.ok(limited, `no 429 within 15 logins (limit 5/min); statuses: ${seen}`);
  assert.ok(seen.length >= 2 && seen.length <= 7, `429 should come right after the limit of 5, statuses: ${seen}`);
  expectError(limited, 429);
  const retry = limited.headers.get('retry-after');
  assert.ok(retry !== null, `Retry-After header expected: ${fmtRes(limited)}`);
  assert.match(retry, /^\d+$/, 'Retry-After in seconds');
  assert.ok(Number(retry) >= 1 && Number(retry) <= 60, `Retry-After in 1..60, got ${retry}`);
});

test('register and refresh are throttled too while limited', async () => {
  expectError(await api(ctx.url, 'POST', '/auth/register', {
    body: { email: `x-${uniq()}@example.com`, password: 'longenough', firstName: 'A', lastName: 'B' },
  }), 429);
  expectError(await api(ctx.url, 'POST', '/auth/refresh', { body: { refreshToken: 'y'.repeat(43) } }), 429);
});

test('a forged X-Forwarded-For does not escape the limit', async () => {
  const res = await api(ctx.url, 'POST', '/auth/login', {
    headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.7' },
    body: { email: `nobody-${uniq()}@example.com`, password: 'wrong-password' },
  });
  expectError(res, 429);
});

test('non-auth routes are not throttled', async () => {
  for (let i = 0; i < 10; i++) expectOk(await api(ctx.url, 'GET', '/health'));
});

serverEndChecks(ctx);
