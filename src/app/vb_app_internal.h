/* Pieces of the app shared between its files (app/ only). */
#ifndef VB_APP_INTERNAL_H
#define VB_APP_INTERNAL_H

#include "app/vb_app.h"

void vb_app_chain_init(const vb_config *cfg);
void vb_app_chain_free(void);
/* 1 if the peer address ip is a trusted proxy (TRUST_PROXY); for the HTTP
 * server's per-address connection cap (ud unused). */
int vb_app_chain_trusted(const char *ip, void *ud);
/* The HTTP server's request and done callbacks (ud is the vb_app). */
void vb_app_on_request(vb_http_req *req, void *ud);
void vb_app_on_done(vb_http_req *req, void *ud);
/* The HTTP server's stream check: 1 for a request whose route reads its
 * body as it arrives (stream_body). */
int vb_app_stream_check(const vb_http_req *req, void *ud);

/* Reads every file of cfg.web_root into memory, once, before serving (so no
 * request reads the disk); returns the number of files. vb_web_free releases
 * them at exit. */
int vb_web_load(vb_app *app);
void vb_web_free(void);
/* Answers requests outside /api: the web app's files, or a landing page. */
void vb_app_serve_web(vb_app *app, vb_http_req *req);
/* Demo data: adds the demo users, workspace, project and tasks when the
 * database has no users. Runs synchronously (before serving). Returns 0,
 * 1 when there was data already, or a negative vb_err. */
int vb_app_seed_demo(vb_app *app);

#endif
