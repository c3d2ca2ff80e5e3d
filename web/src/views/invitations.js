// The signed-in user's pending workspace invitations, with Accept and Decline.
// Renders nothing when there are none; a new invitation pushed over the chat
// connection (notification:new of type workspace_invite) shows at once.
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../lib/api.js';
import { chat } from '../lib/chat.js';
import { errorText, html, toast } from '../lib/ui.js';

export function PendingInvitations({ onAccepted }) {
  const [list, setList] = useState([]);
  const [busy, setBusy] = useState('');
  const load = () => get('/invitations?limit=100').then((r) => setList(r.data)).catch(() => {});
  useEffect(() => {
    load();
    return chat.on('notification:new', ({ notification: n }) => {
      if (n && n.type === 'workspace_invite') load();
    });
  }, []);
  async function act(inv, accept) {
    setBusy(inv.id);
    try {
      const w = await post(`/invitations/${inv.id}/${accept ? 'accept' : 'decline'}`);
      toast(accept ? `You joined ${inv.workspaceName}` : `Invitation to ${inv.workspaceName} declined`);
      setList((l) => l.filter((x) => x.id !== inv.id));
      if (accept && onAccepted) onAccepted(w);
    } catch (err) {
      toast(errorText(err), 'error');
      load();
    } finally {
      setBusy('');
    }
  }
  if (!list.length) return null;
  return html`<section class="card stack invitations" data-testid="invitations" aria-label="Pending invitations">
    <h2>Pending invitations</h2>
    <ul class="stack">
      ${list.map((inv) => html`<li key=${inv.id} data-invitation-id=${inv.id}>
        <strong>${inv.workspaceName}</strong>
        <span class="muted"> as ${inv.role}${inv.invitedByName ? `, from ${inv.invitedByName}` : ''}</span>
        <button class="btn primary small" type="button" disabled=${busy === inv.id}
          onClick=${() => act(inv, true)}>Accept</button>
        <button class="btn ghost small" type="button" disabled=${busy === inv.id}
          onClick=${() => act(inv, false)}>Decline</button>
      </li>`)}
    </ul>
  </section>`;
}
