'use strict';
// Errors shaped like node:fs's: `code` 'EEXIST', `errno` the negative errno
// (libuv's convention, as in fs errors), `syscall` the repoll function.

const os = require('node:os');

const CODE_OF_ERRNO = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

// `rc` is a library return value < 0; `strerror` is the library's text.
function libraryError(rc, syscall, strerror, epanic) {
  const errno = -rc;
  const code = errno === epanic ? 'REPOLL_EPANIC' : CODE_OF_ERRNO.get(errno) || `E${errno}`;
  const err = new Error(`${code}: ${strerror(rc)}, ${syscall}`);
  err.errno = rc;
  err.code = code;
  err.syscall = syscall;
  Error.captureStackTrace(err, libraryError);
  return err;
}

// Node's own argument errors (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE).
function invalidArgType(name, expected, value) {
  const got = value === null ? 'null' : typeof value;
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received type ${got}`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

function outOfRange(name, range, value) {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`);
  err.code = 'ERR_OUT_OF_RANGE';
  return err;
}

module.exports = { libraryError, invalidArgType, outOfRange };
