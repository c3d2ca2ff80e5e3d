// Chat robustness: an oversized message closes only its own client, a big
// room gets every message in order, a client that stops reading is cut off
// at its output limit without slowing the others, and garbage on the raw
// WebSocket and on the polling transport never takes the server down (the
// closing check asserts a clean SIGTERM exit and no 5xx).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, registerUser, createWorkspace, addMember, createChannel, uniq, UNKNOWN_ID,
} from './lib/api.mjs';
import {
  TRANSPORTS, WS_PATH, NAMESPACE, connect, closeAll, once, seen, received, summary, emitAck,
  expectAckOk, RawWs, rawChatConnect, rawEmitAck,
} from './lib/chat.mjs';

// The load tests here send hundreds of messages per user as fast as they
// are acknowledged: the per-user rate limit is off (limits.test.mjs tests it).
const ctx = serverSuite({ env: { CHAT_RATE_LIMIT: '0' } });
const WS_ONLY = ['websocket'];
const MAX_CONTENT = 10000;

let alice; let bob; let carol; let slowUser; let ws; let bulkUsers = [];

afterEach(() => closeAll());

const conn = (user, transports, opts = {}) => connect(ctx.url, user.accessToken, { transports, ...opts });
async function join(s, channelId) {
  return expectAckOk(await emitAck(s, 'channel:join', { channelId }), `channel:join ${channelId}`);
}
async function send(s, channelId, content, timeoutMs) {
  return expectAckOk(await emitAck(s, 'message:send', { channelId, content }, { timeoutMs }), `message:send ${content.slice(0, 30)}`);
}
const byContent = (content) => (m) => m && m.content === content;
const newChannel = () => createChannel(ctx.url, alice.accessToken, ws.id);

/** A normal client still connects, joins, sends and is heard (both transports). */
async function assertChatAlive(what) {
  const ch = await newChannel();
  for (const tr of TRANSPORTS) {
    const a = await conn(alice, tr.transports);
    const b = await conn(bob, tr.transports);
    await join(a, ch.id);
    await join(b, ch.id);
    const c = `alive ${tr.name} ${uniq()}`;
    await send(a, ch.id, c);
    await seen(b, 'message:new', byContent(c), { what: `${what}: a normal client is still served (${tr.name})` });
    a.close();
    b.close();
  }
}

/**
 * One request to the Engine.IO endpoint with node:http (a server may answer
 * 413 and close before a large body is sent; write errors after the answer
 * are ignored). Resolves {status, text}.
 */
function eio(method, query, body) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const buf = body === undefined ? undefined : (Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
    const headers = buf ? { 'content-type': 'text/plain;charset=UTF-8', 'content-length': buf.length } : {};
    const req = http.request({ host: '127.0.0.1', port: ctx.srv.port, method, path: `${WS_PATH}/?${query}`, headers, agent: false }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${WS_PATH}/?${query.slice(0, 60)} timed out`)));
    req.on('error', (e) => { if (!answered) reject(e); });
    if (!buf) { req.end(); return; }
    let off = 0;
    const pump = () => {
      while (off < buf.length && !answered) {
        const end = Math.min(off + 65536, buf.length);
        const ok = req.write(buf.subarray(off, end));
        off = end;
        if (!ok) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

/** A fresh polling session: its sid. */
async function pollingSession() {
  const r = await eio('GET', 'EIO=4&transport=polling');
  assert.equal(r.status, 200, `polling handshake: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.text[0], '0', `open packet expected: ${r.text.slice(0, 200)}`);
  const hs = JSON.parse(r.text.slice(1).split('\x1e')[0]);
  assert.equal(typeof hs.sid, 'string');
  return hs.sid;
}

test('setup: a workspace, members, a user for the slow client and ten users for the big room', async () => {
  alice = await registerUser(ctx.url, { firstName: 'Ann', lastName: 'Admin' });
  bob = await registerUser(ctx.url, { firstName: 'Bob', lastName: 'Member' });
  carol = await registerUser(ctx.url, { firstName: 'Carol', lastName: 'Member' });
  slowUser = await registerUser(ctx.url, { firstName: 'Slow', lastName: 'Reader' });
  ws = await createWorkspace(ctx.url, alice.accessToken, { name: 'Robust chat' });
  for (const u of [bob, carol, slowUser]) await addMember(ctx.url, alice.accessToken, ws.id, u, 'member');
  bulkUsers = await Promise.all(Array.from({ length: 10 }, (_, i) => registerUser(ctx.url, { firstName: 'Bulk', lastName: `N${i}` })));
  for (const u of bulkUsers) await addMember(ctx.url, alice.accessToken, ws.id, u, 'member');
});

