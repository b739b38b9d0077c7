// LearnODIBI kernel benchmark, through the real site: two sites started with
// `node site/scripts/serve.mjs`, one with sandboxed kernels and one with ODIBI_SANDBOX=off, in the
// same run, measured alternately, so the sandbox's cost is a ratio against a baseline taken on the
// same (noisy) machine at the same time.
// (1) Cold start: from a fresh page's first POST /api/kernel/execute (`1 + 1`) to its `done` line,
//     i.e. kernel start + first cell; median of BENCH_COLD (5) starts per variant, each on a new page
//     that is released afterwards; target <= 4 s sandboxed. One start per site before them is not
//     counted (it loads the site's route and warms the disk cache; shown on its own line).
// (2) Warm cell: `1 + 1` on an already-started kernel, request sent to `done` line read; median and
//     p95 over BENCH_WARM (100) cells per variant; target p50 <= 300 ms sandboxed.
// Not a test: it prints numbers for the README.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const serveScript = path.join(here, '../scripts/serve.mjs');
const COLD = Number(process.env.BENCH_COLD ?? 5);
const WARM = Number(process.env.BENCH_WARM ?? 100);
const WARMUP_CELLS = 5;
const START_TIMEOUT_MS = 180_000;
const CELL_TIMEOUT_MS = 120_000;

