export * from './processor';
export * from './processor-state';
// Namespaced: their verbs (add, current, upsert, lookup) read well qualified and would collide flat.
export * as windowing from './windows';
export * as temporalTable from './temporal-join';
export * from './batch-processor';
