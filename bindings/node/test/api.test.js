'use strict';
// The library and its repoll.json: found, complete, and the only source of
// the binding's constants.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const repoll = require('..');
const { NEEDED } = require('../lib/native');

test('version() is the library major the JSON describes', () => {
  assert.match(repoll.version(), /^\d+\.\d+\.\d+$/);
  assert.equal(Number(repoll.version().split('.')[0]), repoll.VERSION_MAJOR);
});

test('every REPOLL_ constant of repoll.json is exported without its prefix', () => {
  const api = JSON.parse(fs.readFileSync(repoll.apiPath, 'utf8'));
  const numeric = api.constants.filter((c) => typeof c.value === 'number');
  assert.ok(numeric.length > 20);
  for (const c of numeric) {
    assert.equal(repoll[c.name.replace(/^REPOLL_/, '')], c.value, c.name);
    assert.equal(repoll.constants[c.name.replace(/^REPOLL_/, '')], c.value, c.name);
  }
  assert.ok(repoll.ET > 0, 'bit 31 reads as a positive number');
});

test('features() and strerror() come from the library', () => {
  assert.equal(typeof repoll.features(), 'number');
  assert.equal(repoll.strerror(-os.constants.errno.EEXIST), 'File exists');
  assert.throws(() => repoll.strerror(1.5), { code: 'ERR_OUT_OF_RANGE' });
});

// Loads the binding in a child whose REPOLL_LIBRARY points into a copied
// build tree whose repoll.json was edited by `edit`.
function loadWithApi(edit) {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'repoll-node-'));
  try {
    fs.mkdirSync(path.join(tree, 'target', 'debug'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'include'));
    const lib = path.join(tree, 'target', 'debug', 'librepoll.so');
    fs.copyFileSync(repoll.libraryPath, lib);
    const api = JSON.parse(fs.readFileSync(repoll.apiPath, 'utf8'));
    if (edit) fs.writeFileSync(path.join(tree, 'include', 'repoll.json'), JSON.stringify(edit(api)));
    const env = { ...process.env, REPOLL_LIBRARY: lib };
    delete env.REPOLL_API_JSON;
    return spawnSync(process.execPath, ['-e', 'require(process.argv[1])', path.join(__dirname, '..')],
      { env, encoding: 'utf8' });
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

test('loading fails, naming it, when repoll.json lacks something the binding needs', () => {
  const dropped = [['constants', NEEDED.constants[3]], ['types', 'repoll_event_t'], ['functions', 'repoll_wake']];
  for (const [kind, name] of dropped) {
    const r = loadWithApi((api) => ({ ...api, [kind]: api[kind].filter((x) => x.name !== name) }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`lacks what this binding needs: ${kind}: ${name}`));
  }
});

test('a copied build tree loads its own repoll.json', () => {
  const r = loadWithApi((api) => api);
  assert.equal(r.status, 0, r.stderr);
});

test('loading fails listing the places tried when repoll.json is nowhere', () => {
  const r = loadWithApi(null);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not its API description repoll\.json; tried:\n {2}build tree: /);
});

test('REPOLL_LIBRARY naming no file is an error, never a fallback', () => {
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', path.join(__dirname, '..')],
    { env: { ...process.env, REPOLL_LIBRARY: '/nonexistent/librepoll.so' }, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /REPOLL_LIBRARY: \/nonexistent\/librepoll\.so \(no such file\)/);
});
