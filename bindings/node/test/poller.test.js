'use strict';
// The Poller's synchronous API: lifetime, registrations, errors, data,
// timers, nesting.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const repoll = require('..');
const { tcpPair, openFdCount } = require('./helpers');

const { Poller } = repoll;

test('create and close: close is idempotent and later calls fail with EBADF', () => {
  const before = openFdCount();
  const p = new Poller();
  assert.equal(p.closed, false);
  assert.ok(p.fd >= 0);
  p.close();
  p.close();
  assert.equal(p.closed, true);
  assert.equal(openFdCount(), before);
  for (const call of [() => p.register(0), () => p.wake(), () => p.addTimer(1), () => p.fd, () => p.waitSync(0)]) {
    assert.throws(call, { code: 'EBADF', errno: -os.constants.errno.EBADF });
  }
});

test('Symbol.dispose closes the poller (using / explicit resource management)', () => {
  const p = new Poller();
  assert.equal(typeof p[Symbol.dispose], 'function');
  p[Symbol.dispose]();
  assert.equal(p.closed, true);
});

test('the constructor validates maxevents and flags, and maps create errors', () => {
  assert.throws(() => new Poller({ maxevents: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new Poller({ maxevents: '8' }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Poller({ flags: 1 << 20 }), { code: 'EINVAL', syscall: 'repoll_create' });
});

test('register, modify, unregister report readiness and map errors like node:fs', async () => {
  const pair = await tcpPair();
  const p = new Poller();
  try {
    p.register(pair.quiet, repoll.IN, 7);
    assert.deepEqual(p.waitSync(0), []);
    pair.peer.write('x');
    let events;
    do events = p.waitSync(-1); while (!events.length);
    assert.deepEqual(events, [[7, repoll.IN]]);

    assert.throws(() => p.register(pair.quiet, repoll.IN), (err) => {
      assert.equal(err.code, 'EEXIST');
      assert.equal(err.errno, -os.constants.errno.EEXIST);
      assert.equal(err.syscall, 'repoll_add');
      assert.equal(err.message, 'EEXIST: File exists, repoll_add');
      return true;
    });
    p.modify(pair.quiet, repoll.IN, 8);
    assert.deepEqual(p.waitSync(0), [[8, repoll.IN]]);
    p.unregister(pair.quiet);
    assert.deepEqual(p.waitSync(0), []);
    assert.throws(() => p.unregister(pair.quiet), { code: 'ENOENT', syscall: 'repoll_delete' });
    assert.throws(() => p.modify(pair.quiet, repoll.IN), { code: 'ENOENT', syscall: 'repoll_modify' });
  } finally {
    p.close();
    pair.close();
  }
});

test('a regular file is EPERM, a closed fd EBADF, bad arguments Node-style errors', async () => {
  const p = new Poller();
  const file = path.join(os.tmpdir(), `repoll-node-${process.pid}`);
  const handle = await fs.promises.open(file, 'w');
  try {
    assert.throws(() => p.register(handle), { code: 'EPERM' }); // an fs.FileHandle, through .fd
    assert.throws(() => p.register(1 << 30), { code: 'EBADF' });
    assert.throws(() => p.register(p), { code: 'EINVAL' }); // its own fd
    assert.throws(() => p.register('0'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => p.register(2 ** 31), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => p.register(0, -1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => p.register(0, repoll.IN, -1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => p.register(0, repoll.IN, 2 ** 64 + 1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => p.register(0, repoll.IN, 2n ** 64n), { code: 'ERR_OUT_OF_RANGE' });
  } finally {
    await handle.close();
    fs.unlinkSync(file);
    p.close();
  }
});

test('data above 2^53 round-trips as a BigInt; small data is a Number unless bigint: true', async () => {
  const pair = await tcpPair();
  pair.peer.write('x');
  const big = 2n ** 64n - 3n;
  const p = new Poller();
  const q = new Poller({ bigint: true });
  try {
    p.register(pair.quiet, repoll.IN, big);
    q.register(pair.quiet, repoll.IN, 5);
    let events;
    do events = p.waitSync(-1); while (!events.length);
    assert.deepEqual(events, [[big, repoll.IN]]);
    assert.deepEqual(q.waitSync(-1), [[5n, repoll.IN]]);
    p.modify(pair.quiet, repoll.IN, 2n ** 53n + 1n);
    assert.deepEqual(p.waitSync(0), [[2n ** 53n + 1n, repoll.IN]]);
    p.modify(pair.quiet, repoll.IN, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(p.waitSync(0), [[Number.MAX_SAFE_INTEGER, repoll.IN]]);
  } finally {
    p.close();
    q.close();
    pair.close();
  }
});

test('timeouts are never early, for waitSync and wait', async () => {
  const p = new Poller();
  try {
    for (const ms of [1, 5, 12.5]) {
      let start = process.hrtime.bigint();
      assert.deepEqual(p.waitSync(ms), []);
      assert.ok(process.hrtime.bigint() - start >= BigInt(ms * 1e6), `waitSync(${ms})`);
      start = process.hrtime.bigint();
      assert.deepEqual(await p.wait(ms), []);
      assert.ok(process.hrtime.bigint() - start >= BigInt(ms * 1e6), `wait(${ms})`);
    }
    assert.deepEqual(p.waitSync(0), []);
    assert.throws(() => p.waitSync(NaN), { code: 'ERR_OUT_OF_RANGE' });
  } finally {
    p.close();
  }
});

test('a one-shot timer fires once, never early, then cancel is ENOENT', () => {
  const p = new Poller();
  try {
    const start = process.hrtime.bigint();
    const id = p.addTimer(5, 0, 42);
    assert.equal(typeof id, 'number');
    assert.deepEqual(p.waitSync(-1), [[42, repoll.TIMER]]);
    assert.ok(process.hrtime.bigint() - start >= 5_000_000n);
    assert.deepEqual(p.waitSync(10), []);
    assert.throws(() => p.cancelTimer(id), { code: 'ENOENT', syscall: 'repoll_timer_cancel' });
    assert.throws(() => p.addTimer(-1), { code: 'EINVAL', syscall: 'repoll_timer_add' });
  } finally {
    p.close();
  }
});

test('an interval timer repeats until cancelled; timer data can be a BigInt', () => {
  const p = new Poller();
  try {
    const id = p.addTimer(1, 1, 2n ** 60n);
    for (let i = 0; i < 3; i++) assert.deepEqual(p.waitSync(-1), [[2n ** 60n, repoll.TIMER]]);
    p.cancelTimer(id);
    assert.deepEqual(p.waitSync(5), []);
    assert.throws(() => p.cancelTimer(id), { code: 'ENOENT' });
    const ids = [p.addTimer(1000), p.addTimer(1000)];
    assert.notEqual(ids[0], ids[1]);
    for (const t of ids) p.cancelTimer(t);
  } finally {
    p.close();
  }
});

test('wake is reported once as [0, WAKE]; wakes coalesce', () => {
  const p = new Poller();
  try {
    p.wake();
    p.wake();
    assert.deepEqual(p.waitSync(-1), [[0, repoll.WAKE]]);
    assert.deepEqual(p.waitSync(0), []);
  } finally {
    p.close();
  }
});

test('a poller nests in another through its fd', () => {
  const outer = new Poller();
  const inner = new Poller();
  try {
    outer.register(inner, repoll.IN, 99);
    assert.deepEqual(outer.waitSync(0), []);
    inner.addTimer(0, 0, 1);
    assert.deepEqual(outer.waitSync(-1), [[99, repoll.IN]]);
    assert.deepEqual(inner.waitSync(0), [[1, repoll.TIMER]]);
  } finally {
    inner.close();
    outer.close();
  }
});

test('a poller that is garbage-collected unclosed releases its fds (the FinalizationRegistry safety net)', () => {
  const script = `
    const repoll = require(${JSON.stringify(path.join(__dirname, '..'))});
    const fds = () => require('fs').readdirSync('/proc/self/fd').length;
    const before = fds();
    (() => { new repoll.Poller().addTimer(1000); })();
    const leaked = fds() - before;
    const poll = () => {
      gc();
      if (fds() === before) { console.log('released', leaked); return; }
      setImmediate(poll);
    };
    poll();`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^released [1-9]/);
});