const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
};
const median = (xs) => quantile(xs, 0.5);
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const msec = (ms) => `${ms.toFixed(1)} ms`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** Starts serve.mjs (its own process group, so nothing it starts can outlive a kill) and waits for its address. */
async function startSite(name, sandboxed) {
  const runtime = await mkdtemp(path.join(os.tmpdir(), `odibi-sitebench-${name}-`));
  const port = await freePort();
  const env = { ...process.env, ODIBI_SITE_RUNTIME: runtime };
  // Loopback names on this port only, and a quiet server.
  delete env.ODIBI_SITE_VERBOSE;
  delete env.ODIBI_SITE_HOSTS;
  if (sandboxed) delete env.ODIBI_SANDBOX;
  else env.ODIBI_SANDBOX = 'off';
  const child = spawn(process.execPath, [serveScript, '--port', String(port)], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const site = { name, sandboxed, port, runtime, child, exited, origin: `http://127.0.0.1:${port}`, cookie: '' };
  site.stop = () => (site.stopping ??= stopSite(site));
  sites.push(site);
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the ${name} site did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.stdout.on('data', (d) => {
        out += d;
        if (/LearnODIBI is at http/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the ${name} site exited (${signal ?? code}) before it was ready:\n${stderr}`));
      });
    });
  } catch (err) {
    await site.stop();
    throw err;
  }
  child.stdout.resume();
  return site;
}

/** SIGTERM, and wait for serve.mjs to stop Next.js and Jupyter (and so every kernel); the group gets SIGKILL after 30 s. */
async function stopSite(site) {
  if (site.child.exitCode === null && site.child.signalCode === null) {
    site.child.kill('SIGTERM');
    const late = setTimeout(() => {
      try {
        process.kill(-site.child.pid, 'SIGKILL');
      } catch {}
    }, 30_000);
    await site.exited;
    clearTimeout(late);
  }
  await rm(site.runtime, { recursive: true, force: true });
}

async function post(site, action, body, timeoutMs = CELL_TIMEOUT_MS) {
  const res = await fetch(`${site.origin}/api/kernel/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: site.origin, ...(site.cookie ? { cookie: site.cookie } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.any([quit.signal, AbortSignal.timeout(timeoutMs)]),
  });
  // The first answer names the visitor; later requests send it back, so they are the same visitor.
  const set = res.headers.getSetCookie().find((c) => c.startsWith('odibi_visitor='));
  if (set) site.cookie = set.split(';')[0];
  return res;
}

/** Runs `code` on the page's kernel; milliseconds from sending the request to reading the `done` line. */
async function execute(site, page, code = '1 + 1') {
  const t0 = performance.now();
  const res = await post(site, 'execute', { page, code });
  if (!res.ok) throw new Error(`${site.name} ${page}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let buf = '';
  let done;
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while (!done && (nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (line.type === 'done') done = line;
    }
    if (done) break;
  }
  const ms = performance.now() - t0;
  if (!done) throw new Error(`${site.name} ${page}: the stream ended without a done line`);
  if (done.status !== 'ok') throw new Error(`${site.name} ${page}: ${done.status}${done.message ? `: ${done.message}` : ''}`);
  return ms;
}

async function release(site, page) {
  const res = await post(site, 'release', { page });
  if (!res.ok) throw new Error(`${site.name} release ${page}: HTTP ${res.status} ${await res.text()}`);
  await res.text();
}

const sites = [];
// Interrupted: requests still open are dropped first (Next.js waits for them before it exits).
const quit = new AbortController();
let stopping;
const stopAll = () => {
  quit.abort();
  return (stopping ??= Promise.allSettled(sites.map((s) => s.stop())));
};
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await stopAll();
    process.exit(130);
  });
}

try {
  const load = () => os.loadavg()[0].toFixed(2);
  console.log(`LearnODIBI kernels, sandboxed vs unsandboxed (same run): ${COLD} cold starts and ${WARM} warm cells per variant, alternating (${os.cpus().length} CPUs, load ${load()})`);
  const started = await Promise.allSettled([startSite('sandboxed', true), startSite('unsandboxed', false)]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [sbx, raw] = started.map((s) => s.value);
  // Rounds alternate which variant goes first.
  const order = (i) => (i % 2 === 0 ? [sbx, raw] : [raw, sbx]);

  const first = {};
  for (const site of [sbx, raw]) {
    first[site.name] = await execute(site, 'lessons/bench-cold-first');
    await release(site, 'lessons/bench-cold-first');
  }
  console.log(`  first start after the site booted (not counted): sandboxed ${sec(first.sandboxed)}   unsandboxed ${sec(first.unsandboxed)}`);

  const cold = { sandboxed: [], unsandboxed: [] };
  const second = { sandboxed: [], unsandboxed: [] };
  for (let i = 0; i < COLD; i++) {
    for (const site of order(i)) {
      const page = `lessons/bench-cold-${i}`;
      cold[site.name].push(await execute(site, page));
      // The cell after the first one on the same kernel: what the first cell costs beyond boot.
      second[site.name].push(await execute(site, page));
      await release(site, page);
    }
  }
  console.log(`  cold starts: sandboxed ${cold.sandboxed.map((t) => (t / 1000).toFixed(2)).join(' ')} s   unsandboxed ${cold.unsandboxed.map((t) => (t / 1000).toFixed(2)).join(' ')} s`);
  console.log(`  second cell on each fresh kernel, median: sandboxed ${msec(median(second.sandboxed))}   unsandboxed ${msec(median(second.unsandboxed))}`);

  const warm = { sandboxed: [], unsandboxed: [] };
  for (const site of [sbx, raw]) for (let i = 0; i < WARMUP_CELLS + 1; i++) await execute(site, 'lessons/bench-warm');
  for (let i = 0; i < WARM; i++) for (const site of order(i)) warm[site.name].push(await execute(site, 'lessons/bench-warm'));
  for (const site of [sbx, raw]) await release(site, 'lessons/bench-warm');

  const cs = median(cold.sandboxed);
  const cu = median(cold.unsandboxed);
  const ws = median(warm.sandboxed);
  const wu = median(warm.unsandboxed);
  console.log('');
  console.log('LearnODIBI kernels, sandboxed vs unsandboxed (same run)');
  console.log(`cold start (kernel + first cell), median of ${COLD}:  sandboxed ${sec(cs)}   unsandboxed ${sec(cu)}   ratio ${(cs / cu).toFixed(2)}   target ≤ 4 s ${cs <= 4000 ? 'ok' : 'MISSED'}`);
  console.log(`warm cell through /api/kernel/execute, ${WARM} cells: sandboxed p50 ${msec(ws)} p95 ${msec(quantile(warm.sandboxed, 0.95))}   unsandboxed p50 ${msec(wu)} p95 ${msec(quantile(warm.unsandboxed, 0.95))}   ratio ${(ws / wu).toFixed(2)}   target p50 ≤ 300 ms ${ws <= 300 ? 'ok' : 'MISSED'}`);
  console.log(`load average now ${load()}; baseline: the same site with ODIBI_SANDBOX=off (kernels unconfined), started beside it; ratio = sandboxed / unsandboxed (p50 for warm cells).`);
} finally {
  await stopAll();
}
