// Sign-in latency benchmark (not a test): starts the Worker under `wrangler dev` with fresh
// local state, and prints in one run the p50/p95 latency of sign-ins (right password, wrong
// password, unknown email) at the configured PBKDF2 iteration count, next to the native cost of
// one derivation with the same parameters on this machine.
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/sign-in.mjs [iterations]
//
// Iterations default to the configured 100000 (wrangler.toml PBKDF2_ITERATIONS).
import { execFileSync } from 'node:child_process';
import { migrate, percentile, root, startWorker, stateDir, token } from './harness.mjs';

const iterations = Number(process.argv[2] ?? 100000);
const SAMPLES = 100;
const state = stateDir();
migrate(state);
const base = await startWorker(state, ['--var', `PBKDF2_ITERATIONS:${iterations}`]);

const headers = { Authorization: `Bearer ${await token(base)}`, 'Content-Type': 'application/json' };
const created = await fetch(`${base}/demo/customers`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ email: 'bench-sign-in@example.com', password: 'correct horse battery staple' }),
});
if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);

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
