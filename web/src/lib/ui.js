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
// Avatar colours: members of the open workspace get distinct colours in the
// order they joined (setPeople); anyone else falls back to a hash of the id.
const HUES = [210, 330, 150, 20, 260, 190, 40, 290, 0, 120, 230, 350];
const hueByPerson = new Map();
export function setPeople(ids) {
  hueByPerson.clear();
  ids.forEach((id, i) => hueByPerson.set(id, HUES[i % HUES.length]));
}
export function hueOf(id) {
  if (hueByPerson.has(id)) return hueByPerson.get(id);
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

// --- due dates: date-only values ("2026-01-15"), the same day in every time
// zone. Older values stored as a UTC date-time keep their UTC date.
export function dueDay(value) {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value || '');
  return m ? m[1] : '';
}
export function formatDay(day) {
  if (!day) return '';
  const d = new Date(`${day}T12:00:00Z`);
  return isNaN(d) ? day : d.toLocaleDateString(undefined, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
}
/** Today in the viewer's time zone as YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// --- dialog: a native modal <dialog> (focus is kept inside, Esc closes, and
// focus goes back to what opened it: the card, the button)
export function Dialog({ title, onClose, children, wide, returnFocus }) {
  const ref = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const cancel = (e) => {
      e.preventDefault();
      onClose();
    };
    d.addEventListener('cancel', cancel);
    return () => {
      d.removeEventListener('cancel', cancel);
      // After the dialog is gone: the given element (a selector, for views
      // that re-render their opener), else the element focused at opening.
      setTimeout(() => {
        const el = (returnFocus && document.querySelector(returnFocus)) ||
          (opener && opener.isConnected ? opener : null);
        if (el && document.activeElement !== el && !document.querySelector('dialog[open]')) el.focus();
      }, 0);
    };
  }, []);
  return html`<dialog ref=${ref} class=${wide ? 'dialog wide' : 'dialog'} aria-labelledby="dialog-title">
    <header class="dialog-head">
      <h2 id="dialog-title">${title}</h2>
      <button type="button" class="icon-btn" aria-label="Close" onClick=${onClose}>×</button>
    </header>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}

// --- errors in the user's words
const FIELD_WORDS = { firstName: 'First name', lastName: 'Last name', dueDate: 'Due date', estimatePoints: 'Estimate',
  assigneeIds: 'Assignees', labelIds: 'Labels', parentTaskId: 'Parent task', currentPassword: 'Current password',
  newPassword: 'New password' };
function fieldWords(f) {
  if (FIELD_WORDS[f]) return FIELD_WORDS[f];
  const w = String(f || '').replace(/([A-Z])/g, ' $1').toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
}
function fieldProblem(e) {
  const msg = String(e.message || '').replace(new RegExp(`^${e.field}\\s+`), '');
  if (/^must be at least 1 characters?$/.test(msg) || /must not be empty/.test(msg) || msg === 'is required') return 'cannot be empty';
  const min = /^must be at least (\d+) characters$/.exec(msg);
  if (min) return `needs at least ${min[1]} characters`;
  const max = /^must be at most (\d+) characters$/.exec(msg);
  if (max) return `can have at most ${max[1]} characters`;
  return msg;
}
/** What went wrong and what to do, for an ApiError or a network failure. */
export function errorText(err) {
  if (!err) return '';
  if (!err.status) {
    if (err instanceof TypeError || /fetch|network/i.test(err.message || ''))
      return 'Could not reach the server. Check your connection and try again.';
    return err.message || 'Something went wrong. Please try again.';
  }
  if (err.status === 429) {
    const s = err.retryAfter;
    return s ? `Too many attempts. Please wait ${s} second${s === 1 ? '' : 's'} and try again.` : 'Too many attempts. Please wait a minute and try again.';
  }
  if (err.status >= 500) return 'Something went wrong on the server. Please try again in a moment.';
  if (err.status === 422 && err.errors && err.errors.length) {
    return `Please check: ${err.errors.map((e) => `${fieldWords(e.field)} ${fieldProblem(e)}`).join('; ')}.`;
  }
  if (err.status === 401) return err.message && !/token|auth/i.test(err.message) ? err.message : 'Your session has ended. Please sign in again.';
  if (err.status === 403) return 'You do not have permission to do that. Ask a workspace admin.';
  if (err.status === 404) return 'This item was not found: it may have been deleted, or you no longer have access.';
  return err.message || 'Something went wrong. Please try again.';
}

export const STATUS_LABEL = { todo: 'To do', 'in-progress': 'In progress', review: 'Review', done: 'Done' };
export const statusLabel = (s) => STATUS_LABEL[s] || s;
export const PRIORITIES = ['critical', 'high', 'medium', 'low', 'none'];
