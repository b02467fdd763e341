'use strict';
// repoll for Node.js: Linux epoll with a Rust core, through koffi.
//
//   const repoll = require('repoll');
//   const poller = new repoll.Poller();
//   poller.register(fd, repoll.IN, 1);
//   for (const [data, events] of await poller.wait(1000)) { ... }
//   poller.close();
//
// Constants, struct layouts and prototypes come from the library's
// repoll.json (see lib/native.js); README.md documents the API.

const os = require('node:os');
const native = require('./lib/native');
const { WaitThreads } = require('./lib/wait-threads');
const { libraryError, invalidArgType, outOfRange } = require('./lib/errors');

const { fns, constants, types, libraryPath, apiPath } = native.load();

// Events and batch ops are read and written little-endian (as on every
// platform koffi ships prebuilt for): refuse anything else outright.
if (os.endianness() !== 'LE') throw new Error('repoll: this binding supports little-endian hosts only');

// ---- constants: REPOLL_IN -> IN, ... (all of repoll.json's) ----------------

const C = {};
for (const [name, value] of Object.entries(constants)) {
  if (name.startsWith('REPOLL_') && typeof value === 'number') C[name.slice(7)] = value;
}
Object.freeze(C);

// ---- struct layouts, from repoll.json -------------------------------------

function layout(typeName) {
  const t = types.get(typeName);
  if (!t) return null;
  const offsets = Object.fromEntries(t.fields.map((f) => [f.name, f.offset]));
  return { size: t.size, ...offsets };
}
const EVENT = layout('repoll_event_t');
const CTL_OP = layout('repoll_ctl_op_t');

const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;
const INT_MAX = 2 ** 31 - 1;
const U32_MAX = 2 ** 32 - 1;

// ---- conversions ------------------------------------------------------------

function check(rc, syscall) {
  if (rc < 0) throw libraryError(rc, syscall, fns.repoll_strerror, C.EPANIC);
  return rc;
}

function ebadf(syscall) {
  return libraryError(-os.constants.errno.EBADF, syscall, fns.repoll_strerror, C.EPANIC);
}

function int(value, name, min, max) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

// An fd: a number, or an object that owns one: fs.FileHandle and Poller
// (`.fd`), net.Socket / net.Server / dgram sockets once bound (`._handle.fd`).
function fdOf(target) {
  if (typeof target === 'number') return int(target, 'fd', -(2 ** 31), INT_MAX);
  if (target !== null && typeof target === 'object') {
    if (typeof target.fd === 'number') return int(target.fd, 'fd', -(2 ** 31), INT_MAX);
    if (target._handle && typeof target._handle.fd === 'number' && target._handle.fd >= 0) {
      return target._handle.fd;
    }
  }
  throw invalidArgType('fd', 'a number or an object with an fd (fs.FileHandle, net.Socket, Poller)', target);
}

// data: a Number (safe integer >= 0) or a BigInt in [0, 2^64).
function u64(value, name) {
  if (typeof value === 'bigint') {
    if (value < 0n || value > U64_MAX) throw outOfRange(name, '>= 0 and < 2 ** 64', value);
    return value;
  }
  return int(value, name, 0, Number.MAX_SAFE_INTEGER);
}

// Milliseconds (the unit of setTimeout) as int64 nanoseconds, rounded UP so
// that a wait or timer is never early. Undefined, null and negative values
// become `negative`; Infinity and anything past 2^63-1 ns saturate (a wait
// that long blocks, a timer that far never fires), never wrap.
function ns(ms, name, negative) {
  if (ms === undefined || ms === null) return negative;
  if (typeof ms !== 'number') throw invalidArgType(name, 'of type number (milliseconds)', ms);
  if (Number.isNaN(ms)) throw outOfRange(name, 'a number of milliseconds', ms);
  if (ms < 0) return negative;
  const n = Math.ceil(ms * 1e6);
  if (n <= Number.MAX_SAFE_INTEGER) return n;
  return !Number.isFinite(n) || BigInt(n) > I64_MAX ? I64_MAX : BigInt(n);
}

