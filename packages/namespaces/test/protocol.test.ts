import { describe, expect, it } from 'vitest';
import { decodeToChild, decodeToParent, LineDecoder, ProtocolError } from '../src/protocol.js';
import { launchConfig } from '../src/spawn.js';

describe('the channel checks every message it decodes', () => {
  it('accepts the messages of the protocol', () => {
    const config = launchConfig({ argv: ['sh'], uid: 1, groups: [2] });
    expect(decodeToChild({ t: 'config', config })).toEqual({ t: 'config', config });
    expect(decodeToChild({ t: 'fds', count: 3 })).toEqual({ t: 'fds', count: 3 });
    expect(decodeToParent({ t: 'pid', pid: 7, intermediate: 6 })).toEqual({
      t: 'pid',
      pid: 7,
      intermediate: 6,
    });
    expect(
      decodeToParent({ t: 'error', error: { step: 'chdir', message: 'x', errno: 2 } }),
    ).toEqual({
      t: 'error',
      error: { step: 'chdir', message: 'x', errno: 2 },
    });
  });

  it('refuses what is not one of them, naming what is wrong', () => {
    const config = launchConfig({ argv: ['sh'] });
    const bad: Array<[() => unknown, RegExp]> = [
      [() => decodeToChild(null), /message is not an object/],
      [() => decodeToChild({ t: 'nope' }), /unknown message "nope"/],
      [() => decodeToChild({ t: 'fds', count: -1 }), /fds count is not an integer/],
      [() => decodeToChild({ t: 'config', config: { ...config, argv: [] } }), /argv is empty/],
      [
        () => decodeToChild({ t: 'config', config: { ...config, argv: [1] } }),
        /argv is not a string/,
      ],
      [
        () => decodeToChild({ t: 'config', config: { ...config, uid: '0' } }),
        /uid is not an integer/,
      ],
      [
        () => decodeToChild({ t: 'config', config: { ...config, namespaces: ['usr'] } }),
        /unknown kind usr/,
      ],
      [() => decodeToParent({ t: 'pid', pid: 0 }), /pid is not an integer/],
      [() => decodeToParent({ t: 'pid', pid: 5, intermediate: 'x' }), /intermediate/],
      [
        () => decodeToParent({ t: 'error', error: { step: 'x', message: 'm' } }),
        /unknown step "x"/,
      ],
      [
        () => decodeToParent({ t: 'error', error: { step: 'chdir' } }),
        /error message is not a string/,
      ],
      [() => new LineDecoder().push('{not json\n'), /not JSON/],
    ];
    for (const [f, why] of bad) {
      expect(f).toThrow(ProtocolError);
      expect(f).toThrow(why);
    }
  });
});
