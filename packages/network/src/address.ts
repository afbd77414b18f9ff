/**
 * node:net's isIP (0, 4 or 6), with node:net loaded on first use: loading it (and node:stream)
 * costs about 6 ms of a command's start, and a run that publishes no port and names no DNS
 * server never asks.
 */
export function isIP(s: string): number {
  return process.getBuiltinModule('node:net').isIP(s);
}
