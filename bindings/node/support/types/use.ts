// Compiled (not run) by test/types.test.js: the declarations in index.d.ts describe the API
// as it is used here, from CommonJS (use.ts) and ES modules (use-esm.mts).
import logcap, { open, f64, LogcapError, type Batch, type Pipeline, type Entry, type KafkaSinkConfig, type OtlpSinkConfig } from 'logcap';

async function main(): Promise<void> {
  const kafka: KafkaSinkConfig = {
    type: 'kafka', name: 'events', brokers: ['127.0.0.1:9092'], topic: 'logs', error_topic: 'logs.errors',
    key_label: 'service', compression: 'zstd', acks: 'all', properties: { 'linger.ms': '1' }, when_full: 'drop_newest',
  };
  const otlp: OtlpSinkConfig = {
    type: 'otlp', url: 'http://127.0.0.1:4318', encoding: 'json', labels_as: 'attributes',
    resource: { 'service.name': 'checkout' }, retry: { attempts: 3 },
  };
  await open({ sinks: [kafka, otlp] }).close();
  const p: Pipeline = open({ sinks: [{ type: 'callback', name: 'cb' }] }, {
    callbacks: { cb: (b: Batch) => { for (const e of b.entries) console.log(e.level, e.time + 1n, e.fields.status); } },
    onCallbackError: (err, sink) => console.error(sink, err),
  });
  const log = p.child({ service: 'checkout' }, { request_id: 'r-1' });
  const ok: boolean = log.info('request completed', { fields: { status: 200, latency_ms: f64(12), big: 2n ** 64n - 1n, skip: undefined } });
  p.log('warn', 'x', { time: new Date(), traceId: 'abc' });
  p.log(3, 'x');
  const e: Entry = p.acquire().setLabel('a', 'b').setField('n', 1).setField('u', 1n, 'u64');
  const v = e.getField('n');
  const t = e.getTypedField('n');
  if (t && t.type === 'i64') console.log(t.value);
  e.submit();
  try { p.acquire().release(); } catch (err) { if (err instanceof LogcapError) console.log(err.code, err.codeName); }
  console.log(ok, v, p.stats().sinks[0].name, p.minLevel(), logcap.version(), logcap.codes.STALE_HANDLE);
  await p.flush({ timeoutMs: 1000 });
  await p.close();
}
main();
