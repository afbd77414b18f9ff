// Preloaded (`node -r`) into a benchmarked command: when the process exits, appends one JSON line
// with its memory from /proc/self/status to the file named by ROOTLESS_BENCH_MEMORY. Peak RSS
// (VmHWM) is mostly the node binary's own pages, shared through the page cache (RssFile); the
// anonymous part (RssAnon: heap, stacks, malloc) is what a program controls. V8 rarely gives
// memory back before exit, so RssAnon at exit is close to its peak.
const { appendFileSync, readFileSync } = require('node:fs');

process.on('exit', () => {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a benchmark's preload, not a turbo task
  const file = process.env.ROOTLESS_BENCH_MEMORY;
  if (!file) return;
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status);
    return m ? Number(m[1]) : undefined;
  };
  appendFileSync(
    file,
    `${JSON.stringify({ hwm: kib('VmHWM'), anon: kib('RssAnon'), file: kib('RssFile') })}\n`,
  );
});
