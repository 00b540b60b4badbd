// Sign-in latency benchmark (not a test): starts the Worker under `wrangler dev` with fresh
// local state, and prints in one run the p50/p95 latency of sign-ins (right password, wrong
// password, unknown email) at the configured PBKDF2 iteration count, next to the native cost of
// one derivation with the same parameters on this machine.
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/sign-in.mjs [iterations]
//
// Iterations default to the configured 100000 (wrangler.toml PBKDF2_ITERATIONS).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const iterations = Number(process.argv[2] ?? 100000);
const SAMPLES = 100;
const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
const state = mkdtempSync(join(tmpdir(), 'edge-customer-api-bench-'));

execFileSync('node', [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: root, env, stdio: 'ignore' });
const server = spawn(
  'node',
  [wrangler, 'dev', '--ip', '127.0.0.1', '--port', '0', '--persist-to', state, '--show-interactive-dev-session=false', '--var', `PBKDF2_ITERATIONS:${iterations}`],
  { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);
process.on('exit', () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {}
  rmSync(state, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const base = await new Promise((resolve, reject) => {
  let output = '';
  const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 600_000);
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

const basic = Buffer.from('demo-admin:demo-admin-secret').toString('base64');
const tokenReply = await fetch(`${base}/oauth/token`, {
  method: 'POST',
  headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});
const headers = { Authorization: `Bearer ${(await tokenReply.json()).access_token}`, 'Content-Type': 'application/json' };
const created = await fetch(`${base}/demo/customers`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ email: 'bench-sign-in@example.com', password: 'correct horse battery staple' }),
});
if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label, body, expected) {
  const times = [];
  for (let i = -5; i < SAMPLES; i++) {
    const started = performance.now();
    const reply = await fetch(`${base}/demo/login`, { method: 'POST', headers, body: JSON.stringify(body) });
    await reply.arrayBuffer();
    if (reply.status !== expected) throw new Error(`${label}: ${reply.status}`);
    if (i >= 0) times.push(performance.now() - started); // the first five warm up
  }
  times.sort((a, b) => a - b);
  return { label, p50: percentile(times, 50), p95: percentile(times, 95) };
}

const rows = [
  await measure('sign-in, right password', { email: 'bench-sign-in@example.com', password: 'correct horse battery staple' }, 200),
  await measure('sign-in, wrong password', { email: 'bench-sign-in@example.com', password: 'wrong' }, 400),
  await measure('sign-in, unknown email', { email: 'nobody@example.com', password: 'wrong' }, 400),
];
const native = execFileSync('cargo', ['run', '--quiet', '--release', '--example', 'pbkdf2_cost', '--', String(iterations), '20'], { cwd: root })
  .toString()
  .trim();

console.log(`\nPBKDF2-HMAC-SHA256, ${iterations} iterations\n`);
console.log('| measurement | p50 (ms) | p95 (ms) |');
console.log('|---|---:|---:|');
for (const row of rows) console.log(`| ${row.label} (HTTP, Worker with WebCrypto) | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`);
console.log(`| one derivation, native Rust (median of 20) | ${native} | |`);
process.exit(0);
