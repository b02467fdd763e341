'use strict';
// The README's example and examples/ run as written.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const HERE = path.join(__dirname, '..');

test("the README's example runs as written", () => {
  const readme = fs.readFileSync(path.join(HERE, 'README.md'), 'utf8');
  const code = readme.match(/## Example\n\n```js\n([\s\S]*?)```/)[1];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: HERE, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'tick 1 data 2\ntick 2 data 2\ntick 3 data 2\n');
});

test('examples/ticker.js --self-test: ticks, then SIGTERM comes back as an event', () => {
  const r = spawnSync(process.execPath, [path.join(HERE, 'examples', 'ticker.js'), '--self-test'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ticker self-test: 3 ticks, SIGTERM, .* ok\n$/);
});
