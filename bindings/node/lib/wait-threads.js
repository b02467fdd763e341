'use strict';
// A process-wide set of worker threads, each running one blocking wait at a
// time (lib/wait-worker.js). A wait takes an idle thread or starts a new
// one, so any number of pollers can wait at once without touching libuv's
// thread pool (koffi's .async() would run there, and 4 pending waits would
// stall fs, dns and zlib). A thread is ref'd only while its wait is
// pending: idle threads never keep the process alive.

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const WORKER = path.join(__dirname, 'wait-worker.js');
const MAX_IDLE = 8; // threads kept for reuse; more are ended when they go idle

class WaitThreads {
  #libraryFile;
  #wake;
  #idle = [];
  #busy = new Set();

  // `wake(handle)`: repoll_wake, used when the process exits with waits
  // pending: Node joins every worker thread on exit, and a thread blocked
  // in C would never be joined.
  constructor(libraryFile, wake) {
    this.#libraryFile = libraryFile;
    this.#wake = wake;
    process.on('exit', () => {
      for (const worker of this.#busy) this.#wake(worker.job.handle);
    });
  }

  // Resolves with the worker's { rc, bytes }; rejects only if the thread
  // itself failed (it could not load the library, or was terminated).
  run(job) {
    const worker = this.#idle.pop() || this.#spawn();
    worker.ref();
    this.#busy.add(worker);
    return new Promise((resolve, reject) => {
      worker.job = { handle: job.handle, resolve, reject };
      worker.postMessage(job);
    });
  }

  #spawn() {
    const worker = new Worker(WORKER, { workerData: { libraryFile: this.#libraryFile } });
    worker.on('message', (result) => {
      const { resolve } = this.#finish(worker);
      if (this.#idle.length < MAX_IDLE) {
        worker.unref();
        this.#idle.push(worker);
      } else {
        worker.terminate();
      }
      resolve(result);
    });
    const fail = (err) => {
      const i = this.#idle.indexOf(worker);
      if (i >= 0) this.#idle.splice(i, 1);
      if (worker.job) this.#finish(worker).reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`repoll: wait thread exited (code ${code})`)));
    return worker;
  }

  #finish(worker) {
    const { job } = worker;
    worker.job = null;
    this.#busy.delete(worker);
    return job;
  }
}

module.exports = { WaitThreads };
