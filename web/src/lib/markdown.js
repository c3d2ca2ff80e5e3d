// A safe subset of Markdown rendered to Preact nodes (never to an HTML
// string, so raw HTML in the text always shows as text): paragraphs, - / *
// and 1. lists, ``` code blocks, `code`, **bold**, *italics* / _italics_,
// [text](http…) links, bare http(s) links, and @mentions highlighted.
import { html } from './ui.js';

const SAFE_URL = /^(https?:\/\/|mailto:)/i;
// One inline token: code, bold, italics, a [link](url), a bare URL, a mention.
const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*|(?<![A-Za-z0-9_])_[^_\s][^_\n]*_(?![A-Za-z0-9_]))|(\[[^\]\n]+\]\([^)\s]+\))|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])|((?:^|(?<=[\s(]))@[A-Za-z0-9._+-]*[A-Za-z0-9_+-])/g;

function link(href, text, key) {
  if (!SAFE_URL.test(href)) return text;
  return html`<a key=${key} href=${href} target="_blank" rel="noopener noreferrer nofollow">${text}</a>`;
}

/** Inline markup of one line (or a chat message) as an array of nodes. */
export function inline(text, keyBase = 'i') {
  const out = [];
  let last = 0;
  let k = 0;
  const s = String(text ?? '');
  for (const m of s.matchAll(INLINE)) {
    if (m.index > last) out.push(s.slice(last, m.index));
    const key = `${keyBase}-${k++}`;
    const t = m[0];
    if (m[1]) out.push(html`<code key=${key}>${t.slice(1, -1)}</code>`);
    else if (m[2]) out.push(html`<strong key=${key}>${inline(t.slice(2, -2), key)}</strong>`);
    else if (m[3]) out.push(html`<em key=${key}>${inline(t.slice(1, -1), key)}</em>`);
    else if (m[4]) {
      const lm = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(t);
      out.push(link(lm[2], lm[1], key));
    } else if (m[5]) out.push(link(t, t, key));
    else if (m[6]) out.push(html`<span key=${key} class="mention">${t}</span>`);
    last = m.index + t.length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

/** Inline markup with line breaks kept (chat messages, short texts). */
export function inlineLines(text) {
  const lines = String(text ?? '').split('\n');
  return lines.flatMap((line, i) => (i ? [html`<br key=${`br${i}`} />`, ...inline(line, `l${i}`)] : inline(line, `l${i}`)));
}

/** Block markup: paragraphs, lists and code blocks. */
export function Markdown({ text, class: cls = 'md' }) {
  const lines = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const body = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) body.push(lines[i++]);
      i++;
      blocks.push(html`<pre key=${`b${blocks.length}`}><code>${body.join('\n')}</code></pre>`);
    } else if (/^\s*([-*+])\s+/.test(line) || /^\s*\d+[.)]\s+/.test(line)) {
      const ordered = /^\s*\d+[.)]\s+/.test(line);
      const re = ordered ? /^\s*\d+[.)]\s+/ : /^\s*[-*+]\s+/;
      const items = [];
      while (i < lines.length && re.test(lines[i])) items.push(lines[i++].replace(re, ''));
      const lis = items.map((it, n) => html`<li key=${n}>${inline(it, `b${blocks.length}-${n}`)}</li>`);
      blocks.push(ordered ? html`<ol key=${`b${blocks.length}`}>${lis}</ol>` : html`<ul key=${`b${blocks.length}`}>${lis}</ul>`);
    } else if (!line.trim()) {
      i++;
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() && !/^```/.test(lines[i]) && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) para.push(lines[i++]);
      blocks.push(html`<p key=${`b${blocks.length}`}>${inlineLines(para.join('\n'))}</p>`);
    }
  }
  return html`<div class=${cls}>${blocks}</div>`;
}
