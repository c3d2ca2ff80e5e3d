// The live dashboard: tasks by status (SVG chart) and completion rate from
// the project stats stream, online members from the workspace stats stream,
// and the live activity feed. Nothing here polls: every number is pushed.
import { useContext, useEffect, useState } from 'preact/hooks';
import { openStream } from '../lib/live.js';
import { describe, hrefOf } from '../lib/activity.js';
import { AppCtx, html, Link, statusLabel, timeAgo } from '../lib/ui.js';
import { MembersList } from './members.js';

const PICK_KEY = 'vibed.dashboardProject';

export function DashboardPage() {
  const { ws, projects, online, members, activity, streamState, nameOf } = useContext(AppCtx);
  const active = projects.filter((p) => p.status !== 'archived');
  const [pid, setPid] = useState(localStorage.getItem(PICK_KEY) || '');
  const project = active.find((p) => p.id === pid) || active[0];
  const [stats, setStats] = useState(null);
  const [state, setState] = useState('connecting');

  useEffect(() => {
    if (!project) return undefined;
    setStats(null);
    return openStream(`/projects/${project.id}/stats/live`, { 'stats:update': setStats }, setState);
  }, [project && project.id]);

  const pick = (e) => {
    localStorage.setItem(PICK_KEY, e.target.value);
    setPid(e.target.value);
  };
  const reconnecting = state === 'reconnecting' || streamState.stats === 'reconnecting' || streamState.activity === 'reconnecting';
  const rate = stats ? stats.completionRate || 0 : null; // an integer percentage

  return html`<section class="page dashboard">
    <header class="page-head">
      <h1>${ws.name}</h1>
      ${reconnecting && html`<span class="pill warn" role="status" data-testid="stream-reconnecting">Reconnecting to live updates…</span>`}
      <span class="spacer"></span>
      ${active.length > 0 && html`<label class="inline">Project
        <select value=${project && project.id} onChange=${pick} data-testid="dashboard-project">
          ${active.map((p) => html`<option value=${p.id}>${p.key} · ${p.name}</option>`)}
        </select></label>`}
    </header>
    <div class="stat-row">
      <div class="card stat"><span class="stat-label">Completion</span>
        <span class="stat-value" data-testid="completion-rate">${rate === null ? '–' : `${rate}%`}</span>
        <span class="meter" aria-hidden="true"><span style=${{ width: `${rate || 0}%` }}></span></span></div>
      <div class="card stat"><span class="stat-label">Tasks</span>
        <span class="stat-value" data-testid="total-tasks">${stats ? stats.totalTasks : '–'}</span>
        <span class="muted small">${stats ? `${(stats.tasksByStatus || {}).done || 0} done` : ''}</span></div>
      <div class="card stat"><span class="stat-label">Online now</span>
        <span class="stat-value" data-testid="online-count">${online.count}</span>
        <span class="muted small">of ${members.length} members</span></div>
    </div>
    <div class="dash-grid">
      <div class="card">
        <div class="card-head"><h2>Tasks by status</h2>${project && html`<${Link} href=${`/w/${ws.id}/board/${project.id}`}>Open board →</${Link}>`}</div>
        ${!project ? html`<p class="muted">No projects yet. <${Link} href=${`/w/${ws.id}/projects`}>Create one</${Link}>.</p>`
          : stats ? html`<${StatusChart} stats=${stats} columns=${project.columns} />` : html`<p class="muted">Waiting for live stats…</p>`}
      </div>
      <div class="card">
        <div class="card-head"><h2>Team</h2><span class="muted small">${online.count} online</span></div>
        <${MembersList} compact />
      </div>
      <div class="card span-2">
        <div class="card-head"><h2>Live activity</h2></div>
        <ul class="feed" data-testid="activity-feed" aria-live="polite">
          ${activity.length === 0 && html`<li class="muted">No activity yet.</li>`}
          ${activity.slice(0, 25).map((a) => {
            const href = hrefOf(a, ws.id);
            const text = html`<span class="feed-who">${a.actorName || nameOf(a.actorId)}</span> ${describe(a)}`;
            return html`<li key=${a.id}>${href ? html`<${Link} class="feed-link" href=${href}>${text}</${Link}>` : text}
            <span class="muted small">${timeAgo(a.createdAt)}</span></li>`;
          })}
        </ul>
      </div>
    </div>
  </section>`;
}

/** A bar per column; heights scale to the largest count. */
function StatusChart({ stats, columns }) {
  const cols = (columns && columns.length ? columns : ['todo', 'in-progress', 'review', 'done'].map((name) => ({ name })))
    .slice().sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const by = stats.tasksByStatus || {};
  const max = Math.max(1, ...cols.map((c) => by[c.name] || 0));
  const W = 480, H = 220, top = 24, bottom = 36, gap = 24;
  const bw = (W - gap * (cols.length + 1)) / cols.length;
  const summary = cols.map((c) => `${statusLabel(c.name)} ${by[c.name] || 0}`).join(', ');
  return html`<svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`Tasks by status: ${summary}`} data-testid="status-chart">
    <line x1="0" x2=${W} y1=${H - bottom} y2=${H - bottom} class="axis" />
    ${cols.map((c, i) => {
      const n = by[c.name] || 0;
      const h = ((H - top - bottom) * n) / max;
      const x = gap + i * (bw + gap);
      return html`<g key=${c.name} data-status=${c.name} data-count=${n}>
        <rect x=${x} y=${H - bottom - h} width=${bw} height=${Math.max(h, n ? 2 : 0)} rx="6" fill=${c.color || '#6366f1'} class="bar" />
        <text x=${x + bw / 2} y=${H - bottom - h - 6} text-anchor="middle" class="bar-value">${n}</text>
        <text x=${x + bw / 2} y=${H - bottom + 20} text-anchor="middle" class="bar-label">${statusLabel(c.name)}</text>
      </g>`;
    })}
  </svg>`;
}
