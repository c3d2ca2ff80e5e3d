// Notifications are pushed over the chat connection the moment they are
// committed (notification:new {notification, unreadCount}; after reads
// notification:unread {unreadCount}); one @mention in a comment is one
// notification; the creator of a new workspace is online there at once.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, registerUser, createWorkspace, createProject, createTask, invite, addMember, PREFIX,
} from './lib/api.mjs';
import { connect, closeAll, once, summary } from './lib/chat.mjs';

const ctx = serverSuite();
afterEach(() => closeAll());

let ann; let mia; let ws; let proj; let task;
const handle = (u) => u.email.split('@')[0];

test('setup', async () => {
  ann = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Author' });
  mia = await registerUser(ctx.url, { firstName: 'Mia', lastName: 'Mentioned' });
  ws = await createWorkspace(ctx.url, ann.accessToken, { name: 'Push WS' });
  await addMember(ctx.url, ann.accessToken, ws.id, mia);
  proj = await createProject(ctx.url, ann.accessToken, ws.id, { key: 'PSH' });
  task = await createTask(ctx.url, ann.accessToken, proj.id, { title: 'Pushed', assigneeIds: [mia.user.id] });
});

test('a mention reaches the mentioned user as notification:new within 1 s, with the unread count', async () => {
  const m = await connect(ctx.url, mia.accessToken);
  const before = expectOk(await api(ctx.url, 'GET', '/notifications/unread-count', { token: mia.accessToken })).count;
  const waiting = once(m, 'notification:new', { timeoutMs: 1000, what: 'within 1 s of the comment' });
  const t0 = Date.now();
  expectOk(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, {
    token: ann.accessToken, body: { body: `please look @${handle(mia)}` },
  }), 201);
  const ev = await waiting;
  assert.ok(Date.now() - t0 < 1000, 'arrived within 1 s');
  assert.equal(ev.notification.type, 'mentioned', JSON.stringify(ev));
  assert.equal(ev.notification.userId, mia.user.id);
  assert.equal(ev.notification.data.taskId, task.id);
  assert.equal(ev.unreadCount, before + 1, 'the unread count comes with it');
});

test('one @mention of an assignee in a comment makes one notification, not two', async () => {
  const list = expectOk(await api(ctx.url, 'GET', '/notifications?limit=100', { token: mia.accessToken }));
  const forComment = list.filter((n) => n.data && n.data.taskId === task.id && n.type !== 'task_assigned');
  assert.equal(forComment.length, 1, `one: ${forComment.map((n) => n.type)}`);
  assert.equal(forComment[0].type, 'mentioned');
});

test('marking read pushes notification:unread to every socket of the user', async () => {
  const a = await connect(ctx.url, mia.accessToken);
  const b = await connect(ctx.url, mia.accessToken);
  const wa = once(a, 'notification:unread', { timeoutMs: 2000 });
  const wb = once(b, 'notification:unread', { timeoutMs: 2000 });
  expectOk(await api(ctx.url, 'POST', '/notifications/read-all', { token: mia.accessToken }));
  assert.deepEqual(await wa, { unreadCount: 0 });
  assert.deepEqual(await wb, { unreadCount: 0 });
});

test('notifications go to their user only', async () => {
  const annSock = await connect(ctx.url, ann.accessToken);
  const miaSock = await connect(ctx.url, mia.accessToken);
  const got = once(miaSock, 'notification:new', { timeoutMs: 2000 });
  expectOk(await api(ctx.url, 'POST', `/tasks/${task.id}/comments`, {
    token: ann.accessToken, body: { body: 'a plain comment' },
  }), 201);
  const ev = await got;
  assert.equal(ev.notification.type, 'comment_added');
  // ann's own action does not notify her; her socket heard nothing for mia.
  assert.equal(annSock.received.filter((r) => r.event === 'notification:new').length, 0, summary(annSock));
});

test('an invitation reaches a connected user as notification:new (the app adds the workspace without a reload)', async () => {
  const nia = await registerUser(ctx.url, { firstName: 'Nia', lastName: 'New' });
  const s = await connect(ctx.url, nia.accessToken);
  const got = once(s, 'notification:new', { timeoutMs: 2000 });
  await invite(ctx.url, ann.accessToken, ws.id, nia.email);
  const ev = await got;
  assert.equal(ev.notification.type, 'workspace_invite');
  assert.equal(ev.notification.workspaceId, ws.id);
});

/** The first stats:update of a workspace stats stream (SSE). */
function firstStats(wid, token) {
  return new Promise((resolve, reject) => {
    const req = http.get({
      host: '127.0.0.1', port: ctx.srv.port, path: `${PREFIX}/workspaces/${wid}/stats/live`,
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` }, agent: false,
    }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        const m = /event: stats:update\ndata: (.*)\n/.exec(buf);
        if (m) {
          req.destroy();
          resolve(JSON.parse(m[1]));
        }
      });
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? null : reject(e)));
    setTimeout(() => { req.destroy(); reject(new Error(`no stats:update: ${wid}`)); }, 5000);
  });
}

test('the creator of a new workspace, connected, is online there at once (no reconnect)', async () => {
  const cara = await registerUser(ctx.url, { firstName: 'Cara', lastName: 'Creator' });
  await connect(ctx.url, cara.accessToken);
  const w = await createWorkspace(ctx.url, cara.accessToken, { name: 'Fresh WS' });
  const stats = await firstStats(w.id, cara.accessToken);
  assert.deepEqual(stats.onlineUserIds, [cara.user.id], JSON.stringify(stats));
  // And a member invited later sees her online through the chat.
  const dan = await registerUser(ctx.url, { firstName: 'Dan', lastName: 'Later' });
  await addMember(ctx.url, cara.accessToken, w.id, dan);
  const d = await connect(ctx.url, dan.accessToken);
  assert.ok(d.welcome, 'dan connected');
  const st2 = await firstStats(w.id, dan.accessToken);
  assert.ok(st2.onlineUserIds.includes(cara.user.id), JSON.stringify(st2));
});

serverEndChecks(ctx);
