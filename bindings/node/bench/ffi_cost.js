#!/usr/bin/env node
'use strict';
// What crossing the FFI costs from Node (koffi), per call:
//   waitSync      one waitSync(0) that returns one event (a level-triggered,
//                 always readable socket)
//   register+del  one register plus one unregister of that socket (two
//                 epoll_ctl; a register alone cannot be repeated on one fd)
//   modify        one modify (one epoll_ctl, like a register)
//   loop/fd       register then unregister 1000 fds (other pollers' epoll
//                 fds), one call each, per fd
//   *Many/fd      the same with one registerMany + one unregisterMany, per
//                 fd (when the library has repoll_ctl_batch)
//   wait (async)  one awaited wait(-1) returning one event at once: the
//                 round trip to the binding's wait thread (a wait(0) poll
//                 runs inline, as waitSync(0) does)
//
//   node bench/ffi_cost.js [ITERATIONS]     (default 100000)
//
// Prints ns per call, the median of 5 runs of ITERATIONS calls each.

let repoll;
try {
  repoll = require('repoll');
} catch {
  repoll = require('..');
}
const net = require('node:net');
const { once } = require('node:events');

const N = Number(process.argv[2] || 100000);
const RUNS = 5;

function median(values) {
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function measure(name, iterations, body) {
  await body(Math.min(iterations, 1000)); // warm up (JIT, wait threads)
  const perCall = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    await body(iterations);
    perCall.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  console.log(`${name.padEnd(14)} ${median(perCall).toFixed(0).padStart(7)} ns/call  (${iterations} calls x ${RUNS} runs)`);
}

// The batch methods over the epoll fds of 1000 other pollers (fds that can
// be polled, and that Node can make without sockets).
async function measureMany(p, rounds) {
  const others = Array.from({ length: 1000 }, () => new repoll.Poller({ maxevents: 1 }));
  const fds = others.map((o) => o.fd);
  try {
    p.registerMany(fds.slice(0, 1));
    p.unregisterMany(fds.slice(0, 1));
    await measure('loop/fd', rounds * fds.length, (n) => {
      for (let i = 0; i < n / fds.length; i++) {
        for (const fd of fds) p.register(fd);
        for (const fd of fds) p.unregister(fd);
      }
    });
    await measure('*Many/fd', rounds * fds.length, (n) => {
      for (let i = 0; i < n / fds.length; i++) {
        p.registerMany(fds);
        p.unregisterMany(fds);
      }
    });
  } catch (err) {
    if (err.code !== 'ENOSYS') throw err;
    console.log('loop/fd, *Many/fd (skipped: the library has no repoll_ctl_batch)');
  } finally {
    for (const o of others) o.close();
  }
}

async function main() {
  const server = net.createServer({ pauseOnConnect: true }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  const [[quiet]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
  client.write('x'); // never read: `quiet` stays readable
  const fd = quiet._handle.fd;
  const p = new repoll.Poller({ maxevents: 16 });
  p.register(fd, repoll.IN, 1);
  while (!p.waitSync(0).length); // the byte has arrived

  console.log(`repoll ${repoll.version()} from Node ${process.version}, koffi ${require('koffi').version}`);
  await measure('waitSync', N, (n) => {
    for (let i = 0; i < n; i++) if (p.waitSync(0).length !== 1) throw new Error('expected one event');
  });
  p.unregister(fd);
  await measure('register+del', N, (n) => {
    for (let i = 0; i < n; i++) {
      p.register(fd, repoll.IN, 1);
      p.unregister(fd);
    }
  });
  p.register(fd, repoll.IN, 1);
  await measure('modify', N, (n) => {
    for (let i = 0; i < n; i++) p.modify(fd, repoll.IN, i);
  });
  await measureMany(p, Math.max(1, Math.floor(N / 1000)));
  await measure('wait (async)', Math.max(1, Math.floor(N / 10)), async (n) => {
    for (let i = 0; i < n; i++) if ((await p.wait(-1)).length !== 1) throw new Error('expected one event');
  });
  p.close();
  client.destroy();
  quiet.destroy();
  server.close();
}

main();
