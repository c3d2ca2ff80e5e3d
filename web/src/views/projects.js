// Projects of the workspace and creating one.
import { useContext, useState } from 'preact/hooks';
import { post } from '../lib/api.js';
import { AppCtx, Dialog, errorText, html, Link, navigate, toast } from '../lib/ui.js';

export function ProjectsPage() {
  const { ws, projects, reloadProjects } = useContext(AppCtx);
  const [creating, setCreating] = useState(false);
  return html`<section class="page">
    <header class="page-head"><h1>Projects</h1><button class="btn primary" type="button" onClick=${() => setCreating(true)}>New project</button></header>
    ${projects.length === 0 ? html`<p class="muted">No projects yet. Create one to get a board.</p>` : html`
    <ul class="project-grid">${projects.map((p) => html`<li key=${p.id} class="card project-card">
      <${Link} href=${`/w/${ws.id}/board/${p.id}`} class="project-link"><span class="key">${p.key}</span><strong>${p.name}</strong></${Link}>
      <p class="muted small">${p.description || 'No description'}</p>
      <p class="small">${p.taskCount ?? 0} tasks${p.status === 'archived' ? ' · archived' : ''}</p>
    </li>`)}</ul>`}
    ${creating && html`<${CreateProject} onClose=${() => setCreating(false)} onCreated=${(p) => {
      setCreating(false);
      reloadProjects();
      navigate(`/w/${ws.id}/board/${p.id}`);
    }} />`}
  </section>`;
}

function CreateProject({ onClose, onCreated }) {
  const { ws } = useContext(AppCtx);
  const [f, setF] = useState({ name: '', key: '', description: '' });
  const [error, setError] = useState('');
  const set = (k) => (e) => setF({ ...f, [k]: k === 'key' ? e.target.value.toUpperCase() : e.target.value });
  async function submit(e) {
    e.preventDefault();
    try {
      const r = await post(`/workspaces/${ws.id}/projects`, { name: f.name, key: f.key, ...(f.description ? { description: f.description } : {}) });
      toast(`Project ${r.data.key} created`);
      onCreated(r.data);
    } catch (err) {
      setError(errorText(err));
    }
  }
  return html`<${Dialog} title="New project" onClose=${onClose}>
    <form class="stack" onSubmit=${submit}>
      <label>Name<input required value=${f.name} onInput=${set('name')} /></label>
      <label>Key<input required pattern="[A-Z][A-Z0-9]{1,9}" title="2 to 10 capitals or digits, starting with a letter" value=${f.key} onInput=${set('key')} />
        <small class="muted">Prefix of task keys, e.g. WEB for WEB-1.</small></label>
      <label>Description<textarea rows="3" value=${f.description} onInput=${set('description')}></textarea></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="actions"><button type="button" class="btn" onClick=${onClose}>Cancel</button><button class="btn primary" type="submit">Create</button></div>
    </form>
  </${Dialog}>`;
}
