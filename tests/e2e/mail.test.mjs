// E-mail end to end: a real SMTP server (lib/smtp.mjs) receives what vibed
// sends. Each mail of the product arrives at the right recipient with the
// right content and headers; opted-out users get no notification mail; an
// SMTP server that is down or answers 4xx gets every queued mail once it is
// back; due-date reminders come once per task and due date.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, expectOk, expectNoContent, registerUser, createWorkspace, invite, addMember, createProject,
  createTask, createComment, createChannel, postMessage, uniq,
} from './lib/api.mjs';
import { startServer, waitFor, assertNoServerErrors } from './lib/server.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

const PUBLIC_URL = 'http://vibed.test:8080';
let sink;
let srv;
let url;

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({
    name: 'mail',
    env: {
      SMTP_URL: sink.url,
      MAIL_FROM: 'Vibed Team <team@vibed.test>',
      PUBLIC_URL,
      JOBS_INTERVAL_MS: '150',
      MAIL_RETRY_BASE_MS: '100',
      MAIL_MAX_ATTEMPTS: '1000',
    },
  });
  url = srv.url;
});

after(async () => {
  if (srv && !srv.stopped) await srv.kill();
  if (sink) await sink.stop();
});

const handleOf = (email) => email.split('@')[0];

/** A workspace of alice with bob as a member, and a project. */
async function team() {
  const alice = await registerUser(url, { firstName: 'Alice' });
  const bob = await registerUser(url, { firstName: 'Bob' });
  const ws = await createWorkspace(url, alice.accessToken);
  await addMember(url, alice.accessToken, ws.id, bob);
  const project = await createProject(url, alice.accessToken, ws.id);
  return { alice, bob, ws, project };
}

/** Sends a marker mail (a welcome) and waits for it: every mail queued before
 * it has been delivered (the outbox is sent in order). */
async function drain() {
  const u = await registerUser(url, { firstName: 'Marker' });
  await sink.waitFor((m) => m.to === u.email, { what: `marker mail to ${u.email}` });
}

test('welcome mail on register: recipient, MIME structure, headers, encoded UTF-8 subject, links', async () => {
  const u = await registerUser(url, { firstName: 'Zoë', lastName: 'Ünal' });
  assert.equal(u.user.emailNotifications, true, 'emailNotifications in the user JSON');
  const m = await sink.waitFor((x) => x.to === u.email, { what: 'welcome mail' });
  assert.equal(m.subject, 'Welcome to vibed, Zoë');
  assert.match(m.raw, /^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=/m, 'RFC 2047 encoded subject');
  assert.match(m.raw, /^MIME-Version: 1\.0\r$/m);
  assert.match(m.raw, /^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000\r$/m);
  assert.match(m.raw, /^Content-Type: multipart\/alternative; boundary=/m);
  assert.match(m.messageId, /^<[0-9a-z]+@vibed\.test>$/);
  assert.equal(m.envelopeFrom, 'team@vibed.test');
  assert.equal(m.parsed.from.value[0].address, 'team@vibed.test');
  assert.equal(m.parsed.from.value[0].name, 'Vibed Team');
  assert.equal(m.parsed.to.value[0].address, u.email);
  assert.equal(m.parsed.to.value[0].name, 'Zoë Ünal');
  assert.match(m.text, /Hi Zoë,/);
  assert.ok(m.text.includes(`${PUBLIC_URL}/`), 'link from PUBLIC_URL in the text part');
  assert.ok(m.html.includes(`href="${PUBLIC_URL}/"`), 'link from PUBLIC_URL in the HTML part');
  console.log(`welcome mail as received:\n${m.raw.split('\r\n\r\n')[0]}`);
});

test('workspace invitation: a mail to the invited address, registered or not, naming the workspace and the inviter', async () => {
  const alice = await registerUser(url, { firstName: 'Alice' });
  const ws = await createWorkspace(url, alice.accessToken, { name: `Invite ${uniq(4)}` });
  const bob = await registerUser(url, { firstName: 'Bob' });
  const stranger = `nobody-${uniq(8)}@example.com`;
  await invite(url, alice.accessToken, ws.id, bob.email, 'admin');
  await invite(url, alice.accessToken, ws.id, stranger);
  for (const to of [bob.email, stranger]) {
    const m = await sink.waitFor((x) => x.to === to && /invited you/.test(x.subject), { what: `invitation mail to ${to}` });
    assert.ok(m.subject.includes(ws.name), `workspace named in the subject: ${m.subject}`);
    assert.ok(m.subject.startsWith('Alice'), `inviter named in the subject: ${m.subject}`);
    assert.ok(m.text.includes(`${PUBLIC_URL}/`), `link to the app: ${m.text}`);
  }
  assert.ok(sink.to(bob.email).find((x) => /invited you/.test(x.subject)).text.includes('as admin'));
});

