// Two instances on one database (SQLite in WAL mode, shared by two
// processes) both run a mail sender and a scheduler: when the SMTP server
// comes back after being down, both race to claim the same queued mails, and
// each mail still arrives exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerUser } from './lib/api.mjs';
import { startServer, waitFor, randomSecret, assertNoServerErrors } from './lib/server.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'vibed-mail-cluster-'));
const secret = randomSecret(48);
let sink;
const servers = [];

function start(name) {
  return startServer({
    name,
    dir,
    secret,
    env: { SMTP_URL: sink.url, JOBS_INTERVAL_MS: '100', MAIL_RETRY_BASE_MS: '50', MAIL_MAX_ATTEMPTS: '1000' },
  });
}

before(async () => {
  sink = await startSmtpSink();
  servers.push(await start('mail-cluster-a'));
  servers.push(await start('mail-cluster-b'));
});

after(async () => {
  for (const s of servers) if (!s.stopped) await s.kill();
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('two senders on one outbox: every mail exactly once', async () => {
  const [a, b] = servers;
  await sink.stop();
  const users = [];
  for (let i = 0; i < 12; i++) users.push(await registerUser((i % 2 ? b : a).url, { firstName: `Node${i}` }));
  // Both instances have tried and scheduled retries.
  for (const s of servers) {
    await waitFor(() => s.logs.some((l) => l.msg === 'mail retry scheduled'),
      { timeoutMs: 15000, what: `${s.url} to retry` });
  }
  await sink.start();
  for (const u of users) await sink.waitFor((m) => m.to === u.email, { what: `mail to ${u.email}` });
  // Marker mails from both instances: everything before them is out.
  for (const s of servers) {
    const m = await registerUser(s.url, { firstName: 'Marker' });
    await sink.waitFor((x) => x.to === m.email, { what: 'marker' });
  }
  for (const u of users) assert.equal(sink.to(u.email).length, 1, `exactly one mail to ${u.email}`);
  const ids = sink.mails.map((m) => m.messageId);
  assert.equal(new Set(ids).size, ids.length, 'no Message-ID twice');
  // The sink keeps a mail before its reply reaches the sender, which logs it after.
  const sentBy = () => servers.map((s) => s.logs.filter((l) => l.msg === 'mail sent').length);
  await waitFor(() => sentBy()[0] + sentBy()[1] >= sink.mails.length, { what: 'the senders to log every mail' });
  const sent = sentBy();
  console.log(`mails sent per instance: ${sent.join(' + ')} = ${sent[0] + sent[1]} (received ${sink.mails.length})`);
  assert.equal(sent[0] + sent[1], sink.mails.length, 'every received mail was sent by exactly one instance');
  for (const s of servers) {
    await s.stop();
    assertNoServerErrors(s.logs);
  }
});
