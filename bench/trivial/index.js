// The ceiling of bench/throughput.mjs: a Worker that does nothing but answer 404.
export default {
  fetch() {
    return new Response('{"statusCode":404}', { status: 404, headers: { 'Content-Type': 'application/json' } });
  },
};