test('task assigned: the assignee gets a mail with a link to the task; the assigner none', async () => {
  const { alice, bob, ws, project } = await team();
  const task = await createTask(url, alice.accessToken, project.id, {
    title: 'Ship <the> "release"', assigneeIds: [bob.user.id, alice.user.id],
  });
  const m = await sink.waitFor((x) => x.to === bob.email && /assigned/.test(x.subject), { what: 'assignment mail' });
  assert.equal(m.subject, `You were assigned to ${task.key}: Ship <the> "release"`);
  const link = `${PUBLIC_URL}/w/${ws.id}/board/${project.id}?task=${task.id}`;
  assert.ok(m.text.includes(link), `task link in the text: ${m.text}`);
  assert.ok(m.html.includes('Ship &lt;the&gt; &quot;release&quot;'), 'title escaped in HTML');
  assert.ok(!m.html.includes('<the>'), 'no raw markup from the title');
  await drain();
  assert.equal(sink.to(alice.email).filter((x) => /assigned/.test(x.subject)).length, 0);
  console.log(`assignment mail: To ${m.to}, Subject "${m.subject}", link ${link}`);
});

test('@mentions in a comment and in a chat message are mailed to the mentioned member', async () => {
  const { alice, bob, ws, project } = await team();
  const task = await createTask(url, alice.accessToken, project.id);
  await createComment(url, alice.accessToken, task.id, { body: `Please look @${handleOf(bob.email)}` });
  const m1 = await sink.waitFor((x) => x.to === bob.email && /mentioned you on/.test(x.subject), { what: 'comment mention mail' });
  assert.ok(m1.subject.includes(task.key));
  assert.ok(m1.text.includes(`${PUBLIC_URL}/w/${ws.id}/board/${project.id}?task=${task.id}`));

  const ch = await createChannel(url, alice.accessToken, ws.id, { name: `c-${uniq(5).toLowerCase()}`, type: 'public' });
  await postMessage(url, alice.accessToken, ch.id, `hey @${handleOf(bob.email)} ☕`);
  const m2 = await sink.waitFor((x) => x.to === bob.email && /mentioned you in/.test(x.subject), { what: 'chat mention mail' });
  assert.ok(m2.text.includes(`${PUBLIC_URL}/w/${ws.id}/chat/${ch.id}`), m2.text);
  console.log(`mention mails: "${m1.subject}", "${m2.subject}"`);
});

test('a user with emailNotifications:false gets no notification mail (the in-app one stays)', async () => {
  const { alice, bob, project } = await team();
  const me = expectOk(await api(url, 'PATCH', '/users/me', { token: bob.accessToken, body: { emailNotifications: false } }));
  assert.equal(me.emailNotifications, false);
  const task = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id] });
  await drain();
  assert.equal(sink.to(bob.email).filter((x) => /assigned/.test(x.subject)).length, 0, 'no assignment mail');
  const notes = expectOk(await api(url, 'GET', '/notifications', { token: bob.accessToken }));
  const list = Array.isArray(notes) ? notes : notes.data || notes;
  assert.ok(JSON.stringify(list).includes(task.id), 'the in-app notification is still there');
  // A password reset mail always goes.
  assert.equal((await api(url, 'POST', '/auth/forgot-password', { body: { email: bob.email } })).status, 202);
  await sink.waitFor((x) => x.to === bob.email && /Reset your vibed password/.test(x.subject), { what: 'reset mail to an opted-out user' });
  // Back on: mails again.
  expectOk(await api(url, 'PATCH', '/users/me', { token: bob.accessToken, body: { emailNotifications: true } }));
  const t2 = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id] });
  await sink.waitFor((x) => x.to === bob.email && x.subject.includes(t2.key), { what: 'assignment mail after opting in' });
});

test('emailNotifications must be a boolean', async () => {
  const u = await registerUser(url);
  const res = await api(url, 'PATCH', '/users/me', { token: u.accessToken, body: { emailNotifications: 'no' } });
  assert.equal(res.status, 422);
});

