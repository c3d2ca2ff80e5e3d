// The signed-in frame: top bar (workspace switcher, connection state,
// notifications, account), navigation, and the workspace-wide live data every
// page shares: members, online user ids (workspace stats stream), projects and
// the activity stream.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, post, signOut } from '../lib/api.js';
import { chat } from '../lib/chat.js';
import { openStream } from '../lib/live.js';
import { AppCtx, Avatar, Dialog, errorText, fullName, html, Link, navigate, setPeople, toast } from '../lib/ui.js';
import { BoardPage } from './board.js';
import { ChatPage } from './chat.js';
import { DashboardPage } from './dashboard.js';
import { PendingInvitations } from './invitations.js';
import { MembersPage } from './members.js';
import { NotificationsButton } from './notifications.js';
import { ProjectsPage } from './projects.js';
import { SettingsPage } from './settings.js';

export function Shell({ route, user }) {
  const [workspaces, setWorkspaces] = useState(null);
  const [members, setMembers] = useState([]);
  const [projects, setProjects] = useState([]);
  const [online, setOnline] = useState({ ids: new Set(), count: 0 });
  const [activity, setActivity] = useState([]);
  const [streamState, setStreamState] = useState({ stats: 'connecting', activity: 'connecting' });
  const [chatState, setChatState] = useState(chat.state);
  const [creating, setCreating] = useState(false);
  const activityFns = useRef(new Set());

  const wid = route.wid;
  const ws = workspaces && workspaces.find((w) => w.id === wid);

  async function loadWorkspaces() {
    try {
      const r = await get('/workspaces?limit=100');
      setWorkspaces(r.data);
      return r.data;
    } catch (err) {
      toast(errorText(err), 'error');
      setWorkspaces([]);
      return [];
    }
  }
  useEffect(() => {
    loadWorkspaces();
  }, []);
  useEffect(() => chat.on('state', setChatState), []);

  // "/" and unknown workspaces go to the first workspace.
  useEffect(() => {
    if (!workspaces) return;
    if ((!wid || !ws) && workspaces.length) navigate(`/w/${workspaces[0].id}`, { replace: true });
  }, [workspaces, wid]);

  const reloadMembers = () =>
    ws && get(`/workspaces/${ws.id}/members?limit=100`).then((r) => setMembers(r.data)).catch(() => {});
  const reloadProjects = () =>
    ws && get(`/workspaces/${ws.id}/projects?limit=100`).then((r) => setProjects(r.data)).catch(() => {});

  useEffect(() => {
    if (!ws) return undefined;
    setMembers([]);
    setProjects([]);
    setActivity([]);
    setOnline({ ids: new Set(), count: 0 });
    reloadMembers();
    reloadProjects();
    get(`/workspaces/${ws.id}/activity?limit=30`).then((r) => setActivity(r.data)).catch(() => {});
    const closeStats = openStream(`/workspaces/${ws.id}/stats/live`, {
      'stats:update': (d) => setOnline({ ids: new Set(d.onlineUserIds || []), count: d.onlineUsersCount || 0 }),
    }, (s) => setStreamState((x) => ({ ...x, stats: s })));
    const closeActivity = openStream(`/workspaces/${ws.id}/activity/live`, {
      activity: (a) => {
        setActivity((xs) => (xs.some((x) => x.id === a.id) ? xs : [a, ...xs].slice(0, 50)));
        for (const fn of activityFns.current) fn(a);
        if (/^member_/.test(a.action)) reloadMembers();
        if (/^project_/.test(a.action)) reloadProjects();
      },
    }, (s) => setStreamState((x) => ({ ...x, activity: s })));
    return () => {
      closeStats();
      closeActivity();
    };
  }, [ws && ws.id]);

  const ctx = useMemo(() => {
    const memberById = new Map(members.map((m) => [m.userId, m]));
    // Distinct avatar colours within the workspace, in the order people joined.
    setPeople([...members].sort((a, b) => String(a.joinedAt || '').localeCompare(String(b.joinedAt || '')) || (a.userId < b.userId ? -1 : 1)).map((m) => m.userId));
    return {
      user, ws, workspaces, members, memberById, projects, online, activity, streamState, chatState,
      reloadMembers, reloadProjects, reloadWorkspaces: loadWorkspaces,
      onActivity: (fn) => {
        activityFns.current.add(fn);
        return () => activityFns.current.delete(fn);
      },
      nameOf: (id) => (memberById.has(id) ? fullName(memberById.get(id)) : id === user.id ? fullName(user) : 'Someone'),
    };
  }, [user, ws, workspaces, members, projects, online, activity, streamState, chatState]);

  if (!workspaces) return html`<p class="boot">Loading your workspaces…</p>`;

  let page;
  if (!workspaces.length) page = html`<${Welcome} onCreate=${() => setCreating(true)} />`;
  else if (!ws) page = html`<p class="boot">Opening workspace…</p>`;
  else if (route.page === 'board') page = html`<${BoardPage} key=${route.pid} pid=${route.pid} taskId=${route.task} />`;
  else if (route.page === 'chat') page = html`<${ChatPage} cid=${route.cid} messageId=${route.message} />`;
  else if (route.page === 'members') page = html`<${MembersPage} />`;
  else if (route.page === 'projects') page = html`<${ProjectsPage} />`;
  else if (route.page === 'settings') page = html`<${SettingsPage} />`;
  else page = html`<${DashboardPage} />`;

  // Without a workspace there is no stats stream: the chat alone is "live".
  const live = chatState === 'connected' && (!ws || streamState.stats === 'open');
  return html`<${AppCtx.Provider} value=${ctx}>
    <div class="shell">
      <header class="topbar">
        <${Link} class="brand" href="/"><span class="logo" aria-hidden="true">v</span><span class="brand-name">vibed</span></${Link}>
        ${workspaces.length > 0 && html`<div class="ws-switch">
          <label class="sr-only" for="ws-select">Workspace</label>
          <select id="ws-select" value=${wid} onChange=${(e) => navigate(`/w/${e.target.value}`)}>
            ${workspaces.map((w) => html`<option value=${w.id}>${w.name}</option>`)}
          </select>
          <button type="button" class="icon-btn" aria-label="New workspace" title="New workspace" onClick=${() => setCreating(true)}>+</button>
        </div>`}
        <span class="spacer"></span>
        <span class=${`conn ${live ? 'ok' : 'warn'}`} role="status" aria-live="polite" data-testid="connection-state"
          title=${`Chat: ${chatState}; live stats: ${streamState.stats}`}>
          <span class="conn-dot" aria-hidden="true"></span><span class="conn-text">${live ? 'Live' : chatState === 'connected' || streamState.stats === 'open' ? 'Partly live' : 'Reconnecting…'}</span>
        </span>
        <${NotificationsButton} />
        <div class="me">
          <${Avatar} id=${user.id} name=${fullName(user)} />
          <span class="me-name">${fullName(user)}</span>
          <button type="button" class="btn ghost small sign-out" onClick=${() => signOut()}>Sign out</button>
        </div>
      </header>
      ${ws && html`<nav class="sidenav" aria-label="Workspace">
        <${NavLink} href=${`/w/${ws.id}`} active=${route.page === 'dashboard'}>Dashboard</${NavLink}>
        <${NavLink} href=${`/w/${ws.id}/projects`} active=${route.page === 'projects'}>Projects</${NavLink}>
        ${projects.filter((p) => p.status !== 'archived').map((p) => html`<${NavLink} sub href=${`/w/${ws.id}/board/${p.id}`}
          active=${route.page === 'board' && route.pid === p.id}><span class="key">${p.key}</span> ${p.name}</${NavLink}>`)}
        <${NavLink} href=${`/w/${ws.id}/chat`} active=${route.page === 'chat'}>Chat</${NavLink}>
        <${NavLink} href=${`/w/${ws.id}/members`} active=${route.page === 'members'}>Members <span class="count">${online.count}/${members.length || ws.memberCount || 0} online</span></${NavLink}>
        <${NavLink} href=${`/w/${ws.id}/settings`} active=${route.page === 'settings'}>Settings</${NavLink}>
      </nav>`}
      <main class="content" id="main"><${PendingInvitations} onAccepted=${async (w) => { await loadWorkspaces(); navigate(`/w/${w.id}`); }} />${page}</main>
    </div>
    ${creating && html`<${CreateWorkspace} onClose=${() => setCreating(false)} onCreated=${async (w) => {
      setCreating(false);
      await loadWorkspaces();
      navigate(`/w/${w.id}`);
    }} />`}
  </${AppCtx.Provider}>`;
}

