// The benchmark peer: the subset of vibed's contract (../../../shared/design/api.md)
// that the benchmarks exercise, written the way the original article does it
// (Express 5 + Socket.IO 4 on Node.js 20, JWT HS256 with jsonwebtoken), with
// in-memory storage instead of MongoDB. Routes: auth register/login, workspace
// create/invite, project create, task list/create, channel create, message
// list; Socket.IO at path /ws namespace /chat (join/leave/send/typing with
// acks, message:new to the room with the sender once, presence per user); the
// project stats SSE stream with a per-client setInterval recomputing the stats.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const express = require('express');
const jwt = require('jsonwebtoken');
const { Server } = require('socket.io');

const PORT = Number(process.env.PORT || 3100);
const HOST = process.env.HOST || '127.0.0.1';
const SECRET = process.env.JWT_SECRET || 'bench-secret-bench-secret-bench-secret-0123';
const TTL = Number(process.env.ACCESS_TOKEN_TTL || 3600);
const STATS_INTERVAL_MS = Number(process.env.STATS_INTERVAL_MS || 10000);

// Cluster mode (REDIS_URL set): rooms span the processes through
// @socket.io/redis-adapter, while users, workspaces and channels stay in each
// process's memory. The benchmark driver replays the same setup requests, in
// the same order, on every process, so ids come from a counter alone and are
// the same everywhere (a token signed by one process names a user that every
// process knows). Message ids carry the port so they stay unique.
const CLUSTER = Boolean(process.env.REDIS_URL);
let seq = 0;
let msgSeq = 0;
const newId = () =>
  CLUSTER ? 'c' + (++seq).toString(36).padStart(8, '0') : Date.now().toString(36) + (++seq).toString(36).padStart(6, '0');
const newMessageId = () => (CLUSTER ? `m${PORT}-${(++msgSeq).toString(36).padStart(8, '0')}` : newId());

// In-memory storage.
const users = new Map(); // id -> user
const usersByEmail = new Map();
const workspaces = new Map(); // id -> {id, name, members: Map(userId -> role)}
const projects = new Map(); // id -> {id, workspaceId, name, key, tasks: [], counter}
const tasks = new Map();
const channels = new Map(); // id -> {id, workspaceId, name, type, messages: []}
const messages = new Map();
const userWorkspaces = (uid) => [...workspaces.values()].filter((w) => w.members.has(uid));

const app = express();
app.use(express.json({ limit: '5mb' }));

const fail = (res, status, code, message) => res.status(status).json({ statusCode: status, code, message });
const ok = (res, data, status = 200) => res.status(status).json({ success: true, data });
const publicUser = (u) => ({ id: u.id, email: u.email, firstName: u.firstName, lastName: u.lastName });
const sign = (u) => jwt.sign({ sub: u.id, email: u.email, role: 'user' }, SECRET, { algorithm: 'HS256', expiresIn: TTL });
const hash = (password, salt) =>
  new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, 32, (err, key) => (err ? reject(err) : resolve(key.toString('hex')))));

app.post('/api/v1/auth/register', async (req, res) => {
  const { email, password, firstName, lastName } = req.body || {};
  if (!email || !password || password.length < 8 || !firstName || !lastName)
    return fail(res, 422, 'VALIDATION_ERROR', 'Validation failed');
  if (usersByEmail.has(email.toLowerCase())) return fail(res, 409, 'EMAIL_TAKEN', 'Email already registered');
  const salt = crypto.randomBytes(16).toString('hex');
  const u = { id: newId(), email: email.toLowerCase(), firstName, lastName, salt, hash: await hash(password, salt) };
  users.set(u.id, u);
  usersByEmail.set(u.email, u);
  ok(res, { user: publicUser(u), accessToken: sign(u), refreshToken: crypto.randomBytes(32).toString('hex') }, 201);
});

app.post('/api/v1/auth/login', async (req, res) => {
  const { email, password } = req.body || {};
  const u = usersByEmail.get(String(email || '').toLowerCase());
  if (!u || (await hash(String(password || ''), u.salt)) !== u.hash)
    return fail(res, 401, 'INVALID_CREDENTIALS', 'Invalid email or password');
  ok(res, { user: publicUser(u), accessToken: sign(u), refreshToken: crypto.randomBytes(32).toString('hex') });
});

