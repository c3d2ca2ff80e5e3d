"""The cluster scenarios of bench/bench.py: several vibed instances as one server.

cluster-idle: CLUSTER_CONNS chat clients over CLUSTER_INSTANCES vibed instances
(PostgreSQL + Redis), held for CLUSTER_HOLD seconds. cluster-fanout: one room
of CLUSTER_FAN_MEMBERS spread over the first CLUSTER_FAN_INSTANCES instances,
with Redis commands per message from INFO commandstats. Target vibed-pg runs
vibed; target node runs the peer on CLUSTER_PEER_PROCS processes with
@socket.io/redis-adapter. The peer keeps its state in memory per process, so
the setup requests are replayed, in order, on every process (its ids come
from a counter in cluster mode, so they agree). Redis: BENCH_REDIS_URL
(bench/run.sh starts a throwaway redis-server).
"""
import math
import os
import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

B = None  # the bench module (bench.py), bound by bind()

DEFAULTS = {
    "CLUSTER_INSTANCES": "6",        # vibed instances for cluster-idle
    "CLUSTER_CONNS": "100000",       # cluster-idle: chat clients over the instances
    "CLUSTER_HOLD": "30",            # seconds held (300 = the 5-minute stability check)
    "CLUSTER_ROOM": "100",           # idle clients per channel
    "CLUSTER_PER_PROC": "16700",     # connections per vb-load process (open files 20,000)
    "CLUSTER_FAN_INSTANCES": "3",    # cluster-fanout: the room spans this many instances
    "CLUSTER_FAN_MEMBERS": "10000",
    "CLUSTER_PEER_PROCS": "3",       # node peer processes (@socket.io/redis-adapter)
    "CLUSTER_PEER_CONNS": "30000",   # cluster-idle on the peer (< 19,900 per process)
    "CLUSTER_PORT": "3400",          # first instance's port; the others follow
}
SCENARIOS = ("cluster-idle", "cluster-fanout")


def bind(mod):
    global B
    B = mod


# ---------------------------------------------------------------- Redis
def redis_addr():
    u = urllib.parse.urlsplit(os.environ["BENCH_REDIS_URL"])
    return u.hostname or "127.0.0.1", u.port or 6379


def redis_stats():
    """INFO commandstats as {command: calls}."""
    with socket.create_connection(redis_addr(), timeout=10) as s:
        s.sendall(b"INFO commandstats\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, _, rest = data.partition(b"\r\n")
            if head.startswith(b"$") and len(rest) >= int(head[1:]):
                break
    out = {}
    for line in data.decode().splitlines():
        if line.startswith("cmdstat_"):
            name, _, kv = line[8:].partition(":")
            out[name] = int(dict(x.split("=") for x in kv.split(","))["calls"])
    return out


def redis_delta(a, b):
    """Commands between two snapshots, without the INFO calls themselves."""
    d = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b) if k != "info"}
    return {k: v for k, v in d.items() if v}


# ---------------------------------------------------------------- servers
def make_inst_class():
    class Instance(B.Server):
        """One cluster member: vibed (shared PostgreSQL + Redis) or a peer process."""

        def __init__(self, kind, idx, port, tmp, db_url=None):
            import subprocess
            import threading
            self.name, self.tmp, self.port, self.pg_db = f"{kind}-{idx}", tmp, port, None
            with socket.socket() as probe:  # another server there would answer our requests
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise RuntimeError(f"port {port} is taken: set CLUSTER_PORT to a free range")
            env = dict(os.environ, AUTH_RATE_LIMIT="0", WRITE_RATE_LIMIT="0", INVITE_RATE_LIMIT="0",
                       MAX_CONNECTIONS_PER_ADDRESS="0", CHAT_RATE_LIMIT="0", ACCESS_TOKEN_TTL="7200",
                       JWT_SECRET=B.SECRET, PORT=str(port), REDIS_URL=os.environ["BENCH_REDIS_URL"])
            if kind == "vibed":
                self.cmd = [B.VIBED, "serve", "--port", str(port), "--log-level", "warn", "--database-url", db_url]
            else:
                self.cmd = ["node", os.path.join(B.ROOT, "bench", "peer-node", "server.js")]
            self.errf = open(os.path.join(tmp, f"{self.name}.err"), "w")
            self.proc = subprocess.Popen(self.cmd, env=env, stdout=self.errf, stderr=self.errf,
                                         preexec_fn=B.raise_nofile)
            self.pid = self.proc.pid
            self.local = threading.local()
            for _ in range(400):
                try:
                    self.req("GET", "/api/v1/health")
                    return
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError(f"{self.name} did not start; see {tmp}/{self.name}.err")

        def close_rest(self):
            if getattr(self.local, "c", None):
                self.local.c.close()
                self.local.c = None

    return Instance


