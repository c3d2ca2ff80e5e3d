// The Kanban board: columns todo, in-progress, review, done. Cards move by
// drag and drop (between and within columns) or by the card's menu (left,
// right, up, down: the keyboard way); every move is optimistic and rolled
// back when POST /tasks/:id/reorder fails. The board reloads when the
// workspace's activity stream reports a change in this project. A search box
// and filters (assignee, priority, label) narrow the cards; a subtask whose
// parent is in the same column is listed under it, others carry a link to
// their parent; cards show the due date and mark overdue tasks.
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../lib/api.js';
import { AppCtx, Avatar, dueDay, errorText, formatDay, fullName, html, navigate, statusLabel, toast, today } from '../lib/ui.js';
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
  const [filter, setFilter] = useState({ q: '', assignee: '', priority: '', label: '' });
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
  const lastCol = columns.length ? columns[columns.length - 1].name : 'done';
  const byId = new Map(columns.flatMap((c) => c.tasks).map((t) => [t.id, t]));
  const allTasks = [...byId.values()];
  const childrenOf = (id) => allTasks.filter((t) => t.parentTaskId === id);
  const filtering = !!(filter.q.trim() || filter.assignee || filter.priority || filter.label);
  const q = filter.q.trim().toLowerCase();
  const matches = (t) => (!q || t.title.toLowerCase().includes(q) || t.key.toLowerCase().includes(q)) &&
    (!filter.assignee || (filter.assignee === 'none' ? !(t.assigneeIds || []).length : (t.assigneeIds || []).includes(filter.assignee))) &&
    (!filter.priority || t.priority === filter.priority) &&
    (!filter.label || (t.labelIds || []).includes(filter.label));
  /** A subtask listed under its parent: the parent is in the same column. */
  const nested = (t, col) => !!t.parentTaskId && col.tasks.some((x) => x.id === t.parentTaskId);
  /** Whether t (or, for a parent, one of the subtasks listed under it) passes the filters. */
  const shown = (t, col) => matches(t) || col.tasks.some((x) => x.parentTaskId === t.id && shown(x, col));
  /** The column's cards on the board: not nested, passing the filters. */
  const visibleOf = (col) => col.tasks.filter((t) => !nested(t, col) && (!filtering || shown(t, col)));
  const shownCount = columns.reduce((n, c) => n + c.tasks.filter(matches).length, 0);

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

  /** The index in col's other tasks (all of them, hidden ones too) that puts
   * the moved task just before card id (null: at the end). */
  function realIndex(col, movedId, beforeId) {
    const others = col.tasks.filter((t) => t.id !== movedId);
    const k = beforeId ? others.findIndex((t) => t.id === beforeId) : -1;
    return k >= 0 ? k : others.length;
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
      // Up and down step over the cards on the board (not the hidden ones).
      const vis = visibleOf(col);
      const v = vis.findIndex((t) => t.id === task.id);
      const j = v + dy;
      if (v < 0 || j < 0 || j >= vis.length) return;
      const others = col.tasks.filter((t) => t.id !== task.id);
      const at = others.findIndex((t) => t.id === vis[j].id);
      move(task.id, col.name, dy < 0 ? at : at + 1);
    }
  }

  function dragOver(e, status) {
    if (!drag) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    const cards = [...e.currentTarget.querySelectorAll(':scope > .task-card')].filter((el) => el.dataset.id !== drag.id);
    let index = cards.length;
    for (let k = 0; k < cards.length; k++) {
      const r = cards[k].getBoundingClientRect();
      if (e.clientY < r.top + r.height / 2) {
        index = k;
        break;
      }
    }
    const beforeId = index < cards.length ? cards[index].dataset.id : null;
    if (!drop || drop.status !== status || drop.index !== index) setDrop({ status, index, beforeId });
  }
  function dropOn(e, status) {
    e.preventDefault();
    const id = (drag && drag.id) || e.dataTransfer.getData('text/plain');
    const col = columns.find((c) => c.name === status);
    const index = drop && drop.status === status ? realIndex(col, id, drop.beforeId) : 0;
    setDrag(null);
    setDrop(null);
    if (id) move(id, status, index);
  }

  const openTask = (id) => navigate(`/w/${ws.id}/board/${pid}?task=${id}`);
  const closeTask = () => navigate(`/w/${ws.id}/board/${pid}`);
  const setF = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });

  return html`<section class="page board-page">
    <header class="page-head">
      <h1><span class="key">${project.key}</span> ${project.name}</h1>
      ${archived && html`<span class="pill">Archived (read-only)</span>`}
      <span class="spacer"></span>
      ${!archived && html`<button class="btn primary" type="button" onClick=${() => setForm({})}>New task</button>`}
    </header>
    <form class="filters" role="search" aria-label="Filter tasks" onSubmit=${(e) => e.preventDefault()}>
      <label class="filter-q"><span class="sr-only">Search tasks</span><input type="search" placeholder="Search tasks" value=${filter.q} onInput=${setF('q')} data-testid="board-search" /></label>
      <label><span class="sr-only">Assignee</span><select value=${filter.assignee} onChange=${setF('assignee')} data-testid="filter-assignee">
        <option value="">Any assignee</option><option value=${ctx.user.id}>Assigned to me</option><option value="none">Unassigned</option>
        ${ctx.members.filter((m) => m.userId !== ctx.user.id).map((m) => html`<option value=${m.userId}>${fullName(m)}</option>`)}</select></label>
      <label><span class="sr-only">Priority</span><select value=${filter.priority} onChange=${setF('priority')} data-testid="filter-priority">
        <option value="">Any priority</option>${['critical', 'high', 'medium', 'low', 'none'].map((p) => html`<option value=${p}>${p === 'none' ? 'No priority' : p[0].toUpperCase() + p.slice(1)}</option>`)}</select></label>
      <label><span class="sr-only">Label</span><select value=${filter.label} onChange=${setF('label')} data-testid="filter-label">
        <option value="">Any label</option>${labels.map((l) => html`<option value=${l.id}>${l.name}</option>`)}</select></label>
      ${filtering && html`<span class="muted small" role="status">${shownCount} of ${allTasks.length} tasks</span>
        <button type="button" class="btn ghost small" onClick=${() => setFilter({ q: '', assignee: '', priority: '', label: '' })}>Clear filters</button>`}
    </form>
    <p class="muted small board-help">Drag cards between columns, or use a card’s ⋯ menu to move it with the keyboard.</p>
    <div class="board" data-testid="board">
      ${columns.map((col, ci) => {
        const vis = visibleOf(col);
        const visNoDrag = drag ? vis.filter((t) => t.id !== drag.id) : vis;
        return html`<section key=${col.name} class=${`column${drop && drop.status === col.name ? ' drop-target' : ''}`}
        aria-labelledby=${`col-${col.name}`} data-status=${col.name}>
        <header class="column-head"><span class="col-dot" style=${{ background: col.color }} aria-hidden="true"></span>
          <h2 id=${`col-${col.name}`}>${statusLabel(col.name)}</h2><span class="count" aria-label=${`${col.tasks.length} tasks`}>${col.tasks.length}</span></header>
        <ol class="cards" onDragOver=${(e) => dragOver(e, col.name)} onDrop=${(e) => dropOn(e, col.name)}
          onDragLeave=${(e) => { if (!e.currentTarget.contains(e.relatedTarget)) setDrop(null); }}>
          ${vis.map((t, i) => html`
            ${drop && drag && drop.status === col.name && t.id !== drag.id && drop.index === visNoDrag.indexOf(t) && html`<li class="drop-line" aria-hidden="true"></li>`}
            <${Card} key=${t.id} task=${t} labelById=${labelById} memberById=${memberById}
              dragging=${drag && drag.id === t.id} disabled=${archived}
              parent=${t.parentTaskId ? byId.get(t.parentTaskId) : null} subtasks=${col.tasks.filter((x) => x.parentTaskId === t.id)}
              allSubtasks=${childrenOf(t.id)} doneCol=${lastCol} onOpenId=${openTask}
              first=${i === 0} last=${i === vis.length - 1} firstCol=${ci === 0} lastCol=${ci === columns.length - 1}
              menuOpen=${menuFor === t.id} setMenu=${(open) => setMenuFor(open ? t.id : null)}
              onOpen=${() => openTask(t.id)} onEdit=${() => setForm({ task: t })} onMove=${(dx, dy) => moveBy(t, dx, dy)}
              onDragStart=${(e) => {
                e.dataTransfer.effectAllowed = 'move';
                e.dataTransfer.setData('text/plain', t.id);
                setMenuFor(null);
                setDrag({ id: t.id, from: col.name });
              }}
              onDragEnd=${() => { setDrag(null); setDrop(null); }} />`)}
          ${drop && drag && drop.status === col.name && drop.index >= visNoDrag.length && html`<li class="drop-line" aria-hidden="true"></li>`}
          ${vis.length === 0 && html`<li class="empty-col muted small">${col.tasks.length ? 'No matching tasks' : 'No tasks'}</li>`}
        </ol>
      </section>`;
      })}
    </div>
    ${form && html`<${TaskForm} project=${project} labels=${labels} task=${form.task} parent=${form.parent} onClose=${() => setForm(null)}
      onSaved=${() => { setForm(null); load(); }} />`}
    ${taskId && html`<${TaskDetail} key=${taskId} taskId=${taskId} project=${project} labels=${labels} onClose=${closeTask}
      tasks=${allTasks} onOpen=${openTask} returnFocus=${`.task-card[data-id="${taskId}"] .card-title`}
      onEdit=${(t) => { closeTask(); setForm({ task: t }); }} onNewSubtask=${(t) => setForm({ parent: t })} onChanged=${load} />`}
  </section>`;
}

