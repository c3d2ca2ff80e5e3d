// Chat over Socket.IO (path /ws, namespace /chat): authentication, welcome,
// channel rooms (join, leave), messages (send, edit, delete, over the socket
// and over REST), typing and presence. Every behaviour runs twice: with the
// default transports (polling, then the upgrade to WebSocket) and with
// WebSocket only. "Did not happen" is asserted with a later marker event on
// the same path, never with a sleep.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectStatus, fmtRes, registerUser, createWorkspace, addMember, createChannel,
  uniq, signJwt, decodeJwt, UNKNOWN_ID,
} from './lib/api.mjs';
import {
  TRANSPORTS, connect, connectError, closeAll, once, seen, received, summary, emitAck,
  expectAckOk, expectAckError, messageIdOf,
} from './lib/chat.mjs';

const ctx = serverSuite();
const T_OPTS = { timeout: 60000 };
const BAD_TOKEN = 'Invalid authentication token';

let alice; let bob; let carol; let dave; let outsider;
let ws; let outWs; let outChan;

afterEach(() => closeAll());

/** Connects user over transport configuration tr. */
const conn = (user, tr, opts = {}) => connect(ctx.url, user.accessToken, { transports: tr.transports, ...opts });
/** Joins channelId and asserts {ok:true}. */
async function join(s, channelId) {
  return expectAckOk(await emitAck(s, 'channel:join', { channelId }), `channel:join ${channelId}`);
}
/** Sends content to channelId and asserts {ok:true}. */
async function send(s, channelId, content) {
  return expectAckOk(await emitAck(s, 'message:send', { channelId, content }), `message:send ${content.slice(0, 40)}`);
}
const byContent = (content) => (m) => m && m.content === content;
const byUser = (channelId, userId) => (d) => d && d.channelId === channelId && d.userId === userId;
const newChannel = (body = {}) => createChannel(ctx.url, alice.accessToken, ws.id, body);
/** GET the channel's REST history (newest first) as user. */
async function history(user, channelId) {
  const res = await api(ctx.url, 'GET', `/channels/${channelId}/messages?limit=100`, { token: user.accessToken });
  const data = expectOk(res);
  assert.ok(Array.isArray(data), `array expected: ${fmtRes(res)}`);
  return data;
}
function assertIsoDate(v, what) {
  assert.ok(typeof v === 'string' || typeof v === 'number', `${what}: date expected, got ${JSON.stringify(v)}`);
  assert.ok(!Number.isNaN(new Date(v).getTime()), `${what}: parsable date expected, got ${JSON.stringify(v)}`);
}

test('setup: a workspace with four members, an outsider with a workspace of their own', async () => {
  alice = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Member' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Member' });
  dave = await registerUser(ctx.url, { firstName: 'Dave', lastName: 'Member' });
  outsider = await registerUser(ctx.url, { firstName: 'Otto', lastName: 'Outsider' });
  ws = await createWorkspace(ctx.url, alice.accessToken, { name: 'Chat WS' });
  for (const u of [bob, carol, dave]) await addMember(ctx.url, alice.accessToken, ws.id, u, 'member');
  outWs = await createWorkspace(ctx.url, outsider.accessToken, { name: 'Outsider WS' });
  outChan = await createChannel(ctx.url, outsider.accessToken, outWs.id, { name: `out-${uniq(6)}` });
});

