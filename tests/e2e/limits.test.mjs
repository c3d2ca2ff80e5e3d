// Limits a peer cannot get around: connections and Engine.IO sessions per
// client address (MAX_CONNECTIONS_PER_ADDRESS, small here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { WS_PATH } from './lib/chat.mjs';

const PER_ADDRESS = 4;
const ctx = serverSuite({ env: { MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS) } });

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

serverEndChecks(ctx);
