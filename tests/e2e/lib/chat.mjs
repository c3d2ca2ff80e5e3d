// Chat helpers: socket.io-client sockets for the /chat namespace (path /ws),
// bounded waits for events and acks, and a raw WebSocket client built on
// node:net for the robustness tests (handshake, frames, Engine.IO and
// Socket.IO packets written by hand).
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { io } from 'socket.io-client';
import { seenSecrets } from './api.mjs';

export const WS_PATH = '/ws';
export const NAMESPACE = '/chat';
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * The two client configurations every behaviour test runs over: the default
 * (HTTP long-polling, then the upgrade to WebSocket) and WebSocket only.
 */
export const TRANSPORTS = [
  { name: 'polling+upgrade', transports: undefined },
  { name: 'websocket', transports: ['websocket'] },
];

const open = new Set();

/**
 * Connects a socket.io-client socket to base + '/chat' with auth {token}
 * (token undefined: no auth at all). opts: transports, timeoutMs (connect
 * bound), welcome (default true: also wait for the server's `welcome` event,
 * kept in socket.welcome), auth (replaces {token}). Every event the socket
 * receives is recorded in socket.received ([{event, data}]) from the start,
 * so nothing sent right after the connect is missed. Resolves to the
 * connected socket; rejects with the connect_error (its message is the
 * server's) or on timeout, closing the socket either way. The socket never
 * reconnects by itself, and each one has its own connection (forceNew).
 */
export function connect(base, token, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 10000;
  if (typeof token === 'string' && token.length >= 20) seenSecrets.add(token);
  const auth = opts.auth ?? (token === undefined ? undefined : { token });
  const socket = io(base + NAMESPACE, {
    path: WS_PATH,
    ...(auth !== undefined ? { auth } : {}),
    ...(opts.transports ? { transports: opts.transports } : {}),
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
  });
  socket.received = [];
  socket.onAny((event, ...args) => socket.received.push({ event, data: args[0], args }));
  open.add(socket);
  const wantWelcome = opts.welcome !== false;
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(
      `chat connect did not complete within ${timeoutMs} ms (connected=${socket.connected}, welcome=${!!socket.welcome})`)), timeoutMs);
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      socket.off('welcome', onWelcome);
      if (err) {
        socket.close();
        open.delete(socket);
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onConnect = () => { if (!wantWelcome || socket.welcome) finish(); };
    const onWelcome = (w) => { socket.welcome = w; if (socket.connected) finish(); };
    const onError = (err) => {
      // A namespace refusal carries the server's message as is; a transport
      // failure (no /ws, HTTP error, reset) is reworded with its details.
      if (err && err.type === 'TransportError') {
        const d = err.description;
        const detail = d?.message || d?.error?.message || (d?.status ? `HTTP ${d.status}` : '') ||
          (err.context?.status ? `HTTP ${err.context.status} ${String(err.context.responseText ?? '').slice(0, 120)}` : '');
        const e = new Error(`transport failure connecting to ${base}${NAMESPACE} (path ${WS_PATH}, transports ` +
          `${JSON.stringify(opts.transports || 'default')}): ${err.message}${detail ? ` (${detail})` : ''}`);
        e.cause = err;
        finish(e);
        return;
      }
      finish(err);
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    socket.on('welcome', onWelcome);
  });
}

/** Expects connect() to fail; resolves to the connect_error. */
export async function connectError(base, token, opts = {}) {
  let sock;
  try {
    sock = await connect(base, token, { ...opts, welcome: false });
  } catch (err) {
    return err;
  }
  sock.close();
  assert.fail(`connect with token ${JSON.stringify(token)?.slice(0, 30)} succeeded; connect_error expected`);
}

/** Closes every socket connect() made that is still open. */
export function closeAll() {
  for (const s of open) {
    try { s.close(); } catch { /* already closed */ }
  }
  open.clear();
}

/**
 * Waits for the next `event` on socket (from now on) whose first argument
 * passes opts.filter; resolves to that argument. Bounded by opts.timeoutMs;
 * rejects early if the socket disconnects (unless event is 'disconnect').
 */
export function once(socket, event, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const filter = opts.filter || (() => true);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"${opts.what ? ` (${opts.what})` : ''}; ` +
        `received: ${summary(socket)}`));
    }, timeoutMs);
    const onEvent = (...args) => {
      if (!filter(args[0])) return;
      cleanup();
      resolve(args[0]);
    };
    const onDisconnect = (reason) => {
      cleanup();
      reject(new Error(`socket disconnected (${reason}) while waiting for "${event}"`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('disconnect', onDisconnect);
    };
    socket.on(event, onEvent);
    if (event !== 'disconnect') socket.on('disconnect', onDisconnect);
  });
}

/**
 * Waits until socket has received (at any time since it connected) an
 * `event` whose payload passes filter; resolves to that payload. Bounded.
 */
export async function seen(socket, event, filter = () => true, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const hit = () => socket.received.find((r) => r.event === event && filter(r.data));
  const found = hit();
  if (found) return found.data;
  return once(socket, event, { ...opts, timeoutMs, filter });
}

