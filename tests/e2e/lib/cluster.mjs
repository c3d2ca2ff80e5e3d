// Helpers for tests of several vibed instances as one server: a throwaway
// redis-server, one PostgreSQL database shared by N instances, and nginx in
// front of them with the shipped configuration (deploy/nginx/vibed.conf),
// started non-daemon under a temporary prefix on loopback ports.
//
// nginx hashes on the client address, and every test client comes from
// 127.0.0.1; clients pick their instance through nginx by their source
// address instead (127.0.0.2, 127.0.0.3, ...: the whole 127/8 is loopback),
// with an http.Agent (polling, REST) or localAddress (WebSocket).
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import EventSource from 'eventsource';
import {
  REPO_ROOT, startServer, waitFor, randomSecret, createPgDatabase, dropPgDatabase,
} from './server.mjs';
import { WS_PATH, NAMESPACE } from './chat.mjs';

export const NGINX_CONF = path.join(REPO_ROOT, 'deploy', 'nginx', 'vibed.conf');

/** A free loopback port (bound, read and released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function exited(child) {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
}

/** A redis-server on a free loopback port, without persistence. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'vibed-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  const cli = (...args) => execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args],
    { encoding: 'utf8' }).trim();
  await waitFor(() => {
    try { return cli('PING') === 'PONG'; } catch { return false; }
  }, { timeoutMs: 10000, what: 'redis-server to answer' });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli,
    async stop() {
      child.kill('SIGKILL');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * n instances on one new PostgreSQL database and one new Redis, with one
 * JWT secret, trusting 127.0.0.1 as their proxy (nginx). Resolves to
 * {servers, redis, db, start(name), stop()}; start() adds an instance.
 */
export async function startCluster(n, { env = {} } = {}) {
  const redis = await startRedis();
  const db = createPgDatabase();
  const secret = randomSecret(48);
  const cluster = {
    servers: [],
    redis,
    db,
    secret,
    async start(name) {
      const s = await startServer({
        name,
        databaseUrl: db.url,
        secret,
        env: { REDIS_URL: redis.url, TRUST_PROXY: '127.0.0.1', ...env },
      });
      cluster.servers.push(s);
      return s;
    },
    async stop() {
      for (const s of cluster.servers) if (!s.stopped) await s.kill();
      await redis.stop();
      dropPgDatabase(db.name);
    },
  };
  // The first one runs the migrations alone.
  for (let i = 0; i < n; i++) await cluster.start(`cluster-lb-${String.fromCharCode(97 + i)}`);
  return cluster;
}

/**
 * The shipped nginx configuration with the instances' ports in its upstream
 * and a free loopback port to listen on, inside a minimal main configuration
 * (temporary prefix, no daemon). For the tests only, each answer names the
 * instance that served it (X-Vibed-Upstream). Resolves to
 * {url, port, stop(), setServers(ports)}.
 */
