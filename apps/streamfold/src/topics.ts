import { TopicSpec } from '@streamfold/messaging';
import { DEAD_LETTER_TOPIC } from '@streamfold/projections';
import { CONTEXTS } from './contexts';

/** Every topic the hosted bounded contexts use; `npm run cli -- topics setup` creates the missing ones. */
export const APP_TOPICS: TopicSpec[] = [
  DEAD_LETTER_TOPIC,
  ...CONTEXTS.flatMap((c) => c.topics),
];
