// A task's attachments (in the task dialog): the list with download and
// delete, and uploads by button or drag and drop, with progress. Uploads use
// XMLHttpRequest for upload.onprogress; downloads fetch with the bearer
// token and save the file under the name the server gives.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, del, ensureFresh, get, getAccessToken } from '../lib/api.js';
import { errorText, html, timeAgo, toast } from '../lib/ui.js';

const BASE = '/api/v1';

function sizeText(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Uploads one file; onProgress(fraction). Resolves to the attachment. */
async function uploadFile(taskId, file, onProgress) {
  await ensureFresh();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/tasks/${taskId}/attachments`);
    xhr.setRequestHeader('Authorization', `Bearer ${getAccessToken()}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(body.data);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new Error('The upload failed (network)'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

async function download(a) {
  await ensureFresh();
  const res = await fetch(`${BASE}/attachments/${a.id}/download`, { headers: { Authorization: `Bearer ${getAccessToken()}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = a.fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function Attachments({ taskId, readOnly, onChanged }) {
  const [items, setItems] = useState([]);
  const [uploads, setUploads] = useState([]); // {name, progress}
  const [over, setOver] = useState(false);
  const input = useRef(null);

  const load = () => get(`/tasks/${taskId}/attachments`).then((r) => setItems(r.data)).catch((err) => toast(errorText(err), 'error'));
  useEffect(() => { load(); }, [taskId]);

  async function send(files) {
    for (const file of files) {
      const entry = { name: file.name, progress: 0 };
      setUploads((u) => [...u, entry]);
      try {
        await uploadFile(taskId, file, (p) => {
          entry.progress = p;
          setUploads((u) => [...u]);
        });
        toast(`${file.name} attached`);
      } catch (err) {
        toast(`${file.name}: ${errorText(err)}`, 'error');
      }
      setUploads((u) => u.filter((x) => x !== entry));
      load();
      if (onChanged) onChanged();
    }
  }

  async function remove(a) {
    if (!confirm(`Delete ${a.fileName}?`)) return;
    try {
      await del(`/attachments/${a.id}`);
      load();
      if (onChanged) onChanged();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  const drop = (e) => {
    e.preventDefault();
    setOver(false);
    if (!readOnly && e.dataTransfer?.files?.length) send([...e.dataTransfer.files]);
  };
  return html`<section class=${`attachments${over ? ' drop-over' : ''}`} aria-label="Attachments"
      onDragOver=${(e) => { if (!readOnly) { e.preventDefault(); setOver(true); } }}
      onDragLeave=${() => setOver(false)} onDrop=${drop}>
    <h3>Attachments (${items.length})</h3>
    <ul class="attachment-list">${items.map((a) => html`<li key=${a.id}>
      <button type="button" class="link" onClick=${() => download(a).catch((err) => toast(errorText(err), 'error'))}>${a.fileName}</button>
      <span class="muted small">${sizeText(a.size)} · ${timeAgo(a.createdAt)}</span>
      ${!readOnly && html`<button type="button" class="btn small danger" aria-label=${`Delete ${a.fileName}`} onClick=${() => remove(a)}>Delete</button>`}
    </li>`)}</ul>
    ${uploads.map((u) => html`<div class="upload-progress"><span>${u.name}</span><progress max="1" value=${u.progress}></progress></div>`)}
    ${!readOnly && html`<div class="attach-actions">
      <button type="button" class="btn small" onClick=${() => input.current.click()}>Attach files</button>
      <span class="muted small">or drop them here</span>
      <input ref=${input} type="file" multiple hidden onChange=${(e) => { send([...e.target.files]); e.target.value = ''; }} />
    </div>`}
  </section>`;
}
