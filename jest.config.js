// Three tiers, named by suffix: *.unit.spec.ts (pure), *.int.spec.ts (in-memory bus and store),
// *.e2e.spec.ts (real Kafka and PostgreSQL; see test/e2e-env.ts).
const base = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@streamfold/client$': '<rootDir>/apps/client/src', '^@streamfold/([^/]+)$': '<rootDir>/libs/$1/src' },
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
};
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    { ...base, displayName: 'int', testMatch: ['**/*.int.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/e2e-setup.ts'] },
  ],
};
