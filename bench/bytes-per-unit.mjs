// Bytes per business unit in D1, measured (not a test): how many units the catalog holds
// beside the stubs of the customers (docs/scale.md, "Business units stay in the catalog").
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/bytes-per-unit.mjs [COUNT]
//
// Starts a fresh `wrangler dev` (one database), creates 100 customers and an associate role,
// stops it and reads the bytes of every table and index from SQLite's `dbstat` (after VACUUM,
// on a copy); starts it again, creates COUNT (default 1 000) typical Companies through the
// API — name, key, contact email, 2 addresses, 10 associates with a role each, built by the
// Worker as any create — each updated twice (so 3 messages, like the customer profiles of
// bench/bytes-per-customer.py), stops it and reads the bytes again. Prints the bytes per unit
// (the difference over COUNT) and how many units fit in what the catalog has left beside the
// stubs of 10 000 000 customers.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { caller, migrate, parallel, startWorker, stateDir, stopWorkers, token } from './harness.mjs';

const COUNT = Number(process.argv[2] ?? 1000);
const state = stateDir();
migrate(state);
const d1Dir = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');

async function session() {
  const base = await startWorker(state);
  const headers = { Authorization: `Bearer ${await token(base)}`, 'Content-Type': 'application/json' };
  return caller(base, headers);
}


/** Bytes of every table and index of the local D1 (after VACUUM, on a copy). */
function bytes() {
  const file = readdirSync(d1Dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  const copy = join(state, 'measure.sqlite');
  copyFileSync(join(d1Dir, file), copy);
  const script = `
import sqlite3, sys, json
db = sqlite3.connect(sys.argv[1])
db.execute("VACUUM")
print(json.dumps(dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())))
`;
  const sizes = JSON.parse(execFileSync('python3', ['-c', script, copy]).toString());
  rmSync(copy);
  return sizes;
}

let call = await session();
await call('POST', '/demo/associate-roles', { key: 'unit-buyer', permissions: ['ViewMyCarts', 'CreateMyCarts'] }, 201);
const customers = await parallel(100, async (i) => {
  const reply = await call('POST', '/demo/customers', { email: `unit-bytes-${i}@example.com`, authenticationMode: 'ExternalAuth' }, 201);
  return reply.customer.id;
});
await stopWorkers();
const before = bytes();

call = await session();
await parallel(COUNT, async (i) => {
  const associates = Array.from({ length: 10 }, (_, j) => ({
    customer: { id: customers[(i * 10 + j) % customers.length] },
    associateRoleAssignments: [{ associateRole: { key: 'unit-buyer' }, inheritance: 'Enabled' }],
  }));
  const address = (city) => ({ key: city.toLowerCase(), country: 'DE', city, streetName: 'Hauptstraße', streetNumber: `${i}`, postalCode: '10115' });
  const unit = await call('POST', '/demo/business-units', {
    unitType: 'Company',
    key: `unit-bytes-${i}`,
    name: `Company number ${i} GmbH`,
    contactEmail: `purchasing-${i}@example.com`,
    addresses: [address('Berlin'), address('Hamburg')],
    associates,
  }, 201);
  const updated = await call('POST', `/demo/business-units/${unit.id}`, { version: unit.version, actions: [{ action: 'changeName', name: `Company ${i} AG` }] }, 200);
  await call('POST', `/demo/business-units/${unit.id}`, { version: updated.version, actions: [{ action: 'setContactEmail', contactEmail: `buying-${i}@example.com` }] }, 200);
});
await stopWorkers();
const after = bytes();

const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
let total = 0;
console.log(`| table or index | bytes per unit |\n|---|---:|`);
for (const name of names) {
  const delta = (after[name] ?? 0) - (before[name] ?? 0);
  if (delta <= 0) continue;
  total += delta;
  console.log(`| ${name} | ${(delta / COUNT).toFixed(0)} |`);
}
const perUnit = total / COUNT;
const GB = 1000 ** 3;
const left = 10 * GB - 7.4 * GB; // D1's 10 GB minus the stubs and claims of 10 000 000 typical customers
console.log(`\n${COUNT} units: ${perUnit.toFixed(0)} bytes per unit (row, indexes, references, 3 messages)`);
console.log(`units in one 10 GB catalog: ${Math.floor((10 * GB) / perUnit)}; beside 10 000 000 customers' stubs (7.4 GB): ${Math.floor(left / perUnit)}`);
process.exit(0);
