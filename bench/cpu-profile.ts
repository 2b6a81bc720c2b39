import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';
import { relative } from 'node:path';

/** Self time of one function across a profile, ms, and its share of all samples. */
export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/**
 * Runs `fn` under the V8 sampling profiler of this process and writes the profile to `file`
 * (a `.cpuprofile`, which Chrome DevTools and speedscope open). Only `fn` is profiled, so
 * set-up and ingest do not drown the part being looked at.
 *
 * @example
 * const { result, profile } = await profileCpu('hybrid.cpuprofile', () => runSearches());
 * console.log(selfTimeByFunction(profile, root).slice(0, 20));
 */
export async function profileCpu<T>(file: string, fn: () => Promise<T>, samplingIntervalUs = 100): Promise<{ result: T; profile: Profiler.Profile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await session.post('Profiler.start');
    const outcome = await fn().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { profile } = await session.post('Profiler.stop');
    if (!outcome.ok) throw outcome.error;
    writeFileSync(file, JSON.stringify(profile));
    return { result: outcome.value, profile };
  } finally {
    session.disconnect();
  }
}

/**
 * Self time per function (name and source position; the same function reached by different
 * paths is summed), most first. Time is estimated from sample counts and the profile's span.
 */
export function selfTimeByFunction(profile: Profiler.Profile, root: string): SelfTime[] {
  const samples = new Map<number, number>();
  for (const id of profile.samples ?? []) samples.set(id, (samples.get(id) ?? 0) + 1);
  const total = profile.samples?.length ?? 0;
  const msPerSample = total > 0 ? (profile.endTime - profile.startTime) / 1000 / total : 0;
  const byFunction = new Map<string, SelfTime>();
  for (const node of profile.nodes) {
    const n = samples.get(node.id) ?? 0;
    if (n === 0) continue;
    const f = node.callFrame;
    const url = f.url.startsWith('file://') ? relative(root, new URL(f.url).pathname) : f.url;
    const where = url ? `${url}:${f.lineNumber + 1}` : '';
    const name = f.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, ms: 0, share: 0 };
    entry.ms += n * msPerSample;
    entry.share += total > 0 ? n / total : 0;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()].sort((a, b) => b.ms - a.ms);
}

/**
 * Time spent in each of the named functions including what they call (a sample counts once
 * per name even when the function is on the stack twice), ms. Names are V8's function names,
 * e.g. `rerank` or `parseJsonBody`.
 */
export function inclusiveTime(profile: Profiler.Profile, names: readonly string[]): Map<string, number> {
  const parent = new Map<number, Profiler.ProfileNode>();
  const byId = new Map<number, Profiler.ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const total = profile.samples?.length ?? 0;
  const msPerSample = total > 0 ? (profile.endTime - profile.startTime) / 1000 / total : 0;
  const wanted = new Set(names);
  const out = new Map(names.map((n) => [n, 0]));
  for (const id of profile.samples ?? []) {
    const seen = new Set<string>();
    for (let node = byId.get(id); node !== undefined; node = parent.get(node.id)) {
      const name = node.callFrame.functionName;
      if (wanted.has(name) && !seen.has(name)) {
        seen.add(name);
        out.set(name, (out.get(name) ?? 0) + msPerSample);
      }
    }
  }
  return out;
}
