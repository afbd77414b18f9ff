// What commander gets for `require('node:child_process')` (tsup.config.ts): the real module,
// loaded on first use. commander needs it only to run executable subcommands, which `rootless`
// has none of, and loading it at start-up also loads node:net, node:dgram and node:stream:
// about 8 ms of every run.
module.exports = new Proxy(
  {},
  {
    get: (_, key) => process.getBuiltinModule('node:child_process')[key],
  },
);