// Writes a u64() value; a Number as two 32-bit halves (no BigInt).
function writeU64(buffer, at, value) {
  if (typeof value === 'bigint') {
    buffer.writeBigUInt64LE(value, at);
  } else {
    buffer.writeUInt32LE(value % 2 ** 32, at);
    buffer.writeUInt32LE(Math.floor(value / 2 ** 32), at + 4);
  }
}

// Reads the events of one wait. A data below 2^53 is read as two 32-bit
// halves (no BigInt on the common path).
function decode(bytes, count, bigint) {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * EVENT.size;
    const high = view.readUInt32LE(at + EVENT.data + 4);
    const data = bigint || high >= 2 ** 21
      ? view.readBigUInt64LE(at + EVENT.data)
      : high * 2 ** 32 + view.readUInt32LE(at + EVENT.data);
    out[i] = [data, view.readUInt32LE(at + EVENT.events)];
  }
  return out;
}

// ---- module functions --------------------------------------------------------

/** The loaded library's version, "MAJOR.MINOR.PATCH". */
function version() {
  return fns.repoll_version();
}

/** The FEATURE_* bits the running kernel supports. */
function features() {
  return fns.repoll_features();
}

/** The library's description of any return code. */
function strerror(code) {
  return fns.repoll_strerror(int(code, 'code', -(2 ** 31), INT_MAX));
}

// ---- the poller -----------------------------------------------------------

let waitThreads = null; // started with the first awaited wait

// A safety net: a Poller that is garbage-collected without close() releases
// its handle here. Only when no wait is pending: a pending wait holds the
// Poller (through its promise callbacks), so it is never collected mid-wait.
const leaked = new FinalizationRegistry((handle) => fns.repoll_close(handle));

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

class Poller {
  #handle;
  #closed = false;
  #inflight = 0; // awaited waits running on a wait thread
  #maxevents;
  #bigint;
  #syncBuffer = null;
  #signals = new Map(); // name -> its process.on listener
  #pendingSignals = new Map(); // name -> data, delivered since the last wait returned
  #userWake = false; // a wake() since the last WAKE event was reported