for (const tr of TRANSPORTS) {
  test(`[${tr.name}] a message over 1 MB closes only that client; the others keep working`, { timeout: 60000 }, async () => {
    const ch = await newChannel();
    const [x, y, a] = await Promise.all([conn(bob, tr.transports), conn(carol, tr.transports), conn(alice, tr.transports)]);
    for (const s of [x, y, a]) await join(s, ch.id);
    const gone = once(x, 'disconnect', { timeoutMs: 15000, what: 'the oversized sender is disconnected' });
    const big = 'z'.repeat(1024 * 1024 + 1024);
    x.emit('message:send', { channelId: ch.id, content: big }, () => {});
    const reason = await gone;
    assert.ok(typeof reason === 'string', `disconnect reason: ${reason}`);
    assert.ok(!x.connected);

    const after = `still here ${uniq()}`;
    await send(y, ch.id, after);
    await seen(a, 'message:new', byContent(after));
    await seen(y, 'message:new', byContent(after));
    assert.ok(y.connected && a.connected, 'the other clients stay connected');
    for (const s of [y, a]) {
      assert.deepEqual(received(s, 'message:new').map((m) => m.content), [after], `nothing of the oversized message: ${summary(s)}`);
    }
    // the same user connects again at once
    const x2 = await conn(bob, tr.transports);
    await join(x2, ch.id);
    const again = `bob again ${uniq()}`;
    await send(x2, ch.id, again);
    await seen(a, 'message:new', byContent(again));
  });
}

test('200 clients in one room each receive 100 messages, in order', { timeout: 90000 }, async () => {
  const N = 200;
  const M = 100;
  const started = Date.now();
  const ch = await newChannel();
  const tag = uniq(6);
  const clients = [];
  for (let i = 0; i < N; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 25); j++) batch.push(conn(bulkUsers[j % bulkUsers.length], WS_ONLY, { timeoutMs: 20000 }));
    clients.push(...await Promise.all(batch));
  }
  await Promise.all(clients.map((s) => join(s, ch.id)));
  const expected = Array.from({ length: M }, (_, i) => `bulk ${tag} ${i}`);
  const done = clients.map((s) => new Promise((resolve) => {
    const got = [];
    s.on('message:new', (m) => {
      if (m.channelId !== ch.id) return;
      got.push(m.content);
      if (got.length === M) resolve(got);
    });
  }));
  const sender = await conn(alice, WS_ONLY);
  await join(sender, ch.id);
  for (const c of expected) await send(sender, ch.id, c, 15000);

  let timer;
  const all = await Promise.race([
    Promise.all(done),
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), 30000); }),
  ]);
  clearTimeout(timer);
  if (!all) {
    const counts = clients.map((s) => received(s, 'message:new', (m) => m.channelId === ch.id).length);
    const short = counts.filter((c) => c < M).length;
    assert.fail(`${short} of ${N} clients got fewer than ${M} messages (min ${Math.min(...counts)}); connected: ` +
      `${clients.filter((s) => s.connected).length}`);
  }
  all.forEach((got, i) => assert.deepEqual(got, expected, `client ${i}: every message once, in order`));
  const dupes = clients.filter((s) => received(s, 'message:new', (m) => m.channelId === ch.id).length !== M);
  assert.equal(dupes.length, 0, 'no client got a message twice');
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 60000, `200 x 100 took ${elapsed} ms (bound 60 s)`);
});