// Bearer header, or access_token in the query (EventSource cannot send headers).
function verify(token) {
  try {
    const claims = jwt.verify(token, SECRET, { algorithms: ['HS256'] });
    return users.get(claims.sub) || null;
  } catch {
    return null;
  }
}
function auth(req, res, next) {
  const h = req.headers.authorization || '';
  const token = h.startsWith('Bearer ') ? h.slice(7) : req.query.access_token;
  const u = token && verify(token);
  if (!u) return fail(res, 401, 'UNAUTHORIZED', 'Invalid or missing token');
  req.user = u;
  next();
}
app.use('/api/v1', auth);

app.post('/api/v1/workspaces', (req, res) => {
  const { name } = req.body || {};
  if (!name) return fail(res, 422, 'VALIDATION_ERROR', 'Validation failed');
  const w = { id: newId(), name, members: new Map([[req.user.id, 'admin']]) };
  workspaces.set(w.id, w);
  ok(res, { id: w.id, name: w.name }, 201);
});

const memberWorkspace = (req, res, wid) => {
  const w = workspaces.get(wid);
  if (!w || !w.members.has(req.user.id)) {
    fail(res, 404, 'NOT_FOUND', 'Workspace not found');
    return null;
  }
  return w;
};

app.post('/api/v1/workspaces/:wid/invite', (req, res) => {
  const w = memberWorkspace(req, res, req.params.wid);
  if (!w) return;
  if (w.members.get(req.user.id) !== 'admin') return fail(res, 403, 'FORBIDDEN', 'Admins only');
  const u = usersByEmail.get(String(req.body?.email || '').toLowerCase());
  if (!u) return fail(res, 404, 'USER_NOT_FOUND', 'User not found');
  if (w.members.has(u.id)) return fail(res, 409, 'ALREADY_MEMBER', 'Already a member');
  w.members.set(u.id, req.body?.role === 'admin' ? 'admin' : 'member');
  ok(res, { userId: u.id, role: w.members.get(u.id) }, 201);
});

app.post('/api/v1/workspaces/:wid/projects', (req, res) => {
  const w = memberWorkspace(req, res, req.params.wid);
  if (!w) return;
  const { name, key } = req.body || {};
  if (!name || !/^[A-Z][A-Z0-9]{1,9}$/.test(key || '')) return fail(res, 422, 'VALIDATION_ERROR', 'Validation failed');
  const p = { id: newId(), workspaceId: w.id, name, key, tasks: [], counter: 0 };
  projects.set(p.id, p);
  ok(res, { id: p.id, workspaceId: w.id, name, key }, 201);
});

const projectAccess = (req, res) => {
  const p = projects.get(req.params.pid);
  if (!p || !workspaces.get(p.workspaceId)?.members.has(req.user.id)) {
    fail(res, 404, 'NOT_FOUND', 'Project not found');
    return null;
  }
  return p;
};

const STATUSES = ['todo', 'in-progress', 'review', 'done'];
const PRIORITIES = ['critical', 'high', 'medium', 'low', 'none'];

app.post('/api/v1/projects/:pid/tasks', (req, res) => {
  const p = projectAccess(req, res);
  if (!p) return;
  const b = req.body || {};
  const status = b.status || 'todo';
  const priority = b.priority || 'none';
  if (!b.title || !STATUSES.includes(status) || !PRIORITIES.includes(priority))
    return fail(res, 422, 'VALIDATION_ERROR', 'Validation failed');
  const now = new Date().toISOString();
  const t = {
    id: newId(), projectId: p.id, key: `${p.key}-${++p.counter}`, title: b.title, description: b.description || null,
    status, priority, assigneeIds: b.assigneeIds || [], labelIds: b.labelIds || [], reporterId: req.user.id,
    parentTaskId: b.parentTaskId || null, dueDate: b.dueDate || null, estimatePoints: b.estimatePoints ?? null,
    orderIndex: p.tasks.length, createdAt: now, updatedAt: now,
  };
  p.tasks.push(t);
  tasks.set(t.id, t);
  ok(res, t, 201);
});

