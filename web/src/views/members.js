// Members of the workspace with roles and live online dots; admins invite by email.
import { useContext, useState } from 'preact/hooks';
import { post } from '../lib/api.js';
import { AppCtx, Avatar, errorText, fullName, html, toast } from '../lib/ui.js';

export function MembersList({ compact }) {
  const { members, online, user } = useContext(AppCtx);
  const sorted = [...members].sort((a, b) => (online.ids.has(b.userId) - online.ids.has(a.userId)) || fullName(a).localeCompare(fullName(b)));
  return html`<ul class=${`members${compact ? ' compact' : ''}`} data-testid="members">
    ${sorted.map((m) => {
      const on = online.ids.has(m.userId);
      return html`<li key=${m.userId} data-user-id=${m.userId} data-online=${on ? 'true' : 'false'}>
        <${Avatar} id=${m.userId} name=${fullName(m)} online=${on} />
        <span class="member-name">${fullName(m)}${m.userId === user.id && html` <span class="muted">(you)</span>`}
          <span class="sr-only">${on ? ', online' : ', offline'}</span></span>
        ${!compact && html`<span class="muted member-email">${m.email}</span>`}
        <span class=${`role role-${m.role}`}>${m.role}</span>
      </li>`;
    })}
  </ul>`;
}

export function MembersPage() {
  const { ws, members, online } = useContext(AppCtx);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const [error, setError] = useState('');
  const isAdmin = ws.role === 'admin';
  async function invite(e) {
    e.preventDefault();
    setError('');
    try {
      await post(`/workspaces/${ws.id}/invite`, { email: email.trim(), role });
      toast(`Invitation sent to ${email}`);
      setEmail('');
    } catch (err) {
      setError(errorText(err));
    }
  }
  return html`<section class="page">
    <header class="page-head"><h1>Members</h1><span class="muted">${online.count} of ${members.length} online</span></header>
    <div class="grid-2">
      <div class="card"><${MembersList} /></div>
      ${isAdmin ? html`<form class="card stack" onSubmit=${invite}>
        <h2>Invite by email</h2>
        <p class="muted small">They join once they accept; an invitation waits 7 days, also for someone who registers with that email later.</p>
        <label>Email<input type="email" required value=${email} onInput=${(e) => setEmail(e.target.value)} /></label>
        <label>Role<select value=${role} onChange=${(e) => setRole(e.target.value)}><option value="member">Member</option><option value="admin">Admin</option></select></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button class="btn primary" type="submit">Invite</button>
      </form>` : html`<div class="card"><p class="muted">Only admins can invite people to this workspace.</p></div>`}
    </div>
  </section>`;
}
