import normalized from '../profiles/podman-default.normalized.json' with { type: 'json' };
import { trustFrozen } from './profile.js';
import type { SeccompProfile } from './types.js';

let profile: SeccompProfile | undefined;

/**
 * podman's default profile (containers-common 0.50.1, Apache-2.0: see NOTICE), shipped as
 * data in profiles/podman-default.json: unknown system calls fail with ENOSYS, a list of
 * dangerous ones with EPERM, and privileged calls are allowed only with the capability that
 * makes them meaningful.
 *
 * It is profiles/podman-default.normalized.json, the same profile as validateProfile returns it
 * (scripts/normalize-default.mjs; a test checks that they agree): our own data is not validated
 * on every start (the validator's first run cost the CLI about 3 ms). Deeply frozen, so that
 * loadProfile (and spawn's seccomp option) can take it as it is: to change it, change a copy
 * (`structuredClone(defaultProfile())`), which is validated like any other profile.
 */
export function defaultProfile(): SeccompProfile {
  profile ??= trustFrozen(normalized as SeccompProfile);
  return profile;
}