app.get('/api/v1/projects/:pid/tasks', (req, res) => {
  const p = projectAccess(req, res);
  if (!p) return;
  const page = Math.max(1, Number(req.query.page || 1));
  const limit = Number(req.query.limit || 20);
  if (!(limit >= 1 && limit <= 100)) return fail(res, 422, 'VALIDATION_ERROR', 'limit out of range');
  const total = p.tasks.length;
  const totalPages = Math.ceil(total / limit);
  res.json({
    success: true,
    data: p.tasks.slice((page - 1) * limit, page * limit),
    meta: { page, limit, total, totalPages, hasNext: page < totalPages, hasPrev: page > 1 },
  });
});

app.post('/api/v1/workspaces/:wid/channels', (req, res) => {
  const w = memberWorkspace(req, res, req.params.wid);
  if (!w) return;
  const { name, type = 'public' } = req.body || {};
  if (!/^[a-z0-9-]+$/.test(name || '')) return fail(res, 422, 'VALIDATION_ERROR', 'Validation failed');
  const c = { id: newId(), workspaceId: w.id, name, type, messages: [] };
  channels.set(c.id, c);
  ok(res, { id: c.id, workspaceId: w.id, name, type }, 201);
});

app.get('/api/v1/channels/:id/messages', (req, res) => {
  const c = channels.get(req.params.id);
  if (!c || !workspaces.get(c.workspaceId)?.members.has(req.user.id)) return fail(res, 404, 'NOT_FOUND', 'Not found');
  const limit = Math.min(100, Math.max(1, Number(req.query.limit || 50)));
  let end = c.messages.length; // messages are in id order; newest first out
  if (req.query.before) {
    let lo = 0, hi = c.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c.messages[mid].id < req.query.before) lo = mid + 1;
      else hi = mid;
    }
    end = lo;
  }
  const data = c.messages.slice(Math.max(0, end - limit), end).reverse();
  res.json({ success: true, data, meta: { limit, hasMore: end - limit > 0 } });
});

// Project stats over SSE, as the article does it: every client has its own
// interval that recomputes the stats from the store.
app.get('/api/v1/projects/:pid/stats/live', (req, res) => {
  const p = projectAccess(req, res);
  if (!p) return;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  const sendStats = () => {
    const tasksByStatus = { todo: 0, 'in-progress': 0, review: 0, done: 0 };
    for (const t of p.tasks) tasksByStatus[t.status] = (tasksByStatus[t.status] || 0) + 1;
    const totalTasks = p.tasks.length;
    const completionRate = totalTasks ? Math.round((tasksByStatus.done / totalTasks) * 100) : 0;
    const data = { tasksByStatus, totalTasks, completionRate, timestamp: new Date().toISOString() };
    res.write(`event: stats:update\ndata: ${JSON.stringify(data)}\n\n`);
  };
  sendStats();
  const interval = setInterval(sendStats, STATS_INTERVAL_MS);
  req.on('close', () => clearInterval(interval));
});

app.use((req, res) => fail(res, 404, 'NOT_FOUND', 'Route not found'));

const server = http.createServer(app);
server.keepAliveTimeout = 65000;

// Chat over Socket.IO.
const io = new Server(server, { path: '/ws', pingInterval: 30000, pingTimeout: 20000, maxHttpBufferSize: 1e6 });
const chat = io.of('/chat');
const online = new Map(); // userId -> socket count
const roomUsers = new Map(); // "room|userId" -> sockets of that user in that room

chat.use((socket, next) => {
  const u = verify(socket.handshake.auth?.token);
  if (!u) return next(new Error('Invalid authentication token'));
  socket.data.user = u;
  next();
});

const nameOf = (u) => `${u.firstName} ${u.lastName}`;
const reply = (ack, body) => typeof ack === 'function' && ack(body);
const refuse = (socket, ack, code, message) =>
  typeof ack === 'function' ? ack({ ok: false, code, message }) : socket.emit('error', { code, message });