  /**
   * @param {object} [options]
   * @param {number} [options.maxevents=1024] most events one wait returns
   * @param {number} [options.flags=CLOEXEC|RETRY_EINTR] repoll_create flags
   * @param {boolean} [options.bigint=false] report every data as a BigInt
   */
  constructor({ maxevents = 1024, flags = C.CLOEXEC | C.RETRY_EINTR, bigint = false } = {}) {
    this.#maxevents = int(maxevents, 'maxevents', 1, Math.floor(INT_MAX / EVENT.size));
    this.#bigint = Boolean(bigint);
    const out = [null];
    check(fns.repoll_create(out, int(flags, 'flags', -(2 ** 31), INT_MAX)), 'repoll_create');
    this.#handle = out[0];
    leaked.register(this, this.#handle, this);
  }

  #live(syscall) {
    if (this.#closed) throw ebadf(syscall);
    return this.#handle;
  }

  /** True once close() was called. */
  get closed() {
    return this.#closed;
  }

  /** The most events one wait returns. */
  get maxevents() {
    return this.#maxevents;
  }

  /**
   * The epoll fd, readable when a wait would return events: register it in
   * another Poller to nest. Owned by the poller: do not close it.
   */
  get fd() {
    return check(fns.repoll_fd(this.#live('repoll_fd')), 'repoll_fd');
  }

  /**
   * Closes the poller. Idempotent; never blocks. A pending wait() rejects
   * with EBADF; the handle is released once no wait thread uses it.
   */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    leaked.unregister(this);
    for (const name of [...this.#signals.keys()]) this.#dropSignal(name);
    if (this.#inflight === 0) {
      check(fns.repoll_close(this.#handle), 'repoll_close');
    } else {
      fns.repoll_wake(this.#handle); // the waits return, and the last one releases
    }
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Poller <${this.#closed ? 'closed' : `maxevents=${this.#maxevents}`}>`;
  }

  // -- file descriptors --

  /**
   * Watches `target` (an fd or an object owning one) for `events`; waits
   * report `data` (Number or BigInt, default: the fd). EEXIST if already
   * registered.
   */
  register(target, events = C.IN, data) {
    const fd = fdOf(target);
    const rc = fns.repoll_add(this.#live('repoll_add'), fd, int(events, 'events', 0, U32_MAX),
      data === undefined ? Math.max(fd, 0) : u64(data, 'data'));
    check(rc, 'repoll_add');
  }

  /** Changes a registration's events and data; re-arms ONESHOT. ENOENT if not registered. */
  modify(target, events, data) {
    const fd = fdOf(target);
    const rc = fns.repoll_modify(this.#live('repoll_modify'), fd, int(events, 'events', 0, U32_MAX),
      data === undefined ? Math.max(fd, 0) : u64(data, 'data'));
    check(rc, 'repoll_modify');
  }

  /** Stops watching `target`. ENOENT if not registered. */
  unregister(target) {
    const fd = fdOf(target);
    check(fns.repoll_delete(this.#live('repoll_delete'), fd), 'repoll_delete');
  }

  /**
   * Applies many register / modify / unregister operations in one library
   * call (repoll_ctl_batch), in order. Each op is { op: 'register' |
   * 'modify' | 'unregister', fd, events, data } (fd: anything register
   * takes). Returns one entry per op: null if it succeeded, else its Error
   * (code, errno, syscall). One failing op does not stop the others.
   */
  batch(ops) {
    if (!Array.isArray(ops)) throw invalidArgType('ops', 'an Array', ops);
    const OPS = { register: C.CTL_ADD, modify: C.CTL_MOD, unregister: C.CTL_DEL };
    const codes = ops.map((o, i) => {
      const op = OPS[o && o.op];
      if (op === undefined) throw invalidArgType(`ops[${i}].op`, "'register', 'modify' or 'unregister'", o && o.op);
      return op;
    });
    return this.#ctlBatch(ops.length, (i) => codes[i], (i) => ops[i].fd,
      (i) => (ops[i].events === undefined ? (codes[i] === C.CTL_DEL ? 0 : C.IN) : ops[i].events),
      (i) => ops[i].data);
  }

  /**
   * Registers every fd of `targets` in one library call, as register() would
   * one by one. `events`: one mask for all, or an array with one per fd;
   * `data`: undefined (each fd's data is the fd) or an array with one value
   * per fd. All are tried, in order; if any failed, throws the first
   * failure's Error, whose `failures` lists every { index, error } (the
   * others stay registered).
   */
  registerMany(targets, events = C.IN, data) {
    if (!Array.isArray(targets)) throw invalidArgType('targets', 'an Array', targets);
    if (Array.isArray(events) && events.length !== targets.length) {
      throw outOfRange('events.length', `${targets.length} (one per fd)`, events.length);
    }
    if (data !== undefined && !(Array.isArray(data) && data.length === targets.length)) {
      throw invalidArgType('data', `undefined or an Array of ${targets.length} values`, data);
    }
    const eventsOf = Array.isArray(events) ? (i) => events[i] : () => events;
    this.#throwFailures(this.#ctlBatch(targets.length, () => C.CTL_ADD, (i) => targets[i], eventsOf,
      data === undefined ? () => undefined : (i) => data[i]));
  }

  /** Unregisters every fd of `targets` in one call; failures as registerMany. */
  unregisterMany(targets) {
    if (!Array.isArray(targets)) throw invalidArgType('targets', 'an Array', targets);
    this.#throwFailures(this.#ctlBatch(targets.length, () => C.CTL_DEL, (i) => targets[i], () => 0, () => 0));
  }

  // One repoll_ctl_batch of `n` ops, the i-th being opOf(i) on targetOf(i)
  // with eventsOf(i) and dataOf(i) (undefined: the fd). Every argument is
  // checked before the call, so a bad one applies nothing. Returns each
  // op's null or Error. Fields are stored through 32-bit views of the ops
  // array (the JSON's offsets are multiples of 4 for these fields).
  #ctlBatch(n, opOf, targetOf, eventsOf, dataOf) {
    if (!fns.repoll_ctl_batch || !CTL_OP) {
      const err = new Error(`repoll: ${libraryPath} has no repoll_ctl_batch (a library older than 0.2)`);
      err.code = 'ENOSYS';
      throw err;
    }
    const buffer = Buffer.alloc(Math.max(n, 1) * CTL_OP.size);
    const i32 = new Int32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
    const u32 = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
    const stride = CTL_OP.size / 4;
    for (let i = 0, at = 0; i < n; i++, at += stride) {
      const fd = fdOf(targetOf(i));
      const data = dataOf(i);
      i32[at + CTL_OP.op / 4] = opOf(i);
      i32[at + CTL_OP.fd / 4] = fd;
      u32[at + CTL_OP.events / 4] = int(eventsOf(i), `events[${i}]`, 0, U32_MAX);
      writeU64(buffer, at * 4 + CTL_OP.data, data === undefined ? Math.max(fd, 0) : u64(data, `data[${i}]`));
    }
    check(fns.repoll_ctl_batch(this.#live('repoll_ctl_batch'), buffer, n), 'repoll_ctl_batch');
    const results = new Array(n).fill(null);
    for (let i = 0, at = CTL_OP.result / 4; i < n; i++, at += stride) {
      if (i32[at] < 0) results[i] = libraryError(i32[at], 'repoll_ctl_batch', fns.repoll_strerror, C.EPANIC);
    }
    return results;
  }

  #throwFailures(results) {
    const failures = [];
    results.forEach((error, index) => error && failures.push({ index, error }));
    if (!failures.length) return;
    const { error } = failures[0];
    error.failures = failures;
    throw error;
  }

  // -- waiting --

  /**
   * Waits for events without blocking the event loop or libuv's thread
   * pool (the call runs on a thread of its own; a poll, timeoutMs 0, runs
   * here, since it never blocks). Resolves with an array of
   * [data, events] pairs, [] when `timeoutMs` passed. `timeoutMs`:
   * undefined, negative or Infinity blocks; 0 polls; otherwise at least
   * that many milliseconds (fractions allowed). Rejects with EBADF when the
   * poller is closed meanwhile.
   */
  async wait(timeoutMs) {
    let timeoutNs = ns(timeoutMs, 'timeoutMs', -1);
    const handle = this.#live('repoll_wait_ns');
    const deadline = typeof timeoutNs === 'number' && timeoutNs > 0 ? process.hrtime.bigint() + BigInt(timeoutNs) : null;
    waitThreads ||= new WaitThreads(libraryPath, fns.repoll_wake);
    for (;;) {
      // A poll never blocks: no thread needed. Pending signals are reported
      // at once, with whatever else is ready.
      if (timeoutNs === 0 || this.#pendingSignals.size) return this.waitSync(0);
      this.#inflight++;
      let result;
      try {
        result = await waitThreads.run({ handle, maxevents: this.#maxevents, timeoutNs, eventSize: EVENT.size });
      } finally {
        this.#leave();
      }
      if (this.#closed) throw ebadf('repoll_wait_ns');
      const events = this.#report(check(result.rc, 'repoll_wait_ns'), result.bytes);
      if (events.length) return events;
      // Only a signal bridge's internal wake came back: wait on.
      if (deadline !== null) {
        const left = deadline - process.hrtime.bigint();
        if (left <= 0n) return events;
        timeoutNs = Number(left);
      }
    }
  }

  #leave() {
    this.#inflight--;
    if (!this.#closed) return;
    if (this.#inflight === 0) fns.repoll_close(this.#handle);
    else fns.repoll_wake(this.#handle); // another waiter may still be blocked
  }

  /**
   * Waits in the calling thread (blocking it): for worker threads, or a
   * poll with timeoutMs 0. Same timeout and result as wait().
   */
  waitSync(timeoutMs) {
    const timeoutNs = ns(timeoutMs, 'timeoutMs', -1);
    const handle = this.#live('repoll_wait_ns');
    this.#syncBuffer ||= Buffer.alloc(this.#maxevents * EVENT.size);
    const rc = fns.repoll_wait_ns(handle, this.#syncBuffer, this.#maxevents, timeoutNs);
    return this.#report(check(rc, 'repoll_wait_ns'), this.#syncBuffer);
  }

  // The events of one wait, with the signal bridge's wakes taken out and
  // the signals it received since the last report added.
  #report(count, bytes) {
    let events = decode(bytes, count, this.#bigint);
    if (events.some(([, e]) => e === C.WAKE)) {
      if (this.#userWake) this.#userWake = false;
      else events = events.filter(([, e]) => e !== C.WAKE);
    }
    if (this.#pendingSignals.size) {
      for (const data of this.#pendingSignals.values()) events.push([data, C.SIGNAL]);
      this.#pendingSignals.clear();
    }
    return events;
  }

  /**
   * Makes a pending wait (or the next one) return a [0, WAKE] event; wakes
   * coalesce.
   */
  wake() {
    const handle = this.#live('repoll_wake');
    this.#userWake = true;
    check(fns.repoll_wake(handle), 'repoll_wake');
  }

  // -- timers --

  /**
   * Starts a timer due `firstMs` from now, then every `intervalMs` (0:
   * once), reported as [data, TIMER]; times round up to nanoseconds.
   * Returns its id, a Number. EINVAL for a negative time.
   */
  addTimer(firstMs, intervalMs = 0, data = 0) {
    const first = ns(firstMs, 'firstMs', -1);
    const interval = ns(intervalMs, 'intervalMs', -1);
    const out = [null];
    const rc = fns.repoll_timer_add(this.#live('repoll_timer_add'), first, interval, u64(data, 'data'), out);
    check(rc, 'repoll_timer_add');
    return Number(out[0]);
  }

  /** Cancels a timer. ENOENT for an unknown id or a one-shot that fired. */
  cancelTimer(id) {
    const rc = fns.repoll_timer_cancel(this.#live('repoll_timer_cancel'), int(id, 'id', 0, Number.MAX_SAFE_INTEGER));
    check(rc, 'repoll_timer_cancel');
  }

  // -- signals --

  /**
   * Reports signal `signal` ('SIGINT' or its number) as [data, SIGNAL]
   * (data defaults to the number) to awaited waits. Node receives the
   * signal itself (process.on) and wakes the poller: see the README for why
   * repoll_signal_add cannot see signals in Node. EEXIST if already added.
   */
  addSignal(signal, data) {
    this.#live('addSignal');
    const name = signalName(signal);
    const signo = os.constants.signals[name];
    if (this.#signals.has(name)) throw libraryError(-os.constants.errno.EEXIST, 'addSignal', fns.repoll_strerror, C.EPANIC);
    const value = data === undefined ? signo : u64(data, 'data');
    const listener = () => {
      this.#pendingSignals.set(name, value);
      if (this.#inflight > 0) fns.repoll_wake(this.#handle);
    };
    process.on(name, listener);
    this.#signals.set(name, listener);
  }

  /** Stops reporting `signal`; Node's default action applies again. ENOENT if not added. */
  removeSignal(signal) {
    this.#live('removeSignal');
    const name = signalName(signal);
    if (!this.#signals.has(name)) throw libraryError(-os.constants.errno.ENOENT, 'removeSignal', fns.repoll_strerror, C.EPANIC);
    this.#dropSignal(name);
  }

  #dropSignal(name) {
    process.removeListener(name, this.#signals.get(name));
    this.#signals.delete(name);
    this.#pendingSignals.delete(name);
  }
}

// A signal's name, for process.on; EINVAL for what Node cannot listen to.
function signalName(signal) {
  let name = signal;
  if (typeof signal === 'number') name = SIGNAL_NAMES.get(signal);
  else if (typeof signal !== 'string') throw invalidArgType('signal', "a signal name ('SIGINT') or number", signal);
  if (!name || !(name in os.constants.signals) || name === 'SIGKILL' || name === 'SIGSTOP') {
    throw libraryError(-os.constants.errno.EINVAL, 'addSignal', fns.repoll_strerror, C.EPANIC);
  }
  return name;
}

if (Symbol.dispose) {
  Poller.prototype[Symbol.dispose] = Poller.prototype.close;
}
if (Symbol.asyncDispose) {
  Poller.prototype[Symbol.asyncDispose] = async function asyncDispose() {
    this.close();
  };
}

module.exports = {
  Poller,
  version,
  features,
  strerror,
  constants: C,
  ...C,
  libraryPath,
  apiPath,
};
