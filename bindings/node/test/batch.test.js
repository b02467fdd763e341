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
    const seen = [];
    while (seen.length < 2) seen.push(...p.waitSync(-1));
    assert.deepEqual(seen.sort(), [[2n ** 62n, repoll.IN], [b.quiet._handle.fd, repoll.IN]].sort());
    assert.deepEqual(p.batch([]), []);
    assert.throws(() => p.batch([{ op: 'add', fd: 0 }]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => p.batch('x'), { code: 'ERR_INVALID_ARG_TYPE' });
  } finally {
    p.close();
    a.close();
    b.close();
  }
});
