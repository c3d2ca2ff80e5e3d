// Presence follows a polling client that vanishes: when the connection of its
// held long-poll GET closes, the session ends at once (as the reference
// Engine.IO server does) instead of at the ping timeout (50 s by default).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { registerUser, createWorkspace, addMember } from './lib/api.mjs';
import { connect, closeAll, seen, summary } from './lib/chat.mjs';

const ctx = serverSuite();
afterEach(() => closeAll());

/** One HTTP request on its own socket; resolves {status, body, req}. */
function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body ? { 'Content-Type': 'text/plain' } : {} }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

test('a polling client whose held GET connection drops goes offline at once', { timeout: 30000 }, async () => {
  const watcher = await registerUser(ctx.url, { firstName: 'Wes', lastName: 'Watcher' });
  const poller = await registerUser(ctx.url, { firstName: 'Pia', lastName: 'Poller' });
  const ws = await createWorkspace(ctx.url, watcher.accessToken, { name: 'Presence WS' });
  await addMember(ctx.url, watcher.accessToken, ws.id, poller, 'member');
  const w = await connect(ctx.url, watcher.accessToken, { transports: ['websocket'] });

  // A polling session made by hand: handshake, namespace CONNECT, then a held GET.
  const base = `${ctx.url}/ws/?EIO=4&transport=polling`;
  const open = await request('GET', base);
  assert.equal(open.status, 200, open.body);
  const sid = JSON.parse(open.body.slice(1)).sid;
  const post = await request('POST', `${base}&sid=${sid}`, `40/chat,${JSON.stringify({ token: poller.accessToken })}`);
  assert.equal(post.status, 200, post.body);
  await seen(w, 'presence:online', (d) => d && d.userId === poller.user.id);

  // Read what the connect queued, up to `welcome` (the last packet the server
  // sends after accepting); the next GET then has nothing to carry and is held.
  let got = '';
  for (let i = 0; i < 20 && !got.includes('"welcome"'); i++) {
    const r = await request('GET', `${base}&sid=${sid}`);
    assert.equal(r.status, 200, r.body);
    got += r.body;
  }
  assert.ok(got.includes('"welcome"'), `welcome received over polling: ${got}`);
  const held = http.request(`${base}&sid=${sid}`, { agent: false });
  held.on('error', () => {});
  held.end();
  await new Promise((resolve) => held.once('finish', resolve)); // the GET is in the kernel's hands
  assert.ok(held, 'a long-poll GET is held');
  const t0 = Date.now();
  held.destroy();
  await seen(w, 'presence:offline', (d) => d && d.userId === poller.user.id, { timeoutMs: 10000 });
  const ms = Date.now() - t0;
  assert.ok(ms < 10000, `offline after ${ms} ms: ${summary(w)}`);
});

serverEndChecks(ctx);
