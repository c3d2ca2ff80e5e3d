// The outbox across a SIGKILL: mails queued (or in the middle of their SMTP
// transaction) when the server dies are delivered after a restart on the same
// database, each exactly once; a mail whose end of DATA already went out is
// never sent again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerUser } from './lib/api.mjs';
import { startServer, waitFor, randomSecret, assertNoServerErrors } from './lib/server.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'vibed-mail-restart-'));
const secret = randomSecret(48);
let sink;
let srv;

function start(name) {
  return startServer({
    name,
    dir,
    secret,
    env: {
      SMTP_URL: sink.url,
      JOBS_INTERVAL_MS: '150',
      MAIL_RETRY_BASE_MS: '100',
      MAIL_MAX_ATTEMPTS: '1000',
      MAIL_LEASE_MS: '1000',
    },
  });
}

before(async () => {
  sink = await startSmtpSink();
});

after(async () => {
  if (srv && !srv.stopped) await srv.kill();
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function drain() {
  const u = await registerUser(srv.url, { firstName: 'Marker' });
  await sink.waitFor((m) => m.to === u.email, { what: 'marker mail' });
}

test('SIGKILL while mails wait for a down SMTP server: after the restart each arrives once', async () => {
  srv = await start('mail-restart-1');
  await sink.stop();
  const users = [];
  for (let i = 0; i < 5; i++) users.push(await registerUser(srv.url, { firstName: `Queued${i}` }));
  await waitFor(() => srv.logs.filter((l) => l.msg === 'mail retry scheduled').length >= 5,
    { timeoutMs: 15000, what: 'the mails to be queued for retry' });
  await srv.kill(); // SIGKILL
  await sink.start();
  srv = await start('mail-restart-2');
  for (const u of users) await sink.waitFor((m) => m.to === u.email, { what: `mail to ${u.email}` });
  await drain();
  for (const u of users) assert.equal(sink.to(u.email).length, 1, `exactly one mail to ${u.email}`);
  await srv.stop();
});

test('SIGKILL in the middle of an SMTP transaction (before DATA): sent once after the restart', async () => {
  srv = await start('mail-restart-3');
  const h = sink.holdRcpt();
  const u = await registerUser(srv.url, { firstName: 'Midway' });
  await h.held; // the server is in its SMTP transaction for u's mail
  await srv.kill();
  h.release();
  assert.equal(sink.to(u.email).length, 0, 'nothing delivered by the killed server');
  srv = await start('mail-restart-4');
  // The claim of the dead server expires (MAIL_LEASE_MS), then the mail goes.
  await sink.waitFor((m) => m.to === u.email, { what: 'the interrupted mail' });
  await drain();
  assert.equal(sink.to(u.email).length, 1);
  await srv.stop();
});

test('SIGKILL after the end of DATA, before the reply: never sent a second time', async () => {
  srv = await start('mail-restart-5');
  const d = sink.holdData();
  const u = await registerUser(srv.url, { firstName: 'Committed' });
  await d.held; // the whole message reached the SMTP server
  await srv.kill();
  d.release();
  srv = await start('mail-restart-6');
  const line = await waitFor(() => srv.logs.find((l) => /given up: interrupted after the end of DATA/.test(l.msg || '')),
    { timeoutMs: 15000, what: 'the log line of the abandoned mail' });
  assert.ok(line.msg.includes(u.email));
  await drain();
  assert.equal(sink.to(u.email).length, 1, 'the mail the SMTP server had is not sent again');
  await srv.stop();
  assertNoServerErrors(srv.logs);
});
