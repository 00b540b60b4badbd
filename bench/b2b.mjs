// Business-unit benchmark (not a test): a tree of 1 000 units and 10 000 associates, built
// through the API of a fresh `wrangler dev`, then p50/p95 latency over HTTP of the associate
// lookup (a unit four levels down, inheriting from its ancestors) and of moving a unit with
// 100 descendants between two Companies (its whole subtree's topLevelUnit follows in one D1
// batch).
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/b2b.mjs
//
// Layout: 10 Companies, each with 9 Divisions with 10 Divisions each (1 000 units); a mover
// Division with 10 children of 9 children each (100 descendants) sits beside them. Every
// unit but the movers has 10 associates (10 000 in all) among 1 000 customers (created without
// passwords), all with inherited roles.
// The figures are local workerd/D1 on this machine, not production latency.
import { caller, migrate, parallel, percentile, startWorker, stateDir, token } from './harness.mjs';

const SAMPLES = 100;
const state = stateDir();
migrate(state);
const base = await startWorker(state);
const headers = { Authorization: `Bearer ${await token(base)}`, 'Content-Type': 'application/json' };

const call = caller(base, headers);


let started = Date.now();
await call('POST', '/demo/associate-roles', { key: 'bench-buyer', permissions: ['ViewMyCarts', 'CreateMyCarts'] }, 201);
await call('POST', '/demo/associate-roles', { key: 'bench-admin', permissions: ['UpdateAssociates', 'AddChildUnits'] }, 201);
const customers = await parallel(1_000, async (i) => {
  const reply = await call('POST', '/demo/customers', { email: `bench-b2b-${i}@example.com`, authenticationMode: 'ExternalAuth' }, 201);
  return reply.customer.id;
});
console.error(`1 000 customers in ${((Date.now() - started) / 1000).toFixed(0)} s`);
started = Date.now();
let unitCount = 0;
const associatesOf = () => {
  const first = (unitCount * 10) % customers.length;
  return customers.slice(first, first + 10).map((id, j) => ({
    customer: { id },
    associateRoleAssignments: [{ associateRole: { key: j === 0 ? 'bench-admin' : 'bench-buyer' }, inheritance: 'Enabled' }],
  }));
};
async function unit(key, parent, withAssociates = true) {
  const draft = parent
    ? { key, name: key, unitType: 'Division', parentUnit: { key: parent } }
    : { key, name: key, unitType: 'Company' };
  if (withAssociates) {
    draft.associates = associatesOf();
    unitCount += 1;
  }
  return call('POST', '/demo/business-units', draft, 201);
}
for (let c = 0; c < 10; c++) {
  await unit(`co${c}`);
  await parallel(9, (d) => unit(`co${c}-d${d}`, `co${c}`));
  await parallel(90, (i) => unit(`co${c}-d${Math.floor(i / 10)}-e${i % 10}`, `co${c}-d${Math.floor(i / 10)}`));
}
const mover = await unit('mover', 'co0', false);
await parallel(10, (d) => unit(`mover-${d}`, 'mover', false));
await parallel(90, (i) => unit(`mover-${Math.floor(i / 9)}-${i % 9}`, `mover-${Math.floor(i / 9)}`, false));
console.error(`${unitCount} units with associates, 101 movers, in ${((Date.now() - started) / 1000).toFixed(0)} s`);

async function measure(label, request) {
  const times = [];
  for (let i = -5; i < SAMPLES; i++) {
    const t = performance.now();
    await request(i);
    if (i >= 0) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { label, p50: percentile(times, 50), p95: percentile(times, 95) };
}

const rows = [];
// The associate at a third-level unit: explicit roles there, inherited from two levels up.
rows.push(
  await measure('GET …/business-units/key=…/associates/{id} (third level, inherited roles)', async (i) => {
    const [c, d, e] = [Math.abs(i) % 10, Math.abs(i) % 9, Math.abs(i) % 7];
    // The Company co{c} was the (c * 100)th unit: its 10 associates pass their roles down.
    const customer = customers[(c * 1000 + (Math.abs(i) % 10)) % customers.length];
    const reply = await fetch(`${base}/demo/business-units/key=co${c}-d${d}-e${e}/associates/${customer}`, { headers });
    const body = await reply.json();
    if (reply.status !== 200 || body.inheritedAssociateRoles.length === 0) throw new Error(JSON.stringify(body));
  }),
);
let version = mover.version;
rows.push(
  await measure('changeParentUnit of a unit with 100 descendants (top-level unit changes)', async (i) => {
    const target = Math.abs(i) % 2 === 0 ? 'co1' : 'co0';
    const moved = await call('POST', `/demo/business-units/${mover.id}`, { version, actions: [{ action: 'changeParentUnit', parentUnit: { key: target } }] }, 200);
    version = moved.version;
  }),
);
const [top, leaf] = await Promise.all(['mover', 'mover-9-8'].map((key) => call('GET', `/demo/business-units/key=${key}`, undefined, 200)));
if (leaf.topLevelUnit.key !== top.topLevelUnit.key) throw new Error(`the subtree did not follow: ${JSON.stringify(leaf)}`);

console.log('\n| 1 000 units, 10 000 associates | p50 (ms) | p95 (ms) |');
console.log('|---|---:|---:|');
for (const row of rows) console.log(`| ${row.label} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`);
process.exit(0);
