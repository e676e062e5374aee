// Pictures of the live workbench for the README: only when the runner was given SCREENSHOT_DIR.
import { existsSync, writeFileSync } from 'node:fs';

export async function screenshot(name: string): Promise<void> {
  const request = process.env.EXT_SCREENSHOT_REQUEST;
  if (!request) return;
  writeFileSync(request, name);
  // The runner removes the request once the picture is saved.
  for (let i = 0; i < 100 && existsSync(request); i++) await new Promise((r) => setTimeout(r, 100));
}
