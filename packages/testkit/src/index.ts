export { testkitFixture } from './fixtures.js';
export {
  listProcesses,
  mountTable,
  type ProcessInfo,
  processesOf,
  removeTree,
  treeListing,
  userTempDir,
} from './host.js';
export {
  buildFeatureImage,
  buildTestImages,
  freePort,
  type RegistryAuth,
  skopeoCopy,
  startRegistry,
  type TestImages,
  type TestRegistry,
} from './registry.js';
export { type RunOptions, type RunResult, runAs, runNodeAs, STANDARD_PATH } from './run.js';
export { noSubidUser, subordinateRange, type TestUser, testUser } from './users.js';
