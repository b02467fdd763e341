'use strict';
// batch(): many registrations in one library call (repoll_ctl_batch).

const test = require('node:test');
const assert = require('node:assert/strict');
const repoll = require('..');
const { tcpPair } = require('./helpers');

const { Poller } = repoll;

// The library predates repoll_ctl_batch: the method says so, and this test
// is reported as skipped for that reason only.
function batchMissing() {
  const p = new Poller();
  try {
    p.batch([]);
    return false;
  } catch (err) {
    if (err.code === 'ENOSYS') return err.message;
    throw err;
  } finally {
    p.close();
  }
}

test('batch applies ops in order and reports each one\'s own error', async (t) => {
  const missing = batchMissing();
  if (missing) return t.skip(missing);
  const a = await tcpPair();
  const b = await tcpPair();
  const p = new Poller();
  try {
    const results = p.batch([
      { op: 'register', fd: a.quiet, events: repoll.IN, data: 1 },
      { op: 'modify', fd: a.quiet, events: repoll.IN, data: 2n ** 62n },
      { op: 'register', fd: a.quiet, events: repoll.IN },
      { op: 'unregister', fd: b.quiet },
      { op: 'register', fd: b.quiet },
    ]);
    assert.deepEqual(results.map((r) => r && r.code), [null, null, 'EEXIST', 'ENOENT', null]);
    assert.equal(results[2].syscall, 'repoll_ctl_batch');
    a.peer.write('x');
    b.peer.write('y');
    const seen = new Map(); // level-triggered: the same event may come back
    while (seen.size < 2) for (const [data, events] of p.waitSync(-1)) seen.set(data, events);
    assert.deepEqual(seen, new Map([[2n ** 62n, repoll.IN], [b.quiet._handle.fd, repoll.IN]]));
    assert.deepEqual(p.batch([]), []);
    assert.throws(() => p.batch([{ op: 'add', fd: 0 }]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => p.batch('x'), { code: 'ERR_INVALID_ARG_TYPE' });
  } finally {
    p.close();
    a.close();
    b.close();
  }
});

test('registerMany and unregisterMany register every fd, then throw the first failure listing all', async (t) => {
  const missing = batchMissing();
  if (missing) return t.skip(missing);
  const pairs = await Promise.all([tcpPair(), tcpPair(), tcpPair()]);
  const sockets = pairs.map((pair) => pair.quiet);
  const p = new Poller();
  try {
    p.registerMany(sockets.slice(0, 2), repoll.IN, [10, 2n ** 63n]);
    assert.throws(() => p.registerMany(sockets, [repoll.IN, repoll.IN, repoll.OUT]), (err) => {
      assert.equal(err.code, 'EEXIST');
      assert.deepEqual(err.failures.map((f) => [f.index, f.error.code]), [[0, 'EEXIST'], [1, 'EEXIST']]);
      return true;
    });
    for (const pair of pairs) pair.peer.write('x');
    const seen = new Map(); // level-triggered: the same event may come back
    while (seen.size < 3) for (const [data, events] of p.waitSync(-1)) seen.set(data, events);
    assert.deepEqual(seen, new Map([[10, repoll.IN], [2n ** 63n, repoll.IN], [sockets[2]._handle.fd, repoll.OUT]]));
    p.unregisterMany(sockets);
    assert.deepEqual(p.waitSync(0), []);
    assert.throws(() => p.unregisterMany(sockets.slice(1)), (err) => err.code === 'ENOENT' && err.failures.length === 2);
    assert.throws(() => p.registerMany(sockets, [repoll.IN]), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => p.registerMany(sockets, repoll.IN, [1]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => p.registerMany([sockets[0], 'x']), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepEqual(p.waitSync(0), [], 'a bad argument registers nothing');
  } finally {
    p.close();
    for (const pair of pairs) pair.close();
  }
});
