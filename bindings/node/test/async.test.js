'use strict';
// Awaited waits: they never block the event loop, its timers or libuv's
// thread pool, however many are pending; closing ends them with EBADF.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { promisify } = require('node:util');
const { Worker } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
const repoll = require('..');
const { tcpPair } = require('./helpers');

const { Poller } = repoll;
// More pending waits than libuv's thread pool has threads (4 unless
// UV_THREADPOOL_SIZE says otherwise), and than the binding keeps idle wait
// threads (8), so that ending the surplus threads runs too.
const PENDING = Math.max(10, Number(process.env.UV_THREADPOOL_SIZE || 4) + 2);

function settled(promise) {
  return promise.then((value) => ({ value }), (error) => ({ error }));
}

test(`${PENDING} pending waits leave fs, zlib and timers working; closing them rejects with EBADF`, async () => {
  const pollers = Array.from({ length: PENDING }, () => new Poller());
  const waits = pollers.map((p) => settled(p.wait()));
  try {
    const [text, zipped, timer] = await Promise.all([
      fs.promises.readFile(__filename, 'utf8'),
      promisify(zlib.gzip)(Buffer.alloc(100000, 'repoll')),
      new Promise((resolve) => setTimeout(() => resolve('fired'), 1)),
    ]);
    assert.match(text, /pending waits leave fs/);
    assert.equal(zlib.gunzipSync(zipped).length, 100000);
    assert.equal(timer, 'fired');
  } finally {
    for (const p of pollers) p.close();
  }
  for (const { value, error } of await Promise.all(waits)) {
    assert.equal(value, undefined);
    assert.equal(error.code, 'EBADF');
    assert.equal(error.syscall, 'repoll_wait_ns');
  }
});

test('wake from the main thread ends a wait blocked on another thread', async () => {
  const p = new Poller();
  try {
    const pending = p.wait();
    setImmediate(() => p.wake());
    assert.deepEqual(await pending, [[0, repoll.WAKE]]);
  } finally {
    p.close();
  }
});

test('an awaited wait reports fd readiness, timers and data above 2^53', async () => {
  const pair = await tcpPair();
  const p = new Poller();
  try {
    p.register(pair.quiet, repoll.IN, 2n ** 63n + 5n);
    const pending = p.wait();
    pair.peer.write('x');
    assert.deepEqual(await pending, [[2n ** 63n + 5n, repoll.IN]]);
    assert.deepEqual(await p.wait(0), [[2n ** 63n + 5n, repoll.IN]]); // level-triggered: still readable
    p.unregister(pair.quiet);
    assert.deepEqual(await p.wait(0), []);
    p.addTimer(2, 0, 3);
    assert.deepEqual(await p.wait(), [[3, repoll.TIMER]]);
  } finally {
    p.close();
    pair.close();
  }
});

test('closing with several waits pending on one poller rejects every one with EBADF', async () => {
  const p = new Poller();
  const waits = [settled(p.wait()), settled(p.wait()), settled(p.wait(60000))];
  await new Promise(setImmediate);
  p.close();
  for (const { error } of await Promise.all(waits)) assert.equal(error.code, 'EBADF');
  await assert.rejects(p.wait(), { code: 'EBADF' });
});

test('waitSync in a worker thread blocks only that thread', async () => {
  const pair = await tcpPair();
  const fd = pair.quiet._handle.fd;
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const repoll = require(workerData.binding);
    const p = new repoll.Poller();
    p.register(workerData.fd, repoll.IN, 11);
    parentPort.postMessage('waiting');
    parentPort.postMessage(p.waitSync(-1));
    p.close();`, { eval: true, workerData: { binding: path.join(__dirname, '..'), fd } });
  try {
    const messages = [];
    const done = new Promise((resolve, reject) => {
      worker.on('message', (m) => { messages.push(m); if (messages.length === 2) resolve(); });
      worker.on('error', reject);
    });
    while (!messages.length) await new Promise(setImmediate);
    // The worker is blocked in C; this thread's loop, timers and pool go on.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await fs.promises.readFile(__filename);
    assert.equal(messages.length, 1);
    pair.peer.write('x');
    await done;
    assert.deepEqual(messages[1], [[11, repoll.IN]]);
  } finally {
    await worker.terminate();
    pair.close();
  }
});

test('process.exit() with a wait pending exits (the wait threads are woken)', { timeout: 60000 }, () => {
  const script = `
    const repoll = require(${JSON.stringify(path.join(__dirname, '..'))});
    const p = new repoll.Poller();
    p.wait().catch(() => {});
    setTimeout(() => process.exit(3), 10);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
});

test('an idle poller does not keep the process alive after its waits end', { timeout: 60000 }, () => {
  const script = `
    const repoll = require(${JSON.stringify(path.join(__dirname, '..'))});
    const p = new repoll.Poller();
    p.wait(1).then((e) => console.log('waited', e.length));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'waited 0\n');
});
