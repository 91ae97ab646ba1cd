import { TopicSpec } from '@streamfold/messaging';
import { CONTEXTS } from './contexts';

/** Every topic the hosted bounded contexts use; `npm run cli -- topics setup` creates the missing ones. */
export const APP_TOPICS: TopicSpec[] = [
  { name: 'dead_letters', partitions: 3, retentionMs: -1 },
  ...CONTEXTS.flatMap((c) => c.topics),
];
