// Crash safety: the server is SIGKILLed in the middle of a flood of chat sends
// (acknowledged over Socket.IO) and REST writes (task creates); restarted on
// the same database, it has every message and task it acknowledged. An
// acknowledgement is only sent once the write is committed (WAL), so nothing
// acknowledged may be lost to a crash of the process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, waitFor } from './lib/server.mjs';
import { api, expectOk, registerUser, createWorkspace, createProject, createChannel, addMember } from './lib/api.mjs';
import { connect, closeAll, emitAck, messageIdOf } from './lib/chat.mjs';

// Rate limits off: the flood is the point here.
const ENV = { WRITE_RATE_LIMIT: '0', CHAT_RATE_LIMIT: '0' };
const SOCKETS = 4;
const IN_FLIGHT = 8; // sends in flight per socket, and task creates in flight
const MIN_MESSAGES = 400;
const MIN_TASKS = 80;

let first; let second;
after(async () => {
  closeAll();
  for (const s of [first, second]) if (s && !s.stopped) await s.kill();
  if (first) rmSync(first.dir, { recursive: true, force: true });
});

/** Every message of channel cid, newest first, through the before= cursor. */
async function allMessages(base, token, cid) {
  const out = [];
  let before = '';
  for (let page = 0; page < 1000; page++) {
    const res = await api(base, 'GET', `/channels/${cid}/messages?limit=100${before ? `&before=${before}` : ''}`, { token });
    const data = expectOk(res);
    out.push(...data);
    if (!res.json.meta.hasMore || data.length === 0) return out;
    before = data[data.length - 1].id;
  }
  throw new Error('too many pages');
}

/** Every task of project pid. */
async function allTasks(base, token, pid) {
  const out = [];
  for (let page = 1; page < 1000; page++) {
    const res = await api(base, 'GET', `/projects/${pid}/tasks?limit=100&page=${page}`, { token });
    out.push(...expectOk(res));
    if (!res.json.meta.hasNext) return out;
  }
  throw new Error('too many pages');
}

test('after a SIGKILL during a flood, every acknowledged message and task is there', { timeout: 120000 }, async () => {
  first = await startServer({ env: ENV, keepDir: true, name: 'crash-safety-before' });
  const base = first.url;
  const alice = await registerUser(base);
  const bob = await registerUser(base);
  const ws = await createWorkspace(base, alice.accessToken);
  await addMember(base, alice.accessToken, ws.id, bob);
  const project = await createProject(base, alice.accessToken, ws.id);
  const channel = await createChannel(base, alice.accessToken, ws.id, { name: 'flood' });

  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = await connect(base, (i % 2 ? bob : alice).accessToken, { transports: ['websocket'] });
    await emitAck(s, 'channel:join', { channelId: channel.id });
    sockets.push(s);
  }

  const ackedMessages = new Map(); // id -> content
  const ackedTasks = new Map(); // id -> title
  let stop = false;
  let seq = 0;

  const sendLoop = async (s, n) => {
    while (!stop) {
      const content = `flood ${n} ${seq++}`;
      let ack;
      try {
        ack = await emitAck(s, 'message:send', { channelId: channel.id, content }, { timeoutMs: 5000 });
      } catch {
        return; // the server is gone
      }
      if (ack && ack.ok) {
        const id = messageIdOf(ack);
        assert.ok(id, `an ack carries the message id: ${JSON.stringify(ack)}`);
        ackedMessages.set(id, content);
      }
    }
  };
  const taskLoop = async (token) => {
    while (!stop) {
      const title = `crash task ${seq++}`;
      let res;
      try {
        res = await api(base, 'POST', `/projects/${project.id}/tasks`, { token, body: { title } });
      } catch {
        return; // the server is gone
      }
      if (res.status === 201) ackedTasks.set(res.json.data.id, title);
    }
  };
  const loops = [];
  sockets.forEach((s, n) => { for (let k = 0; k < IN_FLIGHT; k++) loops.push(sendLoop(s, n)); });
  for (let k = 0; k < IN_FLIGHT; k++) loops.push(taskLoop(k % 2 ? bob.accessToken : alice.accessToken));

  // Kill while the flood is at full speed (every loop still has work in flight).
  await waitFor(() => ackedMessages.size >= MIN_MESSAGES && ackedTasks.size >= MIN_TASKS,
    { timeoutMs: 60000, what: `${MIN_MESSAGES} acknowledged messages and ${MIN_TASKS} tasks` });
  first.child.kill('SIGKILL');
  await waitFor(() => first.exitInfo !== null, { timeoutMs: 10000, what: 'the killed server to exit' });
  assert.equal(first.exitInfo.signal, 'SIGKILL');
  stop = true;
  closeAll();
  await Promise.all(loops);
  await first.kill();
  const messagesAtKill = ackedMessages.size;
  const tasksAtKill = ackedTasks.size;

  second = await startServer({ env: ENV, dir: first.dir, secret: first.secret, name: 'crash-safety-after' });
  const messages = await allMessages(second.url, alice.accessToken, channel.id);
  const byId = new Map(messages.map((m) => [m.id, m.content]));
  const lostMessages = [...ackedMessages].filter(([id, content]) => byId.get(id) !== content);
  assert.deepEqual(lostMessages, [], `acknowledged messages lost (of ${messagesAtKill})`);
  const tasks = await allTasks(second.url, alice.accessToken, project.id);
  const taskById = new Map(tasks.map((t) => [t.id, t.title]));
  const lostTasks = [...ackedTasks].filter(([id, title]) => taskById.get(id) !== title);
  assert.deepEqual(lostTasks, [], `acknowledged tasks lost (of ${tasksAtKill})`);
  // Task keys stay unique after the restart (the sequence survived too).
  const next = expectOk(await api(second.url, 'POST', `/projects/${project.id}/tasks`, {
    token: alice.accessToken, body: { title: 'after the crash' },
  }), 201);
  assert.ok(!tasks.some((t) => t.key === next.key), `a fresh key after the restart: ${next.key}`);
  await second.stop();
});
