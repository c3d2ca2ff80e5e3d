// Limits a peer cannot get around: connections and Engine.IO sessions per
// client address (MAX_CONNECTIONS_PER_ADDRESS, small here), chat messages
// per user (CHAT_RATE_LIMIT / CHAT_RATE_BURST, small here) and store calls
// in flight per chat socket (64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { WS_PATH, NAMESPACE, rawChatConnect } from './lib/chat.mjs';
import { api, expectOk, registerUser, createWorkspace, createChannel } from './lib/api.mjs';

const PER_ADDRESS = 6;
const RATE = 5;
const BURST = 10;
const ctx = serverSuite({
  env: { MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS), CHAT_RATE_LIMIT: String(RATE), CHAT_RATE_BURST: String(BURST) },
});

/** One request on its own connection: {status, text}. */
function request(method, pathQuery, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ctx.srv.port, method, path: pathQuery, agent: false,
      headers: body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${pathQuery} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

const handshake = () => request('GET', `${WS_PATH}/?EIO=4&transport=polling`);

test('Engine.IO sessions per address: one over the limit is 429 TOO_MANY_CONNECTIONS until one ends', async () => {
  const sids = [];
  for (let i = 0; i < PER_ADDRESS; i++) {
    const r = await handshake();
    assert.equal(r.status, 200, r.text);
    sids.push(JSON.parse(r.text.slice(1)).sid);
  }
  const over = await handshake();
  assert.equal(over.status, 429, over.text);
  assert.equal(JSON.parse(over.text).code, 'TOO_MANY_CONNECTIONS');
  // the client closes one session (Engine.IO close packet): a handshake works again
  const closed = await request('POST', `${WS_PATH}/?EIO=4&transport=polling&sid=${sids[0]}`, '1');
  assert.equal(closed.status, 200);
  let again;
  for (let i = 0; i < 100; i++) { // each refused try is a full round trip; the slot frees within a loop pass or two
    again = await handshake();
    if (again.status === 200) break;
  }
  assert.equal(again.status, 200, again.text);
  sids.push(JSON.parse(again.text.slice(1)).sid);
  for (const sid of sids.slice(1)) await request('POST', `${WS_PATH}/?EIO=4&transport=polling&sid=${sid}`, '1');
});

test('connections per address: one over the limit is answered 429 and closed', async () => {
  const socks = [];
  const openSock = () => new Promise((resolve, reject) => {
    const s = net.connect(ctx.srv.port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  // the limit counts open connections; health requests prove each one is served
  for (let i = 0; i < PER_ADDRESS; i++) {
    const s = await openSock();
    socks.push(s);
    const answer = new Promise((resolve) => { let b = ''; s.on('data', (d) => { b += d; if (b.includes('\r\n\r\n')) resolve(b); }); });
    s.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(await answer, /^HTTP\/1\.1 200 /);
  }
  const extra = await openSock();
  const text = await new Promise((resolve) => { let b = ''; extra.on('data', (d) => { b += d; }); extra.on('close', () => resolve(b)); });
  assert.match(text, /^HTTP\/1\.1 429 /);
  assert.match(text, /"code":"TOO_MANY_CONNECTIONS"/);
  for (const s of socks) s.destroy();
});

/** One WebSocket write holding a masked text frame per packet. */
function framesOf(texts) {
  return Buffer.concat(texts.map((t) => {
    const p = Buffer.from(t, 'utf8');
    assert.ok(p.length < 65536);
    const head = p.length < 126 ? Buffer.from([0x81, 0x80 | p.length]) : Buffer.from([0x81, 0x80 | 126, p.length >> 8, p.length & 255]);
    return Buffer.concat([head, Buffer.alloc(4), p]); // an all-zero mask leaves the payload as is
  }));
}

/** Sends the packets in one write and collects the acks of ids [first, first + n). */
async function burst(ws, first, texts) {
  ws.write(framesOf(texts));
  const acks = new Map();
  while (acks.size < texts.length) {
    const m = await ws.next({ what: `ack ${acks.size + 1} of ${texts.length}`, filter: (x) => typeof x === 'string' && x.startsWith(`43${NAMESPACE},`) });
    const rest = m.slice(`43${NAMESPACE},`.length);
    const id = Number(rest.slice(0, rest.indexOf('[')));
    acks.set(id, JSON.parse(rest.slice(rest.indexOf('[')))[0]);
  }
  return Array.from({ length: texts.length }, (_, i) => acks.get(first + i));
}

let owner; let channel;
test('chat setup: a user, a workspace and a channel', async () => {
  owner = await registerUser(ctx.url, { firstName: 'Rate', lastName: 'Limited' });
  const ws = await createWorkspace(ctx.url, owner.accessToken, { name: 'Limits' });
  channel = await createChannel(ctx.url, owner.accessToken, ws.id);
});

test('chat messages per user: over CHAT_RATE_BURST at once, the rest is RATE_LIMITED and not stored', async () => {
  const c = await rawChatConnect(ctx.srv.port, owner.accessToken);
  const [join] = await burst(c.ws, 1, [`42${NAMESPACE},1["channel:join",{"channelId":"${channel.id}"}]`]);
  assert.equal(join.ok, true);
  const N = 3 * BURST;
  const sends = Array.from({ length: N }, (_, i) =>
    `42${NAMESPACE},${100 + i}["message:send",{"channelId":"${channel.id}","content":"burst ${i}"}]`);
  const acks = await burst(c.ws, 100, sends);
  const ok = acks.filter((a) => a.ok === true).length;
  const limited = acks.filter((a) => a.ok === false && a.code === 'RATE_LIMITED');
  assert.ok(ok >= BURST && ok < N, `${ok} of ${N} accepted (burst ${BURST}, ${RATE}/s)`);
  assert.equal(ok + limited.length, N, JSON.stringify(acks.find((a) => a.ok !== true && a.code !== 'RATE_LIMITED')));
  assert.equal(typeof limited[0].message, 'string');
  const stored = expectOk(await api(ctx.url, 'GET', `/channels/${channel.id}/messages?limit=100`, { token: owner.accessToken }));
  assert.equal(stored.filter((m) => m.content.startsWith('burst ')).length, ok, 'refused messages are not stored');
  c.ws.destroy();
});

test('store calls in flight per chat socket: past 64 the ack is RATE_LIMITED', async () => {
  const c = await rawChatConnect(ctx.srv.port, owner.accessToken);
  // 100 joins in one read: all are submitted before the first can complete
  const joins = Array.from({ length: 100 }, (_, i) => `42${NAMESPACE},${1000 + i}["channel:join",{"channelId":"${channel.id}"}]`);
  const acks = await burst(c.ws, 1000, joins);
  assert.equal(acks.filter((a) => a.ok === true).length, 64);
  assert.ok(acks.slice(64).every((a) => a.ok === false && a.code === 'RATE_LIMITED'), JSON.stringify(acks.slice(64, 66)));
  c.ws.destroy();
});

serverEndChecks(ctx);
