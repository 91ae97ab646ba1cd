// The public API under test.
export * from '@streamfold/projections';
