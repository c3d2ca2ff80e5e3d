// Small shared pieces: the html tag, routing, toasts, avatars, dialogs, dates.
import { h, createContext } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);
export const AppCtx = createContext(null);

// --- routing (history API; the server answers unknown paths with index.html)
const routeListeners = new Set();
export function navigate(path, { replace = false } = {}) {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const fn of routeListeners) fn();
}
export function onRoute(fn) {
  routeListeners.add(fn);
  return () => routeListeners.delete(fn);
}
window.addEventListener('popstate', () => {
  for (const fn of routeListeners) fn();
});

/** An <a> that routes inside the app. */
export function Link({ href, children, ...rest }) {
  const click = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${click} ...${rest}>${children}</a>`;
}

// --- toasts
const toastListeners = new Set();
export function toast(message, kind = 'info') {
  for (const fn of toastListeners) fn({ id: Math.random(), message, kind });
}
export function onToast(fn) {
  toastListeners.add(fn);
  return () => toastListeners.delete(fn);
}

// --- people
export function fullName(u) {
  if (!u) return 'Someone';
  const n = [u.firstName, u.lastName].filter(Boolean).join(' ');
  return n || u.email || 'Someone';
}
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/);
  return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}
const HUES = [210, 260, 330, 20, 150, 190, 40, 290];
export function hueOf(id) {
  let x = 0;
  for (const c of String(id || '')) x = (x * 31 + c.charCodeAt(0)) >>> 0;
  return HUES[x % HUES.length];
}
export function Avatar({ id, name, online, size = 'md' }) {
  return html`<span class=${`avatar avatar-${size} hue-${hueOf(id)}`} title=${name} aria-hidden="true"
    >${initials(name)}${online !== undefined &&
    html`<span class=${`dot ${online ? 'on' : 'off'}`}></span>`}</span
  >`;
}

// --- dates
export function timeAgo(iso) {
  const t = Date.parse(iso);
  if (!t) return '';
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}
export function clock(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// --- dialog: a native modal <dialog> (focus is kept inside, Esc closes)
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const cancel = (e) => {
      e.preventDefault();
      onClose();
    };
    d.addEventListener('cancel', cancel);
    return () => d.removeEventListener('cancel', cancel);
  }, []);
  return html`<dialog ref=${ref} class=${wide ? 'dialog wide' : 'dialog'} aria-labelledby="dialog-title">
    <header class="dialog-head">
      <h2 id="dialog-title">${title}</h2>
      <button type="button" class="icon-btn" aria-label="Close" onClick=${onClose}>×</button>
    </header>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}

/** Error text for an ApiError, with field errors joined. */
export function errorText(err) {
  if (!err) return '';
  const fields = (err.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ');
  return fields ? `${err.message} (${fields})` : err.message;
}

export const STATUS_LABEL = { todo: 'To do', 'in-progress': 'In progress', review: 'Review', done: 'Done' };
export const statusLabel = (s) => STATUS_LABEL[s] || s;
export const PRIORITIES = ['critical', 'high', 'medium', 'low', 'none'];