class Cluster:
    """The instances of one target; setup replayed on each peer process."""

    def __init__(self, target, tmp):
        Instance = make_inst_class()
        base, self.target, self.pg_db = int(B.CFG["CLUSTER_PORT"]), target, None
        self.insts, self.tl, self.lock, self.next_inst = [], threading.local(), threading.Lock(), 0
        try:
            if target == "vibed-pg":
                self.pg_db = f"vibed_cluster_{os.getpid()}"
                B.pg_sql(f"DROP DATABASE IF EXISTS {self.pg_db}")
                B.pg_sql(f"CREATE DATABASE {self.pg_db} TEMPLATE template0 ENCODING 'UTF8' "
                         "LC_COLLATE 'C' LC_CTYPE 'C'")
                url = B.pg_url_with_db(self.pg_db)
                # The first instance migrates the schema; then the others start.
                self.insts.append(Instance("vibed", 0, base, tmp, url))
                for i in range(1, B.I("CLUSTER_INSTANCES")):
                    self.insts.append(Instance("vibed", i, base + i, tmp, url))
                self.replay = False
            else:
                for i in range(B.I("CLUSTER_PEER_PROCS")):
                    self.insts.append(Instance("node", i, base + i, tmp))
                self.replay = True
        except Exception:
            self.stop()
            raise

    def ok(self, method, path, body=None, token=None):
        """vibed: one request to any instance (shared database). Peer: the same
        request on every process; the ids they answer must agree."""
        if not self.replay:  # any instance: spread the setup over them
            if not hasattr(self.tl, "inst"):  # each setup thread keeps one instance
                with self.lock:
                    self.tl.inst, self.next_inst = self.insts[self.next_inst % len(self.insts)], self.next_inst + 1
            return self.tl.inst.ok(method, path, body, token)
        js = self.insts[0].ok(method, path, body, token)
        if self.replay:
            for inst in self.insts[1:]:
                other = inst.ok(method, path, body, token)
                a, b = (js or {}).get("data", {}), (other or {}).get("data", {})
                ida = a.get("id") or a.get("user", {}).get("id")
                idb = b.get("id") or b.get("user", {}).get("id")
                if ida != idb:
                    raise RuntimeError(f"peer processes disagree on ids: {ida} != {idb}")
        return js

    def map(self, fn, items):
        if self.replay:  # in order: the peer's ids come from a counter
            return [fn(x) for x in items]
        with ThreadPoolExecutor(8) as ex:
            return list(ex.map(fn, items))

    def ports(self, n=None):
        return [i.port for i in self.insts[:n]]

    def rss(self):
        return [i.rss_kib() for i in self.insts]

    def cpu(self, n=None):
        return sum(i.cpu_s() for i in self.insts[:n])

    def stop(self):
        for i in self.insts:
            try:
                i.stop()
            except Exception as e:  # keep stopping the others
                B.log(f"  {i.name}: stop failed: {e!r}")
        if self.pg_db:
            B.pg_sql(f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")


def setup(cl, tmp):
    """Users, one workspace with all of them, the idle channels, one fan-out channel."""
    n, t0 = B.I("BENCH_USERS"), time.monotonic()

    def reg(i):
        return cl.ok("POST", "/api/v1/auth/register", {"email": f"bench{i}@example.com", "password": "bench-password",
                                                       "firstName": "Bench", "lastName": f"User{i}"})["data"]["accessToken"]

    toks = cl.map(reg, range(n))
    owner = toks[0]
    wid = cl.ok("POST", "/api/v1/workspaces", {"name": "Bench"}, owner)["data"]["id"]

    def add(i):
        inv = cl.ok("POST", f"/api/v1/workspaces/{wid}/invite", {"email": f"bench{i}@example.com", "role": "member"},
                    owner)["data"]
        if inv.get("status") == "pending":  # vibed: the invitee accepts
            cl.ok("POST", f"/api/v1/invitations/{inv['id']}/accept", {}, toks[i])

    cl.map(add, range(1, n))
    conns = idle_conns(cl)
    nch = max(1, math.ceil(conns / B.I("CLUSTER_ROOM")))
    chan = lambda name: cl.ok("POST", f"/api/v1/workspaces/{wid}/channels", {"name": name, "type": "public"},  # noqa: E731
                              owner)["data"]["id"]
    idle = cl.map(lambda i: chan(f"idle-{i}"), range(nch))
    env = {"tokens": toks, "owner": owner, "wid": wid, "idle_ch": ",".join(idle), "fan_ch": chan("fanout"),
           "tokfile": os.path.join(tmp, f"cluster-{cl.target}-tokens.txt")}
    with open(env["tokfile"], "w") as f:
        f.write("\n".join(toks) + "\n")
    B.log(f"  {cl.target} cluster: setup ({n} users, {nch + 1} channels, {len(cl.insts)} processes) "
          f"in {time.monotonic() - t0:.1f}s")
    return env


def idle_conns(cl):
    return B.I("CLUSTER_CONNS") if cl.target == "vibed-pg" else B.I("CLUSTER_PEER_CONNS")


def spawn(cl, n, ports, env, channels, tag):
    """vb-load processes of at most CLUSTER_PER_PROC connections, each from its
    own source address (127.0.0.100 + j), spreading over ports round robin."""
    nproc = max(1, math.ceil(n / B.I("CLUSTER_PER_PROC")))
    gens, t0 = [], time.monotonic()
    for j in range(nproc):
        cnt = n // nproc + (1 if j < n % nproc else 0)
        args = ["chat", "--ports", ",".join(map(str, ports)), "--conns", str(cnt), "--tokens", env["tokfile"],
                "--src-base", str(100 + j), "--src-count", "1", "--channels", channels]
        gens.append(B.Gen(args, f"cluster-{cl.target}-{tag}-{j}"))
    readies = [g.wait("ready", 600) for g in gens]
    el = time.monotonic() - t0
    ready = sum(r["ready"] for r in readies if r)
    failed = sum(r["failed"] for r in readies if r)
    B.log(f"  {cl.target} cluster {tag}: {ready}/{n} ready over {len(ports)} processes in {el:.1f}s ({failed} failed)")
    return gens, ready, failed, el


def quiesce(gens, limit=180):
    """Waits until no Socket.IO event arrived for 1 s (the join announcements are
    over). Engine.IO pings keep arriving, so bytes are not the measure here."""
    last, t_end = -1, time.monotonic() + limit
    while time.monotonic() < t_end:
        got = sum(r["other_events"] + r["received"] for r in (g.report() for g in gens))
        if got == last:
            return
        last = got
        time.sleep(1)


# ---------------------------------------------------------------- scenarios
def sc_idle(cl, env):
    n, hold = idle_conns(cl), B.I("CLUSTER_HOLD")
    for i in cl.insts:
        i.close_rest()
    time.sleep(1)
    load = os.getloadavg()[0]
    before = cl.rss()
    gens, ready, failed, el = spawn(cl, n, cl.ports(), env, env["idle_ch"], "idle")
    try:
        quiesce(gens)
        time.sleep(1)
        after = cl.rss()
        samples, t0 = [sum(after)], time.monotonic()
        while time.monotonic() - t0 < hold:
            time.sleep(min(5, hold))
            samples.append(sum(cl.rss()))
        reps = [g.report() for g in gens]
        end = cl.rss()
    finally:
        B.quit_all(gens)
    alive = sum(1 for i in cl.insts if i.proc.poll() is None)
    return {"loadavg_1m": load, "conns": n, "instances": len(cl.insts), "ready": ready, "failed": failed, "connect_s": el,
            "rss_before_kib": before, "rss_after_kib": after, "rss_end_kib": end,
            "rss_total_after_kib": sum(after), "rss_per_instance_max_kib": max(after),
            "per_conn_bytes": (sum(after) - sum(before)) * 1024 / max(1, ready), "hold_s": hold,
            "rss_min_kib": min(samples), "rss_max_kib": max(samples),
            "closed_during_hold": sum(r["closed"] for r in reps if r),
            "live_at_end": sum(r["live"] for r in reps if r), "instances_alive": alive}


def measured_run(cl, gens, k, rate, window, nfan):
    """One chat_run with the instances' CPU and Redis commands around it."""
    s0, c0, t0 = redis_stats(), cl.cpu(), time.monotonic()
    r = B.chat_run(gens, k, rate, window, B.F("FANOUT_SECONDS"), B.I("FANOUT_PAYLOAD"))
    el, d = time.monotonic() - t0, redis_delta(s0, redis_stats())
    r["server_cpu_s"] = cl.cpu() - c0
    r["deliveries_per_s"] = r["received"] / r["recv_span_s"] if r["recv_span_s"] else 0
    r["redis_cmds"], r["redis_window_s"] = d, el
    # Per message stored and fanned out (a send refused with an error is not published).
    r["redis_per_msg"] = sum(d.values()) / r["acked"] if r["acked"] else None
    r["redis_publish_per_msg"] = d.get("publish", 0) / r["acked"] if r["acked"] else None
    return r


def sc_fanout(cl, env):
    m, k, nfan = B.I("CLUSTER_FAN_MEMBERS"), B.I("FANOUT_SENDERS"), B.I("CLUSTER_FAN_INSTANCES")
    ports = cl.ports(nfan)
    gens, ready, failed, el = spawn(cl, m, ports, env, env["fan_ch"], "fanout")
    try:
        quiesce(gens)
        res = {"members": m, "instances": len(ports), "ready": ready, "failed": failed, "senders": k,
               "loadavg_1m": os.getloadavg()[0]}
        # Redis traffic with no chat at all (presence refreshes, keep-alives).
        s0 = redis_stats()
        time.sleep(3)
        res["redis_idle_per_s"] = sum(redis_delta(s0, redis_stats()).values()) / 3
        res["rate"] = measured_run(cl, gens, k, B.F("FANOUT_RATE"), 0, nfan)
        time.sleep(1)
        res["sat"] = measured_run(cl, gens, k, 0, B.I("FANOUT_WINDOW"), nfan)
    finally:
        B.quit_all(gens)
    return res


RUNNERS = {"cluster-idle": sc_idle, "cluster-fanout": sc_fanout}


def run_target(target, scenarios):
    """Runs the selected cluster scenarios on target's cluster; {} when target has none."""
    if target not in ("vibed-pg", "node") or not scenarios:
        return {}
    if not os.environ.get("BENCH_REDIS_URL"):
        return {sc: {"error": "BENCH_REDIS_URL is not set (bench/run.sh starts a redis-server)"} for sc in scenarios}
    import tempfile
    tmp = tempfile.mkdtemp(prefix=f"vb-bench-cluster-{target}-")
    B.log(f"== {target} cluster")
    out = {}
    cl = Cluster(target, tmp)
    try:
        env = setup(cl, tmp)
        for sc in scenarios:
            t0 = time.monotonic()
            B.log(f"  {target}: scenario {sc}")
            try:
                out[sc] = RUNNERS[sc](cl, env)
            except Exception as e:  # a failed scenario is reported, the run goes on
                B.log(f"  {target}: scenario {sc} failed: {e!r}")
                out[sc] = {"error": repr(e)}
            out[sc]["wall_s"] = time.monotonic() - t0
            out[sc]["instances_alive"] = sum(1 for i in cl.insts if i.proc.poll() is None)
            B.log(f"  {target}: {sc}: {str(out[sc])[:400]}")
    finally:
        cl.stop()
    return out


# ---------------------------------------------------------------- report
def md_section(res):
    """The cluster section of BENCHMARKS.md (empty when no cluster scenario ran)."""
    fmt, g, ratio, verdict, CFG = B.fmt, B.g, B.ratio, B.verdict, B.CFG
    v, n = res.get("vibed-pg", {}), res.get("node", {})
    if not any(sc in d for d in (v, n) for sc in SCENARIOS):
        return []
    _RES.clear()
    _RES.update(res)

    def row(label, path, target="", nd=1):
        a, b = g(v, *path), g(n, *path)
        return [label, fmt(a, nd), fmt(b, nd), ratio(a, b), target]

    heads = ("metric", "vibed cluster", "node peer cluster", "vibed / node", "target")
    L = ["## 6. Several instances as one server (PostgreSQL + Redis)", "",
         "vibed instances started with the same `DATABASE_URL` (the throwaway PostgreSQL), `JWT_SECRET` and "
         "`REDIS_URL` (a throwaway `redis-server` on loopback); the peer runs as several Node.js processes with "
         "`@socket.io/redis-adapter` on the same Redis. The peer keeps its state in memory per process, so the "
         "driver replays every setup request, in order, on each process (in cluster mode its ids come from a "
         "counter, so every process answers the same ids and a token from one is valid on all). vb-load "
         f"processes of at most {CFG['CLUSTER_PER_PROC']} connections, each from its own source address "
         "(127.0.0.100..), spread their connections over the instances' ports round robin. All processes "
         "(servers, generators, PostgreSQL, Redis) share the same 2 cores: compare ratios; the load average "
         "at the start of each run is in the raw results.", ""]
    if "cluster-idle" in v or "cluster-idle" in n:
        pv, pn = g(v, "cluster-idle", "per_conn_bytes"), g(n, "cluster-idle", "per_conn_bytes")
        L += ["### Idle clients over the instances", "",
              f"vibed: {CFG['CLUSTER_CONNS']} chat clients over {CFG['CLUSTER_INSTANCES']} instances; the peer: "
              f"{CFG['CLUSTER_PEER_CONNS']} clients over {CFG['CLUSTER_PEER_PROCS']} processes (the open-files "
              "limit of 20,000 per process caps 3 peer processes below 60,000, and the peer's per-client memory "
              "is the comparison). Connected, authenticated and joined (CLUSTER_ROOM="
              f"{CFG['CLUSTER_ROOM']} per channel); RSS summed over the processes, before and 1 s after the last "
              f"join announcement, then sampled every 5 s for CLUSTER_HOLD={CFG['CLUSTER_HOLD']} s (the issue's "
              "5-minute stability check is `CLUSTER_HOLD=300`).", ""]
        rows = [row("clients", ("cluster-idle", "conns"), "", 0),
                row("clients ready", ("cluster-idle", "ready"),
                    verdict(g(v, "cluster-idle", "ready") == g(v, "cluster-idle", "conns")), 0),
                row("server processes", ("cluster-idle", "instances"), "", 0),
                row("connect + auth + join time (s)", ("cluster-idle", "connect_s")),
                row("RSS of the largest process after (KiB)", ("cluster-idle", "rss_per_instance_max_kib"), "", 0),
                row("RSS of all processes after (KiB)", ("cluster-idle", "rss_total_after_kib"), "", 0),
                ["**RSS per client (bytes)**", fmt(pv, 0), fmt(pn, 0), ratio(pv, pn),
                 "<= 1/5 of peer: " + verdict(pv is not None and pn and pv <= pn / 5)],
                row("RSS min over hold, all processes (KiB)", ("cluster-idle", "rss_min_kib"), "", 0),
                row("RSS max over hold, all processes (KiB)", ("cluster-idle", "rss_max_kib"), "", 0),
                row("clients dropped during hold", ("cluster-idle", "closed_during_hold"),
                    "0: " + verdict(g(v, "cluster-idle", "closed_during_hold") == 0), 0),
                row("server processes alive at the end", ("cluster-idle", "instances_alive"), "", 0),
                row("machine load average (1 min) at the start", ("cluster-idle", "loadavg_1m"))]
        per_inst = g(v, "cluster-idle", "rss_after_kib")
        L += [B.table(rows, heads), ""]
        if per_inst:
            L += ["vibed RSS per instance after the joins (KiB): " + ", ".join(fmt(x, 0) for x in per_inst), ""]
    if "cluster-fanout" in v or "cluster-fanout" in n:
        sv, sn = g(v, "cluster-fanout", "sat", "deliveries_per_s"), g(n, "cluster-fanout", "sat", "deliveries_per_s")
        p99v, p99n = g(v, "cluster-fanout", "rate", "deliver_p99_ms"), g(n, "cluster-fanout", "rate", "deliver_p99_ms")
        pub = [g(v, "cluster-fanout", r, "redis_publish_per_msg") for r in ("rate", "sat")]
        L += ["### Fan-out across instances", "",
              f"One room of {CFG['CLUSTER_FAN_MEMBERS']} members spread over {CFG['CLUSTER_FAN_INSTANCES']} "
              f"instances (vibed) or {CFG['CLUSTER_PEER_PROCS']} processes (peer), round robin; "
              f"{CFG['FANOUT_SENDERS']} senders on several instances; the same fixed-rate ({CFG['FANOUT_RATE']} "
              f"messages/s) and closed-loop (window {CFG['FANOUT_WINDOW']}) runs as section 2, "
              f"{CFG['FANOUT_SECONDS']} s each. Redis commands from `INFO commandstats` before and after each run "
              "(every command of every process, presence refreshes included); one instance without `REDIS_URL` "
              "sends none.", ""]
        errs = [g(v, "cluster-fanout", r, "ack_errors") for r in ("rate", "sat")]
        rows = [row("machine load average (1 min) at the start", ("cluster-fanout", "loadavg_1m")),
                row("members ready", ("cluster-fanout", "ready"), "", 0),
                row("fixed rate: messages sent", ("cluster-fanout", "rate", "sent"), "", 0),
                row("fixed rate: send errors (acked not ok)", ("cluster-fanout", "rate", "ack_errors"),
                    "0: " + verdict(errs[0] == 0), 0),
                row("fixed rate: deliveries", ("cluster-fanout", "rate", "received"), "", 0),
                row("fixed rate: deliveries/s", ("cluster-fanout", "rate", "deliveries_per_s")),
                row("fixed rate: latency p50 (ms)", ("cluster-fanout", "rate", "deliver_p50_ms"), "", 2),
                ["**fixed rate: latency p99 (ms)**", fmt(p99v, 2), fmt(p99n, 2), ratio(p99v, p99n),
                 "<= 1/5 of peer: " + verdict(p99v is not None and p99n and p99v <= p99n / 5)],
                row("fixed rate: latency max (ms)", ("cluster-fanout", "rate", "deliver_max_ms"), "", 2),
                row("fixed rate: CPU of all server processes (s)", ("cluster-fanout", "rate", "server_cpu_s"), "", 2),
                row("fixed rate: Redis PUBLISH per message", ("cluster-fanout", "rate", "redis_publish_per_msg"),
                    "O(1) in the room size", 2),
                row("fixed rate: Redis commands per message (all)", ("cluster-fanout", "rate", "redis_per_msg"), "", 2),
                row("saturation: messages sent", ("cluster-fanout", "sat", "sent"), "", 0),
                row("saturation: send errors (acked not ok)", ("cluster-fanout", "sat", "ack_errors"),
                    "0: " + verdict(errs[1] == 0), 0),
                row("saturation: deliveries", ("cluster-fanout", "sat", "received"), "", 0),
                ["**saturation: deliveries/s**", fmt(sv), fmt(sn), ratio(sv, sn),
                 ">= 10x peer: " + verdict(sv and sn and sv >= 10 * sn)],
                row("saturation: latency p50 (ms)", ("cluster-fanout", "sat", "deliver_p50_ms"), "", 2),
                row("saturation: latency p99 (ms)", ("cluster-fanout", "sat", "deliver_p99_ms"), "", 2),
                row("saturation: CPU of all server processes (s)", ("cluster-fanout", "sat", "server_cpu_s"), "", 2),
                ["**saturation: Redis PUBLISH per message**", fmt(pub[1], 2),
                 fmt(g(n, "cluster-fanout", "sat", "redis_publish_per_msg"), 2), "",
                 f"O(1) for {CFG['CLUSTER_FAN_MEMBERS']} members: "
                 + verdict(all(p is not None and p <= 2 for p in pub))],
                row("saturation: Redis commands per message (all)", ("cluster-fanout", "sat", "redis_per_msg"), "", 2),
                ["Redis commands per message, one instance (section 2, no `REDIS_URL`)", "0", "0", "", ""]]
        L += [B.table(rows, heads), ""]
    base, ni = int(CFG["CLUSTER_PORT"]), int(CFG["CLUSTER_INSTANCES"])
    L += ["Commands of this section:", "", "```sh",
          "# each vibed instance i (AUTH_RATE_LIMIT=0 ACCESS_TOKEN_TTL=7200 JWT_SECRET=... as above):",
          f"REDIS_URL=redis://127.0.0.1:$REDIS_PORT build-bench/vibed serve --port $(({base}+i)) --log-level warn "
          "--database-url postgres://.../vibed_cluster_$PID",
          "# each peer process i:",
          f"REDIS_URL=redis://127.0.0.1:$REDIS_PORT PORT=$(({base}+i)) node bench/peer-node/server.js",
          "# load, per vb-load process j (at most CLUSTER_PER_PROC connections each):",
          f"build-bench/vb-load chat --ports {','.join(str(base + i) for i in range(ni))} --conns $N "
          "--tokens $TOKENS --src-base $((100+j)) --src-count 1 --channels $CHANNEL_IDS",
          "redis-cli -p $REDIS_PORT INFO commandstats   # before and after each fan-out run",
          "```", ""]
    return L + causes(v, n)


_RES = {}  # this run's results, for the single-instance figures


def causes(v, n):
    """Why a cluster target is missed in this run (from what the run recorded)."""
    g, fmt, out = B.g, B.fmt, []
    errs = sum(g(v, "cluster-fanout", r, "ack_errors") or 0 for r in ("rate", "sat"))
    if errs:
        out.append(f"- **{errs} sends answered `CONFLICT`.** Each instance appends a chat event with "
                   "`INSERT INTO chat_events (seq, ...) SELECT COALESCE(MAX(seq), 0) + 1 ...` "
                   "(src/store/ops_chat_recovery.c): two instances writing at the same moment compute the same "
                   "`seq`, PostgreSQL rejects the second (unique violation) and the send fails. One instance "
                   "has one writer, so only a cluster sees it; a PostgreSQL sequence (or retrying the insert) "
                   "would remove it. Deliveries count only the messages that were stored.")
    pv, pn = g(v, "cluster-idle", "per_conn_bytes"), g(n, "cluster-idle", "per_conn_bytes")
    if pv is not None and pn and pv > pn / 5:
        one = g(_RES.get("vibed-pg") or _RES.get("vibed") or {}, "idle", "per_conn_bytes")
        out.append(f"- **RSS per client {fmt(pv, 0)} bytes against the peer's {fmt(pn, 0)}.** "
                   "A cluster member holds about what one instance holds per client"
                   + (f" ({fmt(one, 0)} bytes in section 1)" if one else "")
                   + ": the cluster adds one Redis subscription per channel an instance's clients use and its "
                   "share of the presence table, not per-client state. Section 1's per-client state is the way "
                   "down; the peer, at a third of the clients per process, costs less per client than one peer "
                   "process at 19,000.")
    p99v, p99n = g(v, "cluster-fanout", "rate", "deliver_p99_ms"), g(n, "cluster-fanout", "rate", "deliver_p99_ms")
    if p99v is not None and p99n and p99v > p99n / 5:
        out.append(f"- **fan-out p99 {fmt(p99v, 1)} ms against the peer's {fmt(p99n, 1)} ms.** As in section 2, "
                   "the time is one write system call per member socket on each instance's loop thread; the "
                   "instances share 2 cores with each other, the generators, PostgreSQL and Redis (load average "
                   f"{fmt(g(v, 'cluster-fanout', 'loadavg_1m'), 1)} at the start), so three instances do not "
                   "write in parallel here.")
    sv, sn = g(v, "cluster-fanout", "sat", "deliveries_per_s"), g(n, "cluster-fanout", "sat", "deliveries_per_s")
    if sv and sn and sv < 10 * sn:
        out.append(f"- **saturation {fmt(sv)} deliveries/s, {sv / sn:.1f}x the peer.** Every message is committed "
                   "to PostgreSQL before it is published (two round trips per message, see the PostgreSQL section), "
                   "and the closed loop waits for that commit; the peer publishes from memory.")
    return (["### Cluster targets missed in this run, and why", ""] + out + [""]) if out else []