test('a client that stops reading is disconnected at its output limit while the others receive every message', { timeout: 120000 }, async () => {
  const ch = await newChannel();
  const raw = await rawChatConnect(ctx.srv.port, slowUser.accessToken);
  const { pingInterval, pingTimeout } = raw.handshake;
  assert.equal(raw.welcome.userId, slowUser.user.id);
  expectAckOk(await rawEmitAck(raw.ws, 1, 'channel:join', { channelId: ch.id }), 'raw client joins');
  const obs = await conn(carol, WS_ONLY);
  const sender = await conn(alice, WS_ONLY);
  await join(obs, ch.id);
  await join(sender, ch.id);

  raw.ws.autoPong = false;
  raw.ws.sock.pause(); // stop reading: the kernel buffers fill, then the server's queue
  const pausedAt = Date.now();
  const slowGone = () => received(obs, 'presence:offline', (p) => p.userId === slowUser.user.id).length > 0;

  const pad = 'p'.repeat(MAX_CONTENT - 40);
  const sent = [];
  const MAX_MESSAGES = 6000; // 60 MB: far above 8 MB of queue plus the kernel's socket buffers
  const WINDOW = 32;
  while (!slowGone() && sent.length < MAX_MESSAGES) {
    const batch = [];
    for (let i = 0; i < WINDOW; i++) {
      const c = `slow ${String(sent.length).padStart(6, '0')} ${pad}`.slice(0, MAX_CONTENT);
      sent.push(c);
      batch.push(send(sender, ch.id, c, 20000));
    }
    await Promise.all(batch);
  }
  if (!slowGone()) {
    await seen(obs, 'presence:offline', (p) => p.userId === slowUser.user.id, {
      timeoutMs: 10000, what: `the paused client is dropped after ${sent.length} messages of ${MAX_CONTENT} chars`,
    });
  }
  const elapsed = Date.now() - pausedAt;
  assert.ok(elapsed < pingInterval + pingTimeout,
    `the paused client went after ${elapsed} ms, not before the heartbeat could have dropped it (${pingInterval}+${pingTimeout} ms)`);

  const mark = `after the slow one ${uniq()}`;
  await send(sender, ch.id, mark);
  sent.push(mark);
  await seen(obs, 'message:new', byContent(mark), { timeoutMs: 20000 });
  const got = received(obs, 'message:new', (m) => m.channelId === ch.id).map((m) => m.content);
  assert.equal(got.length, sent.length, 'the reading client got every message');
  assert.ok(got.every((c, i) => c === sent[i]), 'in order');
  assert.ok(obs.connected && sender.connected, 'the reading clients are still connected');

  // reading again shows the server closed the connection (it had to drop output)
  raw.ws.sock.resume();
  assert.ok(await raw.ws.waitClosed(15000), 'the server closed the paused client\'s connection');
  const totalBytes = sent.length * MAX_CONTENT;
  assert.ok(raw.ws.bytesIn < totalBytes, `the paused client did not get everything (${raw.ws.bytesIn} of ~${totalBytes} bytes)`);
});

// A 5000-byte frame (over the server's 4096-byte buffer for incomplete
// frames) whose header is split across two reads: 0x81 ends one write,
// 0xFE 0x13 0x88, the key and the payload come in later ones. The ack of
// the request in the first write proves the server read it on its own.
test('a large frame whose header is split across reads is delivered (no crash)', { timeout: 30000 }, async () => {
  const ch = await newChannel();
  const c = await rawChatConnect(ctx.srv.port, bob.accessToken);
  const watcher = await conn(alice, WS_ONLY);
  await join(watcher, ch.id);
  const head = `42${NAMESPACE},2["message:send",{"channelId":"${ch.id}","content":"`;
  const tail = '"}]';
  const content = `split ${uniq()} `.padEnd(5000 - head.length - tail.length, 'x');
  const payload = Buffer.from(head + content + tail, 'utf8');
  assert.equal(payload.length, 5000);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i & 3]));
  const join1 = Buffer.from(`42${NAMESPACE},1["channel:join",{"channelId":"${ch.id}"}]`, 'utf8');
  const first = Buffer.alloc(6 + join1.length);
  first[0] = 0x81;
  first[1] = 0x80 | join1.length;
  const k1 = randomBytes(4);
  k1.copy(first, 2);
  for (let i = 0; i < join1.length; i++) first[6 + i] = join1[i] ^ k1[i & 3];
  c.ws.write(Buffer.concat([first, Buffer.from([0x81])]));
  const ack1 = await c.ws.next({ what: 'the join ack', filter: (m) => typeof m === 'string' && m.startsWith(`43${NAMESPACE},1[`) });
  assert.match(ack1, /"ok":true/);
  c.ws.write(Buffer.concat([Buffer.from([0xfe, 0x13, 0x88]), key, masked.subarray(0, 100)]));
  c.ws.write(masked.subarray(100));
  const ack2 = await c.ws.next({ what: 'the send ack', filter: (m) => typeof m === 'string' && m.startsWith(`43${NAMESPACE},2[`) });
  assert.match(ack2, /"ok":true/);
  await seen(watcher, 'message:new', byContent(content), { what: 'the 5000-byte message reaches the room' });
  c.ws.destroy();
});

