import podman from '../profiles/podman-default.json' with { type: 'json' };
import { validateProfile } from './profile.js';
import type { SeccompProfile } from './types.js';

/**
 * podman's default profile (containers-common 0.50.1, Apache-2.0: see NOTICE), shipped as
 * data in profiles/podman-default.json: unknown system calls fail with ENOSYS, a list of
 * dangerous ones with EPERM, and privileged calls are allowed only with the capability that
 * makes them meaningful.
 */
export function defaultProfile(): SeccompProfile {
  return validateProfile(podman, 'podman-default.json');
}
