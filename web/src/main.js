// Entry point: picks the signed-out pages or the workspace shell from the
// session and the URL.
//   /login, /register                      signed out
//   /forgot-password, /reset-password?token=  password reset (signed in or not)
//   /                                      first workspace's dashboard
//   /w/:wid                                dashboard
//   /w/:wid/projects                       projects
//   /w/:wid/board/:pid[?task=:tid]         Kanban board (task detail open)
//   /w/:wid/chat[/:cid][?message=:mid]     chat (a message highlighted)
//   /w/:wid/settings                       profile, labels, projects
//   /w/:wid/members                        members
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getSession, onSessionChange } from './lib/api.js';
import { chat } from './lib/chat.js';
import { html, navigate, onRoute, onToast } from './lib/ui.js';
import { AuthPage } from './views/auth.js';
import { ForgotPasswordPage, ResetPasswordPage } from './views/reset.js';
import { Shell } from './views/shell.js';

const RESET_PAGES = { 'forgot-password': ForgotPasswordPage, 'reset-password': ResetPasswordPage };

function parseRoute() {
  const parts = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(location.search);
  if (parts[0] === 'login' || parts[0] === 'register' || RESET_PAGES[parts[0]]) return { page: parts[0] };
  if (parts[0] === 'w' && parts[1]) {
    const wid = parts[1];
    const sub = parts[2] || 'dashboard';
    return { page: sub, wid, pid: sub === 'board' ? parts[3] : undefined,
      cid: sub === 'chat' ? parts[3] : undefined, task: q.get('task') || undefined,
      message: q.get('message') || undefined };
  }
  return { page: 'home' };
}

function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => onToast((t) => {
    setItems((xs) => [...xs.slice(-3), t]);
    setTimeout(() => setItems((xs) => xs.filter((x) => x !== t)), 5000);
  }), []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${items.map((t) => html`<div key=${t.id} class=${`toast ${t.kind}`}>${t.message}</div>`)}
  </div>`;
}

function App() {
  const [session, setSession] = useState(getSession());
  const [route, setRoute] = useState(parseRoute());
  useEffect(() => onRoute(() => setRoute(parseRoute())), []);
  useEffect(() => onSessionChange((s) => setSession(s)), []);
  const signedIn = !!session;
  const userId = session?.user?.id;

  useEffect(() => {
    if (signedIn) chat.start();
    else chat.stop();
  }, [signedIn, userId]);

  useEffect(() => {
    if (RESET_PAGES[route.page]) return;
    if (!signedIn && route.page !== 'login' && route.page !== 'register') navigate('/login', { replace: true });
    if (signedIn && (route.page === 'login' || route.page === 'register')) navigate('/', { replace: true });
  }, [signedIn, route.page]);

  let body;
  if (RESET_PAGES[route.page]) body = html`<${RESET_PAGES[route.page]} />`;
  else if (!signedIn) body = html`<${AuthPage} mode=${route.page === 'register' ? 'register' : 'login'} />`;
  else if (route.page === 'login' || route.page === 'register') body = null;
  else body = html`<${Shell} key=${userId} route=${route} user=${session.user} />`;
  return html`${body}<${Toasts} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
