// Join storm: CLIENTS socket.io-client sockets (default 2000) connect to a
// fresh vibed and join one channel, BATCH at a time; every join is announced
// to the sockets already in the room (about CLIENTS^2/2 events). Prints the
// server's VmRSS before the clients, its maximum during the storm (sampled
// every 100 ms), right after the last join was announced everywhere, and
// once the burst has settled (SETTLE_MS later, default 3000), per client.
//   cd tests/e2e && VIBED_BIN=$PWD/../../build/vibed node tools/join-storm.mjs
// Env: CLIENTS, BATCH (default 100), TRANSPORT (websocket | polling+upgrade),
// SETTLE_MS. The server runs with no per-address or chat rate limits (every
// client is 127.0.0.1 and one user).
import { readFileSync } from 'node:fs';
import { io } from 'socket.io-client';
import { startServer } from '../lib/server.mjs';
import { registerUser, createWorkspace, createChannel } from '../lib/api.mjs';

const CLIENTS = Number(process.env.CLIENTS || 2000);
const BATCH = Number(process.env.BATCH || 100);
const SETTLE_MS = Number(process.env.SETTLE_MS || 3000);
const transports = process.env.TRANSPORT === 'polling+upgrade' ? undefined : ['websocket'];

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const srv = await startServer({
  name: 'join-storm',
  env: { MAX_CONNECTIONS_PER_ADDRESS: '0', CHAT_RATE_LIMIT: '0' },
});
const pid = srv.child.pid;
if (process.env.PRINT_PID) console.error(`pid ${pid}`);
try {
  const owner = await registerUser(srv.url, { firstName: 'Storm', lastName: 'Owner' });
  const ws = await createWorkspace(srv.url, owner.accessToken, { name: 'Storm' });
  const ch = await createChannel(srv.url, owner.accessToken, ws.id);
  const before = rssKb(pid);

  const sockets = [];
  let announced = 0; // channel:user_joined events received by all sockets
  const expected = (CLIENTS * (CLIENTS - 1)) / 2;
  let allAnnounced;
  const done = new Promise((resolve) => { allAnnounced = resolve; });
  let maxKb = before;
  const sampler = setInterval(() => { maxKb = Math.max(maxKb, rssKb(pid)); }, 100);
  const t0 = Date.now();
  for (let i = 0; i < CLIENTS; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(CLIENTS, i + BATCH); j++) {
      batch.push(new Promise((resolve, reject) => {
        const s = io(`${srv.url}/chat`, { path: '/ws', auth: { token: owner.accessToken }, transports, forceNew: true, reconnection: false, timeout: 60000 });
        sockets.push(s);
        s.on('channel:user_joined', () => { if (++announced === expected) allAnnounced(); });
        s.once('connect_error', reject);
        s.once('welcome', () => s.emit('channel:join', { channelId: ch.id }, (ack) => (ack && ack.ok ? resolve() : reject(new Error(JSON.stringify(ack))))));
      }));
    }
    await Promise.all(batch);
  }
  await done;
  const joinedMs = Date.now() - t0;
  const peak = rssKb(pid);
  clearInterval(sampler);
  maxKb = Math.max(maxKb, peak);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = rssKb(pid);
  const per = (kb) => ((kb - before) * 1024 / CLIENTS / 1024).toFixed(2);
  console.log(JSON.stringify({
    clients: CLIENTS, transport: transports ? 'websocket' : 'polling+upgrade', joinAnnouncements: expected, joinedMs,
    rssBeforeKb: before, rssMaxKb: maxKb, rssAfterJoinsKb: peak, rssSettledKb: after,
    perClientMaxKb: Number(per(maxKb)),
    perClientAfterJoinsKb: Number(per(peak)), perClientSettledKb: Number(per(after)),
  }));
  for (const s of sockets) s.close();
} finally {
  await srv.stop().catch(() => srv.kill());
}
