/** The rows of the child's table (steps.ts), by name, in order. */
export const CHILD_STEP_NAMES = [
  'death-signal',
  'identity',
  'id-maps',
  'join',
  'mapped',
  'hold-proc',
  'become-root',
  'session-keyring',
  'hostname',
  'setup',
  'wait-network',
  'seccomp-privileged',
  'switch-user',
  'chdir',
  'resolve',
  'lock-mounts',
  'lock-user',
  'capabilities',
  'no-new-privs',
  'ready',
  'prepare-exec',
  'seccomp',
  'exec',
] as const;
export type ChildStepName = (typeof CHILD_STEP_NAMES)[number];

/** The parent's own steps: before the child exists, or while it talks to it. */
export const PARENT_STEP_NAMES = [
  'options',
  'launcher',
  'handshake',
  'clone',
  'idmap',
  'network',
  'sidecar',
] as const;

/** The step at which starting a process failed: the parent's own, or a row of the child's table. */
export type SpawnStep = (typeof PARENT_STEP_NAMES)[number] | ChildStepName;

export function isSpawnStep(s: unknown): s is SpawnStep {
  return (
    (PARENT_STEP_NAMES as readonly unknown[]).includes(s) ||
    (CHILD_STEP_NAMES as readonly unknown[]).includes(s)
  );
}