chat.on('connection', (socket) => {
  const u = socket.data.user;
  const wss = userWorkspaces(u.id);
  for (const w of wss) socket.join(`workspace:${w.id}`);
  const n = (online.get(u.id) || 0) + 1;
  online.set(u.id, n);
  if (n === 1) for (const w of wss) socket.to(`workspace:${w.id}`).emit('presence:online', { userId: u.id, userName: nameOf(u) });
  socket.emit('welcome', { id: socket.id, userId: u.id });

  const channelFor = (payload, ack) => {
    const c = channels.get(payload?.channelId);
    if (!c || !workspaces.get(c.workspaceId)?.members.has(u.id)) {
      refuse(socket, ack, 'NOT_FOUND', 'Channel not found');
      return null;
    }
    return c;
  };

  socket.on('channel:join', (payload, ack) => {
    const c = channelFor(payload, ack);
    if (!c) return;
    const room = `channel:${c.id}`;
    if (!socket.rooms.has(room)) {
      // Announced once per user (its first socket in the room): the bench
      // reuses tokens, and a per-socket announcement to a 10,000-member room
      // makes the join storm quadratic (setup cost only, not measured).
      const key = `${room}|${u.id}`;
      const n = (roomUsers.get(key) || 0) + 1;
      roomUsers.set(key, n);
      socket.join(room);
      if (n === 1) socket.to(room).emit('channel:user_joined', { channelId: c.id, userId: u.id });
    }
    reply(ack, { ok: true });
  });

  socket.on('channel:leave', (payload, ack) => {
    const room = `channel:${payload?.channelId}`;
    if (socket.rooms.has(room)) {
      const key = `${room}|${u.id}`;
      const n = (roomUsers.get(key) || 1) - 1;
      if (n > 0) roomUsers.set(key, n);
      else roomUsers.delete(key);
      socket.leave(room);
      socket.to(room).emit('channel:user_left', { channelId: payload.channelId, userId: u.id });
    }
    reply(ack, { ok: true });
  });

  socket.on('message:send', (payload, ack) => {
    const c = channelFor(payload, ack);
    if (!c) return;
    const content = payload.content;
    if (typeof content !== 'string' || content.length < 1 || content.length > 10000)
      return refuse(socket, ack, 'VALIDATION_ERROR', 'content must be 1..10000 characters');
    const m = {
      messageId: newMessageId(), channelId: c.id, senderId: u.id, senderName: nameOf(u), content,
      createdAt: new Date().toISOString(),
    };
    c.messages.push({ id: m.messageId, ...m });
    messages.set(m.messageId, m);
    socket.to(`channel:${c.id}`).emit('message:new', m);
    socket.emit('message:new', m);
    reply(ack, { ok: true, messageId: m.messageId });
  });

  for (const ev of ['channel:typing', 'channel:stop_typing']) {
    socket.on(ev, (payload, ack) => {
      const c = channelFor(payload, ack);
      if (!c) return;
      socket.to(`channel:${c.id}`).emit(ev, { channelId: c.id, userId: u.id, userName: nameOf(u) });
      reply(ack, { ok: true });
    });
  }

  socket.on('disconnecting', () => {
    for (const room of socket.rooms) {
      const key = `${room}|${u.id}`;
      const n = (roomUsers.get(key) || 1) - 1;
      if (n > 0) roomUsers.set(key, n);
      else roomUsers.delete(key);
    }
  });

  socket.on('disconnect', () => {
    const left = (online.get(u.id) || 1) - 1;
    if (left > 0) return online.set(u.id, left);
    online.delete(u.id);
    for (const w of userWorkspaces(u.id)) chat.to(`workspace:${w.id}`).emit('presence:offline', { userId: u.id });
  });
});

async function start() {
  if (CLUSTER) {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    const pub = createClient({ url: process.env.REDIS_URL });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  server.listen(PORT, HOST, () => {
    console.error(JSON.stringify({ msg: 'listening', port: server.address().port, cluster: CLUSTER }));
  });
}
start().catch((err) => {
  console.error(err);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
