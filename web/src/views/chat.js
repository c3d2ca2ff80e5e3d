// Chat: channels of the workspace, a channel's history (newest at the bottom;
// scrolling to the top loads older pages with before=), live messages,
// edit/delete of one's own, "X is typing…", and the connection state.
// Enter sends, Shift+Enter adds a line; links are clickable and @mentions
// highlighted. Channels show their unread counts; direct messages are
// channels of type direct named dm-<id>-<id>.
// Messages are kept in a Map by id, so an echo, an ack and a history reload
// of the same message show it once.
import { useContext, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../lib/api.js';
import { chat } from '../lib/chat.js';
import { inlineLines } from '../lib/markdown.js';
import { AppCtx, Avatar, clock, errorText, fullName, html, Link, navigate, toast } from '../lib/ui.js';

const PAGE = 30;
const TYPING_IDLE_MS = 2500;
const TYPING_SHOW_MS = 6000;

const SEEN_KEY = 'vibed.chatSeen';

/** The newest message id seen per channel (ids are time-ordered). */
function loadSeen(uid) {
  try {
    return JSON.parse(localStorage.getItem(`${SEEN_KEY}.${uid}`) || '{}');
  } catch {
    return {};
  }
}
function saveSeen(uid, seen) {
  try {
    localStorage.setItem(`${SEEN_KEY}.${uid}`, JSON.stringify(seen));
  } catch {
    /* storage full: unread counts start over next time */
  }
}

/** A direct channel's name ("dm-<id>-<id>") for two users. */
export const dmName = (a, b) => `dm-${[a, b].sort().join('-')}`;

export function ChatPage({ cid, messageId }) {
  const { ws, user, members, nameOf } = useContext(AppCtx);
  const [channels, setChannels] = useState(null);
  const [creating, setCreating] = useState(false);
  const [dmOpen, setDmOpen] = useState(false);
  const [unread, setUnread] = useState({}); // channelId -> count
  const seen = useRef(loadSeen(user.id));
  const current = useRef(cid);
  current.current = cid;

  const load = () => get(`/workspaces/${ws.id}/channels?limit=100`).then((r) => {
    setChannels(r.data);
    return r.data;
  }).catch((e) => toast(errorText(e), 'error'));
  useEffect(() => {
    load();
  }, [ws.id]);
  useEffect(() => {
    if (channels && channels.length && (!cid || !channels.some((c) => c.id === cid)))
      navigate(`/w/${ws.id}/chat/${channels[0].id}`, { replace: true });
  }, [channels, cid]);

  // Unread counts: what arrived since the newest message seen in each
  // channel, then every new message of another channel, live.
  const markSeen = (id, mid) => {
    if (!id || !mid || (seen.current[id] && seen.current[id] >= mid)) return;
    seen.current = { ...seen.current, [id]: mid };
    saveSeen(user.id, seen.current);
  };
  useEffect(() => {
    if (!channels) return undefined;
    const mine = channels.filter((c) => c.type === 'public' || c.isMember).slice(0, 50);
    chat.watch(mine.map((c) => c.id));
    let live = true;
    for (const c of mine) {
      get(`/channels/${c.id}/messages?limit=20`).then((r) => {
        if (!live) return;
        const last = seen.current[c.id];
        const n = r.data.filter((m) => m.senderId !== user.id && (!last || m.id > last)).length;
        if (c.id === current.current) {
          if (r.data.length) markSeen(c.id, r.data.map((m) => m.id).sort().at(-1));
        } else {
          setUnread((u) => ({ ...u, [c.id]: n }));
        }
      }).catch(() => {});
    }
    const off = chat.on('message:new', (d) => {
      if (!d || d.senderId === user.id) return;
      if (d.channelId === current.current) markSeen(d.channelId, d.messageId);
      else setUnread((u) => ({ ...u, [d.channelId]: (u[d.channelId] || 0) + 1 }));
    });
    return () => {
      live = false;
      off();
    };
  }, [channels]);
  useEffect(() => () => chat.watch([]), []);
  useEffect(() => {
    if (cid) setUnread((u) => (u[cid] ? { ...u, [cid]: 0 } : u));
  }, [cid]);

  async function openDm(uid) {
    setDmOpen(false);
    const name = dmName(user.id, uid);
    let c = (channels || []).find((x) => x.type === 'direct' && x.name === name);
    try {
      if (!c) c = (await post(`/workspaces/${ws.id}/channels`, { name, type: 'direct', memberIds: [uid] })).data;
    } catch (err) {
      if (err.status !== 409) return toast(errorText(err), 'error');
      c = (await load() || []).find((x) => x.name === name);
      if (!c) return toast('That conversation exists but you are not in it.', 'error');
    }
    await load();
    navigate(`/w/${ws.id}/chat/${c.id}`);
  }

  const titleOf = (c) => {
    if (c.type !== 'direct') return c.name;
    const ids = /^dm-([0-9a-z]+)-([0-9a-z]+)$/.exec(c.name);
    const other = ids ? (ids[1] === user.id ? ids[2] : ids[1]) : null;
    return other ? nameOf(other) : c.name;
  };
  const channel = channels && channels.find((c) => c.id === cid);
  const rooms = (channels || []).filter((c) => c.type !== 'direct');
  const dms = (channels || []).filter((c) => c.type === 'direct');
  const entry = (c) => {
    const n = unread[c.id] || 0;
    return html`<li key=${c.id}><${Link} href=${`/w/${ws.id}/chat/${c.id}`} data-channel=${c.name}
      class=${`channel-link${c.id === cid ? ' active' : ''}${n ? ' has-unread' : ''}`} aria-current=${c.id === cid ? 'page' : undefined}>
      ${c.type === 'direct' ? html`<${Avatar} id=${dmOther(c, user.id)} name=${titleOf(c)} size="sm" />` : html`<span aria-hidden="true">#</span>`}
      <span class="channel-name">${titleOf(c)}</span>${c.type === 'private' ? html` <span class="muted small">(private)</span>` : ''}
      ${n > 0 && html`<span class="unread" data-testid="channel-unread" aria-label=${`${n} unread`}>${n > 19 ? '20+' : n}</span>`}</${Link}></li>`;
  };
  return html`<section class="page chat-page">
    <h1 class="sr-only">Chat${channel ? `: ${channel.type === 'direct' ? titleOf(channel) : `#${channel.name}`}` : ''}</h1>
    <aside class="channels" aria-label="Channels">
      <div class="card-head"><h2>Channels</h2>
        <button type="button" class="icon-btn" aria-label="New channel" title="New channel" onClick=${() => setCreating(!creating)}>+</button></div>
      ${creating && html`<${NewChannel} onDone=${async (c) => {
        setCreating(false);
        if (c) {
          await load();
          navigate(`/w/${ws.id}/chat/${c.id}`);
        }
      }} />`}
      ${channels === null ? html`<p class="muted small">Loading…</p>` : rooms.length === 0 && !creating
        ? html`<p class="muted small">No channels yet. <button type="button" class="link" onClick=${() => setCreating(true)}>Create #general</button></p>` : ''}
      <ul>${rooms.map(entry)}</ul>
      <div class="card-head dm-head"><h2>Direct messages</h2>
        <button type="button" class="icon-btn" aria-label="New direct message" title="New direct message" aria-expanded=${dmOpen} onClick=${() => setDmOpen(!dmOpen)}>+</button></div>
      ${dmOpen && html`<ul class="dm-pick" aria-label="Message someone">${members.filter((m) => m.userId !== user.id).map((m) => html`<li key=${m.userId}>
        <button type="button" class="link-plain" onClick=${() => openDm(m.userId)}><${Avatar} id=${m.userId} name=${fullName(m)} size="sm" /> ${fullName(m)}</button></li>`)}
        ${members.length < 2 && html`<li class="muted small">Invite someone to the workspace first.</li>`}</ul>`}
      <ul>${dms.map(entry)}</ul>
    </aside>
    ${channel ? html`<${Channel} key=${channel.id} channel=${channel} title=${channel.type === 'direct' ? titleOf(channel) : `# ${channel.name}`}
      highlight=${messageId} onSeen=${(mid) => markSeen(channel.id, mid)} />` : html`<div class="card chat-empty"><p class="muted">Pick or create a channel to start talking.</p></div>`}
  </section>`;
}

function dmOther(c, me) {
  const ids = /^dm-([0-9a-z]+)-([0-9a-z]+)$/.exec(c.name);
  return ids ? (ids[1] === me ? ids[2] : ids[1]) : c.id;
}

function NewChannel({ onDone }) {
  const { ws } = useContext(AppCtx);
  const [name, setName] = useState('general');
  const [type, setType] = useState('public');
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    try {
      const r = await post(`/workspaces/${ws.id}/channels`, { name: name.trim(), type });
      onDone(r.data);
    } catch (err) {
      setError(errorText(err));
    }
  }
  return html`<form class="stack small-form" onSubmit=${submit}>
    <label>Name<input required pattern="[a-z0-9-]+" title="lower-case letters, digits and dashes" value=${name}
      onInput=${(e) => setName(e.target.value.toLowerCase())} /></label>
    <label>Visibility<select value=${type} onChange=${(e) => setType(e.target.value)}><option value="public">Public</option><option value="private">Private</option></select></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="actions"><button type="button" class="btn small" onClick=${() => onDone(null)}>Cancel</button><button type="submit" class="btn primary small">Create</button></div>
  </form>`;
}

function Channel({ channel, title, highlight, onSeen }) {
  const { user, chatState, nameOf } = useContext(AppCtx);
  const [msgs, setMsgs] = useState(() => new Map());
  const [hasMore, setHasMore] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [pending, setPending] = useState(() => chat.pending(channel.id));
  const [typing, setTyping] = useState({}); // userId -> name
  const [text, setText] = useState('');
  const [editing, setEditing] = useState(null); // {id, content}
  const list = useRef(null);
  const stickBottom = useRef(true);
  const restore = useRef(null);
  const loadedOnce = useRef(false);
  const typingSent = useRef(0);
  const idleTimer = useRef(null);
  const typingTimers = useRef({});

  const update = (id, patch) => setMsgs((prev) => {
    if (!prev.has(id)) return prev;
    const next = new Map(prev);
    if (patch.deletedAt) next.delete(id);
    else next.set(id, { ...prev.get(id), ...patch });
    return next;
  });
  const merge = (items) => setMsgs((prev) => {
    const next = new Map(prev);
    for (const m of items) if (m && m.id && !m.deletedAt) next.set(m.id, { ...next.get(m.id), ...m });
    for (const m of items) if (m && m.deletedAt) next.delete(m.id);
    return next;
  });

  async function loadLatest() {
    try {
      const r = await get(`/channels/${channel.id}/messages?limit=${PAGE}`);
      merge(r.data);
      if (!loadedOnce.current) setHasMore(r.meta.hasMore);
      loadedOnce.current = true;
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  async function loadOlder() {
    if (loadingOlder || !hasMore) return;
    const oldest = [...msgs.values()].sort(byTime)[0];
    if (!oldest) return;
    setLoadingOlder(true);
    const el = list.current;
    restore.current = { height: el.scrollHeight, top: el.scrollTop };
    try {
      const r = await get(`/channels/${channel.id}/messages?limit=${PAGE}&before=${encodeURIComponent(oldest.id)}`);
      merge(r.data);
      setHasMore(r.meta.hasMore);
    } catch (e) {
      restore.current = null;
      toast(errorText(e), 'error');
    }
    setLoadingOlder(false);
  }

  useEffect(() => {
    loadLatest();
    chat.join(channel.id).then((r) => {
      if (r && r.ok === false && !r.queued) toast(r.message || 'Could not join the channel', 'error');
    }).catch(() => {});
    const mine = (d) => d && d.channelId === channel.id;
    const offs = [
      chat.on('message:new', (d) => {
        if (!mine(d)) return;
        merge([{ id: d.messageId, channelId: d.channelId, senderId: d.senderId, senderName: d.senderName, content: d.content, createdAt: d.createdAt }]);
        clearTyping(d.senderId);
      }),
      chat.on('message:edited', (d) => mine(d) && update(d.messageId, { content: d.content, editedAt: d.updatedAt || new Date().toISOString() })),
      chat.on('message:deleted', (d) => mine(d) && update(d.messageId, { deletedAt: new Date().toISOString() })),
      chat.on('channel:typing', (d) => {
        if (!mine(d) || d.userId === user.id) return;
        setTyping((t) => ({ ...t, [d.userId]: d.userName || nameOf(d.userId) }));
        clearTimeout(typingTimers.current[d.userId]);
        typingTimers.current[d.userId] = setTimeout(() => clearTyping(d.userId), TYPING_SHOW_MS);
      }),
      chat.on('channel:stop_typing', (d) => mine(d) && clearTyping(d.userId)),
      chat.on('sent', ({ item, message }) => {
        if (item.channelId !== channel.id) return;
        if (message) merge([{ senderName: `${user.firstName} ${user.lastName}`, ...message }]);
        setPending(chat.pending(channel.id));
      }),
      chat.on('outbox', (id) => id === channel.id && setPending(chat.pending(channel.id))),
      // Back after a drop: fetch what was said meanwhile.
      chat.on('reconnected', () => loadLatest()),
    ];
    return () => {
      offs.forEach((off) => off());
      chat.leave(channel.id);
      if (typingSent.current) chat.typing(channel.id, false);
      clearTimeout(idleTimer.current);
      Object.values(typingTimers.current).forEach(clearTimeout);
    };
  }, [channel.id]);

  function clearTyping(uid) {
    setTyping((t) => {
      if (!(uid in t)) return t;
      const n = { ...t };
      delete n[uid];
      return n;
    });
  }

  // Keep the view pinned to the bottom for new messages; keep the reading
  // position when older ones are prepended.
  const ordered = [...msgs.values()].sort(byTime);
  const newestId = ordered.length ? ordered[ordered.length - 1].id : null;
  useEffect(() => {
    if (newestId) onSeen(newestId);
  }, [newestId]);
  // A message opened from a notification: scroll to it once it is there.
  useEffect(() => {
    if (!highlight || !msgs.has(highlight)) return;
    const el = list.current && list.current.querySelector(`[data-message-id="${highlight}"]`);
    if (el) {
      stickBottom.current = false;
      el.scrollIntoView({ block: 'center' });
    }
  }, [highlight, msgs.has(highlight || '')]);
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (restore.current) {
      el.scrollTop = el.scrollHeight - restore.current.height + restore.current.top;
      restore.current = null;
    } else if (stickBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [ordered.length, pending.length, ordered[ordered.length - 1]?.id]);
  function onScroll(e) {
    const el = e.currentTarget;
    stickBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 60) loadOlder();
  }

  function onInput(e) {
    setText(e.target.value);
    const now = Date.now();
    if (e.target.value && now - typingSent.current > 2000) {
      chat.typing(channel.id, true);
      typingSent.current = now;
    }
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  }
  function stopTyping() {
    clearTimeout(idleTimer.current);
    if (typingSent.current) chat.typing(channel.id, false);
    typingSent.current = 0;
  }
  function send(e) {
    e.preventDefault();
    const content = text.trim();
    if (!content) return;
    if (content.length > 10000) {
      toast('A message can have at most 10,000 characters', 'error');
      return;
    }
    stopTyping();
    setText('');
    stickBottom.current = true;
    chat.send(channel.id, content);
    setPending(chat.pending(channel.id));
  }
  async function saveEdit(e) {
    e.preventDefault();
    const content = editing.content.trim();
    if (!content) return;
    try {
      const r = await chat.request('message:edit', { messageId: editing.id, content });
      if (!r.ok) throw new Error(r.message || 'Not saved');
      update(editing.id, { content, editedAt: new Date().toISOString() });
      setEditing(null);
    } catch (err) {
      toast(`Could not edit: ${err.message}`, 'error');
    }
  }
  async function remove(m) {
    if (!confirm('Delete this message?')) return;
    try {
      const r = await chat.request('message:delete', { messageId: m.id });
      if (!r.ok) throw new Error(r.message || 'Not deleted');
      update(m.id, { deletedAt: new Date().toISOString() });
    } catch (err) {
      toast(`Could not delete: ${err.message}`, 'error');
    }
  }

  const typers = Object.values(typing);
  const connected = chatState === 'connected';
  return html`<div class="card chat-main">
    <header class="chat-head">
      <h2>${title}</h2>
      <span class=${`pill ${connected ? 'ok' : 'warn'}`} role="status" data-testid="chat-state">${connected ? 'Connected' : chatState === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
    </header>
    <ol class="messages" ref=${list} onScroll=${onScroll} aria-label=${`Messages in #${channel.name}`} data-testid="messages">
      ${hasMore ? html`<li class="muted small center">${loadingOlder ? 'Loading older messages…' : html`<button type="button" class="link" onClick=${loadOlder}>Load older messages</button>`}</li>`
        : html`<li class="muted small center">This is the start of #${channel.name}.</li>`}
      ${ordered.map((m, i) => {
        const prev = ordered[i - 1];
        const grouped = prev && prev.senderId === m.senderId && Date.parse(m.createdAt) - Date.parse(prev.createdAt) < 5 * 60000;
        const own = m.senderId === user.id;
        const name = m.senderName || nameOf(m.senderId);
        return html`<li key=${m.id} class=${`msg${grouped ? ' grouped' : ''}${own ? ' own' : ''}${m.id === highlight ? ' highlight' : ''}`} data-message-id=${m.id}>
          ${grouped ? html`<span class="avatar-space"></span>` : html`<${Avatar} id=${m.senderId} name=${name} />`}
          <div class="msg-body">
            ${!grouped && html`<div class="msg-meta"><strong>${name}</strong> <time class="muted small" datetime=${m.createdAt}>${clock(m.createdAt)}</time></div>`}
            ${editing && editing.id === m.id ? html`<form class="edit-form" onSubmit=${saveEdit}>
                <label class="sr-only" for="edit-input">Edit message</label>
                <input id="edit-input" value=${editing.content} onInput=${(e) => setEditing({ ...editing, content: e.target.value })}
                  onKeyDown=${(e) => e.key === 'Escape' && setEditing(null)} />
                <button class="btn small primary" type="submit" disabled=${!connected}>Save</button>
                <button class="btn small" type="button" onClick=${() => setEditing(null)}>Cancel</button></form>`
              : html`<p class="msg-text">${inlineLines(m.content)}${m.editedAt && html` <span class="muted small">(edited)</span>`}</p>`}
          </div>
          ${own && !editing && html`<div class="msg-actions">
            <button type="button" class="link small" disabled=${!connected} onClick=${() => setEditing({ id: m.id, content: m.content })} aria-label="Edit message">Edit</button>
            <button type="button" class="link small" disabled=${!connected} onClick=${() => remove(m)} aria-label="Delete message">Delete</button></div>`}
        </li>`;
      })}
      ${pending.map((p) => html`<li key=${p.localId} class="msg own pending" data-pending="true">
        <${Avatar} id=${user.id} name=${`${user.firstName} ${user.lastName}`} />
        <div class="msg-body"><p class="msg-text">${inlineLines(p.content)}</p>
          <span class="muted small">${p.failed ? html`Not sent: ${p.failed} <button type="button" class="link small" onClick=${() => chat.discard(p.localId)}>Discard</button>` : connected ? 'Sending…' : 'Waiting for the connection…'}</span></div>
      </li>`)}
    </ol>
    <div class="typing" aria-live="polite" data-testid="typing">${typers.length === 1 ? `${typers[0]} is typing…` : typers.length > 1 ? `${typers.join(', ')} are typing…` : ''}</div>
    <form class="composer" onSubmit=${send}>
      <label class="sr-only" for="composer-input">Message ${channel.type === 'direct' ? title : `#${channel.name}`}</label>
      <textarea id="composer-input" rows="1" autocomplete="off" placeholder=${`Message ${channel.type === 'direct' ? title : `#${channel.name}`} (Shift+Enter for a new line)`}
        value=${text} onInput=${onInput} onBlur=${stopTyping} maxlength="10000"
        onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e); }}></textarea>
      <button class="btn primary" type="submit" disabled=${!text.trim()}>Send</button>
    </form>
  </div>`;
}

function byTime(a, b) {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