export async function startNginx(ports) {
  const port = await freePort();
  const prefix = mkdtempSync(path.join(tmpdir(), 'vibed-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(path.join(prefix, d));
  chmodSync(path.join(prefix, 'tmp'), 0o777);
  const shipped = readFileSync(NGINX_CONF, 'utf8');
  const servers = shipped.match(/^\s*server 127\.0\.0\.1:\d+ [^;]*;$/gm);
  if (!servers || servers.length < 1) throw new Error(`no upstream servers in ${NGINX_CONF}`);
  const opts = servers[0].replace(/^\s*server \S+/, '').replace(/;$/, '').trim();
  let conf = shipped.replace(/^\s*server 127\.0\.0\.1:\d+ [^;]*;\n/gm, '');
  conf = conf.replace(/(hash \$remote_addr consistent;\n)/,
    `$1${ports.map((p) => `    server 127.0.0.1:${p} ${opts};\n`).join('')}`);
  conf = conf.replace(/listen 127\.0\.0\.1:\d+;/, `listen 127.0.0.1:${port};`);
  if (!conf.includes(`listen 127.0.0.1:${port};`)) throw new Error('no listen line in the nginx configuration');
  const t = path.join(prefix, 'tmp');
  const main = `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${t}/body;
  proxy_temp_path ${t}/proxy;
  fastcgi_temp_path ${t}/fastcgi;
  uwsgi_temp_path ${t}/uwsgi;
  scgi_temp_path ${t}/scgi;
  add_header X-Vibed-Upstream $upstream_addr always;
${conf}
}
`;
  writeFileSync(path.join(prefix, 'nginx.conf'), main);
  const child = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  await waitFor(() => new Promise((resolve) => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  }), { timeoutMs: 10000, what: 'nginx to listen' });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    prefix,
    errors: () => { try { return readFileSync(path.join(prefix, 'logs', 'error.log'), 'utf8'); } catch { return ''; } },
    async stop() {
      child.kill('SIGQUIT');
      await exited(child);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

const agents = new Map();
/** A keep-alive http.Agent whose connections come from source address addr. */
export function agentFrom(addr) {
  if (!agents.has(addr)) agents.set(addr, new http.Agent({ keepAlive: true, localAddress: addr, maxSockets: Infinity }));
  return agents.get(addr);
}

export function destroyAgents() {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/** GET url from source address addr: {status, headers, text}. */
export function getFrom(addr, url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: agentFrom(addr), headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
  });
}

/** The instance port nginx sends source address addr to. */
export async function upstreamOf(lb, addr) {
  const res = await getFrom(addr, `${lb.url}/api/v1/health`);
  const up = String(res.headers['x-vibed-upstream'] || '');
  const m = /:(\d+)$/.exec(up.split(',').pop().trim());
  if (res.status !== 200 || !m) throw new Error(`health through nginx: ${res.status} upstream "${up}"`);
  return Number(m[1]);
}

/**
 * Source addresses, one per instance port: addrs[i] is sent by nginx to
 * ports[i]. Found by asking (127.0.0.2, .3, ...); the ring is fixed.
 */
export async function addressesFor(lb, ports) {
  const found = new Map();
  for (let k = 2; k < 250 && found.size < ports.length; k++) {
    const addr = `127.0.0.${k}`;
    const p = await upstreamOf(lb, addr);
    if (!found.has(p)) found.set(p, addr);
  }
  if (found.size < ports.length) throw new Error(`nginx spread 248 addresses over ${found.size} instances only`);
  return ports.map((p) => found.get(p));
}

/**
 * A socket.io-client socket to base (nginx or an instance) from source
 * address from, recording everything it receives in socket.received; with
 * opts.reconnect it reconnects by itself (the default of socket.io-client),
 * and joins opts.channels again on every connect. Resolves once connected
 * and welcomed.
 */
export function connectFrom(base, token, from, opts = {}) {
  const transports = opts.transports || ['polling', 'websocket'];
  const socket = io(base + NAMESPACE, {
    path: WS_PATH,
    auth: { token },
    transports,
    forceNew: true,
    reconnection: Boolean(opts.reconnect),
    reconnectionDelay: 100,
    reconnectionDelayMax: 1000,
    randomizationFactor: 0.5,
    timeout: opts.timeoutMs ?? 10000,
    agent: from ? agentFrom(from) : false,
    ...(from ? { localAddress: from } : {}),
  });
  socket.received = [];
  socket.connects = 0;
  socket.disconnects = [];
  socket.on('disconnect', (reason) => socket.disconnects.push(reason));
  socket.onAny((event, ...args) => socket.received.push({ event, data: args[0] }));
  socket.on('connect', () => {
    socket.connects++;
    for (const id of opts.channels || []) socket.emit('channel:join', { channelId: id }, () => {});
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.close(); reject(new Error('connect timed out')); }, opts.timeoutMs ?? 10000);
    socket.once('welcome', () => { clearTimeout(timer); resolve(socket); });
    if (!opts.reconnect) socket.once('connect_error', (e) => { clearTimeout(timer); socket.close(); reject(e); });
  });
}

/** An EventSource from source address from (it reconnects by itself). */
export function eventSourceFrom(url, from, init = {}) {
  return new EventSource(url, {
    ...init,
    createConnection: (o) => net.connect({ host: o.hostname || o.host, port: Number(o.port), localAddress: from }),
  });
}