// Binary attachments are buffered only after a namespace connect, and one
// packet's text and attachments together stay within CHAT_MAX_PAYLOAD
// (1,000,000 here): an offender is disconnected at once instead of holding
// 64 x 999,000 bytes until its connect times out.
test('binary packets: none before the namespace connect, at most CHAT_MAX_PAYLOAD per packet', { timeout: 30000 }, async () => {
  const placeholders = Array.from({ length: 64 }, (_, i) => `{"_placeholder":true,"num":${i}}`).join(',');
  const pkt = `4564-${NAMESPACE},["message:send",${placeholders}]`;
  const path = `${WS_PATH}/?EIO=4&transport=websocket`;
  // before any CONNECT: closed at the packet's text
  const w = await RawWs.open(ctx.srv.port, path);
  await w.next({ what: 'open packet' });
  w.send(pkt);
  assert.ok(await w.waitClosed(5000), 'a binary packet before the namespace connect closes the session');
  w.destroy();
  // after the CONNECT: closed once the attachments pass the limit
  const c = await rawChatConnect(ctx.srv.port, bob.accessToken);
  c.ws.send(pkt);
  const chunk = Buffer.alloc(999000, 0x62);
  for (let i = 0; i < 3 && !c.ws.ended; i++) c.ws.sendFrame(0x2, chunk);
  assert.ok(await c.ws.waitClosed(5000), 'attachments over CHAT_MAX_PAYLOAD close the session');
  c.ws.destroy();
  // a binary packet within the limit is still fine (ignored by the gateway, the session stays)
  const d = await rawChatConnect(ctx.srv.port, bob.accessToken);
  d.ws.send(`451-${NAMESPACE},["nothing",{"_placeholder":true,"num":0}]`);
  d.ws.sendFrame(0x2, Buffer.alloc(1000, 1));
  const ack = await rawEmitAck(d.ws, 5, 'channel:leave', { channelId: UNKNOWN_ID });
  assert.equal(typeof ack, 'object');
  d.ws.destroy();
  await assertChatAlive('after binary floods');
});

