// Activity entries in words ("moved LS-3 “Set up hosting” from To do to
// Review") and the page each one is about.
import { statusLabel } from './ui.js';

/** "LS-3 “Title”" for the entry's task, from the entry or its changes. */
export function taskName(a) {
  const ch = a.changes || {};
  const key = a.taskKey || ch.key;
  const title = a.taskTitle || ch.title;
  if (key && title) return `${key} “${title}”`;
  return key || (title ? `“${title}”` : 'a task');
}

export function describe(a) {
  const ch = a.changes || {};
  const t = taskName(a);
  switch (a.action) {
    case 'task_created': return `created ${t}`;
    case 'status_changed': return ch.status && typeof ch.status === 'object'
      ? `moved ${t} from ${statusLabel(ch.status.from)} to ${statusLabel(ch.status.to)}` : `changed the status of ${t}`;
    case 'task_updated': {
      if (ch.orderIndex) return `reordered ${t}`;
      const fields = Object.keys(ch).filter((f) => ch[f] && typeof ch[f] === 'object');
      const words = { title: 'title', description: 'description', priority: 'priority', dueDate: 'due date',
        estimatePoints: 'estimate', labelIds: 'labels', parentTaskId: 'parent task' };
      const list = fields.map((f) => words[f] || f);
      return list.length ? `changed the ${list.join(', ')} of ${t}` : `updated ${t}`;
    }
    case 'task_deleted': return `deleted ${t}`;
    case 'assignee_changed': return `changed the assignees of ${t}`;
    case 'comment_added': return `commented on ${t}`;
    case 'comment_updated': return `edited a comment on ${t}`;
    case 'comment_deleted': return `deleted a comment on ${t}`;
    case 'member_joined': return 'joined the workspace';
    case 'member_left': return 'left the workspace';
    case 'member_role_changed': return 'changed a member’s role';
    case 'workspace_created': return 'created the workspace';
    case 'channel_created': return `created a channel${ch.name ? ` #${ch.name}` : ''}`;
    default: return a.action.replace(/_/g, ' ');
  }
}

/** Where an entry leads: its task on the board (unless deleted), else null. */
export function hrefOf(a, wid) {
  if (a.taskId && a.projectId && a.action !== 'task_deleted') return `/w/${wid}/board/${a.projectId}?task=${a.taskId}`;
  if (a.projectId && a.action !== 'task_deleted') return `/w/${wid}/board/${a.projectId}`;
  return null;
}
