import { oneFileAtATime } from '../../vitest.shared.js';

export default oneFileAtATime;
