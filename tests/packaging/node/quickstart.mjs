// The standard event from an ES module that imports the installed package by name.
import logcap, { open, f64, version } from 'logcap';

const pipeline = open(process.env.LOGCAP_CONFIG || undefined);
pipeline.info('request completed', {
  labels: { service: 'checkout', env: 'prod', host: 'web-1', region: 'eu-west-1' },
  fields: {
    method: 'GET',
    path: '/api/v1/orders/12345',
    status: 200,
    latency_ms: f64(12.5),
    user_id: 'u-998877',
    cache_hit: true,
  },
});
await pipeline.close({ timeoutMs: 5000 });
process.stderr.write(`quickstart (ESM, logcap ${version()}) loaded ${logcap.libraryPath}\n`);
