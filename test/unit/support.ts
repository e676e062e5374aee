import { existsSync } from 'node:fs';
import * as path from 'node:path';

// Tests are bundled to out/test/unit/, three levels below the repository root.
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SHIPPED_MODEL = path.join(ROOT, 'models', 'bbrac');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** The shipped model, plus the one the training smoke run just exported when MEDNER_SMOKE_MODEL names it. */
export function modelDirs(): string[] {
  const dirs = [SHIPPED_MODEL];
  const smoke = process.env.MEDNER_SMOKE_MODEL;
  if (smoke) dirs.push(smoke);
  return dirs.filter((d) => existsSync(path.join(d, 'model.json')));
}

export function fixturePath(name: string): string {
  return path.join(FIXTURES, name);
}
