// What the benchmark scripts share: a `wrangler dev` started on a free port with its own state
// directory (killed with its process group on exit), the local D1 migrated and seeded with
// customers built by the domain core (examples/seed_customers.rs), and tokens.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
export const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

const servers = [];
const stateDirs = [];
process.on('exit', () => {
  for (const server of servers) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {}
  }
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

/** A fresh state directory, removed on exit. */
export function stateDir() {
  const dir = mkdtempSync(join(tmpdir(), 'edge-customer-api-bench-'));
  stateDirs.push(dir);
  return dir;
}

/** Applies the migrations to the local D1 in `state`. */
export function migrate(state) {
  execFileSync('node', [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: root, env, stdio: 'ignore' });
}

/**
 * Seeds customers `from`..`to` (`bench-<i>@example.com`, key `bench-<i>`) into the local D1,
 * each with its `CustomerCreated` message and the messages of `updates` further updates.
 */
export function seed(state, from, to, updates = 0) {
  const args = ['run', '--quiet', '--release', '--example', 'seed_customers', '--', String(from), String(to), String(updates)];
  const sql = execFileSync('cargo', args, {
    cwd: root,
    maxBuffer: 1 << 30,
  });
  const file = join(state, 'seed.sql');
  writeFileSync(file, sql);
  execFileSync('node', [wrangler, 'd1', 'execute', 'DB', '--local', '--persist-to', state, '--file', file], { cwd: root, env, stdio: 'ignore' });
  rmSync(file);
}

/** Runs SQL on the local D1 in `state` (no Worker may be running on it). */
export function execute(state, sql) {
  const file = join(state, 'execute.sql');
  writeFileSync(file, sql);
  execFileSync('node', [wrangler, 'd1', 'execute', 'DB', '--local', '--persist-to', state, '--file', file], { cwd: root, env, stdio: 'ignore' });
  rmSync(file);
}

/**
 * Starts `wrangler dev` (extra arguments as given, e.g. a script and `--config` for another
 * Worker) and resolves to its base URL once it is ready.
 */
export function startWorker(state, extra = []) {
  const args = [wrangler, 'dev', '--ip', '127.0.0.1', '--port', '0', '--persist-to', state, '--show-interactive-dev-session=false', ...extra];
  const server = spawn('node', args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 600_000);
    server.once('exit', () => reject(new Error(`wrangler dev exited:\n${output}`)));
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.stderr.on('data', (chunk) => (output += chunk));
  });
}

/** Stops every Worker started so far (and waits for them to exit). */
export async function stopWorkers() {
  const stopping = servers.splice(0).map((server) => {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    return exited;
  });
  await Promise.all(stopping);
}

/** A client-credentials access token of `client` (default: the demo admin). */
export async function token(base, client = 'demo-admin:demo-admin-secret', scope) {
  const basic = Buffer.from(client).toString('base64');
  const reply = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: scope ? `grant_type=client_credentials&scope=${encodeURIComponent(scope)}` : 'grant_type=client_credentials',
  });
  const body = await reply.json();
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The value at percentile `p` of ascending `sorted`. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A function sending JSON to `base` with `headers` and failing unless the status is `expected`. */
export function caller(base, headers) {
  return async (method, path, body, expected) => {
    const reply = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
    const json = await reply.json();
    if (reply.status !== expected) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** Runs `work(i)` for i in 0..n, `width` at a time; the results in order. */
export async function parallel(n, work, width = 8) {
  let next = 0;
  const results = new Array(n);
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}
