// Creating and editing a task (dialog), and a task's detail: description,
// comments with @mentions, and its activity.
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { del, get, patch, post } from '../lib/api.js';
import { describe } from '../lib/activity.js';
import { Markdown } from '../lib/markdown.js';
import { AppCtx, Avatar, Dialog, dueDay, errorText, formatDay, fullName, html, PRIORITIES, statusLabel, timeAgo, toast, today } from '../lib/ui.js';
import { Attachments } from './attachments.js';

export function TaskForm({ project, labels, task, parent, onClose, onSaved }) {
  const { members } = useContext(AppCtx);
  const editing = !!task;
  const [f, setF] = useState({
    title: task?.title || '',
    description: task?.description || '',
    status: task?.status || 'todo',
    priority: task?.priority || 'none',
    assigneeIds: task?.assigneeIds || [],
    labelIds: task?.labelIds || [],
    dueDate: dueDay(task?.dueDate),
    estimatePoints: task?.estimatePoints ?? '',
  });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const toggle = (k, id) => setF({ ...f, [k]: f[k].includes(id) ? f[k].filter((x) => x !== id) : [...f[k], id] });

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    const body = {
      title: f.title.trim(),
      description: f.description || null,
      status: f.status,
      priority: f.priority,
      assigneeIds: f.assigneeIds,
      labelIds: f.labelIds,
      // A date-only value: the same day wherever it is read.
      dueDate: f.dueDate || null,
      estimatePoints: f.estimatePoints === '' ? null : Number(f.estimatePoints),
    };
    if (!editing) for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
    if (!editing && parent) body.parentTaskId = parent.id;
    try {
      const r = editing ? await patch(`/tasks/${task.id}`, body) : await post(`/projects/${project.id}/tasks`, body);
      toast(editing ? `${r.data.key} saved` : `${r.data.key} created`);
      onSaved(r.data);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  const columns = project.columns.map((c) => c.name);
  return html`<${Dialog} title=${editing ? `Edit ${task.key}` : parent ? `New subtask of ${parent.key}` : `New task in ${project.key}`} onClose=${onClose} wide>
    <form class="stack" onSubmit=${submit}>
      <label>Title<input required maxlength="500" value=${f.title} onInput=${set('title')} /></label>
      <label>Description<textarea rows="5" value=${f.description} onInput=${set('description')}></textarea>
        <small class="muted">**bold**, *italics*, \`code\`, - lists and [links](https://…) are shown formatted.</small></label>
      <div class="row3">
        <label>Status<select value=${f.status} onChange=${set('status')}>${columns.map((s) => html`<option value=${s}>${statusLabel(s)}</option>`)}</select></label>
        <label>Priority<select value=${f.priority} onChange=${set('priority')}>${PRIORITIES.map((p) => html`<option value=${p}>${p === 'none' ? 'No priority' : p[0].toUpperCase() + p.slice(1)}</option>`)}</select></label>
        <label>Estimate<input type="number" min="0" max="1000" value=${f.estimatePoints} onInput=${set('estimatePoints')} /></label>
      </div>
      <label>Due date<input type="date" value=${f.dueDate} onInput=${set('dueDate')} /></label>
      <fieldset><legend>Assignees</legend><div class="checks">
        ${members.map((m) => html`<label class="check"><input type="checkbox" checked=${f.assigneeIds.includes(m.userId)} onChange=${() => toggle('assigneeIds', m.userId)} />${fullName(m)}</label>`)}
      </div></fieldset>
      ${labels.length > 0 && html`<fieldset><legend>Labels</legend><div class="checks">
        ${labels.map((l) => html`<label class="check"><input type="checkbox" checked=${f.labelIds.includes(l.id)} onChange=${() => toggle('labelIds', l.id)} />
          <span class="label-dot" style=${{ background: l.color }} aria-hidden="true"></span>${l.name}</label>`)}
      </div></fieldset>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="actions"><button type="button" class="btn" onClick=${onClose}>Cancel</button>
        <button class="btn primary" type="submit" disabled=${busy}>${editing ? 'Save' : 'Create task'}</button></div>
    </form>
  </${Dialog}>`;
}

export function TaskDetail({ taskId, project, labels, tasks = [], onClose, onOpen, onEdit, onNewSubtask, onChanged, returnFocus }) {
  const { memberById, members, user, onActivity } = useContext(AppCtx);
  const [task, setTask] = useState(null);
  const [comments, setComments] = useState([]);
  const [activity, setActivity] = useState([]);
  const [error, setError] = useState('');

  const load = () => Promise.all([
    get(`/tasks/${taskId}`).then((r) => setTask(r.data)),
    get(`/tasks/${taskId}/comments?limit=100`).then((r) => setComments(r.data)),
    get(`/tasks/${taskId}/activity?limit=50`).then((r) => setActivity(r.data)),
  ]).catch((err) => setError(errorText(err)));
  useEffect(() => {
    load();
  }, [taskId]);
  useEffect(() => onActivity((a) => {
    if (a.taskId === taskId) load();
  }), [taskId]);

  async function remove() {
    if (!confirm(`Delete ${task.key}? This cannot be undone.`)) return;
    try {
      await del(`/tasks/${task.id}`);
      toast(`${task.key} deleted`);
      onChanged();
      onClose();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  const labelById = new Map(labels.map((l) => [l.id, l]));
  const nameOf = (id) => (memberById.get(id) ? fullName(memberById.get(id)) : 'Someone');
  const doneCol = project.columns && project.columns.length ? [...project.columns].sort((a, b) => (a.order ?? 0) - (b.order ?? 0)).at(-1).name : 'done';
  const parent = task && task.parentTaskId ? tasks.find((t) => t.id === task.parentTaskId) : null;
  const subtasks = task ? tasks.filter((t) => t.parentTaskId === task.id) : [];
  const day = task && dueDay(task.dueDate);
  return html`<${Dialog} title=${task ? `${task.key} · ${task.title}` : 'Task'} onClose=${onClose} wide returnFocus=${returnFocus}>
    ${error ? html`<p class="error" role="alert">${error}</p>` : !task ? html`<p class="muted">Loading…</p>` : html`
    <div class="detail">
      <div class="detail-meta">
        <span class="pill">${statusLabel(task.status)}</span>
        <span class=${`prio prio-${task.priority}`}>${task.priority}</span>
        ${day && html`<span class=${`due${task.status !== doneCol && day < today() ? ' overdue' : ''}`} data-testid="detail-due">Due ${formatDay(day)}${task.status !== doneCol && day < today() ? ' (overdue)' : ''}</span>`}
        ${task.estimatePoints != null && html`<span class="muted small">${task.estimatePoints} pts</span>`}
        <span class="spacer"></span>
        ${project.status !== 'archived' && html`<button type="button" class="btn small" onClick=${() => onNewSubtask(task)}>New subtask</button>
        <button type="button" class="btn small" onClick=${() => onEdit(task)}>Edit</button>
        <button type="button" class="btn small danger" onClick=${remove}>Delete</button>`}
      </div>
      ${task.parentTaskId && html`<p class="parent-of small">Subtask of <button type="button" class="link" onClick=${() => onOpen(task.parentTaskId)}
        data-testid="parent-link">${parent ? `${parent.key} · ${parent.title}` : 'its parent task'}</button></p>`}
      <dl class="facts">
        <dt>Assignees</dt><dd>${task.assigneeIds.length ? task.assigneeIds.map((id) => html`<span class="person"><${Avatar} id=${id} name=${nameOf(id)} size="sm" /> ${nameOf(id)}</span>`) : html`<span class="muted">Nobody</span>`}</dd>
        <dt>Reporter</dt><dd>${nameOf(task.reporterId)}</dd>
        ${task.labelIds.length > 0 && html`<dt>Labels</dt><dd>${task.labelIds.map((id) => labelById.get(id)).filter(Boolean).map((l) => html`<span class="label"><span class="label-dot" style=${{ background: l.color }}></span>${l.name}</span>`)}</dd>`}
      </dl>
      <h3>Description</h3>
      ${task.description ? html`<${Markdown} text=${task.description} class="md description" />` : html`<p class="muted">No description.</p>`}
      ${subtasks.length > 0 && html`<h3>Subtasks (${subtasks.filter((t) => t.status === doneCol).length}/${subtasks.length} done)</h3>
      <ul class="subtask-list">${subtasks.map((t) => html`<li key=${t.id}><button type="button" class="link" onClick=${() => onOpen(t.id)}>${t.key} · ${t.title}</button>
        <span class="pill">${statusLabel(t.status)}</span></li>`)}</ul>`}
      <${Attachments} taskId=${task.id} readOnly=${project.status === 'archived'} onChanged=${onChanged} />
      <h3>Comments (${comments.length})</h3>
      <ul class="comments">${comments.map((c) => html`<li key=${c.id}>
        <${Avatar} id=${c.authorId} name=${c.authorName || nameOf(c.authorId)} size="sm" />
        <div><div><strong>${c.authorName || nameOf(c.authorId)}</strong> <span class="muted small">${timeAgo(c.createdAt)}</span>
          ${c.authorId === user.id && html` <button type="button" class="link small" onClick=${async () => {
            try { await del(`/comments/${c.id}`); load(); } catch (err) { toast(errorText(err), 'error'); }
          }}>Delete</button>`}</div>
        <${Markdown} text=${c.body} class="md comment-body" /></div>
      </li>`)}</ul>
      <${CommentBox} members=${members} onSubmit=${async (body) => {
        await post(`/tasks/${task.id}/comments`, { body });
        load();
        onChanged();
      }} />
      <h3>Activity</h3>
      <ul class="feed small" data-testid="task-history">${activity.map((a) => html`<li key=${a.id}><span class="feed-who">${a.actorName || nameOf(a.actorId)}</span>
        ${' '}${describe(a)}
        <span class="muted">${timeAgo(a.createdAt)}</span></li>`)}</ul>
    </div>`}
  </${Dialog}>`;
}

/** Comment input that suggests @handles (the email's local part) of members. */
function CommentBox({ members, onSubmit }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const ref = useRef(null);
  const m = /(^|\s)@([A-Za-z0-9._+-]*)$/.exec(text.slice(0, ref.current ? ref.current.selectionStart : text.length));
  const query = m ? m[2].toLowerCase() : null;
  const suggestions = query === null ? [] : members
    .map((x) => ({ handle: x.email.split('@')[0], name: fullName(x) }))
    .filter((x) => x.handle.toLowerCase().startsWith(query) || x.name.toLowerCase().includes(query))
    .slice(0, 5);
  function complete(handle) {
    const pos = ref.current.selectionStart;
    const before = text.slice(0, pos).replace(/@[A-Za-z0-9._+-]*$/, `@${handle} `);
    setText(before + text.slice(pos));
    ref.current.focus();
  }
  async function submit(e) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    try {
      await onSubmit(text.trim());
      setText('');
    } catch (err) {
      toast(errorText(err), 'error');
    }
    setBusy(false);
  }
  return html`<form class="comment-box" onSubmit=${submit}>
    <label class="sr-only" for="comment-input">Add a comment</label>
    <textarea id="comment-input" ref=${ref} rows="2" placeholder="Add a comment… type @ to mention someone" value=${text}
      onInput=${(e) => setText(e.target.value)}
      onKeyDown=${(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e); }}></textarea>
    ${suggestions.length > 0 && html`<div class="suggest" role="listbox" aria-label="Mention">
      ${suggestions.map((s) => html`<button type="button" role="option" aria-selected="false" onClick=${() => complete(s.handle)}>@${s.handle} <span class="muted">${s.name}</span></button>`)}
    </div>`}
    <button class="btn primary small" type="submit" disabled=${busy || !text.trim()}>Comment</button>
  </form>`;
}