/** Due date chip: the date as set, "Overdue" before today unless done. */
export function Due({ task, doneCol }) {
  const day = dueDay(task.dueDate);
  if (!day) return null;
  const overdue = task.status !== doneCol && day < today();
  return html`<span class=${`due${overdue ? ' overdue' : ''}`} data-testid="due" data-due=${day}>
    ${overdue ? html`<strong>Overdue</strong> · ` : 'Due '}${formatDay(day)}</span>`;
}

function Card({ task, labelById, memberById, dragging, disabled, first, last, firstCol, lastCol, menuOpen, setMenu, onOpen, onEdit, onMove, onDragStart, onDragEnd, parent, subtasks, allSubtasks, doneCol, onOpenId }) {
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
    ${parent && html`<button type="button" class="parent-link small" onClick=${() => onOpenId(parent.id)}
      aria-label=${`Subtask of ${parent.key}: ${parent.title}`}>↳ ${parent.key}</button>`}
    <button type="button" class="card-title" onClick=${onOpen}>${task.title}</button>
    ${subtasks.length > 0 && html`<ul class="subtasks" aria-label=${`Subtasks of ${task.key}`}>
      ${subtasks.map((st) => html`<li key=${st.id} class="subtask-row" data-id=${st.id} data-key=${st.key}>
        <button type="button" class="link-plain" onClick=${() => onOpenId(st.id)}><span class="key">${st.key}</span> ${st.title}</button>
        <${Due} task=${st} doneCol=${doneCol} /></li>`)}</ul>`}
    <div class="card-foot">
      <${Due} task=${task} doneCol=${doneCol} />
      ${allSubtasks.length > 0 && html`<span class="muted small" title="Subtasks done">${allSubtasks.filter((x) => x.status === doneCol).length}/${allSubtasks.length} subtasks</span>`}
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
