// Resolves the @streamfold/* aliases at run time, for the compiled tree (dist/) and ts-node alike.
// Must be the first import of every entry point.
import { resolve } from 'node:path';
import { register } from 'tsconfig-paths';

register({ baseUrl: resolve(__dirname, '../../..'), paths: { '@streamfold/*': ['libs/*/src'] } });
