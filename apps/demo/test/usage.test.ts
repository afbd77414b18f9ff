import { describe, expect, it } from 'vitest';
import { usageErrorLine } from '../src/usage.js';

describe("usageErrorLine: commander's usage errors as one line", () => {
  it('drops the "error: " prefix', () => {
    expect(usageErrorLine("error: unknown option '-p'\n")).toBe("rootless: unknown option '-p'");
  });

  it('joins the suggestion onto the line', () => {
    expect(usageErrorLine("error: unknown option '--hostnme'\n(Did you mean --hostname?)\n")).toBe(
      "rootless: unknown option '--hostnme': did you mean --hostname?",
    );
    expect(usageErrorLine("error: unknown command 'rn'\n(Did you mean run?)")).toBe(
      "rootless: unknown command 'rn': did you mean run?",
    );
  });

  it('keeps any other message on one line', () => {
    expect(usageErrorLine("error: missing required argument 'command'\n  more\n")).toBe(
      "rootless: missing required argument 'command' more",
    );
  });
});
