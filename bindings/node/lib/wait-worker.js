'use strict';
// Runs blocking repoll_wait_ns calls for the main thread's awaited waits, on
// a thread of its own, so that they never occupy libuv's thread pool nor
// block the event loop. One job at a time: { handle, maxevents, timeoutNs,
// eventSize } in, { rc, bytes } out (bytes: the rc events written).

const { parentPort, workerData } = require('node:worker_threads');
const { load } = require('./native');

const { fns } = load(workerData.libraryFile);
let buffer = Buffer.alloc(0);

parentPort.on('message', ({ handle, maxevents, timeoutNs, eventSize }) => {
  if (buffer.length < maxevents * eventSize) buffer = Buffer.alloc(maxevents * eventSize);
  const rc = fns.repoll_wait_ns(handle, buffer, maxevents, timeoutNs);
  const bytes = new Uint8Array(buffer.subarray(0, rc > 0 ? rc * eventSize : 0));
  parentPort.postMessage({ rc, bytes }, [bytes.buffer]);
});
