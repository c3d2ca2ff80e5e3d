// The store's queue is bounded (STORE_MAX_QUEUE, small here): work past it
// is refused at once, never queued without bound. REST answers 503 BUSY
// with Retry-After; a chat ack is {ok:false, code:'BUSY'}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serverSuite } from './lib/suite.mjs';
import { assertNoSecretsLogged } from './lib/server.mjs';
import { seenSecrets } from './lib/api.mjs';
import { NAMESPACE, rawChatConnect } from './lib/chat.mjs';
import { registerUser, createWorkspace, createChannel } from './lib/api.mjs';

const MAX_QUEUE = 8;
const ctx = serverSuite({ env: { STORE_MAX_QUEUE: String(MAX_QUEUE) } });

let owner; let channel; let workspace;
test('setup', async () => {
  owner = await registerUser(ctx.url, { firstName: 'Busy', lastName: 'Store' });
  workspace = await createWorkspace(ctx.url, owner.accessToken, { name: 'Busy' });
  channel = await createChannel(ctx.url, owner.accessToken, workspace.id);
});

test('chat: requests past the store queue in one read are acked BUSY', async () => {
  const c = await rawChatConnect(ctx.srv.port, owner.accessToken);
  const n = 3 * MAX_QUEUE;
  const frames = Buffer.concat(Array.from({ length: n }, (_, i) => {
    const p = Buffer.from(`42${NAMESPACE},${i + 1}["channel:join",{"channelId":"${channel.id}"}]`, 'utf8');
    return Buffer.concat([Buffer.from([0x81, 0x80 | p.length]), Buffer.alloc(4), p]);
  }));
  c.ws.write(frames); // one read: every join is submitted before any completes
  const acks = new Map();
  while (acks.size < n) {
    const m = await c.ws.next({ what: 'acks', filter: (x) => typeof x === 'string' && x.startsWith(`43${NAMESPACE},`) });
    const rest = m.slice(`43${NAMESPACE},`.length);
    acks.set(Number(rest.slice(0, rest.indexOf('['))), JSON.parse(rest.slice(rest.indexOf('[')))[0]);
  }
  const list = [...acks.keys()].sort((a, b) => a - b).map((k) => acks.get(k));
  assert.equal(list.filter((a) => a.ok === true).length, MAX_QUEUE);
  assert.ok(list.slice(MAX_QUEUE).every((a) => a.ok === false && a.code === 'BUSY'), JSON.stringify(list.slice(MAX_QUEUE, MAX_QUEUE + 2)));
  c.ws.destroy();
});

/** GET on a fresh connection: {status, headers, json}. */
function get(path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ctx.srv.port, path: `/api/v1${path}`, agent: false,
      headers: { authorization: `Bearer ${owner.accessToken}` } }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('REST: requests past the store queue are 503 BUSY with Retry-After, the others 200', async () => {
  let busy = null;
  for (let round = 0; round < 20 && !busy; round++) { // 64 at once: some meet a full queue
    const res = await Promise.all(Array.from({ length: 64 }, () => get(`/workspaces/${workspace.id}/channels`)));
    for (const r of res) {
      assert.ok(r.status === 200 || r.status === 503, `status ${r.status}`);
      if (r.status === 503 && !busy) busy = r;
    }
  }
  assert.ok(busy, 'some request met a full queue');
  assert.equal(busy.json.code, 'BUSY');
  assert.equal(busy.headers['retry-after'], '1');
  assert.equal(typeof busy.json.message, 'string');
});

test('server logged no status >= 500 but the 503 BUSY answers, no secret, and exits cleanly on SIGTERM', async () => {
  await ctx.srv.stop();
  const bad = ctx.srv.logs.filter((l) => typeof l.status === 'number' && l.status >= 500 && l.status !== 503);
  assert.deepEqual(bad, []);
  const busy = ctx.srv.logs.filter((l) => l.status === 503);
  assert.ok(busy.length > 0 && busy.every((l) => l.level === 'warn'), 'shed requests are logged as warnings');
  assertNoSecretsLogged(ctx.srv.logs, seenSecrets);
});
