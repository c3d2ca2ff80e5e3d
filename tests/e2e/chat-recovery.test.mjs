// Connection state recovery (Socket.IO 4.6+) with the official client,
// served from the database: a client whose connection drops gets its socket
// id, its rooms and every missed message:new/edited/deleted back, in order,
// once each (socket.recovered === true), also across a server restart
// (SIGTERM and SIGKILL) on the same database; a gap older than the window,
// a forged pid, another user's pid or a channel the user lost access to
// give a fresh session with nothing replayed. The drop is the client's
// `socket.io.engine.close()`; the server has seen it when the other member
// of the channel gets channel:user_left. Reconnection is by hand
// (socket.connect(), the CONNECT the client's own reconnection sends), so
// every change happens inside the gap; "nothing else" is asserted with a
// marker message sent after the reconnect.
import { test, afterEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitFor } from './lib/server.mjs';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectNoContent, registerUser, createWorkspace, addMember, createChannel,
  postMessage, uniq,
} from './lib/api.mjs';
import { TRANSPORTS, connect, closeAll, once, seen, emitAck, expectAckOk } from './lib/chat.mjs';

const ctx = serverSuite();
const T_OPTS = { timeout: 60000 };
const MESSAGE_EVENTS = new Set(['message:new', 'message:edited', 'message:deleted']);

afterEach(() => closeAll());

/** Two members of one workspace and a public channel, on server url. */
async function world(url) {
  const alice = await registerUser(url, { firstName: 'Ann', lastName: 'Admin' });
  const bob = await registerUser(url, { firstName: 'Bob', lastName: 'Member' });
  const carol = await registerUser(url, { firstName: 'Carol', lastName: 'Member' });
  const ws = await createWorkspace(url, alice.accessToken, { name: `Recovery ${uniq(4)}` });
  for (const u of [bob, carol]) await addMember(url, alice.accessToken, ws.id, u, 'member');
  const chan = await createChannel(url, alice.accessToken, ws.id);
  return { url, alice, bob, carol, ws, chan };
}

async function join(s, channelId) {
  return expectAckOk(await emitAck(s, 'channel:join', { channelId }), `channel:join ${channelId}`);
}

/** user's socket on w.url in w.chan, having seen one broadcast (so it holds an offset). */
async function joined(w, user, tr = TRANSPORTS[1]) {
  const s = await connect(w.url, user.accessToken, { transports: tr.transports });
  await join(s, w.chan.id);
  const first = `first ${uniq(6)}`;
  await postMessage(w.url, w.alice.accessToken, w.chan.id, first);
  await seen(s, 'message:new', (m) => m.content === first);
  return s;
}

/** Drops s's connection and waits until the server has seen it (watcher sees user_left). */
async function drop(s, watcher, userId) {
  const left = once(watcher, 'channel:user_left', { filter: (d) => d.userId === userId });
  const gone = once(s, 'disconnect');
  s.io.engine.close();
  await gone;
  await left;
}

/** Reconnects s by hand (the client's CONNECT carries pid and offset) and
 * waits for the connect and its welcome. */
async function reconnect(s) {
  const welcome = once(s, 'welcome', { timeoutMs: 10000 });
  const connected = once(s, 'connect', { timeoutMs: 10000 });
  s.connect();
  await connected;
  await welcome;
}

/** The gap's changes by alice over REST: 5 messages, an edit, a delete; the expected events. */
async function gapChanges(w) {
  const tag = uniq(6);
  const msgs = [];
  for (let i = 1; i <= 5; i++) msgs.push(await postMessage(w.url, w.alice.accessToken, w.chan.id, `gap ${tag} ${i}`));
  expectOk(await api(w.url, 'PATCH', `/messages/${msgs[1].id}`, { token: w.alice.accessToken, body: { content: `edited ${tag}` } }));
  expectNoContent(await api(w.url, 'DELETE', `/messages/${msgs[2].id}`, { token: w.alice.accessToken }));
  return [
    ...msgs.map((m) => ['message:new', m.id, m.content]),
    ['message:edited', msgs[1].id, `edited ${tag}`],
    ['message:deleted', msgs[2].id, undefined],
  ];
}

/** Sends a marker after the reconnect and returns the message events s got since index from, up to it. */
async function eventsUntilMarker(w, s, from) {
  const marker = `marker ${uniq(6)}`;
  await postMessage(w.url, w.alice.accessToken, w.chan.id, marker);
  await seen(s, 'message:new', (m) => m.content === marker, { timeoutMs: 10000 });
  const got = s.received.slice(from).filter((r) => MESSAGE_EVENTS.has(r.event));
  const last = got.pop();
  assert.equal(last.data.content, marker, 'the marker comes last');
  return got;
}

