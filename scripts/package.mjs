// `npm run package [-- --target linux-x64] [--out FILE]`: builds the VSIX for one platform with @vscode/vsce.
// onnxruntime-node ships native binaries for every platform (~290 MB); a VSIX carries only its
// target's. .vscodeignore is the allow-list for linux-x64; other targets get a copy of it with
// their own binary folder, passed to vsce with --ignoreFile.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_MB = 45;
const i = process.argv.indexOf('--target');
const target = i >= 0 ? process.argv[i + 1] : 'linux-x64';
const [platform, arch] = target.split('-');

const binaries = path.join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6');
const available = readdirSync(binaries).flatMap((p) => readdirSync(path.join(binaries, p)).map((a) => `${p}-${a}`));
if (!available.includes(target)) {
  console.error(`medner package: onnxruntime-node has no binaries for ${target}; available: ${available.join(', ')}`);
  process.exit(2);
}

const allowList = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
if (!allowList.includes('napi-v6/linux/x64/')) throw new Error('.vscodeignore no longer names the linux/x64 binaries');
const outDir = path.join(ROOT, 'out');
mkdirSync(outDir, { recursive: true });
const ignoreFile = path.join(outDir, `vscodeignore.${target}`);
writeFileSync(ignoreFile, allowList.replaceAll('napi-v6/linux/x64/', `napi-v6/${platform}/${arch}/`));

// Only the runtime packages ship: onnxruntime-node's install-time dependencies (adm-zip,
// global-agent, which download binaries we never fetch) stay out of the VSIX and its attack surface.
const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');
const listed = execFileSync(process.execPath, [vsce, 'ls', '--ignoreFile', ignoreFile], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
const SHIPPED =
  /^(dist|models\/bbrac|media)\/|^models\/training\/[^/]+\.(py|js)$|^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$|^node_modules\/onnxruntime-(node|common)\//;
const unexpected = listed.filter((f) => !SHIPPED.test(f));
if (unexpected.length) throw new Error(`files outside the allow-list would ship: ${unexpected.join(', ')}`);

const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const o = process.argv.indexOf('--out');
const vsix = o >= 0 ? path.resolve(process.argv[o + 1]) : path.join(outDir, `medner-${version}-${target}.vsix`);
// vsce runs the vscode:prepublish script (the production build) first.
execFileSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', vsix], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (!existsSync(vsix)) throw new Error(`vsce did not write ${vsix}`);
const mb = statSync(vsix).size / 2 ** 20;
console.log(`medner package: ${path.relative(ROOT, vsix)} ${mb.toFixed(1)} MB (limit ${MAX_MB} MB)`);
if (mb > MAX_MB) {
  console.error(`medner package: the VSIX is over ${MAX_MB} MB`);
  process.exit(1);
}
