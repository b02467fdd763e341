'use strict';
// Signals reach a poller through Node's own handling (process.on), bridged
// by a wake: Node's threads all leave them unblocked, so the library's
// signalfd (repoll_signal_add) could never see them.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const { spawnSync } = require('node:child_process');
const repoll = require('..');

const { Poller } = repoll;
const SIGUSR2 = os.constants.signals.SIGUSR2;

test("Node's threads run with SIGUSR2 and SIGTERM unblocked (why repoll_signal_add is not used)", () => {
  const mask = (1n << BigInt(SIGUSR2 - 1)) | (1n << BigInt(os.constants.signals.SIGTERM - 1));
  const unblocking = fs.readdirSync('/proc/self/task').filter((tid) => {
    const status = fs.readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
    return (BigInt(`0x${status.match(/^SigBlk:\s*(\S+)/m)[1]}`) & mask) !== mask;
  });
  assert.ok(unblocking.length > 1, `threads leaving them unblocked: ${unblocking.length}`);
});

test('Node unblocks a signal that the process starting it had blocked', (t) => {
  // A launcher that blocks SIGUSR2 and execs node: the mask is inherited
  // through exec, and Node's start-up clears it.
  const launcher = 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2}); os.execv(sys.argv[1], sys.argv[1:])';
  const probe = `const fs = require('fs');
    const blocked = fs.readdirSync('/proc/self/task').filter((tid) =>
      BigInt('0x' + fs.readFileSync('/proc/self/task/' + tid + '/status', 'utf8').match(/^SigBlk:\\s*(\\S+)/m)[1]) & ${1n << BigInt(SIGUSR2 - 1)}n);
    console.log(blocked.length + ' of ' + fs.readdirSync('/proc/self/task').length);`;
  const r = spawnSync('python3', ['-c', launcher, process.execPath, '-e', probe], { encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT') return t.skip('no python3 to launch node with a blocked signal');
  assert.equal(r.status, 0, r.stderr);
  const [blocked, threads] = r.stdout.trim().split(' of ').map(Number);
  assert.ok(threads > 1 && blocked < threads, r.stdout);
});

test('a signal sent during an awaited wait is reported as [data, SIGNAL], with no WAKE', async () => {
  const p = new Poller();
  try {
    p.addSignal('SIGUSR2', 2n ** 60n);
    const pending = p.wait();
    setImmediate(() => process.kill(process.pid, 'SIGUSR2'));
    assert.deepEqual(await pending, [[2n ** 60n, repoll.SIGNAL]]);
  } finally {
    p.close();
  }
});

test('a signal received while no wait runs is reported by the next one; data defaults to the number', async () => {
  const p = new Poller();
  try {
    p.addSignal(SIGUSR2);
    process.kill(process.pid, 'SIGUSR2');
    let events = [];
    // Node hands the signal to JS on a later turn of its loop.
    while (!events.length) events = await p.wait(1);
    assert.deepEqual(events, [[SIGUSR2, repoll.SIGNAL]]);
    assert.deepEqual(p.waitSync(0), []);
  } finally {
    p.close();
  }
});

test('a user wake is still reported next to a bridged signal', async () => {
  const p = new Poller();
  try {
    p.addSignal('SIGUSR2', 1);
    const pending = p.wait();
    setImmediate(() => {
      p.wake();
      process.kill(process.pid, 'SIGUSR2');
    });
    let events = await pending;
    if (events.length < 2) events = events.concat(await p.wait());
    assert.deepEqual(events.sort(), [[0, repoll.WAKE], [1, repoll.SIGNAL]].sort());
  } finally {
    p.close();
  }
});

test('addSignal / removeSignal errors, and close removes the listeners', () => {
  const p = new Poller();
  const listeners = process.listenerCount('SIGUSR2');
  p.addSignal('SIGUSR2');
  assert.equal(process.listenerCount('SIGUSR2'), listeners + 1);
  assert.throws(() => p.addSignal(SIGUSR2), { code: 'EEXIST', syscall: 'addSignal' });
  assert.throws(() => p.addSignal('SIGKILL'), { code: 'EINVAL' });
  assert.throws(() => p.addSignal('SIGNOPE'), { code: 'EINVAL' });
  assert.throws(() => p.removeSignal('SIGUSR1'), { code: 'ENOENT', syscall: 'removeSignal' });
  p.removeSignal('SIGUSR2');
  assert.equal(process.listenerCount('SIGUSR2'), listeners);
  p.addSignal('SIGUSR2');
  p.close();
  assert.equal(process.listenerCount('SIGUSR2'), listeners);
});
