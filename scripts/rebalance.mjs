// The re-balancing step, called until done (docs/scale.md, **Re-balancing**): moves the
// customers whose bucket changes owner when CUSTOMER_DATABASES_NEXT names a new shard list.
//
//   node scripts/rebalance.mjs --url https://api.example.com --secret "$REBALANCE_SECRET"
//        [--pages 5] [--size 100]
//
// Each call of `POST /_rebalance` moves up to `pages` pages of `size` customers (read from the
// shards that give buckets away) and answers the progress; one line is printed per call. The
// progress lives in the catalog, so the script can be stopped and run again: it continues
// where the last finished page left off (a page copied but not yet deleted is redone). A
// failed call (network, 5xx) is retried up to 5 times, then the script stops (exit 1; run it
// again). When it says done: deploy with CUSTOMER_DATABASES = the new list and without
// CUSTOMER_DATABASES_NEXT.
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const url = flag('url', 'http://127.0.0.1:8787').replace(/\/$/, '');
const secret = flag('secret', process.env.REBALANCE_SECRET);
const pages = flag('pages', '5');
const size = flag('size', '100');
if (!secret) {
  console.error('usage: node scripts/rebalance.mjs --url <worker> --secret <REBALANCE_SECRET> [--pages 5] [--size 100]');
  process.exit(2);
}

async function call() {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${url}/_rebalance?pages=${pages}&size=${size}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secret}` },
      });
      const text = await res.text();
      if (res.status === 200) return JSON.parse(text);
      if (res.status < 500 || attempt >= 5) throw new Error(`HTTP ${res.status}: ${text}`);
      console.error(`HTTP ${res.status}, retrying (${attempt}/5)`);
    } catch (e) {
      if (attempt >= 5 || String(e.message).startsWith('HTTP 4')) throw e;
      console.error(`${e.message}, retrying (${attempt}/5)`);
    }
    await new Promise((r) => setTimeout(r, 1000 * attempt));
  }
}

const started = Date.now();
let moved = 0;
for (;;) {
  const t = Date.now();
  let report;
  try {
    report = await call();
  } catch (e) {
    console.error(`stopped: ${e.message} (run again to continue)`);
    process.exit(1);
  }
  moved += report.moved;
  const sources = report.sources.map((s) => `${s.shard} ${s.state} ${s.moved}/${s.scanned}`).join(', ');
  console.log(
    `${report.plan}: +${report.moved} moved (${report.scanned} read, ${report.pages} pages, ${Date.now() - t} ms); ` +
      `${sources}; ${report.done ? 'done' : 'continuing'}`,
  );
  if (report.done) break;
}
console.log(`done: ${moved} customers moved in ${((Date.now() - started) / 1000).toFixed(1)} s by this run; ` +
  'now deploy with CUSTOMER_DATABASES = the new list and without CUSTOMER_DATABASES_NEXT');
