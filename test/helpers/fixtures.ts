// Builds the C fixture programs once per checkout (cc is installed by .ci/run) and returns their paths.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
const sources = join(root, 'test', 'fixtures');
const built = join(root, 'test', 'fixtures', 'build');

export function fixture(name: 'sigrecord' | 'orphans'): string {
  const source = join(sources, `${name}.c`);
  const binary = join(built, name);
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(built, { recursive: true });
    // Build to a temporary name first: parallel test files may ask for the same fixture.
    const temporary = `${binary}.${process.pid}`;
    execFileSync('cc', ['-O2', '-Wall', '-o', temporary, source]);
    execFileSync('mv', ['-f', temporary, binary]);
  }
  return binary;
}
