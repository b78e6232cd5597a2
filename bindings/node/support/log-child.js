'use strict';
// Run by test/process.test.js in a child process: logs N entries to a file sink, awaits
// close(), prints the pipeline's counters as JSON, and exits.
//
//   node support/log-child.js <file> <count>

const logcap = require('..');

async function main() {
  const [file, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  const p = logcap.open({
    queue: { capacity: 65536, when_full: 'block', block_timeout_ms: 60000 },
    sinks: [{ type: 'file', name: 'file', path: file }],
  });
  const log = p.child({ service: 'checkout', env: 'prod', host: 'web-1', region: 'eu-west-1' });
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  for (let i = 0; i < count; i++) {
    const ok = log[levels[i % 6]]('request completed', {
      fields: {
        seq: i,
        method: 'GET',
        path: `/api/v1/orders/${i}`,
        status: 200,
        latency_ms: i / 8,
        user_id: 'u-998877',
        cache_hit: i % 2 === 0,
        note: i % 1000 === 0 ? 'quote " backslash \\ newline \n tab \t é 🎉' : '',
      },
    });
    if (!ok) throw new Error(`entry ${i} was dropped`);
  }
  await p.close({ timeoutMs: 60000 });
  process.stdout.write(JSON.stringify(p.stats()));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
