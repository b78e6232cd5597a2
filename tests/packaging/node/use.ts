// Type-checked against the installed package's declarations (tsc --noEmit, strict).
import logcap, { open, f64, type Pipeline } from 'logcap';

const pipeline: Pipeline = open({ sinks: [{ type: 'stdout', name: 'out' }] });
pipeline.info('request completed', {
  labels: { service: 'checkout' },
  fields: { status: 200, latency_ms: f64(12.5), cache_hit: true },
});
const version: string = logcap.version();
const where: string = logcap.libraryPath;
void pipeline.close({ timeoutMs: 5000 }).then(() => console.log(version, where));

// The configuration is typed: a misspelt sink type does not compile (tsc fails if it does).
// @ts-expect-error: 'fille' is not a sink type
open({ sinks: [{ type: 'fille', path: 'app.log' }] });