test('garbage on raw WebSockets (frames, Engine.IO and Socket.IO packets) does not hurt the server', { timeout: 90000 }, async () => {
  const path = `${WS_PATH}/?EIO=4&transport=websocket`;
  const mustClose = [];

  // 1) random bytes straight after the upgrade
  for (let i = 0; i < 20; i++) {
    const w = await RawWs.open(ctx.srv.port, path);
    w.write(randomBytes(1 + Math.floor(Math.random() * 4096)));
    w.destroy();
  }

  // 2) frames that RFC 6455 says must fail the connection
  const frameCases = [
    ['unmasked client frame', (w) => w.sendFrame(0x1, '4hello', { mask: false })],
    ['reserved bit set', (w) => {
      const f = Buffer.from([0xc1, 0x80, 1, 2, 3, 4]);
      w.write(f);
    }],
    ['reserved opcode 3', (w) => w.sendFrame(0x3, 'x')],
    ['reserved opcode 0xb', (w) => w.sendFrame(0xb, 'x')],
    ['ping with 200 bytes', (w) => w.sendFrame(0x9, Buffer.alloc(200, 1))],
    ['fragmented ping', (w) => w.sendFrame(0x9, 'x', { fin: false })],
    ['continuation without a start', (w) => w.sendFrame(0x0, 'x')],
    ['invalid UTF-8 text', (w) => w.sendFrame(0x1, Buffer.from([0x34, 0xff, 0xfe, 0xc0, 0x80]))],
    ['length 2^63', (w) => w.write(Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]))],
    // announced as 4 GiB: once more than the 1 MiB message limit has arrived
    // the server must give up (1009), not buffer on
    ['length 2^32, then 1.1 MB of it', (w) => {
      w.write(Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]));
      w.write(Buffer.alloc(1100000, 0x41));
    }],
    ['fragments adding up to over 1 MB', (w) => {
      for (let i = 0; i < 12; i++) w.sendFrame(i === 0 ? 0x1 : 0x0, Buffer.alloc(100000, 0x61), { fin: false });
    }],
    ['new text frame inside a fragmented one', (w) => { w.sendFrame(0x1, '4a', { fin: false }); w.sendFrame(0x1, '4b'); }],
  ];
  for (const [what, act] of frameCases) {
    const w = await RawWs.open(ctx.srv.port, path);
    await w.next({ what: 'open packet' });
    act(w);
    if (!(await w.waitClosed(5000))) mustClose.push(what);
    w.destroy();
  }

  // 3) invalid Engine.IO packets in valid frames, before any Socket.IO connect
  const eioGarbage = ['', '9', 'x', '0', '0{}', '4', '5', '6', '1extra', 'b4AAAA', '\u0000', '2'.repeat(1000),
    '4'.repeat(100000), '\ud83d', '4\u0000\u0000'];
  {
    for (const g of eioGarbage) {
      const w = await RawWs.open(ctx.srv.port, path);
      await w.next({ what: 'open packet' });
      w.send(g);
      w.sendFrame(0x2, randomBytes(64));
      w.destroy();
    }
  }

  // 4) invalid Socket.IO packets, before and after the /chat connect
  const ns = NAMESPACE;
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const sioGarbage = [
    '49', '4x', '4-', `42${ns}`, `42${ns},`, `42${ns},[`, `42${ns},{}`, `42${ns},[]`, `42${ns},[1,2]`, `42${ns},"str"`,
    `42${ns},["message:send"]`, `42${ns},["message:send",null]`, `42${ns},["message:send",{"channelId":5,"content":[]}]`,
    `42${ns},["channel:join",{"channelId":"${'a'.repeat(500000)}"}]`,
    `42${ns},["message:edit",{"messageId":"${UNKNOWN_ID}","content":{"a":1}}]`,
    `42${ns},99999999999999999999999["channel:join",{}]`, `42${ns},-1["channel:join",{}]`,
    `43${ns},5[{}]`, `43${ns},[]`, `45-${ns},["x",{"_placeholder":true,"num":0}]`,
    `46-${ns},7["x",{"_placeholder":true,"num":3}]`, `451-${ns},["message:send",{"_placeholder":true,"num":0}]`,
    `41${ns},extra`, `40/other,{}`, `40${ns},notjson`, `40${ns},{"token":"x"}`, `42/nope,["x"]`,
    `42${ns},${deep}`, `42${ns},["message:send",{"channelId":"\\ud800","content":"\\udfff"}]`,
    `42${ns},["message:send",{"channelId":"x","content":"x"}]trailing`,
  ];
  for (const afterConnect of [false, true]) {
    let c;
    if (afterConnect) {
      c = await rawChatConnect(ctx.srv.port, bob.accessToken);
    } else {
      c = { ws: await RawWs.open(ctx.srv.port, path) };
      await c.ws.next({ what: 'open packet' });
    }
    for (const g of sioGarbage) c.ws.send(g);
    c.ws.sendFrame(0x2, randomBytes(128));
    // a valid request after the garbage is either answered or the connection is gone
    if (afterConnect && !c.ws.ended && !c.ws.closing) {
      c.ws.send(`42${ns},77["channel:leave",{"channelId":"${UNKNOWN_ID}"}]`);
      await c.ws.next({ what: 'an answer or a close', timeoutMs: 5000, filter: (m) => typeof m === 'string' && m.startsWith(`43${ns},77[`) })
        .catch((err) => { if (!c.ws.ended && !c.ws.closing) throw err; });
    }
    c.ws.destroy();
  }
  // and one Socket.IO garbage packet per fresh connection, each after a good connect
  for (const g of sioGarbage) {
    const c = await rawChatConnect(ctx.srv.port, bob.accessToken);
    c.ws.send(g);
    c.ws.destroy();
  }

  assert.deepEqual(mustClose, [], 'protocol violations must fail the WebSocket connection (RFC 6455)');
  await assertChatAlive('after raw WebSocket garbage');
});

