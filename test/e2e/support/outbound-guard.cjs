'use strict';
/*
 * Loaded with NODE_OPTIONS=--require into the bot and the Agents Playground by the end-to-end
 * suite. It refuses every TCP connection beyond this machine, as a closed network does, and
 * records the attempt in HWC_OUTBOUND_LOG, so the suite can prove that nothing tried (telemetry,
 * token endpoints, a CDN) instead of passing only because the network happened to be closed.
 * Plain CommonJS: the Playground runs on plain node, without tsx.
 */
const fs = require('node:fs');
const net = require('node:net');

const file = process.env.HWC_OUTBOUND_LOG;

function isLoopback(host) {
  if (host === undefined || host === null || host === '') return true; // node's default: localhost
  const h = String(host)
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || /^::ffff:127\./.test(h);
}

/** Host and port of a connect() call, in any of its forms; undefined for a pipe or socket path. */
function target(args) {
  let first = args[0];
  // net.connect() hands connect() its normalized [options, callback] array.
  if (Array.isArray(first)) first = first[0];
  if (first && typeof first === 'object')
    return first.path ? undefined : { host: first.host, port: first.port };
  if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
  }
  return undefined;
}

if (file) {
  // One line per process it guards, so the suite can tell the guard was there at all.
  const program = process.argv[1] ?? process.argv0;
  fs.appendFileSync(file, `${JSON.stringify({ guarded: program, pid: process.pid })}\n`);
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const to = target(args);
    if (!to || isLoopback(to.host)) return connect.apply(this, args);
    fs.appendFileSync(
      file,
      `${JSON.stringify({ pid: process.pid, program, host: to.host, port: to.port })}\n`,
    );
    const refused = Object.assign(
      new Error(`connect ECONNREFUSED ${to.host}:${to.port} (refused by the e2e outbound guard)`),
      {
        code: 'ECONNREFUSED',
      },
    );
    process.nextTick(() => this.destroy(refused));
    return this;
  };
}
