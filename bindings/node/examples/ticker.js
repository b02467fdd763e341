#!/usr/bin/env node
'use strict';
// A ticker: a repeating repoll timer plus SIGINT/SIGTERM as events.
//
//   ticker.js [INTERVAL_MS]   print a tick every INTERVAL_MS (default 1000)
//                             until Ctrl-C or SIGTERM, then say goodbye
//   ticker.js --self-test     20 ms ticks; after 3 it sends itself SIGTERM
//                             and checks that the signal came back as an event
//
// The waits are awaited: they run on a thread of the binding's, so the event
// loop stays free (a setInterval keeps counting beside the ticker). Node
// receives the signals itself; addSignal hands them to the poller, which
// reports them as [signo, SIGNAL] events like any other.

let repoll;
try {
  repoll = require('repoll');
} catch {
  repoll = require('..'); // run from the source tree
}
const os = require('node:os');

const TICK = 1; // timer data; signals use their number as data (the default)

async function run(intervalMs, { maxTicks = Infinity, verbose = true } = {}) {
  const start = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - start) / 1e6;
  let loopTurns = 0;
  const busy = setInterval(() => loopTurns++, 5); // proof the loop is free
  let ticks = 0;
  let got = null;
  const poller = new repoll.Poller();
  try {
    poller.addSignal('SIGINT');
    poller.addSignal('SIGTERM');
    poller.addTimer(intervalMs, intervalMs, TICK);
    while (got === null) {
      for (const [data, events] of await poller.wait()) {
        if (events & repoll.TIMER) {
          ticks++;
          if (verbose) console.log(`tick ${ticks} at ${elapsedMs().toFixed(1)} ms`);
          if (ticks === maxTicks) process.kill(process.pid, 'SIGTERM');
        } else if (events & repoll.SIGNAL) {
          got = Object.keys(os.constants.signals).find((name) => os.constants.signals[name] === data);
        }
      }
    }
  } finally {
    poller.close(); // removes the signal listeners: defaults apply again
    clearInterval(busy);
  }
  if (verbose) console.log(`${got} after ${ticks} ticks (the event loop ran ${loopTurns} intervals meanwhile): goodbye`);
  return { ticks, got, elapsedMs: elapsedMs() };
}

async function main(argv) {
  if (argv[0] === '--self-test') {
    const { ticks, got, elapsedMs } = await run(20, { maxTicks: 3, verbose: false });
    const ok = ticks === 3 && got === 'SIGTERM' && elapsedMs >= 60;
    console.log(`ticker self-test: ${ticks} ticks, ${got}, ${elapsedMs.toFixed(1)} ms: ${ok ? 'ok' : 'FAILED'}`);
    return ok ? 0 : 1;
  }
  await run(argv.length ? Number(argv[0]) : 1000);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
