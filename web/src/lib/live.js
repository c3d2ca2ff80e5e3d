// Server-Sent Events with the access token in the query (EventSource cannot
// send headers). The browser reconnects by itself after a network drop; when
// the server refuses the stream (an expired token: EventSource then closes
// for good) we reconnect with a fresh token and lastEventId, backing off.
import { ensureFresh, getAccessToken } from './api.js';

/**
 * Opens GET /api/v1<path>; handlers maps event names to fn(data).
 * onState('connecting'|'open'|'reconnecting'). Returns close().
 */
export function openStream(path, handlers, onState = () => {}) {
  let es = null;
  let closed = false;
  let lastId = null;
  let backoff = 1000;
  let timer = null;

  function connect() {
    const token = getAccessToken();
    if (!token || closed) return;
    let url = `/api/v1${path}?access_token=${encodeURIComponent(token)}`;
    if (lastId) url += `&lastEventId=${encodeURIComponent(lastId)}`;
    es = new EventSource(url);
    onState('connecting');
    es.onopen = () => {
      backoff = 1000;
      onState('open');
    };
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => {
        if (e.lastEventId) lastId = e.lastEventId;
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        fn(data);
      });
    }
    es.onerror = () => {
      if (closed) return;
      onState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        timer = setTimeout(async () => {
          try {
            await ensureFresh();
          } catch {
            /* signed out: connect() does nothing */
          }
          connect();
        }, backoff);
        backoff = Math.min(backoff * 2, 15000);
      }
    };
  }

  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (es) es.close();
  };
}
