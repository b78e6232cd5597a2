'use strict';
// Benchmarks of the Node binding, all in one run so that they compare:
//   (a) an empty koffi call (logcap_version): the floor of any call into the library;
//   (b) the standard event (/work/shared/standard-event.json) through pipeline.log(): one
//       packed record encoded in JS and one call, into a null sink behind a large queue
//       with drop_newest (never waited for; the run fails if anything was dropped, refused
//       or not delivered, since a refused call would be timed as a cheap one);
//   (c) acquire + 10 setters (the event's 4 labels and 6 fields) + submit;
// and, to see where (b) goes: the record encoder alone, a pre-encoded record submitted with
// submitRecord() (the library's own cost plus the call), and the event through a child
// logger that binds the 4 labels; and for comparison, in the same rounds, the event through
// pino (a devDependency) into a destination that discards each line, pino's cost alone.
//
//   node bench/bench.js [--rounds N] [--ops N] [--json]
//
// Each round runs every case once; the medians over the rounds are printed.

const os = require('node:os');
const { execFileSync } = require('node:child_process');
const pino = require('pino');
const logcap = require('..');
const { fn, koffi } = require('../lib/ffi');
const rec = require('../lib/record');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROUNDS = arg('--rounds', 7);
const OPS = arg('--ops', 200000);
const JSON_OUT = process.argv.includes('--json');

const EVENT = {
  message: 'request completed',
  labels: { service: 'checkout', env: 'prod', host: 'web-1', region: 'eu-west-1' },
  fields: {
    method: 'GET',
    path: '/api/v1/orders/12345',
    status: 200,
    latency_ms: 12.5,
    user_id: 'u-998877',
    cache_hit: true,
  },
};

function cpuModel() {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8' });
    const m = /^Model name:\s*(.+)$/m.exec(out);
    if (m) return m[1].trim();
  } catch {
    // lscpu is not everywhere.
  }
  return os.cpus()[0] ? os.cpus()[0].model : 'unknown';
}

/**
 * The calling thread's CPU time in ns (clock_gettime(CLOCK_THREAD_CPUTIME_ID) through koffi),
 * or null where libc cannot be loaded. On a shared machine it is steadier than wall time, and
 * it leaves out the pipeline's own threads (batcher, sinks).
 */
const threadCpu = (() => {
  if (process.platform !== 'linux') return null;
  try {
    const libc = koffi.load('libc.so.6');
    koffi.struct('bench_timespec', { tv_sec: 'int64_t', tv_nsec: 'int64_t' });
    const clockGettime = libc.func('int clock_gettime(int clk, _Out_ bench_timespec *tp)');
    const CLOCK_THREAD_CPUTIME_ID = 3;
    const ts = {};
    return () => {
      clockGettime(CLOCK_THREAD_CPUTIME_ID, ts);
      return Number(ts.tv_sec) * 1e9 + Number(ts.tv_nsec);
    };
  } catch {
    return null;
  }
})();

