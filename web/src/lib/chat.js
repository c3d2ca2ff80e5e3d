// The chat connection: one Socket.IO socket per signed-in tab (namespace
// /chat, path /ws, auth {token}), shared by every view. It also makes the
// user "online" for the workspace stats streams.
//
// Sending: messages go through an outbox kept in localStorage. An item is
// emitted only while connected, with an ack; the ack removes it. An item
// whose ack never came (the connection dropped) is checked against the
// channel's recent history after the reconnect before it is sent again, so
// a message is neither lost nor posted twice. Views dedupe by messageId.
// After a reconnect the server either recovers the session (the missed
// events arrive, socket.recovered) or the views reload their history.
import { ensureFresh, get, getAccessToken, getSession, refresh } from './api.js';

const OUTBOX_KEY = 'vibed.outbox';
const ACK_TIMEOUT_MS = 10000;

class Chat {
  constructor() {
    this.socket = null;
    this.state = 'offline'; // offline | connecting | connected | reconnecting
    this.handlers = new Map();
    this.joined = new Set();
    this.outbox = [];
    this.retryTimer = null;
    this.retryMs = 1000;
  }

  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return () => this.handlers.get(event).delete(fn);
  }

  emitLocal(event, data) {
    for (const fn of this.handlers.get(event) || []) fn(data);
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.emitLocal('state', s);
  }

  start() {
    if (this.socket || typeof window.io !== 'function') return;
    this.userId = getSession()?.user?.id;
    this.outbox = this.loadOutbox();
    const socket = window.io('/chat', {
      path: '/ws',
      auth: (cb) => cb({ token: getAccessToken() }),
      reconnectionDelayMax: 5000,
      // WebSocket first (long-polling only as the fallback): a closed tab then
      // closes its connection, and the others see it go offline at once
      // instead of after the polling session's ping timeout.
      transports: ['websocket', 'polling'],
    });
    this.socket = socket;
    // Leaving the page says goodbye rather than letting the session time out.
    window.addEventListener('pagehide', () => socket.disconnect());
    this.setState('connecting');
    socket.on('connect', () => {
      this.retryMs = 1000;
      this.setState('connected');
      for (const id of this.joined) socket.emit('channel:join', { channelId: id }, () => {});
      // A recovered connection (Socket.IO connection state recovery) has had
      // every missed message replayed; otherwise the views reload history.
      if (!socket.recovered) this.emitLocal('reconnected');
      this.flush(true);
    });
    socket.on('disconnect', (reason) => {
      this.setState('reconnecting');
      if (reason === 'io server disconnect') this.retryLater();
    });
    socket.on('connect_error', () => {
      this.setState('reconnecting');
      // A refused namespace connect (bad or expired token) is not retried by
      // the client: get a fresh token and try again ourselves.
      if (!socket.active) this.retryLater(true);
    });
    socket.io.on('reconnect_attempt', () => this.setState('reconnecting'));
    for (const ev of [
      'message:new', 'message:edited', 'message:deleted', 'channel:typing', 'channel:stop_typing',
      'presence:online', 'presence:offline', 'channel:user_joined', 'channel:user_left', 'welcome',
      'notification:new', 'notification:unread',
    ]) {
      socket.on(ev, (data) => this.emitLocal(ev, data));
    }
    socket.on('message:new', (d) => this.echoed(d));
  }

  /**
   * The broadcast of our own message can arrive before its ack: the item in
   * flight with that channel and content is then stored (the server
   * broadcasts only after the commit) and is no longer shown as pending,
   * so the message is never on screen twice. The ack still removes it.
   */
  echoed(d) {
    if (!d || d.senderId !== this.userId) return;
    const item = this.outbox.find((m) => m.emitted && !m.failed && !m.echoed &&
      m.channelId === d.channelId && m.content === d.content);
    if (!item) return;
    item.echoed = true;
    this.emitLocal('outbox', item.channelId);
  }

  retryLater(freshToken = false) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (!this.socket) return;
      try {
        if (freshToken) await refresh();
        else await ensureFresh();
      } catch {
        return; // signed out
      }
      this.socket.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 15000);
  }

  stop() {
    clearTimeout(this.retryTimer);
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.io.removeAllListeners();
      this.socket.disconnect();
    }
    this.socket = null;
    this.joined.clear();
    this.setState('offline');
  }

  /** Emits with an ack; resolves to the ack ({ok, ...}) or rejects on timeout/offline. */
  request(event, payload, timeout = ACK_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      if (!this.socket || !this.socket.connected) return reject(new Error('Not connected'));
      this.socket.timeout(timeout).emit(event, payload, (err, res) => {
        if (err) reject(err);
        else resolve(res || { ok: false, message: 'No answer' });
      });
    });
  }

  join(channelId) {
    this.joined.add(channelId);
    if (this.socket && this.socket.connected) return this.request('channel:join', { channelId });
    return Promise.resolve({ ok: false, queued: true });
  }

  leave(channelId) {
    if (this.watched && this.watched.has(channelId)) return; // still counted for unread
    this.joined.delete(channelId);
    if (this.socket && this.socket.connected) this.socket.emit('channel:leave', { channelId }, () => {});
  }

  /** Stays joined to every channel of ids (to count unread messages); the
   * previous watch list is left, except the channels in ids. */
  watch(ids) {
    const old = this.watched || new Set();
    this.watched = new Set(ids);
    for (const id of ids) if (!this.joined.has(id)) this.join(id).catch(() => {});
    for (const id of old) if (!this.watched.has(id)) this.leave(id);
  }

  typing(channelId, on) {
    if (this.socket && this.socket.connected)
      this.socket.emit(on ? 'channel:typing' : 'channel:stop_typing', { channelId });
  }

  loadOutbox() {
    try {
      const all = JSON.parse(localStorage.getItem(OUTBOX_KEY) || '[]');
      return all.filter((m) => m.userId === this.userId);
    } catch {
      return [];
    }
  }

  saveOutbox() {
    try {
      localStorage.setItem(OUTBOX_KEY, JSON.stringify(this.outbox));
    } catch {
      /* storage full: the outbox stays in memory */
    }
  }

  /** The channel's items still shown as pending (not yet echoed back by the server). */
  pending(channelId) {
    return this.outbox.filter((m) => m.channelId === channelId && !m.echoed);
  }

  /** Queues a message; it is sent now or as soon as the socket is connected. */
  send(channelId, content) {
    const item = {
      localId: `local-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      channelId,
      content,
      userId: this.userId,
      queuedAt: new Date().toISOString(),
      emitted: false,
    };
    this.outbox.push(item);
    this.saveOutbox();
    this.emitLocal('outbox', channelId);
    this.flush(false);
    return item;
  }

  discard(localId) {
    const item = this.outbox.find((m) => m.localId === localId);
    this.outbox = this.outbox.filter((m) => m.localId !== localId);
    this.saveOutbox();
    if (item) this.emitLocal('outbox', item.channelId);
  }

  /** Sends queued items in order. afterReconnect: first settle items whose ack was lost. */
  async flush(afterReconnect) {
    if (this.flushing || !this.socket || !this.socket.connected) return;
    this.flushing = true;
    try {
      if (afterReconnect) await this.reconcile();
      while (this.socket && this.socket.connected) {
        const item = this.outbox.find((m) => !m.failed);
        if (!item) break;
        item.emitted = true;
        this.saveOutbox();
        let res;
        try {
          res = await this.request('message:send', { channelId: item.channelId, content: item.content });
        } catch {
          // No ack in time. Still connected: settle it now; else after the reconnect.
          if (!this.socket || !this.socket.connected) break;
          await this.reconcile();
          continue;
        }
        if (res && res.ok) {
          this.outbox = this.outbox.filter((m) => m !== item);
          this.saveOutbox();
          this.emitLocal('sent', { item, message: ackMessage(res, item) });
        } else {
          item.failed = (res && res.message) || 'Not sent';
          this.saveOutbox();
          this.emitLocal('outbox', item.channelId);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Items emitted without an ack: drop those the server has (matched by sender, content, time). */
  async reconcile() {
    const uncertain = this.outbox.filter((m) => m.emitted && !m.failed);
    const channels = [...new Set(uncertain.map((m) => m.channelId))];
    for (const cid of channels) {
      let recent;
      try {
        recent = (await get(`/channels/${cid}/messages?limit=50`)).data;
      } catch {
        continue;
      }
      const used = new Set();
      for (const item of uncertain.filter((m) => m.channelId === cid)) {
        const hit = recent.find(
          (r) => !used.has(r.id) && r.senderId === item.userId && r.content === item.content &&
            Date.parse(r.createdAt) >= Date.parse(item.queuedAt) - 5000,
        );
        if (hit) {
          used.add(hit.id);
          this.outbox = this.outbox.filter((m) => m !== item);
          this.emitLocal('sent', { item, message: hit });
        } else {
          item.emitted = false;
        }
      }
    }
    this.saveOutbox();
  }
}

/** The message an ack describes, in the REST shape (fields the ack lacks come from the item). */
function ackMessage(res, item) {
  const m = res.message || res.data || res;
  const id = m.messageId || m.id || res.messageId;
  if (!id) return null;
  return {
    id,
    channelId: m.channelId || item.channelId,
    senderId: m.senderId || item.userId,
    senderName: m.senderName,
    content: m.content ?? item.content,
    createdAt: m.createdAt || new Date().toISOString(),
    editedAt: null,
  };
}

export const chat = new Chat();
