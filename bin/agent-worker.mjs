// Worker-thread entry of the agent pool: registers tsx (workers do not inherit the main thread's
// loader), then runs the TypeScript worker module.
import { register } from 'tsx/esm/api';

register();
await import('./commands/agent-worker.ts');
