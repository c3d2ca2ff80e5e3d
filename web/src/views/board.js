// The Kanban board: columns todo, in-progress, review, done. Cards move by
// drag and drop (between and within columns) or by the card's menu (left,
// right, up, down: the keyboard way); every move is optimistic and rolled
// back when POST /tasks/:id/reorder fails. The board reloads when the
// workspace's activity stream reports a change in this project.
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../lib/api.js';
import { AppCtx, Avatar, errorText, fullName, html, navigate, statusLabel, toast } from '../lib/ui.js';
import { TaskDetail, TaskForm } from './task.js';

export function BoardPage({ pid, taskId }) {
  const ctx = useContext(AppCtx);
  const { ws, memberById } = ctx;
  const [board, setBoard] = useState(null);
  const [labels, setLabels] = useState([]);
  const [error, setError] = useState('');
  const [form, setForm] = useState(null); // {task?} for create/edit
  const [drag, setDrag] = useState(null); // {id, from}
  const [drop, setDrop] = useState(null); // {status, index}
  const [menuFor, setMenuFor] = useState(null);
  const [focusId, setFocusId] = useState(null);
  const pending = useRef(0);
  const reloadTimer = useRef(null);

  async function load() {
    try {
      const r = await get(`/projects/${pid}/board`);
      if (pending.current === 0) setBoard(r.data);
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => {
    load();
    get(`/workspaces/${ws.id}/labels?limit=100`).then((r) => setLabels(r.data)).catch(() => {});
  }, [pid]);
  useEffect(() => ctx.onActivity((a) => {
    if (a.projectId !== pid) return;
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(load, 150);
  }), [pid, ctx.onActivity]);
  useEffect(() => {
    if (!focusId) return;
    const el = document.querySelector(`[data-menu-for="${focusId}"]`);
    if (el) el.focus();
    setFocusId(null);
  }, [board, focusId]);

  if (error) return html`<section class="page"><p class="error" role="alert">${error}</p></section>`;
  if (!board) return html`<section class="page"><p class="muted">Loading board…</p></section>`;
  const project = board.project;
  const columns = board.columns;
  const labelById = new Map(labels.map((l) => [l.id, l]));
  const archived = project.status === 'archived';

  /** Moves task id to column status at index (among the column's other tasks). */
  async function move(id, status, index) {
    const from = columns.find((c) => c.tasks.some((t) => t.id === id));
    const task = from && from.tasks.find((t) => t.id === id);
    if (!task) return;
    const oldIndex = from.tasks.indexOf(task);
    if (from.name === status && oldIndex === index) return;
    const before = board;
    const next = columns.map((c) => ({ ...c, tasks: c.tasks.filter((t) => t.id !== id) }));
    const target = next.find((c) => c.name === status);
    const moved = { ...task, status };
    target.tasks.splice(Math.min(index, target.tasks.length), 0, moved);
    target.tasks.forEach((t, i) => { t.orderIndex = i; });
    setBoard({ ...board, columns: next });
    pending.current++;
    try {
      await post(`/tasks/${id}/reorder`, { status, orderIndex: index });
    } catch (err) {
      setBoard(before);
      toast(`Could not move ${task.key}: ${errorText(err)}`, 'error');
    } finally {
      pending.current--;
    }
  }

  function moveBy(task, dx, dy) {
    const ci = columns.findIndex((c) => c.name === task.status);
    const col = columns[ci];
    const i = col.tasks.findIndex((t) => t.id === task.id);
    setFocusId(task.id);
    if (dx) {
      const to = columns[ci + dx];
      if (to) move(task.id, to.name, Math.min(i, to.tasks.length));
    } else {
      const j = i + dy;
      if (j >= 0 && j < col.tasks.length) move(task.id, col.name, j);
    }
  }

  function dragOver(e, status) {
    if (!drag) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    const cards = [...e.currentTarget.querySelectorAll('.task-card')].filter((el) => el.dataset.id !== drag.id);
    let index = cards.length;
    for (let k = 0; k < cards.length; k++) {
      const r = cards[k].getBoundingClientRect();
      if (e.clientY < r.top + r.height / 2) {
        index = k;
        break;
      }
    }
    if (!drop || drop.status !== status || drop.index !== index) setDrop({ status, index });
  }
  function dropOn(e, status) {
    e.preventDefault();
    const id = (drag && drag.id) || e.dataTransfer.getData('text/plain');
    const index = drop && drop.status === status ? drop.index : 0;
    setDrag(null);
    setDrop(null);
    if (id) move(id, status, index);
  }

  const openTask = (id) => navigate(`/w/${ws.id}/board/${pid}?task=${id}`);
  const closeTask = () => navigate(`/w/${ws.id}/board/${pid}`);

  return html`<section class="page board-page">
    <header class="page-head">
      <h1><span class="key">${project.key}</span> ${project.name}</h1>
      ${archived && html`<span class="pill">Archived (read-only)</span>`}
      <span class="spacer"></span>
      ${!archived && html`<button class="btn primary" type="button" onClick=${() => setForm({})}>New task</button>`}
    </header>
    <p class="muted small board-help">Drag cards between columns, or use a card’s ⋯ menu to move it with the keyboard.</p>
    <div class="board" data-testid="board">
      ${columns.map((col, ci) => html`<section key=${col.name} class=${`column${drop && drop.status === col.name ? ' drop-target' : ''}`}
        aria-labelledby=${`col-${col.name}`} data-status=${col.name}>
        <header class="column-head"><span class="col-dot" style=${{ background: col.color }} aria-hidden="true"></span>
          <h2 id=${`col-${col.name}`}>${statusLabel(col.name)}</h2><span class="count" aria-label=${`${col.tasks.length} tasks`}>${col.tasks.length}</span></header>
        <ol class="cards" onDragOver=${(e) => dragOver(e, col.name)} onDrop=${(e) => dropOn(e, col.name)}
          onDragLeave=${(e) => { if (!e.currentTarget.contains(e.relatedTarget)) setDrop(null); }}>
          ${col.tasks.map((t, i) => html`
            ${drop && drag && drop.status === col.name && drop.index === indexWithout(col.tasks, drag.id, i) && t.id !== drag.id && html`<li class="drop-line" aria-hidden="true"></li>`}
            <${Card} key=${t.id} task=${t} labelById=${labelById} memberById=${memberById}
              dragging=${drag && drag.id === t.id} disabled=${archived}
              first=${i === 0} last=${i === col.tasks.length - 1} firstCol=${ci === 0} lastCol=${ci === columns.length - 1}
              menuOpen=${menuFor === t.id} setMenu=${(open) => setMenuFor(open ? t.id : null)}
              onOpen=${() => openTask(t.id)} onEdit=${() => setForm({ task: t })} onMove=${(dx, dy) => moveBy(t, dx, dy)}
              onDragStart=${(e) => {
                e.dataTransfer.effectAllowed = 'move';
                e.dataTransfer.setData('text/plain', t.id);
                setMenuFor(null);
                setDrag({ id: t.id, from: col.name });
              }}
              onDragEnd=${() => { setDrag(null); setDrop(null); }} />`)}
          ${drop && drag && drop.status === col.name && drop.index >= col.tasks.filter((t) => t.id !== drag.id).length && html`<li class="drop-line" aria-hidden="true"></li>`}
          ${col.tasks.length === 0 && html`<li class="empty-col muted small">No tasks</li>`}
        </ol>
      </section>`)}
    </div>
    ${form && html`<${TaskForm} project=${project} labels=${labels} task=${form.task} onClose=${() => setForm(null)}
      onSaved=${() => { setForm(null); load(); }} />`}
    ${taskId && html`<${TaskDetail} key=${taskId} taskId=${taskId} project=${project} labels=${labels} onClose=${closeTask}
      onEdit=${(t) => { closeTask(); setForm({ task: t }); }} onChanged=${load} />`}
  </section>`;
}

/** Index of position i among the tasks other than the dragged one. */
function indexWithout(tasks, dragId, i) {
  const d = tasks.findIndex((t) => t.id === dragId);
  return d >= 0 && d < i ? i - 1 : i;
}

function Card({ task, labelById, memberById, dragging, disabled, first, last, firstCol, lastCol, menuOpen, setMenu, onOpen, onEdit, onMove, onDragStart, onDragEnd }) {
  const menuRef = useRef(null);
  useEffect(() => {
    if (!menuOpen) return undefined;
    const close = (e) => {
      if (e.type === 'keydown') {
        if (e.key === 'Escape') {
          setMenu(false);
          const b = document.querySelector(`[data-menu-for="${task.id}"]`);
          if (b) b.focus();
        }
      } else if (menuRef.current && !menuRef.current.contains(e.target)) setMenu(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    const firstBtn = menuRef.current && menuRef.current.querySelector('.menu button:not([disabled])');
    if (firstBtn) firstBtn.focus();
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [menuOpen]);
  const act = (fn) => () => {
    setMenu(false);
    fn();
  };
  return html`<li class=${`task-card${dragging ? ' dragging' : ''}`} data-id=${task.id} data-key=${task.key}
    draggable=${!disabled} onDragStart=${onDragStart} onDragEnd=${onDragEnd}>
    <div class="card-top">
      <span class="key">${task.key}</span>
      <span class=${`prio prio-${task.priority}`} title=${`Priority: ${task.priority}`}>${task.priority === 'none' ? '' : task.priority}</span>
      <div class="menu-wrap" ref=${menuRef}>
        <button type="button" class="icon-btn small" data-menu-for=${task.id} aria-haspopup="true" aria-expanded=${menuOpen}
          aria-label=${`Actions for ${task.key}`} onClick=${() => setMenu(!menuOpen)}>⋯</button>
        ${menuOpen && html`<div class="menu" role="group" aria-label=${`Move or edit ${task.key}`}>
          <button type="button" onClick=${act(onOpen)}>Open</button>
          ${!disabled && html`<button type="button" onClick=${act(onEdit)}>Edit</button>
          <button type="button" disabled=${firstCol} onClick=${act(() => onMove(-1, 0))}>← Move left</button>
          <button type="button" disabled=${lastCol} onClick=${act(() => onMove(1, 0))}>Move right →</button>
          <button type="button" disabled=${first} onClick=${act(() => onMove(0, -1))}>↑ Move up</button>
          <button type="button" disabled=${last} onClick=${act(() => onMove(0, 1))}>↓ Move down</button>`}
        </div>`}
      </div>
    </div>
    <button type="button" class="card-title" onClick=${onOpen}>${task.title}</button>
    <div class="card-foot">
      <span class="labels">${(task.labelIds || []).map((id) => labelById.get(id)).filter(Boolean).map((l) => html`<span class="label" key=${l.id}>
        <span class="label-dot" style=${{ background: l.color }} aria-hidden="true"></span>${l.name}</span>`)}</span>
      ${task.commentCount > 0 && html`<span class="muted small comment-count" title=${`${task.commentCount} comments`}><svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2Z"/></svg> ${task.commentCount}<span class="sr-only"> comments</span></span>`}
      <span class="assignees">${(task.assigneeIds || []).map((id) => {
        const m = memberById.get(id);
        return html`<${Avatar} key=${id} id=${id} name=${m ? fullName(m) : 'Unknown'} size="sm" />`;
      })}</span>
    </div>
  </li>`;
}
