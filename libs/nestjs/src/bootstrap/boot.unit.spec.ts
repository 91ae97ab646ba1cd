import { loadConfig } from '@streamfold/runtime';
import { withDefaults } from './boot';

describe('withDefaults (an application\'s own settings under the environment)', () => {
  const defaults = { HTTP_ADAPTER: 'fastify' };

  it('fills a variable the environment leaves unset', () => {
    expect(loadConfig(withDefaults({}, defaults)).httpAdapter).toBe('fastify');
  });

  it('lets a variable the environment sets win', () => {
    expect(loadConfig(withDefaults({ HTTP_ADAPTER: 'express' }, defaults)).httpAdapter).toBe('express');
  });

  it('treats an empty variable as unset, as loadConfig does', () => {
    expect(loadConfig(withDefaults({ HTTP_ADAPTER: '' }, defaults)).httpAdapter).toBe('fastify');
  });

  it('leaves the environment it was given untouched', () => {
    const env = { PORT: '8080' };
    withDefaults(env, defaults);
    expect(env).toEqual({ PORT: '8080' });
  });
});