/** Asserts got (received records) are exactly the expected events, in order, with rising offsets. */
function assertReplay(got, expected) {
  const shape = got.map((r) => [r.event, r.data.messageId, r.data.content]);
  assert.deepEqual(shape, expected, 'exactly the missed events, in order, once each');
  let prev = '';
  for (const r of got) {
    const off = r.args[r.args.length - 1];
    assert.equal(typeof off, 'string', `${r.event} carries its offset as the last argument`);
    assert.ok(off.length > prev.length || (off.length === prev.length && off > prev), `offsets rise: ${prev} then ${off}`);
    prev = off;
  }
}

let W;

test('setup', async () => {
  W = await world(ctx.url);
});

for (const tr of TRANSPORTS) {
  test(`[${tr.name}] a dropped connection recovers: same id, recovered, exactly the missed events in order`, T_OPTS, async () => {
    const watcher = await connect(W.url, W.carol.accessToken, { transports: tr.transports });
    await join(watcher, W.chan.id);
    const bob = await joined(W, W.bob, tr);
    const id = bob.id;
    assert.ok(bob._pid, 'the CONNECT reply carried a pid');
    await drop(bob, watcher, W.bob.user.id);
    const mark = bob.received.length;
    const expected = await gapChanges(W);
    await reconnect(bob);
    assert.equal(bob.recovered, true, 'socket.recovered');
    assert.equal(bob.id, id, 'the same socket id');
    assertReplay(await eventsUntilMarker(W, bob, mark), expected);
    // The room was restored: typing (no offset) reaches the others from it.
    const typing = once(watcher, 'channel:typing', { filter: (d) => d.userId === W.bob.user.id });
    expectAckOk(await emitAck(bob, 'channel:typing', { channelId: W.chan.id }));
    await typing;
  });
}

test('a client that saw no broadcast yet recovers from the offset of its welcome', T_OPTS, async () => {
  const watcher = await connect(W.url, W.carol.accessToken);
  await join(watcher, W.chan.id);
  const bob = await connect(W.url, W.bob.accessToken, { transports: ['websocket'] });
  await join(bob, W.chan.id);
  const id = bob.id;
  await drop(bob, watcher, W.bob.user.id);
  const mark = bob.received.length;
  const expected = await gapChanges(W);
  await reconnect(bob);
  assert.equal(bob.recovered, true);
  assert.equal(bob.id, id);
  assertReplay(await eventsUntilMarker(W, bob, mark), expected);
});

/** Drops s, runs during(), reconnects, and asserts a fresh session with none of the gap's events. */
async function assertFresh(w, s, watcher, userId, during) {
  const id = s.id;
  await drop(s, watcher, userId);
  const mark = s.received.length;
  await during();
  const gap = await postMessage(w.url, w.alice.accessToken, w.chan.id, `unseen ${uniq(6)}`);
  await reconnect(s);
  assert.equal(s.recovered, false, 'socket.recovered is false');
  assert.notEqual(s.id, id, 'a new socket id');
  // Not in the room any more: join again, then the marker is the only message event.
  await join(s, w.chan.id);
  const got = await eventsUntilMarker(w, s, mark);
  assert.deepEqual(got.map((r) => r.data.messageId), [], `nothing replayed (the gap had ${gap.id})`);
}

test('a forged pid gives a fresh session with nothing replayed', T_OPTS, async () => {
  const watcher = await connect(W.url, W.carol.accessToken);
  await join(watcher, W.chan.id);
  const bob = await joined(W, W.bob);
  await assertFresh(W, bob, watcher, W.bob.user.id, async () => {
    bob._pid = 'A'.repeat(22);
  });
});

test("another user's pid gives a fresh session; the owner still recovers with it", T_OPTS, async () => {
  const watcher = await connect(W.url, W.alice.accessToken);
  await join(watcher, W.chan.id);
  const bob = await joined(W, W.bob);
  const carol = await joined(W, W.carol);
  const bobId = bob.id;
  await drop(bob, watcher, W.bob.user.id);
  const bobMark = bob.received.length;
  await assertFresh(W, carol, watcher, W.carol.user.id, async () => {
    carol._pid = bob._pid;
    carol._lastOffset = bob._lastOffset;
  });
  await reconnect(bob);
  assert.equal(bob.recovered, true, "the owner's session was left alone");
  assert.equal(bob.id, bobId);
  const got = await eventsUntilMarker(W, bob, bobMark);
  assert.ok(got.length >= 1, 'the owner gets what it missed');
});

