/**
 * What `npm run playground` (scripts/playground.ts) and `npm run playground:walkthrough` agree on:
 * the two ports, and where a running Playground keeps its events recording (every activity and
 * connector call since it started). Only node built-ins are used here.
 */
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const DEFAULT_BOT_PORT = 3978;
export const DEFAULT_PLAYGROUND_PORT = 56150;
/** The file name of the events recording in the run's temporary folder. */
export const RECORDING_FILE = 'events-recording.log';

type Env = Record<string, string | undefined>;

/** A port from the environment; throws when it is set but not a port. */
export function portSetting(name: string, fallback: number, env: Env = process.env): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number (1-65535), not '${raw}'.`);
  }
  return port;
}

/** PLAYGROUND_BOT_PORT (default 3978) and PLAYGROUND_PORT (default 56150). */
export function playgroundPorts(env: Env = process.env): { botPort: number; playgroundPort: number } {
  return {
    botPort: portSetting('PLAYGROUND_BOT_PORT', DEFAULT_BOT_PORT, env),
    playgroundPort: portSetting('PLAYGROUND_PORT', DEFAULT_PLAYGROUND_PORT, env),
  };
}

/**
 * The name start of a run's temporary folder: with the Playground's port and the pid of
 * scripts/playground.ts, so the walkthrough finds the run it talks to and skips folders that a
 * killed run left behind.
 */
export function runFolderPrefix(playgroundPort: number, pid = process.pid): string {
  return `hwc-playground-${playgroundPort}-${pid}-`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The events recording of the `npm run playground` that serves this Playground port and still
 * runs, if there is one (the file itself appears with the first activity).
 */
export function findRecording(
  playgroundPort: number,
  dir = tmpdir(),
  isAlive: (pid: number) => boolean = alive,
): string | undefined {
  const pattern = new RegExp(`^hwc-playground-${playgroundPort}-(\\d+)-`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const candidates = names
    .map((name) => ({ name, pid: Number(pattern.exec(name)?.[1]) }))
    .filter(({ pid }) => Number.isInteger(pid) && pid > 0 && isAlive(pid))
    .map(({ name }) => {
      const folder = path.join(dir, name);
      try {
        return { folder, mtime: statSync(folder).mtimeMs };
      } catch {
        return undefined;
      }
    })
    .filter((c) => c !== undefined)
    .sort((a, b) => b.mtime - a.mtime);
  return candidates[0] && path.join(candidates[0].folder, RECORDING_FILE);
}
