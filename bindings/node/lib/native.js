'use strict';
// Finds librepoll and its machine-readable API (repoll.json), and declares
// every function with koffi from that file. Nothing here repeats a value of
// the C header: constants, struct layouts and prototypes all come from the
// JSON that build.rs generates beside the header.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const koffi = require('koffi');

const ROOT = path.resolve(__dirname, '..', '..', '..');

// What this binding uses from repoll.json: loading fails, naming what is
// missing, if any of these is absent (test/api.test.js pins that).
const NEEDED = {
  constants: [
    'REPOLL_VERSION_MAJOR', 'REPOLL_IN', 'REPOLL_WAKE', 'REPOLL_SIGNAL', 'REPOLL_CTL_ADD', 'REPOLL_CTL_DEL', 'REPOLL_CTL_MOD',
    'REPOLL_CLOEXEC', 'REPOLL_RETRY_EINTR', 'REPOLL_EPANIC',
  ],
  types: ['repoll_t', 'repoll_event_t'],
  functions: [
    'repoll_create', 'repoll_close', 'repoll_add', 'repoll_modify', 'repoll_delete',
    'repoll_wait_ns', 'repoll_wake', 'repoll_fd', 'repoll_timer_add',
    'repoll_timer_cancel', 'repoll_strerror', 'repoll_version', 'repoll_features',
  ],
};

function libraryCandidates() {
  const env = process.env.REPOLL_LIBRARY;
  if (env) return [['REPOLL_LIBRARY', env]];
  return [
    ['build tree (release)', path.join(ROOT, 'target', 'release', 'librepoll.so')],
    ['build tree (debug)', path.join(ROOT, 'target', 'debug', 'librepoll.so')],
    ['system search path', 'librepoll.so.0'],
  ];
}

// The file the dynamic linker really mapped (a soname gives no path).
function mappedPath(fallback) {
  try {
    for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const file = line.slice(line.indexOf('/'));
      if (line.includes('/') && /\/librepoll\.so[^/]*$/.test(file)) return file;
    }
  } catch { /* no /proc: keep the name we were given */ }
  return fallback;
}

// Where repoll.json may be, in order; lazily, so pkg-config runs only when
// nothing nearer holds it. A build tree has the library in
// target/<profile>[/deps] below the root that holds include/; an
// installation in <prefix>/lib[/<triplet>] below share/repoll/.
function* apiCandidates(libPath) {
  const env = process.env.REPOLL_API_JSON;
  if (env) {
    yield ['REPOLL_API_JSON', env];
    return;
  }
  let dir = path.dirname(fs.realpathSync(libPath));
  for (let up = 0; up < 4; up++, dir = path.dirname(dir)) {
    yield ['build tree', path.join(dir, 'include', 'repoll.json')];
    yield ['installation', path.join(dir, 'share', 'repoll', 'repoll.json')];
  }
  let apidir = '';
  try {
    apidir = execFileSync('pkg-config', ['--variable=apidir', 'repoll'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* no pkg-config or no repoll.pc */ }
  yield ['pkg-config --variable=apidir repoll', apidir ? path.join(apidir, 'repoll.json') : '(not set)'];
}

function loadLibrary(exact) {
  const tried = [];
  for (const [where, file] of exact ? [['the main thread\'s library', exact]] : libraryCandidates()) {
    if (file.includes('/') && !fs.existsSync(file)) {
      tried.push(`  ${where}: ${file} (no such file)`);
      continue;
    }
    try {
      const lib = koffi.load(file);
      return { lib, file: mappedPath(file) };
    } catch (e) {
      tried.push(`  ${where}: ${file} (${e.message})`);
    }
  }
  throw new Error(
    'repoll: cannot load the shared library librepoll.so; tried:\n' + tried.join('\n') +
    '\nFix: build it in the repository with `make build` (or `cargo build`), or set ' +
    'REPOLL_LIBRARY to the full path of librepoll.so, or install it where the dynamic ' +
    'linker finds librepoll.so.0.');
}

function loadApi(libPath) {
  const tried = [];
  for (const [where, file] of apiCandidates(libPath)) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      tried.push(`  ${where}: ${file} (${e.code || e.message})`);
      continue;
    }
    return { api: JSON.parse(text), file: path.resolve(file) };
  }
  throw new Error(
    `repoll: found the library (${libPath}) but not its API description repoll.json; tried:\n` +
    tried.join('\n') + '\nFix: run `make header` (or `cargo build`) in the build tree, or ' +
    '`make install`, which puts it in <prefix>/share/repoll/, or set REPOLL_API_JSON to its full path.');
}

// Indexes the JSON by name and checks that everything NEEDED is there.
function indexApi(api) {
  const index = {};
  const missing = [];
  for (const kind of ['constants', 'types', 'functions']) {
    index[kind] = new Map((api[kind] || []).map((item) => [item.name, item]));
    for (const name of NEEDED[kind] || []) {
      if (!index[kind].has(name)) missing.push(`${kind}: ${name}`);
    }
  }
  if (missing.length) {
    throw new Error(`repoll: repoll.json lacks what this binding needs: ${missing.join(', ')}`);
  }
  return index;
}

// The koffi type for a C type of repoll.json. The handle is carried as its
// address (an integer), not as a koffi pointer object, so that the same
// value can be posted to the worker threads that run blocking waits. Arrays
// of structs are passed as Buffers laid out from the JSON's field offsets.
function koffiType(cType, direction, structs) {
  const t = cType.replace(/^const /, '').trim();
  if (t === 'repoll_t *') return 'uintptr_t';
  if (t === 'repoll_t **') return '_Out_ uintptr_t *';
  const pointee = t.endsWith('*') ? t.slice(0, -1).trim() : null;
  if (pointee && structs.has(pointee)) return 'uint8_t *';
  if (pointee && direction === 'out') return `_Out_ ${t}`;
  return cType;
}

function declare(lib, fn, structs) {
  const params = fn.params.map((p) => koffiType(p.type, p.direction, structs));
  return lib.func(fn.name, fn.returns, params);
}

// `libraryFile`: the exact file to load (worker threads pass the main
// thread's, so that both use one copy of the library and one handle space).
function load(libraryFile) {
  const { lib, file } = loadLibrary(libraryFile);
  const { api, file: apiFile } = loadApi(file);
  const index = indexApi(api);
  const structs = new Set(
    [...index.types.values()].filter((t) => t.kind === 'struct' || t.kind === 'opaque').map((t) => t.name));
  const fns = {};
  for (const fn of index.functions.values()) {
    try {
      fns[fn.name] = declare(lib, fn, structs);
    } catch (e) {
      if (NEEDED.functions.includes(fn.name)) {
        throw new Error(`repoll: ${file} lacks ${fn.name}, which its repoll.json (${apiFile}) declares: ${e.message}`);
      }
      // A function this binding can do without (repoll_ctl_batch with a 0.1
      // library): the method that needs it reports ENOSYS.
    }
  }
  const constants = {};
  for (const c of index.constants.values()) constants[c.name] = c.value;
  const major = Number(fns.repoll_version().split('.')[0]);
  if (major !== constants.REPOLL_VERSION_MAJOR) {
    throw new Error(`repoll: ${file} is version ${fns.repoll_version()} but ${apiFile} describes major ` +
      `version ${constants.REPOLL_VERSION_MAJOR}; rebuild, or point REPOLL_LIBRARY at a matching build`);
  }
  return { fns, constants, types: index.types, libraryPath: file, apiPath: apiFile };
}

module.exports = { load, NEEDED };
