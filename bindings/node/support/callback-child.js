'use strict';
// Run by test/process.test.js: a process with a callback sink and nothing else to wait for.
//
//   node support/callback-child.js   the callback closes the pipeline after 3 entries; until
//                                     then nothing but the pipeline keeps the process alive

const logcap = require('..');

let seen = 0;
const p = logcap.open(
  { batch: { max_entries: 1, max_delay_ms: 5 }, sinks: [{ type: 'callback', name: 'cb' }] },
  {
    callbacks: {
      cb: (b) => {
        seen += b.entries.length;
        process.stdout.write(`got ${b.entries[0].message}\n`);
        if (seen === 3) {
          p.close().then(() => process.stdout.write('closed\n'));
        }
      },
    },
  },
);
p.info('one');
p.info('two');
p.info('three');
