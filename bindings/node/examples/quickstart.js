'use strict';
// quickstart: log the standard event through logcap from Node.js.
//
// The configuration comes from the LOGCAP_CONFIG environment variable (a JSON document), or is
// the embedded default: one JSON-lines sink on stdout.
const logcap = require('..');

async function main() {
  const pipeline = logcap.open(process.env.LOGCAP_CONFIG || undefined);
  pipeline.info('request completed', {
    labels: { service: 'checkout', env: 'prod', host: 'web-1', region: 'eu-west-1' },
    fields: {
      method: 'GET',
      path: '/api/v1/orders/12345',
      status: 200,
      latency_ms: logcap.f64(12.5),
      user_id: 'u-998877',
      cache_hit: true,
    },
  });
  await pipeline.close({ timeoutMs: 5000 });
  const st = pipeline.stats();
  for (const s of st.sinks) {
    process.stderr.write(
      `quickstart (Node.js, logcap ${logcap.version()}): submitted ${st.submitted}, ` +
        `sink ${s.name} delivered ${s.delivered}, ${s.bytes} bytes\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`quickstart: ${err.stack || err}\n`);
  process.exitCode = 1;
});
