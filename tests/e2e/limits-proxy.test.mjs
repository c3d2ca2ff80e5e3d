// MAX_CONNECTIONS_PER_ADDRESS behind a trusted proxy (TRUST_PROXY=127.0.0.1,
// the test client being the proxy): the proxy's own connections are not
// capped, since each carries other clients; each client is counted by its
// forwarded address when it opens an Engine.IO session; a peer that is not a
// trusted proxy (127.0.0.2, also loopback) is still capped per connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { WS_PATH } from './lib/chat.mjs';

const PER_ADDRESS = 3;
const ctx = serverSuite({ env: { MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS), TRUST_PROXY: '127.0.0.1' } });

/** A TCP connection from localAddress. */
const openSock = (localAddress) => new Promise((resolve, reject) => {
  const s = net.connect({ port: ctx.srv.port, host: '127.0.0.1', localAddress }, () => resolve(s));
  s.on('error', reject);
});

/** Sends one health request on s and resolves with the response head. */
function health(s) {
  const answer = new Promise((resolve) => {
    let b = '';
    const onData = (d) => {
      b += d;
      if (b.includes('\r\n\r\n')) { s.off('data', onData); resolve(b); }
    };
    s.on('data', onData);
  });
  s.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
  return answer;
}

/** What the server sends on s until it closes it. */
const untilClosed = (s) => new Promise((resolve) => { let b = ''; s.on('data', (d) => { b += d; }); s.on('close', () => resolve(b)); });

/** An Engine.IO polling handshake on its own connection for client `from`: {status, text}. */
function handshake(from, extraPath = '') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ctx.srv.port, method: extraPath ? 'POST' : 'GET', agent: false,
      path: `${WS_PATH}/?EIO=4&transport=polling${extraPath}`, headers: { 'X-Forwarded-For': from } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('handshake timed out')));
    req.on('error', reject);
    req.end(extraPath ? '1' : undefined);
  });
}

test('connections from a trusted proxy are not capped per address', async () => {
  const socks = [];
  for (let i = 0; i < PER_ADDRESS * 3; i++) {
    const s = await openSock('127.0.0.1');
    socks.push(s);
    assert.match(await health(s), /^HTTP\/1\.1 200 /, `connection ${i + 1} from the proxy`);
  }
  for (const s of socks) s.destroy();
});

test('a peer that is not a trusted proxy is still capped per address', async () => {
  const socks = [];
  for (let i = 0; i < PER_ADDRESS; i++) {
    const s = await openSock('127.0.0.2');
    socks.push(s);
    assert.match(await health(s), /^HTTP\/1\.1 200 /);
  }
  const text = await untilClosed(await openSock('127.0.0.2'));
  assert.match(text, /^HTTP\/1\.1 429 /);
  assert.match(text, /"code":"TOO_MANY_CONNECTIONS"/);
  for (const s of socks) s.destroy();
});

test('Engine.IO sessions are counted by the forwarded client address', async () => {
  const sids = [];
  for (let i = 0; i < PER_ADDRESS; i++) {
    const r = await handshake('198.51.100.1');
    assert.equal(r.status, 200, r.text);
    sids.push(JSON.parse(r.text.slice(1)).sid);
  }
  const over = await handshake('198.51.100.1');
  assert.equal(over.status, 429, over.text);
  assert.equal(JSON.parse(over.text).code, 'TOO_MANY_CONNECTIONS');
  // another client of the same proxy has its own count
  const other = await handshake('198.51.100.2');
  assert.equal(other.status, 200, other.text);
  sids.push(JSON.parse(other.text.slice(1)).sid);
  for (const sid of sids) await handshake('198.51.100.1', `&sid=${sid}`);
});

serverEndChecks(ctx);
