// POST /users/me/password: the current password is required (422 naming it
// when wrong); the new one works for the next login and the old one no longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, expectError, expectNoContent, expectOk, registerUser } from './lib/api.mjs';

const ctx = serverSuite();

test('change the password: wrong current one refused, then the new one signs in', async () => {
  const u = await registerUser(ctx.url);
  const wrong = await api(ctx.url, 'POST', '/users/me/password', {
    token: u.accessToken, body: { currentPassword: 'not-my-password', newPassword: 'Brand-new-pass-1' },
  });
  expectError(wrong, 422, 'VALIDATION_ERROR');
  assert.ok(wrong.json.errors.some((e) => e.field === 'currentPassword'), JSON.stringify(wrong.json));
  const short = await api(ctx.url, 'POST', '/users/me/password', {
    token: u.accessToken, body: { currentPassword: u.password, newPassword: 'short' },
  });
  expectError(short, 422, 'VALIDATION_ERROR');
  expectNoContent(await api(ctx.url, 'POST', '/users/me/password', {
    token: u.accessToken, body: { currentPassword: u.password, newPassword: 'Brand-new-pass-1' },
  }));
  expectError(await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } }), 401, 'INVALID_CREDENTIALS');
  expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: u.email, password: 'Brand-new-pass-1' } }));
  expectError(await api(ctx.url, 'POST', '/users/me/password', { body: { currentPassword: 'x', newPassword: 'Brand-new-pass-2' } }), 401);
});

serverEndChecks(ctx);
