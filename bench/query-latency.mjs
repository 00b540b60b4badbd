// Query latency benchmark (not a test). For each size it seeds the local D1 database with
// customers built by the domain core (examples/seed_customers.rs, laid out exactly as the
// Worker stores them; the local Worker creates only about a hundred customers a second through
// the API), each with the messages of its creation and two updates, starts the Worker under
// `wrangler dev`, and prints p50/p95 latency over HTTP of typical customer and message queries
// (the customer lookups are the reference the message figures compare with).
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/query-latency.mjs [sizes…]
//
// Sizes default to 10000 100000. The figures are local workerd/D1 on this machine: they show
// how latency grows with the table, not production latency.
import { migrate, percentile, seed, startWorker, stateDir, stopWorkers, token } from './harness.mjs';

const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['10000', '100000']).map(Number);
const SAMPLES = 200;
// Each customer is created and then updated twice (one message each): three messages.
const UPDATES_PER_CUSTOMER = 2;
const state = stateDir();
migrate(state);
const rows = [];
let seeded = 0;
for (const size of sizes) {
  await stopWorkers();
  const started = Date.now();
  seed(state, seeded, size, UPDATES_PER_CUSTOMER);
  console.error(`seeded ${size} customers (+${size - seeded} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  seeded = size;
  const base = await startWorker(state);
  const auth = { Authorization: `Bearer ${await token(base)}` };

  async function measure(label, path) {
    const times = [];
    for (let i = -10; i < SAMPLES; i++) {
      const started = performance.now();
      const reply = await fetch(`${base}${path(Math.abs(i))}`, { headers: auth });
      const body = await reply.json();
      if (reply.status !== 200) throw new Error(`${label}: ${reply.status} ${JSON.stringify(body)}`);
      if (i >= 0) times.push(performance.now() - started); // the first ten warm up
    }
    times.sort((a, b) => a - b);
    rows.push({ customers: size, label, p50: percentile(times, 50), p95: percentile(times, 95) });
  }
  const q = (where, extra = '') => `/demo/customers?where=${encodeURIComponent(where)}${extra}`;
  const pick = (i) => (i * 7919) % size;
  await measure('where email = …', (i) => q(`email = "bench-${pick(i)}@example.com"`));
  await measure('where key = …', (i) => q(`key = "bench-${pick(i)}"`));
  await measure('GET /customers/key=…', (i) => `/demo/customers/key=bench-${pick(i)}`);
  await measure('where middleName = … (JSON only), limit 20', (i) => q(`middleName = "Middle${pick(i) % 2000}"`, '&limit=20'));
  await measure('where custom(fields(segment = …)) (JSON only), limit 20', (i) => q(`custom(fields(segment = "s${pick(i) % 100}"))`, '&limit=20'));
  await measure('sort=lastModifiedAt desc&limit=20', () => '/demo/customers?sort=lastModifiedAt%20desc&limit=20');
  const inGroup = (i) => q(`customerGroup(id = "bench-group-${pick(i) % 100}")`, '&limit=20&withTotal=false');
  await measure('where customerGroup(id = …), limit 20', inGroup);
  await measure('the same with expand=customerGroup', (i) => `${inGroup(i)}&expand=customerGroup`);
  // Messages: one customer's history by resource(id = …), a type in creation order, the latest.
  const ids = [];
  for (let i = 0; i <= SAMPLES; i++) {
    const reply = await fetch(`${base}/demo/customers/key=bench-${pick(i)}`, { headers: auth });
    ids.push((await reply.json()).id);
  }
  const m = (where, extra = '') => `/demo/messages?where=${encodeURIComponent(where)}${extra}`;
  await measure('messages where resource(id = …), sort sequenceNumber', (i) => m(`resource(id = "${ids[i]}")`, '&sort=sequenceNumber%20asc'));
  await measure('messages where type = …, limit 20 (creation order)', () => m('type = "CustomerFirstNameSet"', '&limit=20&withTotal=false'));
  await measure('messages sort=createdAt desc&limit=20', () => '/demo/messages?sort=createdAt%20desc&limit=20');
}
await stopWorkers();

console.log(`\n(${UPDATES_PER_CUSTOMER + 1} messages per customer)`);
console.log('\n| customers | query | p50 (ms) | p95 (ms) |');
console.log('|---:|---|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.customers} | ${row.label} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`);
}
process.exit(0);
