'use strict';
// Shared fixtures: a connected TCP pair whose accepting side libuv never
// reads (pauseOnConnect), so the tests' pollers see its data untouched.

const net = require('node:net');
const fs = require('node:fs');
const { once } = require('node:events');

async function tcpPair() {
  const server = net.createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  const [[accepted]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
  server.close();
  return {
    quiet: accepted, // never read by libuv: poll it
    peer: client, // write here to make `quiet` readable
    close() {
      accepted.destroy();
      client.destroy();
    },
  };
}

function openFdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}

module.exports = { tcpPair, openFdCount };
