// Settings: one's profile (name, password), the workspace's labels (create,
// rename, colour, delete) and projects (rename, describe, archive).
import { useContext, useEffect, useState } from 'preact/hooks';
import { del, get, patch, post, updateUser } from '../lib/api.js';
import { AppCtx, errorText, html, toast } from '../lib/ui.js';

export function SettingsPage() {
  return html`<section class="page settings">
    <header class="page-head"><h1>Settings</h1></header>
    <div class="grid-2">
      <div class="stack"><${Profile} /><${Password} /></div>
      <div class="stack"><${Labels} /><${Projects} /></div>
    </div>
  </section>`;
}

function Profile() {
  const { user } = useContext(AppCtx);
  const [f, setF] = useState({ firstName: user.firstName || '', lastName: user.lastName || '' });
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    setError('');
    try {
      const r = await patch('/users/me', { firstName: f.firstName.trim(), lastName: f.lastName.trim() });
      updateUser({ ...user, ...r.data });
      toast('Your name is saved');
    } catch (err) {
      setError(errorText(err));
    }
  }
  return html`<form class="card stack" onSubmit=${submit} aria-labelledby="profile-h">
    <h2 id="profile-h">Your profile</h2>
    <div class="row2">
      <label>First name<input required maxlength="100" value=${f.firstName} onInput=${(e) => setF({ ...f, firstName: e.target.value })} /></label>
      <label>Last name<input required maxlength="100" value=${f.lastName} onInput=${(e) => setF({ ...f, lastName: e.target.value })} /></label>
    </div>
    <p class="muted small">Signed in as ${user.email}.</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="actions"><button class="btn primary" type="submit">Save name</button></div>
  </form>`;
}

function Password() {
  const [f, setF] = useState({ currentPassword: '', newPassword: '', repeat: '' });
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    setError('');
    if (f.newPassword !== f.repeat) return setError('The two new passwords differ. Type the same one twice.');
    try {
      await post('/users/me/password', { currentPassword: f.currentPassword, newPassword: f.newPassword });
      setF({ currentPassword: '', newPassword: '', repeat: '' });
      toast('Your password is changed');
    } catch (err) {
      setError(err.status === 401 || err.code === 'INVALID_CREDENTIALS' ? 'The current password is not right.' : errorText(err));
    }
  }
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  return html`<form class="card stack" onSubmit=${submit} aria-labelledby="password-h">
    <h2 id="password-h">Change password</h2>
    <label>Current password<input type="password" autocomplete="current-password" required value=${f.currentPassword} onInput=${set('currentPassword')} /></label>
    <label>New password<input type="password" autocomplete="new-password" required minlength="8" maxlength="128" value=${f.newPassword} onInput=${set('newPassword')} /></label>
    <label>New password again<input type="password" autocomplete="new-password" required minlength="8" maxlength="128" value=${f.repeat} onInput=${set('repeat')} /></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="actions"><button class="btn primary" type="submit">Change password</button></div>
  </form>`;
}

const COLORS = ['#dc2626', '#ea580c', '#ca8a04', '#16a34a', '#0891b2', '#2563eb', '#7c3aed', '#db2777', '#475569'];

function Labels() {
  const { ws } = useContext(AppCtx);
  const [labels, setLabels] = useState(null);
  const [f, setF] = useState({ name: '', color: COLORS[5] });
  const [error, setError] = useState('');
  const load = () => get(`/workspaces/${ws.id}/labels?limit=100`).then((r) => setLabels(r.data)).catch((e) => setError(errorText(e)));
  useEffect(() => {
    load();
  }, [ws.id]);
  async function create(e) {
    e.preventDefault();
    setError('');
    try {
      await post(`/workspaces/${ws.id}/labels`, { name: f.name.trim(), color: f.color });
      setF({ ...f, name: '' });
      load();
    } catch (err) {
      setError(errorText(err));
    }
  }
  async function save(l, changes) {
    try {
      await patch(`/labels/${l.id}`, changes);
      load();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
  async function remove(l) {
    if (!confirm(`Delete the label ${l.name}? It is removed from every task.`)) return;
    try {
      await del(`/labels/${l.id}`);
      load();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
  return html`<section class="card stack" aria-labelledby="labels-h">
    <h2 id="labels-h">Labels</h2>
    ${labels === null ? html`<p class="muted">Loading…</p>` : labels.length === 0 ? html`<p class="muted small">No labels yet.</p>` : html`
    <ul class="settings-list" data-testid="labels">${labels.map((l) => html`<li key=${l.id}>
      <label class="color-pick"><span class="sr-only">Colour of ${l.name}</span><input type="color" value=${l.color} onChange=${(e) => save(l, { color: e.target.value })} /></label>
      <label class="grow"><span class="sr-only">Name of ${l.name}</span><input value=${l.name} maxlength="50"
        onChange=${(e) => e.target.value.trim() && e.target.value.trim() !== l.name && save(l, { name: e.target.value.trim() })} /></label>
      <button type="button" class="btn small danger" onClick=${() => remove(l)} aria-label=${`Delete label ${l.name}`}>Delete</button>
    </li>`)}</ul>`}
    <form class="inline-form" onSubmit=${create}>
      <label class="color-pick"><span class="sr-only">New label colour</span><input type="color" value=${f.color} onInput=${(e) => setF({ ...f, color: e.target.value })} /></label>
      <label class="grow"><span class="sr-only">New label name</span><input placeholder="New label name" required maxlength="50" value=${f.name} onInput=${(e) => setF({ ...f, name: e.target.value })} /></label>
      <button class="btn primary small" type="submit">Add label</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </section>`;
}

function Projects() {
  const { projects, reloadProjects } = useContext(AppCtx);
  async function save(p, changes) {
    try {
      await patch(`/projects/${p.id}`, changes);
      reloadProjects();
      toast(`${p.key} saved`);
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
  async function archive(p) {
    if (!confirm(`Archive ${p.key} ${p.name}? Its board becomes read-only.`)) return;
    try {
      await del(`/projects/${p.id}`);
      reloadProjects();
      toast(`${p.key} archived`);
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
  return html`<section class="card stack" aria-labelledby="projects-h">
    <h2 id="projects-h">Projects</h2>
    ${projects.length === 0 ? html`<p class="muted small">No projects yet.</p>` : html`
    <ul class="settings-list" data-testid="project-settings">${projects.map((p) => html`<li key=${p.id}>
      <span class="key">${p.key}</span>
      <label class="grow"><span class="sr-only">Name of ${p.key}</span><input value=${p.name} maxlength="100" disabled=${p.status === 'archived'}
        onChange=${(e) => e.target.value.trim() && e.target.value.trim() !== p.name && save(p, { name: e.target.value.trim() })} /></label>
      ${p.status === 'archived' ? html`<span class="pill">Archived</span>`
        : html`<button type="button" class="btn small" onClick=${() => archive(p)} aria-label=${`Archive ${p.key}`}>Archive</button>`}
    </li>`)}</ul>`}
  </section>`;
}
