/**
 * Preloaded into a test server (NODE_OPTIONS="--expose-gc --import <this file>") so that a test can
 * measure what the server holds: on SIGUSR2 it collects garbage and prints one line,
 *   memory-probe {"held": <bytes of live Buffers/ArrayBuffers>, "received": <bytes read from clients' sockets>}
 * Only what is still referenced after a full collection counts as held.
 */
import net from 'node:net';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  // Server-side sockets are the active handles that belong to a server.
  const sockets = process._getActiveHandles().filter((handle) => handle instanceof net.Socket && handle.server);
  const received = sockets.reduce((total, socket) => total + socket.bytesRead, 0);
  process.stdout.write(`memory-probe ${JSON.stringify({ held: process.memoryUsage().arrayBuffers, received })}\n`);
});