for (const tr of TRANSPORTS) {
  const name = (s) => `[${tr.name}] ${s}`;

  test(name('connect: welcome {id, userId}; missing, malformed, foreign-signed and expired tokens get connect_error'), T_OPTS, async () => {
    const s = await conn(alice, tr);
    assert.ok(s.connected);
    assert.equal(s.welcome.userId, alice.user.id, `welcome.userId: ${JSON.stringify(s.welcome)}`);
    assert.equal(typeof s.welcome.id, 'string', `welcome.id: ${JSON.stringify(s.welcome)}`);
    assert.ok(s.welcome.id.length > 0);
    assert.equal(s.welcome.id, s.id, 'welcome.id is the socket id');

    const opts = { transports: tr.transports };
    const { payload } = decodeJwt(alice.accessToken);
    const foreign = signJwt({ alg: 'HS256', typ: 'JWT' }, payload, 'not-the-server-secret-0123456789abcdef');
    const expired = signJwt({ alg: 'HS256', typ: 'JWT' },
      { ...payload, iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 60 }, ctx.srv.secret);
    const cases = [
      ['no auth', undefined, {}],
      ['empty auth', undefined, { auth: {} }],
      ['empty token', '', {}],
      ['not a JWT', 'not-a-jwt', {}],
      ['token of the wrong type', undefined, { auth: { token: 12345 } }],
      ['signed with another secret', foreign, {}],
      ['expired', expired, {}],
    ];
    for (const [what, token, extra] of cases) {
      const err = await connectError(ctx.url, token, { ...opts, ...extra });
      assert.equal(err.message, BAD_TOKEN, `${what}: connect_error message`);
    }
    // the refused attempts did not disturb the good socket
    const again = await conn(bob, tr);
    assert.equal(again.welcome.userId, bob.user.id);
    assert.ok(s.connected, 'first socket still connected');
  });

  test(name('channel:join: others get channel:user_joined {channelId, userId}, the joiner does not; a second join is ok with no second event'), T_OPTS, async () => {
    const ch = await newChannel();
    const [a, b, c, d] = await Promise.all([conn(alice, tr), conn(bob, tr), conn(carol, tr), conn(dave, tr)]);
    await join(a, ch.id);
    await join(b, ch.id);
    const ev = await seen(a, 'channel:user_joined', byUser(ch.id, bob.user.id));
    assert.deepEqual({ channelId: ev.channelId, userId: ev.userId }, { channelId: ch.id, userId: bob.user.id });
    expectAckOk(await emitAck(b, 'channel:join', { channelId: ch.id }), 'second join');
    await join(c, ch.id);
    await seen(a, 'channel:user_joined', byUser(ch.id, carol.user.id));
    await seen(b, 'channel:user_joined', byUser(ch.id, carol.user.id));
    await join(d, ch.id);
    await seen(c, 'channel:user_joined', byUser(ch.id, dave.user.id));
    await seen(a, 'channel:user_joined', byUser(ch.id, dave.user.id));
    await seen(b, 'channel:user_joined', byUser(ch.id, dave.user.id));

    const joinedSeenBy = (s) => received(s, 'channel:user_joined', (x) => x.channelId === ch.id).map((x) => x.userId);
    assert.deepEqual(joinedSeenBy(a), [bob.user.id, carol.user.id, dave.user.id],
      `alice: one user_joined per joiner, none for the second join: ${summary(a)}`);
    assert.deepEqual(joinedSeenBy(b), [carol.user.id, dave.user.id], `bob: not his own join: ${summary(b)}`);
    assert.deepEqual(joinedSeenBy(c), [dave.user.id], `carol: not her own join: ${summary(c)}`);
  });

  test(name('channel:leave: channel:user_left to the room; leaving twice or a channel never joined is ok; a left socket gets no room messages'), T_OPTS, async () => {
    const ch = await newChannel();
    const never = await newChannel();
    const [a, b, c] = await Promise.all([conn(alice, tr), conn(bob, tr), conn(carol, tr)]);
    for (const s of [a, b, c]) await join(s, ch.id);
    expectAckOk(await emitAck(b, 'channel:leave', { channelId: ch.id }), 'leave');
    const ev = await seen(a, 'channel:user_left', byUser(ch.id, bob.user.id));
    assert.deepEqual({ channelId: ev.channelId, userId: ev.userId }, { channelId: ch.id, userId: bob.user.id });
    await seen(c, 'channel:user_left', byUser(ch.id, bob.user.id));
    expectAckOk(await emitAck(b, 'channel:leave', { channelId: ch.id }), 'second leave');
    expectAckOk(await emitAck(b, 'channel:leave', { channelId: never.id }), 'leave of a channel never joined');

    const m1 = `while away ${uniq()}`;
    await send(a, ch.id, m1);
    await seen(c, 'message:new', byContent(m1));
    await join(b, ch.id);
    const m2 = `back again ${uniq()}`;
    await send(a, ch.id, m2);
    await seen(b, 'message:new', byContent(m2));
    assert.deepEqual(received(b, 'message:new', (m) => m.channelId === ch.id).map((m) => m.content), [m2],
      `bob got nothing of the room while he was out: ${summary(b)}`);

    expectAckOk(await emitAck(c, 'channel:leave', { channelId: ch.id }), 'carol leaves');
    await seen(b, 'channel:user_left', byUser(ch.id, carol.user.id));
    assert.deepEqual(received(b, 'channel:user_left', (x) => x.channelId === ch.id).map((x) => x.userId), [carol.user.id],
      `bob does not get his own user_left: ${summary(b)}`);
  });

  test(name('message:send: message:new to each joined socket once, the sender once, "First Last" sender name; in REST history; not to a socket that did not join'), T_OPTS, async () => {
    const ch = await newChannel();
    const [a, b1, b2, c, d] = await Promise.all([conn(alice, tr), conn(bob, tr), conn(bob, tr), conn(carol, tr), conn(dave, tr)]);
    const members = [a, b1, b2, c];
    for (const s of members) await join(s, ch.id);
    const c1 = `hello ${uniq()}`;
    const ack = await send(a, ch.id, c1);
    const got = [];
    for (const s of members) got.push(await seen(s, 'message:new', byContent(c1)));
    const m = got[0];
    assert.equal(typeof m.messageId, 'string', `messageId: ${JSON.stringify(m)}`);
    assert.ok(m.messageId.length > 0);
    assert.equal(m.channelId, ch.id);
    assert.equal(m.senderId, alice.user.id);
    assert.equal(m.senderName, 'Ann Admin');
    assert.equal(m.content, c1);
    assertIsoDate(m.createdAt, 'createdAt');
    for (const x of got) assert.deepEqual(x, m, 'every receiver gets the same message');
    if (messageIdOf(ack) !== undefined) assert.equal(messageIdOf(ack), m.messageId, `ack names the message: ${JSON.stringify(ack)}`);

    // marker: a second message on the same path; the first must have arrived once, before it
    const c2 = `second ${uniq()}`;
    await send(a, ch.id, c2);
    for (const s of members) {
      await seen(s, 'message:new', byContent(c2));
      const seq = received(s, 'message:new', (x) => x.channelId === ch.id).map((x) => x.content);
      assert.deepEqual(seq, [c1, c2], `each message exactly once, in order: ${summary(s)}`);
    }

    // dave is connected and a member of the workspace but never joined the room
    await join(d, ch.id);
    const c3 = `third ${uniq()}`;
    await send(b1, ch.id, c3);
    const m3 = await seen(d, 'message:new', byContent(c3));
    assert.equal(m3.senderName, 'Bob Member');
    assert.equal(m3.senderId, bob.user.id);
    assert.deepEqual(received(d, 'message:new').map((x) => x.content), [c3], `dave got only what was sent after his join: ${summary(d)}`);
    await seen(b2, 'message:new', byContent(c3));
    await seen(b1, 'message:new', byContent(c3));

    const hist = await history(carol, ch.id);
    const mine = hist.filter((x) => [c1, c2, c3].includes(x.content));
    assert.deepEqual(mine.map((x) => x.content), [c3, c2, c1], `REST history, newest first: ${JSON.stringify(hist).slice(0, 600)}`);
    const h1 = mine[2];
    assert.equal(h1.id, m.messageId, 'history id is the messageId');
    assert.equal(h1.senderId, alice.user.id);
    assert.equal(h1.channelId, ch.id);
  });

  test(name('message:send refused: empty, blank, over 10,000 chars, unknown channel, no channelId ({ok:false}); without an ack an error event'), T_OPTS, async () => {
    const ch = await newChannel();
    const [a, c] = await Promise.all([conn(alice, tr), conn(carol, tr)]);
    await join(a, ch.id);
    await join(c, ch.id);
    const bad = [
      ['empty', { channelId: ch.id, content: '' }],
      ['blank', { channelId: ch.id, content: '   ' }],
      ['10,001 chars', { channelId: ch.id, content: 'x'.repeat(10001) }],
      ['content not a string', { channelId: ch.id, content: 42 }],
      ['unknown channel', { channelId: UNKNOWN_ID, content: 'nope' }],
      ['no channelId', { content: 'nope' }],
      ['payload not an object', 'just a string'],
    ];
    for (const [what, payload] of bad) expectAckError(await emitAck(a, 'message:send', payload), null, what);

    const max = 'y'.repeat(10000);
    await send(a, ch.id, max);
    const got = await seen(c, 'message:new', byContent(max));
    assert.equal(got.content.length, 10000);

    // an event without an ack that fails is answered with an error event
    a.emit('message:send', { channelId: UNKNOWN_ID, content: 'no ack here' });
    const err = await seen(a, 'error', (e) => e && typeof e === 'object');
    assert.match(String(err.code), /^[A-Z][A-Z0-9_]*$/, `error {code}: ${JSON.stringify(err)}`);
    assert.equal(typeof err.message, 'string', `error {message}: ${JSON.stringify(err)}`);

    const last = `valid ${uniq()}`;
    await send(a, ch.id, last);
    await seen(c, 'message:new', byContent(last));
    assert.deepEqual(received(c, 'message:new').map((x) => x.content.length > 40 ? `len ${x.content.length}` : x.content),
      ['len 10000', last], `carol got only the accepted messages: ${summary(c)}`);
    const hist = await history(alice, ch.id);
    assert.equal(hist.length, 2, `only the accepted messages are stored: ${JSON.stringify(hist).slice(0, 300)}`);
  });

  test(name('message:edit/message:delete: only the sender (others FORBIDDEN); the room but not the changing socket is told; REST history follows'), T_OPTS, async () => {
    const ch = await newChannel();
    const [a1, a2, b, c] = await Promise.all([conn(alice, tr), conn(alice, tr), conn(bob, tr), conn(carol, tr)]);
    for (const s of [a1, a2, b, c]) await join(s, ch.id);
    const c1 = `original ${uniq()}`;
    await send(a1, ch.id, c1);
    const { messageId } = await seen(a1, 'message:new', byContent(c1));
    await seen(b, 'message:new', byContent(c1));

    expectAckError(await emitAck(b, 'message:edit', { messageId, content: 'hacked by bob' }), /FORBIDDEN/, 'edit by another member');
    expectAckError(await emitAck(b, 'message:delete', { messageId }), /FORBIDDEN/, 'delete by another member');
    expectAckError(await emitAck(a1, 'message:edit', { messageId: UNKNOWN_ID, content: 'x' }), null, 'edit of an unknown message');
    expectAckError(await emitAck(a1, 'message:edit', { messageId, content: '' }), null, 'edit to empty content');

    const edited = `edited ${uniq()}`;
    expectAckOk(await emitAck(a1, 'message:edit', { messageId, content: edited }), 'edit by the sender');
    for (const s of [a2, b, c]) {
      const ev = await seen(s, 'message:edited', (x) => x.messageId === messageId);
      assert.equal(ev.channelId, ch.id);
      assert.equal(ev.content, edited);
      assertIsoDate(ev.updatedAt, 'updatedAt');
    }
    const mark1 = `marker ${uniq()}`;
    await send(a1, ch.id, mark1);
    for (const s of [a1, a2, b, c]) await seen(s, 'message:new', byContent(mark1));
    assert.equal(received(a1, 'message:edited').length, 0, `the editing socket is not told: ${summary(a1)}`);
    for (const s of [a2, b, c]) {
      assert.deepEqual(received(s, 'message:edited').map((x) => x.content), [edited], `one message:edited, none for refused edits: ${summary(s)}`);
    }
    let hist = await history(bob, ch.id);
    assert.equal(hist.find((x) => x.id === messageId)?.content, edited, `history shows the edit: ${JSON.stringify(hist).slice(0, 400)}`);

    expectAckOk(await emitAck(a1, 'message:delete', { messageId }), 'delete by the sender');
    for (const s of [a2, b, c]) {
      const ev = await seen(s, 'message:deleted', (x) => x.messageId === messageId);
      assert.equal(ev.channelId, ch.id);
    }
    const mark2 = `marker ${uniq()}`;
    await send(a1, ch.id, mark2);
    for (const s of [a1, a2, b, c]) await seen(s, 'message:new', byContent(mark2));
    assert.equal(received(a1, 'message:deleted').length, 0, `the deleting socket is not told: ${summary(a1)}`);
    for (const s of [a2, b, c]) assert.equal(received(s, 'message:deleted').length, 1, `one message:deleted: ${summary(s)}`);
    hist = await history(bob, ch.id);
    assert.ok(!hist.some((x) => x.id === messageId), `a deleted message leaves the history: ${JSON.stringify(hist).slice(0, 400)}`);
    expectAckError(await emitAck(a1, 'message:edit', { messageId, content: 'too late' }), null, 'edit after delete');
  });

  test(name('REST: a message posted, edited and deleted over REST reaches every joined socket, the author\'s too'), T_OPTS, async () => {
    const ch = await newChannel();
    const [a, b] = await Promise.all([conn(alice, tr), conn(bob, tr)]);
    await join(a, ch.id);
    await join(b, ch.id);
    const r1 = `from rest ${uniq()}`;
    const posted = expectOk(await api(ctx.url, 'POST', `/channels/${ch.id}/messages`, { token: alice.accessToken, body: { content: r1 } }), 201);
    for (const s of [a, b]) {
      const m = await seen(s, 'message:new', byContent(r1));
      assert.equal(m.messageId, posted.id);
      assert.equal(m.channelId, ch.id);
      assert.equal(m.senderId, alice.user.id);
      assert.equal(m.senderName, 'Ann Admin');
      assertIsoDate(m.createdAt, 'createdAt');
    }
    const r1e = `rest edit ${uniq()}`;
    expectOk(await api(ctx.url, 'PATCH', `/messages/${posted.id}`, { token: alice.accessToken, body: { content: r1e } }));
    for (const s of [a, b]) {
      const ev = await seen(s, 'message:edited', (x) => x.messageId === posted.id);
      assert.equal(ev.content, r1e);
      assert.equal(ev.channelId, ch.id);
    }
    const del = await api(ctx.url, 'DELETE', `/messages/${posted.id}`, { token: alice.accessToken });
    assert.ok(del.status === 200 || del.status === 204, `DELETE message: ${fmtRes(del)}`);
    for (const s of [a, b]) {
      const ev = await seen(s, 'message:deleted', (x) => x.messageId === posted.id);
      assert.equal(ev.channelId, ch.id);
    }
    const r2 = `rest marker ${uniq()}`;
    expectOk(await api(ctx.url, 'POST', `/channels/${ch.id}/messages`, { token: bob.accessToken, body: { content: r2 } }), 201);
    for (const s of [a, b]) {
      await seen(s, 'message:new', byContent(r2));
      assert.deepEqual(received(s, 'message:new').map((x) => x.content), [r1, r2], `each REST message once: ${summary(s)}`);
      assert.equal(received(s, 'message:edited').length, 1, summary(s));
      assert.equal(received(s, 'message:deleted').length, 1, summary(s));
    }
    // a refused REST edit (not the sender) tells nobody
    const forbidden = await api(ctx.url, 'PATCH', `/messages/${posted.id}`, { token: bob.accessToken, body: { content: 'x' } });
    assert.ok(forbidden.status >= 400 && forbidden.status < 500, fmtRes(forbidden));
  });

  test(name('channel:join refused for a workspace outsider and, on a private channel, for a non-member; their sockets get none of its messages'), T_OPTS, async () => {
    const pub = await newChannel();
    const priv = await newChannel({ type: 'private', memberIds: [bob.user.id] });
    const [a, b, d, o] = await Promise.all([conn(alice, tr), conn(bob, tr), conn(dave, tr), conn(outsider, tr)]);
    expectAckError(await emitAck(o, 'channel:join', { channelId: pub.id }), null, 'outsider joins a public channel');
    expectAckError(await emitAck(o, 'message:send', { channelId: pub.id, content: 'intruder' }), null, 'outsider sends');
    expectAckError(await emitAck(o, 'channel:typing', { channelId: pub.id }), null, 'outsider types');
    expectAckError(await emitAck(d, 'channel:join', { channelId: priv.id }), null, 'non-member joins a private channel');
    expectAckError(await emitAck(d, 'message:send', { channelId: priv.id, content: 'intruder' }), null, 'non-member sends to a private channel');
    expectAckError(await emitAck(a, 'channel:join', { channelId: UNKNOWN_ID }), null, 'unknown channel');
    await join(o, outChan.id);
    await join(d, pub.id);
    await join(a, pub.id);
    await join(a, priv.id);
    await join(b, priv.id);
    await join(b, pub.id);

    const pm = `private ${uniq()}`;
    await send(a, priv.id, pm);
    await seen(b, 'message:new', byContent(pm));
    const cm = `public ${uniq()}`;
    await send(a, pub.id, cm);
    await seen(d, 'message:new', byContent(cm));
    assert.deepEqual(received(d, 'message:new').map((x) => x.content), [cm], `dave got nothing of the private channel: ${summary(d)}`);
    // the outsider's own room works, and nothing of the other workspace came before
    const om = `own room ${uniq()}`;
    expectOk(await api(ctx.url, 'POST', `/channels/${outChan.id}/messages`, { token: outsider.accessToken, body: { content: om } }), 201);
    await seen(o, 'message:new', byContent(om));
    assert.deepEqual(received(o, 'message:new').map((x) => x.content), [om], `outsider: ${summary(o)}`);
    assert.equal(received(a, 'message:new', byContent('intruder')).length, 0);
    assert.equal(received(b, 'message:new', byContent('intruder')).length, 0);
    // the refused typing reached no one: a later typing arrives alone
    expectAckOk(await emitAck(b, 'channel:typing', { channelId: pub.id }), 'bob types');
    await seen(a, 'channel:typing', (x) => x.userId === bob.user.id);
    assert.deepEqual(received(a, 'channel:typing').map((x) => x.userId), [bob.user.id], `no typing from the outsider: ${summary(a)}`);
    const hist = await history(alice, pub.id);
    assert.ok(!hist.some((x) => x.content === 'intruder'), 'nothing stored from the refused sends');
  });

  test(name('typing: channel:typing {channelId, userId, userName} and channel:stop_typing reach the others in the room, not the sender'), T_OPTS, async () => {
    const ch = await newChannel();
    const [a, b, c] = await Promise.all([conn(alice, tr), conn(bob, tr), conn(carol, tr)]);
    for (const s of [a, b, c]) await join(s, ch.id);
    expectAckOk(await emitAck(b, 'channel:typing', { channelId: ch.id }), 'typing');
    for (const s of [a, c]) {
      const ev = await seen(s, 'channel:typing', byUser(ch.id, bob.user.id));
      assert.equal(ev.userName, 'Bob Member', `userName is "First Last": ${JSON.stringify(ev)}`);
    }
    expectAckOk(await emitAck(a, 'channel:typing', { channelId: ch.id }), 'marker typing');
    await seen(b, 'channel:typing', byUser(ch.id, alice.user.id));
    assert.deepEqual(received(b, 'channel:typing').map((x) => x.userId), [alice.user.id], `bob not told of his own typing: ${summary(b)}`);

    expectAckOk(await emitAck(b, 'channel:stop_typing', { channelId: ch.id }), 'stop_typing');
    for (const s of [a, c]) {
      const ev = await seen(s, 'channel:stop_typing', byUser(ch.id, bob.user.id));
      assert.equal(ev.channelId, ch.id);
    }
    expectAckOk(await emitAck(a, 'channel:stop_typing', { channelId: ch.id }), 'marker stop_typing');
    await seen(b, 'channel:stop_typing', byUser(ch.id, alice.user.id));
    assert.deepEqual(received(b, 'channel:stop_typing').map((x) => x.userId), [alice.user.id], summary(b));

    // fire-and-forget (no ack) works too
    c.emit('channel:typing', { channelId: ch.id });
    const ev = await seen(a, 'channel:typing', byUser(ch.id, carol.user.id));
    assert.equal(ev.userName, 'Carol Member');
    c.emit('channel:stop_typing', { channelId: ch.id });
    await seen(b, 'channel:stop_typing', byUser(ch.id, carol.user.id));
  });

  test(name('presence: two tabs of one user give one presence:online; presence:offline only when the last tab goes'), T_OPTS, async () => {
    const s = uniq(4);
    const users = [];
    for (const n of ['One', 'Two', 'Three', 'Four']) users.push(await registerUser(ctx.url, { firstName: `Pia${s}`, lastName: n }));
    const [u1, u2, u3, u4] = users;
    const w = await createWorkspace(ctx.url, u2.accessToken, { name: `Presence ${s}` });
    for (const u of [u1, u3, u4]) await addMember(ctx.url, u2.accessToken, w.id, u, 'member');

    const observer = await conn(u2, tr);
    const tab1 = await conn(u1, tr);
    const on = await seen(observer, 'presence:online', (x) => x.userId === u1.user.id);
    assert.equal(on.userName, `Pia${s} One`, `userName is "First Last": ${JSON.stringify(on)}`);
    const tab2 = await conn(u1, tr);
    await conn(u3, tr); // marker: a later presence:online on the same path
    await seen(observer, 'presence:online', (x) => x.userId === u3.user.id);
    assert.equal(received(observer, 'presence:online', (x) => x.userId === u1.user.id).length, 1,
      `one presence:online for two tabs: ${summary(observer)}`);

    const gone1 = once(tab1, 'disconnect');
    tab1.disconnect();
    await gone1;
    await conn(u4, tr); // marker: connected after the first tab was closed
    await seen(observer, 'presence:online', (x) => x.userId === u4.user.id);
    assert.equal(received(observer, 'presence:offline', (x) => x.userId === u1.user.id).length, 0,
      `no presence:offline while a tab is left: ${summary(observer)}`);

    tab2.disconnect();
    const off = await seen(observer, 'presence:offline', (x) => x.userId === u1.user.id, { timeoutMs: 10000 });
    assert.equal(off.userId, u1.user.id);
  });

  test(name('presence: not sent to users who share no workspace'), T_OPTS, async () => {
    const s = uniq(4);
    const [p1, p2, q, r] = [
      await registerUser(ctx.url, { firstName: 'Pe', lastName: `One${s}` }),
      await registerUser(ctx.url, { firstName: 'Pe', lastName: `Two${s}` }),
      await registerUser(ctx.url, { firstName: 'Qu', lastName: `Q${s}` }),
      await registerUser(ctx.url, { firstName: 'Ru', lastName: `R${s}` }),
    ];
    const wp = await createWorkspace(ctx.url, p2.accessToken, { name: `P ${s}` });
    await addMember(ctx.url, p2.accessToken, wp.id, p1, 'member');
    const wq = await createWorkspace(ctx.url, q.accessToken, { name: `Q ${s}` });
    await addMember(ctx.url, q.accessToken, wq.id, r, 'member');

    const qs = await conn(q, tr);
    const p2s = await conn(p2, tr);
    const p1s = await conn(p1, tr);
    await seen(p2s, 'presence:online', (x) => x.userId === p1.user.id);
    const rs = await conn(r, tr);
    await seen(qs, 'presence:online', (x) => x.userId === r.user.id);
    p1s.disconnect();
    await seen(p2s, 'presence:offline', (x) => x.userId === p1.user.id, { timeoutMs: 10000 });
    rs.disconnect();
    await seen(qs, 'presence:offline', (x) => x.userId === r.user.id, { timeoutMs: 10000 });

    const about = (sock, ids) => sock.received.filter((x) => x.event.startsWith('presence:') && ids.includes(x.data?.userId));
    assert.deepEqual(about(qs, [p1.user.id, p2.user.id]), [], `q shares no workspace with p1/p2: ${summary(qs)}`);
    assert.deepEqual(about(p2s, [q.user.id, r.user.id]), [], `p2 shares no workspace with q/r: ${summary(p2s)}`);
  });
}

test('REST still answers after the chat tests', async () => {
  expectStatus(await api(ctx.url, 'GET', '/health'), 200);
});

serverEndChecks(ctx);
