// The bell: the unread count and new notifications arrive over the chat
// connection (notification:new, notification:unread) the moment they are
// committed; the count is read once at start and after each reconnect. The
// panel lists the latest; opening one goes to what it is about (the chat
// message in its channel, the task, or, for an invitation, the pending invitations list).
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, patch, post } from '../lib/api.js';
import { chat } from '../lib/chat.js';
import { errorText, html, navigate, timeAgo, toast } from '../lib/ui.js';

export function NotificationsButton() {
  const [count, setCount] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState(null);
  const wrap = useRef(null);
  const button = useRef(null);

  // Every count change (a push, a read) bumps gen; a count fetched before the
  // latest change is stale and dropped, so a slow read cannot undo a push.
  const gen = useRef(0);
  const setFresh = (n) => { gen.current++; setCount(n); };
  const refreshCount = () => {
    const g = ++gen.current;
    return get('/notifications/unread-count').then((r) => { if (g === gen.current) setCount(r.data.count); }).catch(() => {});
  };
  const loadList = () => get('/notifications?limit=20').then((r) => setItems(r.data)).catch((e) => toast(errorText(e), 'error'));

  useEffect(() => {
    refreshCount();
    const offs = [
      chat.on('notification:new', ({ notification: n, unreadCount }) => {
        if (typeof unreadCount === 'number') setFresh(unreadCount);
        if (!n) return;
        setItems((xs) => (xs ? [n, ...xs.filter((x) => x.id !== n.id)].slice(0, 50) : xs));
      }),
      chat.on('notification:unread', ({ unreadCount }) => setFresh(unreadCount)),
      chat.on('reconnected', refreshCount),
    ];
    return () => offs.forEach((off) => off());
  }, []);
  useEffect(() => {
    if (!open) return undefined;
    loadList();
    const close = (e) => {
      if (e.type === 'keydown' ? e.key === 'Escape' : !wrap.current.contains(e.target)) {
        setOpen(false);
        if (e.type === 'keydown' && button.current) button.current.focus();
      }
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  async function markRead(n) {
    if (n.read) return;
    try {
      await patch(`/notifications/${n.id}/read`);
      setItems((xs) => (xs || []).map((x) => (x.id === n.id ? { ...x, read: true } : x)));
      refreshCount(); // the push says the same; this covers a lost connection

    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  async function markAll() {
    try {
      await post('/notifications/read-all');
      setItems((xs) => (xs || []).map((x) => ({ ...x, read: true })));
      setFresh(0);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  async function openItem(n) {
    markRead(n);
    setOpen(false);
    const d = n.data || {};
    const wid = n.workspaceId || d.workspaceId;
    // An invitation is answered in the pending invitations list, shown on
    // every page; the workspace appears once it is accepted.
    if (n.type === 'workspace_invite') return;
    if (!wid) return;
    if (d.channelId) navigate(`/w/${wid}/chat/${d.channelId}${d.messageId ? `?message=${d.messageId}` : ''}`);
    else if (d.taskId && d.projectId) navigate(`/w/${wid}/board/${d.projectId}?task=${d.taskId}`);
    else navigate(`/w/${wid}`);
  }

  return html`<div class="notif" ref=${wrap}>
    <button type="button" class="icon-btn bell" ref=${button} aria-haspopup="true" aria-expanded=${open}
      aria-label=${count ? `Notifications, ${count} unread` : 'Notifications'} onClick=${() => setOpen(!open)}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"/></svg>
      ${count > 0 && html`<span class="badge" data-testid="unread-badge">${count > 99 ? '99+' : count}</span>`}
    </button>
    ${open && html`<div class="popover" role="dialog" aria-label="Notifications" data-testid="notifications-panel">
      <div class="popover-head"><h2>Notifications</h2>
        <button type="button" class="btn ghost small" onClick=${markAll} disabled=${!count}>Mark all read</button></div>
      ${items === null ? html`<p class="muted pad">Loading…</p>` : items.length === 0 ? html`<p class="muted pad">Nothing yet.</p>` : html`
      <ul class="notif-list">${items.map((n) => html`<li key=${n.id} class=${n.read ? 'read' : 'unread'}>
        <button type="button" class="notif-item" onClick=${() => openItem(n)}>
          <span class="notif-title">${n.title}</span><span class="muted small">${timeAgo(n.createdAt)}</span></button>
        ${!n.read && html`<button type="button" class="btn ghost small" aria-label=${`Mark read: ${n.title}`} onClick=${() => markRead(n)}>Mark read</button>`}
      </li>`)}</ul>`}
    </div>`}
  </div>`;
}