test('due-date reminders: one per task and due date, overdue included, to the assignees', async () => {
  const { alice, bob, project } = await team();
  const soon = new Date(Date.now() + 3600 * 1000).toISOString();
  const a = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id], dueDate: soon });
  const ma = await sink.waitFor((x) => x.to === bob.email && x.subject.startsWith(`${a.key}:`), { what: 'reminder of a' });
  assert.match(ma.subject, /is due soon$/);
  // Later runs of the job (each one reminds every due task) must not remind a again.
  const b = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id], dueDate: '2020-01-01' });
  const mb = await sink.waitFor((x) => x.to === bob.email && x.subject.startsWith(`${b.key}:`), { what: 'reminder of b' });
  assert.match(mb.subject, /is overdue$/);
  const c = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id], dueDate: soon });
  await sink.waitFor((x) => x.to === bob.email && x.subject.startsWith(`${c.key}:`), { what: 'reminder of c' });
  // Not due within the lead (24 h): no reminder; a done task: none either.
  const far = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id], dueDate: '2099-01-01' });
  const done = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id], dueDate: '2020-01-01', status: 'done' });
  const d = await createTask(url, alice.accessToken, project.id, { assigneeIds: [bob.user.id], dueDate: soon });
  await sink.waitFor((x) => x.to === bob.email && x.subject.startsWith(`${d.key}:`), { what: 'reminder of d' });
  const about = (t) => sink.to(bob.email).filter((x) => x.subject.startsWith(`${t.key}:`) && /is (due soon|overdue)$/.test(x.subject));
  assert.equal(about(a).length, 1, 'exactly one reminder of a');
  assert.equal(about(b).length, 1, 'exactly one reminder of b');
  assert.equal(about(far).length, 0, 'no reminder of a task due in 2099');
  assert.equal(about(done).length, 0, 'no reminder of a done task');
  assert.equal(sink.to(alice.email).filter((x) => /is (due soon|overdue)$/.test(x.subject)).length, 0, 'only assignees');
  assert.ok(ma.text.includes(`?task=${a.id}`));
  const notes = JSON.stringify(expectOk(await api(url, 'GET', '/notifications?limit=100', { token: bob.accessToken })));
  assert.equal(notes.split('"task_due"').length - 1, 4, 'one task_due notification per reminded task');
  // A new due date is a new reminder.
  const later = new Date(Date.now() + 7200 * 1000).toISOString();
  expectOk(await api(url, 'PATCH', `/tasks/${a.id}`, { token: alice.accessToken, body: { dueDate: later } }));
  await waitFor(() => about(a).length === 2, { timeoutMs: 15000, what: 'reminder of the new due date' });
});

test('SMTP down for a while, then 4xx answers: every queued mail arrives exactly once', async () => {
  await sink.stop();
  const mark = srv.logs.length;
  const users = [];
  for (let i = 0; i < 4; i++) users.push(await registerUser(url, { firstName: `Down${i}` }));
  // Wait until the sender has failed to connect and scheduled retries.
  await waitFor(() => srv.logs.slice(mark).filter((l) => l.msg === 'mail retry scheduled').length >= 4,
    { timeoutMs: 15000, what: 'retries while the SMTP server is down' });
  const sessionsBefore = sink.sessions;
  await sink.start();
  for (const u of users) await sink.waitFor((x) => x.to === u.email, { what: `queued mail to ${u.email}` });
  assert.ok(sink.sessions > sessionsBefore);

  sink.failNext(2, 451);
  const v = await registerUser(url, { firstName: 'Greylisted' });
  await sink.waitFor((x) => x.to === v.email, { what: 'mail after two 451 answers' });
  assert.ok(srv.logs.some((l) => l.msg === 'mail retry scheduled' && /451/.test(l.reason || '')), 'the 451 was logged as a retry');
  await drain();
  for (const u of [...users, v]) assert.equal(sink.to(u.email).length, 1, `exactly one mail to ${u.email}`);
});

test('a 5xx answer is given up at once, with the reason logged', async () => {
  sink.failNext(1, 550);
  const u = await registerUser(url, { firstName: 'Refused' });
  const line = await waitFor(() => srv.logs.find((l) => l.msg === 'mail given up' && /550/.test(l.reason || '')),
    { timeoutMs: 15000, what: 'the give-up log line' });
  assert.equal(line.template, 'welcome');
  await drain();
  assert.equal(sink.to(u.email).length, 0);
});

test('no server errors; clean exit (and a summary of one mail of each kind as received)', async () => {
  const kinds = [
    ['welcome', /^Welcome to vibed/], ['task assigned', /^You were assigned/],
    ['mentioned (comment)', /mentioned you on/], ['mentioned (chat)', /mentioned you in/],
    ['due soon', /is due soon$/], ['overdue', /is overdue$/], ['password reset', /^Reset your vibed password$/],
  ];
  for (const [kind, re] of kinds) {
    const m = sink.mails.find((x) => re.test(x.subject));
    assert.ok(m, `a ${kind} mail was received`);
    const link = (m.text.match(/https?:\/\/\S+/) || [''])[0].replace(/token=[\w-]+/, 'token=…');
    console.log(`${kind}: To ${m.to} | Subject "${m.subject}" | Message-ID ${m.messageId} | parts ${m.text ? 'text' : ''}+${m.html ? 'html' : ''} | ${link}`);
  }
  await srv.stop();
  assertNoServerErrors(srv.logs);
});
