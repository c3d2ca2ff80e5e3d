// Password reset end to end: forgot-password mails a single-use link (no
// enumeration), reset-password sets the password and ends every session,
// a used or expired token is refused with 400 INVALID_RESET_TOKEN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectOk, expectError, expectNoContent, registerUser, seenSecrets } from './lib/api.mjs';
import { startServer, assertNoServerErrors, assertNoSecretsLogged } from './lib/server.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

const PUBLIC_URL = 'https://tasks.example.org';
const TTL_MS = 2500;
let sink;
let srv;
let url;

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({
    name: 'password-reset',
    env: { SMTP_URL: sink.url, PUBLIC_URL, RESET_TOKEN_TTL_MS: String(TTL_MS), JOBS_INTERVAL_MS: '200' },
  });
  url = srv.url;
});

after(async () => {
  if (srv && !srv.stopped) await srv.kill();
  if (sink) await sink.stop();
});

/** Asks for a reset of email and returns the token from the mailed link. */
async function requestToken(email) {
  const before = sink.to(email).length;
  const res = await api(url, 'POST', '/auth/forgot-password', { body: { email } });
  assert.equal(res.status, 202);
  const m = await sink.waitFor((x) => x.to === email.toLowerCase() && sink.to(email).indexOf(x) >= before
    && x.subject === 'Reset your vibed password', { what: `reset mail to ${email}` });
  const link = m.text.match(/(https:\/\/tasks\.example\.org\/reset-password\?token=[A-Za-z0-9_-]+)/);
  assert.ok(link, `reset link built from PUBLIC_URL in: ${m.text}`);
  assert.ok(m.html.includes(link[1]), 'the same link in the HTML part');
  const token = new URL(link[1]).searchParams.get('token');
  seenSecrets.add(token);
  return token;
}

test('full flow: mail, new password, every session revoked, the token is single-use', async () => {
  const u = await registerUser(url);
  const other = await api(url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } });
  const otherRefresh = expectOk(other).refreshToken;
  const token = await requestToken(u.email.toUpperCase()); // the address is matched without case
  const newPassword = 'A brand new password 1';
  seenSecrets.add(newPassword);
  expectNoContent(await api(url, 'POST', '/auth/reset-password', { body: { token, password: newPassword } }));

  expectError(await api(url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } }), 401, 'INVALID_CREDENTIALS');
  expectOk(await api(url, 'POST', '/auth/login', { body: { email: u.email, password: newPassword } }));
  for (const rt of [u.refreshToken, otherRefresh]) {
    const r = await api(url, 'POST', '/auth/refresh', { body: { refreshToken: rt } });
    assert.equal(r.status, 401, 'every refresh token of the user is revoked');
  }
  // Reuse: refused, and the password stays.
  expectError(await api(url, 'POST', '/auth/reset-password', { body: { token, password: 'Another password 2' } }), 400, 'INVALID_RESET_TOKEN');
  expectOk(await api(url, 'POST', '/auth/login', { body: { email: u.email, password: newPassword } }));
});

test('a newer reset uses up the older links of the same user', async () => {
  const u = await registerUser(url);
  const t1 = await requestToken(u.email);
  const t2 = await requestToken(u.email);
  expectNoContent(await api(url, 'POST', '/auth/reset-password', { body: { token: t2, password: 'Second password 22' } }));
  expectError(await api(url, 'POST', '/auth/reset-password', { body: { token: t1, password: 'First password 11' } }), 400, 'INVALID_RESET_TOKEN');
});

test('an expired token is refused (RESET_TOKEN_TTL_MS)', async () => {
  const u = await registerUser(url);
  const t0 = Date.now();
  const token = await requestToken(u.email);
  // Wait out the lifetime on the clock (not for an event: expiry is time itself).
  const left = t0 + TTL_MS + 50 - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  expectError(await api(url, 'POST', '/auth/reset-password', { body: { token, password: 'Too late password' } }), 400, 'INVALID_RESET_TOKEN');
  expectOk(await api(url, 'POST', '/auth/login', { body: { email: u.email, password: u.password } }));
});

test('unknown address: the same 202 answer and no mail; bad tokens and bodies', async () => {
  const u = await registerUser(url);
  const known = await api(url, 'POST', '/auth/forgot-password', { body: { email: u.email } });
  const unknown = await api(url, 'POST', '/auth/forgot-password', { body: { email: `nobody-${Date.now()}@example.com` } });
  assert.equal(known.status, 202);
  assert.equal(unknown.status, 202);
  assert.ok(known.json && known.json.success, 'a JSON envelope');
  assert.deepEqual(unknown.json, known.json, 'the same body either way');
  await sink.waitFor((x) => x.to === u.email && x.subject === 'Reset your vibed password');
  assert.equal(sink.mails.filter((x) => x.to.startsWith('nobody-')).length, 0, 'no mail to an unknown address');

  expectError(await api(url, 'POST', '/auth/reset-password', { body: { token: 'not-a-token', password: 'Whatever pass 1' } }), 400, 'INVALID_RESET_TOKEN');
  assert.equal((await api(url, 'POST', '/auth/reset-password', { body: { token: 'x', password: 'short' } })).status, 422);
  assert.equal((await api(url, 'POST', '/auth/reset-password', { body: { password: 'Whatever pass 1' } })).status, 422);
  assert.equal((await api(url, 'POST', '/auth/forgot-password', { body: {} })).status, 422);
});

test('timing: an unknown address answers about as fast as a known one', async () => {
  const u = await registerUser(url);
  const time = async (email) => {
    const t = process.hrtime.bigint();
    await api(url, 'POST', '/auth/forgot-password', { body: { email } });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const k = [];
  const n = [];
  for (let i = 0; i < 8; i++) {
    k.push(await time(u.email));
    n.push(await time(`nobody-${i}-${Date.now()}@example.com`));
  }
  const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  console.log(`forgot-password median of 8: known ${med(k).toFixed(1)} ms, unknown ${med(n).toFixed(1)} ms`);
  // Loose bound (a busy box has jitter): a known address costs no visible extra time.
  assert.ok(med(k) < med(n) + 25, `known ${med(k)} ms vs unknown ${med(n)} ms`);
});

test('forgot-password and reset-password are rate limited like the other auth routes', async () => {
  const limited = await startServer({ name: 'password-reset-limit', env: { AUTH_RATE_LIMIT: '3' } });
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await api(limited.url, 'POST', '/auth/forgot-password', { body: { email: `x${i}@example.com` } })).status);
    }
    assert.deepEqual(statuses, [202, 202, 202]);
    const r1 = await api(limited.url, 'POST', '/auth/forgot-password', { body: { email: 'y@example.com' } });
    assert.equal(r1.status, 429);
    assert.ok(r1.headers.get('retry-after'), 'Retry-After');
    const r2 = await api(limited.url, 'POST', '/auth/reset-password', { body: { token: 't', password: 'Whatever pass 1' } });
    assert.equal(r2.status, 429);
    await limited.stop();
  } finally {
    await limited.kill();
  }
});

test('no server errors, no token or password in the logs; clean exit', async () => {
  await srv.stop();
  assertNoServerErrors(srv.logs);
  assertNoSecretsLogged(srv.logs, seenSecrets);
});