function NavLink({ href, active, sub, children }) {
  return html`<${Link} href=${href} class=${`navlink${sub ? ' sub' : ''}${active ? ' active' : ''}`}
    aria-current=${active ? 'page' : undefined}>${children}</${Link}>`;
}

function Welcome({ onCreate }) {
  return html`<section class="empty-state">
    <h1>Welcome to vibed</h1>
    <p class="muted">A workspace holds your team's projects, boards and chat. Create one, or ask a teammate to invite you by email.</p>
    <button class="btn primary" type="button" onClick=${onCreate}>Create a workspace</button>
  </section>`;
}

function CreateWorkspace({ onClose, onCreated }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    try {
      const r = await post('/workspaces', { name, ...(description ? { description } : {}) });
      toast(`Workspace ${r.data.name} created`);
      onCreated(r.data);
    } catch (err) {
      setError(errorText(err));
    }
  }
  return html`<${Dialog} title="New workspace" onClose=${onClose}>
    <form class="stack" onSubmit=${submit}>
      <label>Name<input required maxlength="100" value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <label>Description<textarea rows="3" value=${description} onInput=${(e) => setDescription(e.target.value)}></textarea></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="actions"><button type="button" class="btn" onClick=${onClose}>Cancel</button><button class="btn primary" type="submit">Create</button></div>
    </form>
  </${Dialog}>`;
}