/** Payloads of `event` the socket received so far that pass filter. */
export function received(socket, event, filter = () => true) {
  return socket.received.filter((r) => r.event === event && filter(r.data)).map((r) => r.data);
}

/** A short list of what a socket received, for failure messages. */
export function summary(socket, max = 12) {
  const r = socket.received || [];
  const tail = r.slice(-max).map((x) => `${x.event} ${JSON.stringify(x.data)?.slice(0, 120)}`);
  return `${r.length} event(s)${r.length > max ? ', last' : ''}: [${tail.join('; ')}]`;
}

/**
 * Emits event with payload and waits for the Socket.IO ack, bounded by
 * opts.timeoutMs; resolves to the ack's first argument.
 */
export async function emitAck(socket, event, payload, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch (err) {
    throw new Error(`no ack for "${event}" ${JSON.stringify(payload)?.slice(0, 120)} within ${timeoutMs} ms ` +
      `(connected=${socket.connected}): ${err.message}`);
  }
}

/** Asserts an ack {ok:true, ...}; returns it. */
export function expectAckOk(ack, what = '') {
  assert.ok(ack && typeof ack === 'object', `${what}: ack object expected, got ${JSON.stringify(ack)}`);
  assert.equal(ack.ok, true, `${what}: {ok:true} expected, got ${JSON.stringify(ack)}`);
  return ack;
}

/**
 * Asserts an ack {ok:false, code, message} (code UPPER_SNAKE, matching
 * codeRe when given); returns it.
 */
export function expectAckError(ack, codeRe, what = '') {
  assert.ok(ack && typeof ack === 'object', `${what}: ack object expected, got ${JSON.stringify(ack)}`);
  assert.equal(ack.ok, false, `${what}: {ok:false} expected, got ${JSON.stringify(ack)}`);
  assert.match(String(ack.code), /^[A-Z][A-Z0-9_]*$/, `${what}: code UPPER_SNAKE, got ${JSON.stringify(ack)}`);
  if (codeRe) assert.match(ack.code, codeRe, `${what}: code ${codeRe}, got ${JSON.stringify(ack)}`);
  assert.equal(typeof ack.message, 'string', `${what}: message expected, got ${JSON.stringify(ack)}`);
  return ack;
}

/** The message id an ack or a message object carries, whatever the shape. */
export function messageIdOf(x) {
  return x?.messageId ?? x?.message?.id ?? x?.message?.messageId ?? x?.id ?? x?.data?.id;
}

// ---- a raw WebSocket client on node:net

/**
 * A minimal RFC 6455 client over a net.Socket: client frames are masked
 * (unless told otherwise), server frames are parsed (with continuation
 * frames), pings are answered, and Engine.IO pings ("2") are answered with
 * "3" while autoPong is on. Text messages are queued for next().
 */
