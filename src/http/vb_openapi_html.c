/*
 * The API documentation page: static HTML with an inline script that fetches
 * the OpenAPI document and renders it with DOM calls (textContent only, never
 * innerHTML), so nothing from the document is interpreted as markup. No
 * external resources: the page works offline.
 */
#include "http/vb_openapi.h"

#include <stdlib.h>
#include <string.h>

static const char g_head[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>API documentation</title>\n<style>\n"
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1em;"
    "color:#222}\n"
    "h1{font-size:1.5em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}\n"
    "details{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.3em .6em}\n"
    "summary{cursor:pointer}code{font-family:ui-monospace,monospace}\n"
    ".m{display:inline-block;min-width:4.5em;font-weight:600;font-family:monospace}\n"
    ".get{color:#0a6}.post{color:#06c}.patch{color:#b70}.put{color:#b70}.delete{color:#c22}\n"
    ".lock{color:#888;font-size:.85em;margin-left:.5em}\n"
    "table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ddd;padding:.2em .5em;"
    "text-align:left;vertical-align:top}\n"
    "#err{color:#c22}\n</style></head>\n<body data-spec=\"";

static const char g_tail[] =
    "\">\n<h1 id=\"title\">API documentation</h1>\n<p id=\"err\"></p>\n<div id=\"ops\"></div>\n"
    "<script>\n"
    "'use strict';\n"
    "function el(tag, text, cls) {\n"
    "  const e = document.createElement(tag);\n"
    "  if (text !== undefined && text !== null) e.textContent = String(text);\n"
    "  if (cls) e.className = cls;\n"
    "  return e;\n"
    "}\n"
    "function typeOf(s) {\n"
    "  if (!s) return '';\n"
    "  let t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type || '');\n"
    "  if (s.items && s.items.type) t += ' of ' + s.items.type;\n"
    "  const f = s.format || (s.items && s.items.format);\n"
    "  if (f) t += ' (' + f + ')';\n"
    "  return t;\n"
    "}\n"
    "function rules(s) {\n"
    "  const r = [];\n"
    "  if (!s) return '';\n"
    "  for (const k of ['minLength','maxLength','minimum','maximum','minItems','maxItems',"
    "'pattern'])\n"
    "    if (s[k] !== undefined) r.push(k + ' ' + s[k]);\n"
    "  if (s.enum) r.push('one of ' + s.enum.map(String).join(', '));\n"
    "  if (s.description) r.push(s.description);\n"
    "  return r.join('; ');\n"
    "}\n"
    "function table(head, rows) {\n"
    "  const t = el('table'), hr = el('tr');\n"
    "  for (const h of head) hr.appendChild(el('th', h));\n"
    "  t.appendChild(hr);\n"
    "  for (const row of rows) {\n"
    "    const tr = el('tr');\n"
    "    for (const c of row) tr.appendChild(el('td', c));\n"
    "    t.appendChild(tr);\n"
    "  }\n"
    "  return t;\n"
    "}\n"
    "function render(doc) {\n"
    "  const info = doc.info || {};\n"
    "  document.getElementById('title').textContent =\n"
    "    (info.title || 'API') + ' ' + (info.version || '');\n"
    "  const groups = new Map();\n"
    "  for (const [path, item] of Object.entries(doc.paths || {}))\n"
    "    for (const [method, op] of Object.entries(item)) {\n"
    "      const tag = (op.tags && op.tags[0]) || 'other';\n"
    "      if (!groups.has(tag)) groups.set(tag, []);\n"
    "      groups.get(tag).push({path, method, op});\n"
    "    }\n"
    "  const root = document.getElementById('ops');\n"
    "  for (const [tag, ops] of groups) {\n"
    "    root.appendChild(el('h2', tag));\n"
    "    for (const {path, method, op} of ops) {\n"
    "      const d = el('details'), s = el('summary');\n"
    "      s.appendChild(el('span', method.toUpperCase(), 'm ' + method));\n"
    "      s.appendChild(el('code', path));\n"
    "      if (op.summary) s.appendChild(document.createTextNode(' \\u2014 ' + op.summary));\n"
    "      if (op.security && op.security.length) s.appendChild(el('span', 'auth', 'lock'));\n"
    "      d.appendChild(s);\n"
    "      if (op.operationId) d.appendChild(el('div', 'operationId: ' + op.operationId));\n"
    "      const ps = op.parameters || [];\n"
    "      if (ps.length) {\n"
    "        d.appendChild(el('h4', 'Parameters'));\n"
    "        d.appendChild(table(['name', 'in', 'type', 'required', 'rules'],\n"
    "          ps.map(p => [p.name, p.in, typeOf(p.schema), p.required ? 'yes' : 'no',\n"
    "                       rules(p.schema)])));\n"
    "      }\n"
    "      const b = op.requestBody && op.requestBody.content &&\n"
    "        op.requestBody.content['application/json'];\n"
    "      if (b && b.schema) {\n"
    "        const req = b.schema.required || [];\n"
    "        d.appendChild(el('h4', 'Body (application/json)'));\n"
    "        d.appendChild(table(['field', 'type', 'required', 'rules'],\n"
    "          Object.entries(b.schema.properties || {}).map(([n, f]) =>\n"
    "            [n, typeOf(f), req.includes(n) ? 'yes' : 'no', rules(f)])));\n"
    "      }\n"
    "      const rs = Object.entries(op.responses || {});\n"
    "      if (rs.length)\n"
    "        d.appendChild(el('p', 'Responses: ' +\n"
    "          rs.map(([c, r]) => c + ' ' + (r.description || '')).join(', ')));\n"
    "      root.appendChild(d);\n"
    "    }\n"
    "  }\n"
    "}\n"
    "fetch(document.body.dataset.spec)\n"
    "  .then(r => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })\n"
    "  .then(render)\n"
    "  .catch(e => { document.getElementById('err').textContent =\n"
    "    'Could not load the API description: ' + e.message; });\n"
    "</script>\n</body></html>\n";

/* Length of s once escaped for an HTML attribute value. */
static size_t escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        switch (*s) {
        case '&':
            n += 5;
            break; /* &amp; */
        case '"':
            n += 6;
            break; /* &quot; */
        case '\'':
            n += 5;
            break; /* &#39; */
        case '<':
        case '>':
            n += 4;
            break; /* &lt; &gt; */
        default:
            n++;
        }
    }
    return n;
}

/* Writes s escaped for an HTML attribute value at out; returns the end. */
static char *escape_into(char *out, const char *s)
{
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        default:
            *out++ = *s;
            continue;
        }
        size_t n = strlen(rep);
        memcpy(out, rep, n);
        out += n;
    }
    return out;
}

/* See vb_openapi.h. The spec URL travels in a data attribute (HTML-escaped)
 * rather than inside the script, so it can never end the script element. */
char *vb_openapi_html(const char *spec_url)
{
    const char *url = spec_url ? spec_url : "";
    size_t n = sizeof g_head - 1 + escaped_len(url) + sizeof g_tail;
    char *out = malloc(n), *p;

    if (!out) return NULL;
    memcpy(out, g_head, sizeof g_head - 1);
    p = escape_into(out + sizeof g_head - 1, url);
    memcpy(p, g_tail, sizeof g_tail); /* includes the NUL */
    return out;
}