test('a channel the user was removed from during the gap gives a fresh session', T_OPTS, async () => {
  const w = { ...W, chan: await createChannel(W.url, W.alice.accessToken, W.ws.id, { type: 'private' }) };
  for (const u of [W.bob, W.carol]) {
    expectOk(await api(W.url, 'POST', `/channels/${w.chan.id}/members`, { token: W.alice.accessToken, body: { userId: u.user.id } }), 201);
  }
  const watcher = await connect(W.url, W.carol.accessToken);
  await join(watcher, w.chan.id);
  const bob = await joined(w, W.bob);
  const id = bob.id;
  await drop(bob, watcher, W.bob.user.id);
  const mark = bob.received.length;
  expectNoContent(await api(W.url, 'DELETE', `/channels/${w.chan.id}/members/${W.bob.user.id}`, { token: W.alice.accessToken }));
  await postMessage(W.url, W.alice.accessToken, w.chan.id, `secret ${uniq(6)}`);
  await reconnect(bob);
  assert.equal(bob.recovered, false);
  assert.notEqual(bob.id, id);
  // Nothing of the channel reaches it: a marker in the main channel shows the stream.
  await join(bob, W.chan.id);
  const got = await eventsUntilMarker(W, bob, mark);
  assert.deepEqual(got.map((r) => r.data.channelId), [], 'nothing replayed');
});

serverEndChecks(ctx);

// ---- servers of their own: restarts and a short window ----

const extra = [];
after(async () => {
  for (const s of extra) if (!s.stopped) await s.kill();
});

test('recovery across a restart: SIGTERM, then SIGKILL, on the same database and port', T_OPTS, async () => {
  let srv = await startServer({ name: 'chat-recovery-restart' });
  extra.push(srv);
  const w = await world(srv.url);
  const bob = await joined(w, w.bob);
  const id = bob.id;
  for (const how of ['SIGTERM', 'SIGKILL']) {
    const gone = once(bob, 'disconnect', { timeoutMs: 20000 });
    srv.keepDir = true;
    if (how === 'SIGTERM') await srv.stop();
    else await srv.kill();
    await gone;
    const mark = bob.received.length;
    srv = await startServer({ name: 'chat-recovery-restart', restartOf: srv });
    extra.push(srv);
    const expected = await gapChanges(w);
    await reconnect(bob);
    assert.equal(bob.recovered, true, `recovered after ${how}`);
    assert.equal(bob.id, id, `the same socket id after ${how}`);
    assertReplay(await eventsUntilMarker(w, bob, mark), expected);
  }
  bob.close();
  await srv.stop();
});

test('a gap older than CHAT_RECOVERY_MS gives a fresh session with nothing replayed', T_OPTS, async () => {
  const WINDOW = 1000;
  const srv = await startServer({ name: 'chat-recovery-window', env: { CHAT_RECOVERY_MS: String(WINDOW) } });
  extra.push(srv);
  const w = await world(srv.url);
  const watcher = await connect(w.url, w.carol.accessToken);
  await join(watcher, w.chan.id);
  const bob = await joined(w, w.bob);
  await assertFresh(w, bob, watcher, w.bob.user.id, async () => {
    const since = Date.now();
    // The condition is the passing of time itself.
    await waitFor(() => Date.now() - since > WINDOW + 300, { timeoutMs: WINDOW + 2000, what: 'the window to pass' });
  });
  await srv.stop();
});

test('CHAT_RECOVERY_MS=0 turns it off: no pid, no offsets, a reconnect is a fresh session', T_OPTS, async () => {
  const srv = await startServer({ name: 'chat-recovery-off', env: { CHAT_RECOVERY_MS: '0' } });
  extra.push(srv);
  const w = await world(srv.url);
  const bob = await joined(w, w.bob);
  assert.equal(bob._pid, undefined, 'no pid in the CONNECT reply');
  const first = bob.received.find((r) => r.event === 'message:new');
  assert.equal(first.args.length, 1, 'no offset after the message');
  assert.equal(bob.received.find((r) => r.event === 'welcome').args.length, 1, 'no offset after welcome');
  const id = bob.id;
  const gone = once(bob, 'disconnect');
  bob.io.engine.close();
  await gone;
  await reconnect(bob);
  assert.ok(!bob.recovered, 'not recovered');
  assert.notEqual(bob.id, id);
  await srv.stop();
});