/** [wall ns, thread CPU ns (or NaN)] per op of `n` calls of `f`. */
function time(n, f) {
  const c0 = threadCpu ? threadCpu() : NaN;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const wall = Number(process.hrtime.bigint() - t0) / n;
  const cpu = threadCpu ? (threadCpu() - c0) / n : NaN;
  return [wall, cpu];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Calls the logging functions reported false for (a queue policy dropped the entry). */
let refusedCalls = 0;
function refusedIfFalse(ok) {
  if (ok === false) refusedCalls++;
}

async function main() {
  const p = logcap.open({
    // A lane per thread, the largest (64 MiB, about 195,000 standard events), and a large
    // queue: a round's calls are never waited for, and never dropped while the batcher keeps up.
    queue: { capacity: 1 << 20, when_full: 'drop_newest', lanes: true, lane_bytes: 1 << 26 },
    sinks: [{ type: 'null', name: 'null' }],
  });
  const child = p.child(EVENT.labels);
  const opts = { labels: EVENT.labels, fields: EVENT.fields };
  const childOpts = { fields: EVENT.fields };
  const encoder = new rec.Encoder();
  const record = logcap.encodeRecord({ level: 'info', ...EVENT });
  // pino has no labels: the event's labels and fields are one object, built once, as `opts`.
  const pinoLogger = pino({ base: undefined }, { write() {} });
  const pinoObj = { ...EVENT.labels, ...EVENT.fields };

  const cases = {
    'koffi empty call (logcap_version)': () => fn.logcap_version(),
    'pipeline.log(standard event)': () => refusedIfFalse(p.log('info', EVENT.message, opts)),
    'acquire + 10 setters + submit': () => {
      const e = p.acquire();
      e.setLabel('service', 'checkout');
      e.setLabel('env', 'prod');
      e.setLabel('host', 'web-1');
      e.setLabel('region', 'eu-west-1');
      e.setString('method', 'GET');
      e.setString('path', '/api/v1/orders/12345');
      e.setInt('status', 200);
      e.setFloat('latency_ms', 12.5);
      e.setString('user_id', 'u-998877');
      e.setBool('cache_hit', true);
      refusedIfFalse(e.submit());
    },
    'encode only (no call)': () =>
      encoder.encode(2, EVENT.message, 0n, '', '', rec.EMPTY_BOUND, EVENT.labels, EVENT.fields),
    'submitRecord(pre-encoded event)': () => refusedIfFalse(p.submitRecord(record)),
    'child(labels).info(event fields)': () => refusedIfFalse(child.info(EVENT.message, childOpts)),
    'pino: info(event) to a no-op write': () => pinoLogger.info(pinoObj, EVENT.message),
  };
  const logged = new Set([
    'pipeline.log(standard event)',
    'acquire + 10 setters + submit',
    'submitRecord(pre-encoded event)',
    'child(labels).info(event fields)',
  ]);
  const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const cpuResults = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const drops = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));

  // Warm up: let the JIT settle and the pool fill.
  for (const f of Object.values(cases)) time(Math.min(OPS, 20000), f);
  await p.flush({ timeoutMs: 60000 });

  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, f] of Object.entries(cases)) {
      const before = p.stats().droppedQueueFull;
      const [wall, cpu] = time(OPS, f);
      results[name].push(wall);
      cpuResults[name].push(cpu);
      if (logged.has(name)) {
        // Drain between cases, so that one case's backlog does not slow the next.
        await p.flush({ timeoutMs: 60000 });
        drops[name] += p.stats().droppedQueueFull - before;
      }
    }
  }
  await p.close({ timeoutMs: 60000 });
  const stats = p.stats();
  checkNothingLost(stats);

  const summary = {
    machine: {
      cpu: cpuModel(),
      cores: os.cpus().length,
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
      node: process.version,
      koffi: koffi.version,
      logcap: logcap.version(),
    },
    rounds: ROUNDS,
    opsPerRound: OPS,
    medians: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(median(v).toFixed(1))])),
    cpuMedians: Object.fromEntries(
      Object.entries(cpuResults).map(([k, v]) => [k, threadCpu ? Number(median(v).toFixed(1)) : null]),
    ),
    ranges: Object.fromEntries(
      Object.entries(results).map(([k, v]) => [k, [Math.min(...v), Math.max(...v)].map((x) => Number(x.toFixed(1)))]),
    ),
    drops,
    submitted: stats.submitted,
    delivered: stats.sinks[0].delivered,
  };
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const m = summary.machine;
  console.log(`logcap ${m.logcap}, node ${m.node}, koffi ${m.koffi}`);
  console.log(`${m.cpu}, ${m.cores} cores, load average ${m.loadavg.join(' ')}`);
  console.log(`${ROUNDS} rounds of ${OPS} ops; medians in ns/op: wall (min … max), main thread CPU\n`);
  for (const [name, v] of Object.entries(summary.medians)) {
    const [lo, hi] = summary.ranges[name];
    const cpu = summary.cpuMedians[name];
    const c = cpu === null ? '' : `  cpu ${cpu}`;
    const d = logged.has(name) ? `  drops ${drops[name]}` : '';
    console.log(`${name.padEnd(38)} ${String(v).padStart(9)}   (${lo} … ${hi})${c}${d}`);
  }
  console.log(`\nsubmitted ${summary.submitted}, delivered by the null sink ${summary.delivered}`);
}

/** Throws unless every entry the cases logged was accepted and delivered. */
function checkNothingLost(stats) {
  const k = stats.sinks[0];
  const dropped =
    stats.droppedLevel + stats.droppedQueueFull + stats.droppedQueueEvicted + stats.droppedQueueTimeout;
  if (refusedCalls || dropped || stats.accepted !== stats.submitted || k.delivered !== stats.submitted || k.dropped || k.failed) {
    throw new Error(
      `the pipeline lost entries the benchmark counts as logged: ${refusedCalls} calls refused, ` +
        `${JSON.stringify({ ...stats, sinks: undefined })}, sink ${JSON.stringify(k)}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
