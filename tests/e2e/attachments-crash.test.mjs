// An upload cut short by a crash: the server is SIGKILLed while a file is
// being stored (its row 'uploading', some chunks written); restarted on the
// same database, it deletes the half-written upload before serving.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startServer, waitFor } from './lib/server.mjs';
import { api, expectOk, registerUser, createWorkspace, createProject, createTask } from './lib/api.mjs';

let first; let second;
after(async () => {
  for (const s of [first, second]) if (s && !s.stopped) await s.kill();
  if (first) rmSync(first.dir, { recursive: true, force: true });
});

/** The first value of the first row of q on srv's database, as text (either backend). */
const sql = (srv, q) => {
  const row = srv.queryRows(q)[0];
  return row ? String(Object.values(row)[0]) : '';
};

test('a half-written upload is gone after a crash and a restart', async () => {
  first = await startServer({ keepDir: true, name: 'attachments-crash' });
  const u = await registerUser(first.url);
  const ws = await createWorkspace(first.url, u.accessToken, { name: 'Crash WS' });
  const proj = await createProject(first.url, u.accessToken, ws.id, { key: 'CRA' });
  const task = await createTask(first.url, u.accessToken, proj.id, { title: 'Crashy' });
  const boundary = 'crash-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.bin"\r\n\r\n`;
  const sock = net.connect(first.port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  sock.write(`POST /api/v1/tasks/${task.id}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${u.accessToken}\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + 5000000}\r\n\r\n${head}`);
  sock.write(randomBytes(600 * 1024)); // two chunks and a bit; the rest never comes
  const q = "SELECT COUNT(*) FROM attachment_chunks k JOIN attachments a ON a.id = k.attachment_id WHERE a.state = 'uploading'";
  await waitFor(() => Number(sql(first, q)) >= 2, { timeoutMs: 10000, what: 'two chunks stored' });
  first.child.kill('SIGKILL');
  await waitFor(() => first.exitInfo !== null, { timeoutMs: 10000, what: 'the killed server to exit' });
  sock.destroy();
  assert.equal(sql(first, "SELECT COUNT(*) FROM attachments WHERE state = 'uploading'"), '1');

  second = await startServer({ dir: first.dir, secret: first.secret, name: 'attachments-crash-after' });
  assert.equal(sql(second, 'SELECT COUNT(*) FROM attachments'), '0');
  assert.equal(sql(second, 'SELECT COUNT(*) FROM attachment_chunks'), '0');
  assert.ok(second.logs.some((l) => /deleted 1 unfinished uploads/.test(l.msg || '')), 'the clean-up is logged');
  const t = expectOk(await api(second.url, 'GET', `/tasks/${task.id}`, { token: u.accessToken }));
  assert.equal(t.attachmentCount, 0);
  await second.stop();
});
