import nextTypescript from 'eslint-config-next/typescript';

export default [
  ...nextTypescript,
  { ignores: ['.next/**', 'node_modules/**', '.data/**', 'drizzle/**', 'next-env.d.ts', 'test-results/**'] },
];