export class RawWs {
  constructor(sock, rest) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.messages = [];
    this.waiters = [];
    this.frag = null;
    this.autoPong = true;
    this.bytesIn = 0;
    this.closeFrame = null;
    this.closing = false;
    this.ended = false;
    this.closed = new Promise((resolve) => sock.once('close', () => { this.ended = true; this.wake(); resolve(); }));
    sock.on('error', () => { /* reset by the server: seen as close */ });
    sock.on('data', (d) => this.onData(d));
    if (rest && rest.length) this.onData(rest);
  }

  /**
   * Opens a WebSocket to 127.0.0.1:port at pathQuery (HTTP/1.1 upgrade).
   * Resolves to a RawWs once the 101 arrives; rejects on another status.
   */
  static open(port, pathQuery, { timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      const key = randomBytes(16).toString('base64');
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`WebSocket upgrade to ${pathQuery} timed out`)); }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket to ${pathQuery} failed before the upgrade completed (server gone?): ${e.message}`));
      });
      sock.on('connect', () => {
        sock.write(`GET ${pathQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      const onData = (d) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        sock.off('data', onData);
        const text = head.subarray(0, end).toString('latin1');
        const rest = head.subarray(end + 4);
        const status = Number(text.split(' ')[1]);
        if (status !== 101) {
          sock.destroy();
          reject(new Error(`WebSocket upgrade answered ${text.split('\r\n')[0]}`));
          return;
        }
        if (!new RegExp(`sec-websocket-accept:\\s*${accept.replace(/[+/=]/g, '\\$&')}`, 'i').test(text)) {
          sock.destroy();
          reject(new Error(`bad Sec-WebSocket-Accept in:\n${text}`));
          return;
        }
        resolve(new RawWs(sock, rest));
      };
      sock.on('data', onData);
    });
  }

  onData(d) {
    this.bytesIn += d.length;
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      let payload = Buffer.from(this.buf.subarray(off, off + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= this.buf[maskOff + (i & 3)];
      this.buf = this.buf.subarray(off + len);
      this.onFrame(b0 & 0x80, b0 & 0x0f, payload);
    }
  }

  onFrame(fin, opcode, payload) {
    if (opcode === 0x8) {
      // the closing handshake: answer with the same code, then end our side
      this.closeFrame = payload;
      this.closing = true;
      if (!this.sock.destroyed) {
        this.sendFrame(0x8, payload.subarray(0, 2));
        this.sock.end();
      }
      this.wake();
      return;
    }
    if (opcode === 0x9) { if (!this.sock.destroyed) this.sendFrame(0xa, payload); return; }
    if (opcode === 0xa) return;
    if (opcode === 0x0) {
      if (!this.frag) return;
      this.frag.parts.push(payload);
      if (!fin) return;
      payload = Buffer.concat(this.frag.parts);
      opcode = this.frag.opcode;
      this.frag = null;
    } else if (!fin) {
      this.frag = { opcode, parts: [payload] };
      return;
    }
    const msg = opcode === 0x1 ? payload.toString('utf8') : payload;
    if (msg === '2' && this.autoPong) { this.send('3'); return; }
    this.messages.push(msg);
    this.wake();
  }

  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes one frame (masked unless mask is false). */
  sendFrame(opcode, data, { mask = true, fin = true } = {}) {
    const payload = Buffer.isBuffer(data) ? data : Buffer.from(String(data), 'utf8');
    const len = payload.length;
    let head;
    if (len < 126) {
      head = Buffer.alloc(2);
      head[1] = len;
    } else if (len < 65536) {
      head = Buffer.alloc(4);
      head[1] = 126;
      head.writeUInt16BE(len, 2);
    } else {
      head = Buffer.alloc(10);
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    head[0] = (fin ? 0x80 : 0) | opcode;
    let body = payload;
    if (mask) {
      head[1] |= 0x80;
      const key = randomBytes(4);
      body = Buffer.alloc(len);
      for (let i = 0; i < len; i++) body[i] = payload[i] ^ key[i & 3];
      head = Buffer.concat([head, key]);
    }
    return this.write(Buffer.concat([head, body]));
  }

  /** A text message (opcode 1). */
  send(text) { return this.sendFrame(0x1, text); }

  /** Raw bytes on the TCP stream; ignored once the socket is gone. */
  write(buf) {
    if (this.sock.destroyed || this.sock.writableEnded) return false;
    try { return this.sock.write(buf); } catch { return false; }
  }

  /**
   * The next queued message passing filter (others before it are dropped);
   * rejects after timeoutMs or when the connection ends first.
   */
  async next({ filter = () => true, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'a message' } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.messages.length) {
        const m = this.messages.shift();
        if (filter(m)) return m;
      }
      if (this.ended || this.closing) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Resolves true once the connection is closed, false after timeoutMs. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS) {
    let t;
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise((resolve) => { t = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
    clearTimeout(t);
    return r;
  }

  destroy() { this.sock.destroy(); }
}

/**
 * A raw Socket.IO client on RawWs: Engine.IO handshake over WebSocket
 * (open packet "0{...}" first), then the /chat CONNECT with {token}.
 * Resolves to {ws, handshake, sid, welcome}; rejects on CONNECT_ERROR.
 */
export async function rawChatConnect(port, token, { timeoutMs = 5000 } = {}) {
  const ws = await RawWs.open(port, `${WS_PATH}/?EIO=4&transport=websocket`, { timeoutMs });
  try {
    const open0 = await ws.next({ timeoutMs, what: 'the Engine.IO open packet' });
    assert.equal(typeof open0, 'string', 'open packet is text');
    assert.equal(open0[0], '0', `open packet "0{...}" expected, got ${open0.slice(0, 100)}`);
    const handshake = JSON.parse(open0.slice(1));
    ws.send(`40${NAMESPACE},${JSON.stringify({ token })}`);
    const conn = await ws.next({
      timeoutMs,
      what: 'the /chat CONNECT answer',
      filter: (m) => typeof m === 'string' && (m.startsWith(`40${NAMESPACE},`) || m.startsWith(`44${NAMESPACE},`)),
    });
    if (conn.startsWith('44')) throw new Error(`CONNECT_ERROR: ${conn}`);
    const sid = JSON.parse(conn.slice(`40${NAMESPACE},`.length)).sid;
    const w = await ws.next({ timeoutMs, what: 'welcome', filter: (m) => typeof m === 'string' && m.startsWith(`42${NAMESPACE},["welcome"`) });
    const welcome = JSON.parse(w.slice(`42${NAMESPACE},`.length))[1];
    return { ws, handshake, sid, welcome };
  } catch (err) {
    ws.destroy();
    throw err;
  }
}

/**
 * Sends a Socket.IO EVENT with an ack id over a raw client and waits for the
 * ACK "43/chat,<id>[...]"; resolves to the ack's first argument.
 */
export async function rawEmitAck(ws, ackId, event, payload, { timeoutMs = 5000 } = {}) {
  const prefix = `43${NAMESPACE},${ackId}[`;
  ws.send(`42${NAMESPACE},${ackId}${JSON.stringify([event, payload])}`);
  const m = await ws.next({ timeoutMs, what: `the ack ${ackId} of ${event}`, filter: (x) => typeof x === 'string' && x.startsWith(prefix) });
  return JSON.parse(m.slice(prefix.length - 1))[0];
}
