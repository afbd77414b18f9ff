/**
 * The one line for a command-line usage error, from commander's message: its "error: " prefix
 * dropped, and its suggestion ("(Did you mean --hostname?)", on a line of its own) joined on.
 */
export function usageErrorLine(message: string): string {
  const [first = '', ...rest] = message
    .replace(/^error: /, '')
    .trim()
    .split(/\s*\n\s*/);
  const hint = rest.join(' ').match(/^\(Did you mean (.+)\?\)$/);
  if (hint) return `rootless: ${first}: did you mean ${hint[1]}?`;
  return `rootless: ${[first, ...rest].join(' ')}`;
}