test('garbage on the polling transport, unknown sids and bad EIO versions are refused without a 5xx', { timeout: 90000 }, async () => {
  // bad handshakes and unknown sessions: 400 (Engine.IO errors)
  const bad400 = [
    ['GET', 'EIO=3&transport=polling'],
    ['GET', 'EIO=abc&transport=polling'],
    ['GET', 'EIO=&transport=polling'],
    ['GET', 'transport=polling'],
    ['GET', 'EIO=4&transport=carrier-pigeon'],
    ['GET', 'EIO=4'],
    ['GET', 'EIO=4&transport=polling&sid=nope'],
    ['GET', `EIO=4&transport=polling&sid=${'A'.repeat(20)}`],
    ['POST', 'EIO=4&transport=polling&sid=nope'],
    ['POST', 'EIO=4&transport=polling'],
  ];
  for (const [m, q] of bad400) {
    const r = await eio(m, q, m === 'POST' ? '4hello' : undefined);
    assert.equal(r.status, 400, `${m} ?${q.slice(0, 60)}: 400 expected, got ${r.status} ${r.text.slice(0, 200)}`);
  }
  {
    const r = await eio('GET', `EIO=4&transport=polling&sid=${'x'.repeat(5000)}`);
    assert.ok(r.status >= 400 && r.status < 500, `a 5,000-char sid: ${r.status} ${r.text.slice(0, 200)}`);
  }
  for (const m of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await eio(m, 'EIO=4&transport=polling', m === 'DELETE' || m === 'OPTIONS' ? undefined : 'x');
    assert.ok(r.status < 500, `${m} handshake: ${r.status} ${r.text.slice(0, 200)}`);
  }
  // a WebSocket for an unknown session or an old protocol is refused (or
  // closed before any Engine.IO packet)
  for (const q of ['EIO=4&transport=websocket&sid=nope', 'EIO=3&transport=websocket', 'EIO=x&transport=websocket']) {
    let w;
    try {
      w = await RawWs.open(ctx.srv.port, `${WS_PATH}/?${q}`);
    } catch (err) {
      assert.match(err.message, /upgrade answered HTTP\/1\.1 4\d\d/, `${q}: ${err.message}`);
      continue;
    }
    const first = await w.next({ timeoutMs: 5000, what: 'a close' }).catch(() => null);
    w.destroy();
    assert.equal(first, null, `${q}: the WebSocket must not open a session, got ${String(first).slice(0, 100)}`);
  }

  // garbage bodies, one fresh session each
  const bodies = [
    '', '9', 'x', '4', '\x1e', '\x1e\x1e\x1e', '4a\x1e9\x1e4b', '0', '0{}', '1', '2probe', '5', '6', 'b', 'bAAA', 'b!!!!',
    '40/chat,{"token":"x"}', '40/chat,{"token":"x"}\x1e42/chat,["message:send",{}]', '42/chat,[', '4' + 'a'.repeat(900000),
    Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x1e, 0x34]), randomBytes(2048), randomBytes(65536),
    '4\ud800', `40/chat,{"token":"${bob.accessToken}"}\x1e42/chat,${'['.repeat(50000)}`,
  ];
  for (const b of bodies) {
    const sid = await pollingSession();
    const r = await eio('POST', `EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, b);
    assert.ok(r.status < 500, `POST ${JSON.stringify(String(b).slice(0, 40))}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  // several garbage POSTs on one session, and a body over maxPayload
  {
    const sid = await pollingSession();
    for (let i = 0; i < 10; i++) {
      const r = await eio('POST', `EIO=4&transport=polling&sid=${sid}`, randomBytes(512));
      assert.ok(r.status < 500, `repeated garbage POST: ${r.status}`);
    }
    const sid2 = await pollingSession();
    const r = await eio('POST', `EIO=4&transport=polling&sid=${sid2}`, '4' + 'q'.repeat(1100000));
    assert.ok(r.status === 413 || r.status === 400, `POST over maxPayload: ${r.status} ${r.text.slice(0, 200)}`);
    const r2 = await eio('POST', `EIO=4&transport=polling&sid=${sid2}`, '4x');
    assert.equal(r2.status, 400, `the session closed by the oversized POST is gone: ${r2.status} ${r2.text.slice(0, 200)}`);
  }
  await assertChatAlive('after polling garbage');
  // REST is unaffected
  expectOk(await api(ctx.url, 'GET', '/health'));
});

serverEndChecks(ctx);
