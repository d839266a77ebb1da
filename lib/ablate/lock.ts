/**
 * The lock of one ablation run on a shared folder (I/O module), so that two scheduler tasks never train
 * the same run at once. The lock file names its holder (host, pid, the pid's start time, the scheduler
 * task) and appears atomically, complete: it is written to a temp file and hard-linked to its name,
 * which fails when the name exists (atomic on local disks and NFS alike). The holder refreshes the
 * file's modification time (a heartbeat). A lock is stale when its holder is dead: on the same host,
 * its pid is gone or belongs to a newer process; on another host, its heartbeat is older than
 * `staleSeconds`. A stale lock is taken over only under the takeover mutex `<lock>.takeover` (created
 * the same way; one contender at a time): its holder checks that the lock is still the one judged stale
 * and replaces it by its own in one rename (the name never disappears), so no contender can ever remove
 * a fresh lock. The takeover is logged,
 * to the caller's log and to `<lock>.takeovers.log`. A takeover mutex left by a process that died during
 * a takeover is cleared after {@link MUTEX_STALE_SECONDS}.
 * @module
 */
import { createRng, rngFloat } from "../data/rng.ts";

/** Who holds a lock. */
export interface LockHolder {
  host: string;
  pid: number;
  /** Start time of the pid (Linux `/proc/<pid>/stat` field 22), telling a reused pid apart. */
  pidStart?: string;
  /** The scheduler task (`slurm 123_4`, `k8s pod-x`), when there is one. */
  task?: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /** A holder on another host is dead when its heartbeat is older than this (default 600 s). */
  staleSeconds?: number;
  /** Seconds between heartbeats while held (default 60). */
  heartbeatSeconds?: number;
  /** The scheduler task to name in the lock. */
  task?: string;
  log?: (line: string) => void;
}

/** A lock this process holds. */
export interface HeldLock {
  path: string;
  holder: LockHolder;
  /** The stale holder whose lock was taken over, if any. */
  tookOver?: LockHolder;
  /** Stop the heartbeat and remove the lock (only while it is still this holder's). */
  release(): Promise<void>;
}

/** The outcome of {@link acquireLock}: held, or held by a live holder. */
export type LockResult = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockHolder };

let tmpCount = 0;

/** Retry jitter, seeded by the process id: contenders (other processes) wait different times. */
const jitter = createRng(Deno.pid);

/** Attempts of {@link acquireLock} before it gives up on a contended lock. */
const ATTEMPTS = 50;

/** Start time of a process from `/proc/<pid>/stat` (field 22), or undefined where unreadable. */
export async function processStart(pid: number): Promise<string | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** This process as a lock holder. */
export async function selfHolder(task?: string): Promise<LockHolder> {
  const pidStart = await processStart(Deno.pid);
  return {
    host: Deno.hostname(),
    pid: Deno.pid,
    ...(pidStart ? { pidStart } : {}),
    ...(task ? { task } : {}),
    since: new Date().toISOString(),
  };
}

/** Why a holder is dead, or null while it is alive. */
export async function staleReason(
  holder: LockHolder,
  heartbeat: Date,
  o: Pick<LockOptions, "staleSeconds"> = {},
): Promise<string | null> {
  const procs = await Deno.stat("/proc/self/stat").then(() => true, () => false);
  if (holder.host === Deno.hostname() && procs) {
    const start = await processStart(holder.pid);
    if (start === undefined) return `process ${holder.pid} on ${holder.host} has exited`;
    if (holder.pidStart && start !== holder.pidStart) {
      return `pid ${holder.pid} on ${holder.host} now belongs to another process`;
    }
    return null;
  }
  const age = (Date.now() - heartbeat.getTime()) / 1000;
  const limit = o.staleSeconds ?? 600;
  return age > limit ? `no heartbeat for ${age.toFixed(0)} s (limit ${limit} s)` : null;
}

/** The holder named in a lock file and the file's heartbeat, or null when there is no lock. */
async function readLock(path: string): Promise<{ text: string; holder: LockHolder; heartbeat: Date } | null> {
  try {
    const [text, st] = await Promise.all([Deno.readTextFile(path), Deno.stat(path)]);
    let holder: LockHolder;
    try {
      holder = JSON.parse(text) as LockHolder;
    } catch {
      throw new Error(
        `${path}: not a lock file (expected JSON naming its holder, got "${text.slice(0, 60)}")`,
      );
    }
    return { text, holder, heartbeat: st.mtime ?? new Date(0) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** A complete lock file naming `holder` beside `path`, under a name of its own. */
async function writeTemp(path: string, holder: LockHolder): Promise<string> {
  const tmp = `${path}.${Deno.pid}.${++tmpCount}.new`;
  await Deno.writeTextFile(tmp, JSON.stringify(holder) + "\n");
  return tmp;
}

/** Create the lock file complete and atomically; false when it exists. */
async function createLock(path: string, holder: LockHolder): Promise<boolean> {
  const tmp = await writeTemp(path, holder);
  try {
    await Deno.link(tmp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** A takeover mutex older than this was left by a process that died while taking over. */
export const MUTEX_STALE_SECONDS = 30;

/** Move a stale file aside; true when the file moved was the one judged stale (else it is put back). */
async function moveStale(path: string, judged: string): Promise<boolean> {
  const aside = `${path}.${Deno.pid}.${++tmpCount}.stale`;
  try {
    await Deno.rename(path, aside);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false; // another contender moved it first
    throw e;
  }
  const moved = await Deno.readTextFile(aside);
  if (moved !== judged) await Deno.link(aside, path).catch(() => {});
  await Deno.remove(aside).catch(() => {});
  return moved === judged;
}

/**
 * Replace the stale lock whose text is `judged` by this holder's, under the takeover mutex. True when
 * this process now holds the lock; false when another contender holds the mutex or the lock changed.
 */
async function takeOver(path: string, judged: string, holder: LockHolder): Promise<boolean> {
  const mutex = `${path}.takeover`;
  if (!(await createLock(mutex, holder))) {
    const m = await readLock(mutex).catch(() => null);
    if (m && (Date.now() - m.heartbeat.getTime()) / 1000 > MUTEX_STALE_SECONDS) await moveStale(mutex, m.text);
    await new Promise((r) => setTimeout(r, 20 + rngFloat(jitter) * 40));
    return false;
  }
  try {
    if ((await Deno.readTextFile(path).catch(() => null)) !== judged) return false;
    // Replaced in one rename: a lock that is removed and created again is briefly absent, and a
    // contender's plain create in that instant would win without a takeover.
    await Deno.rename(await writeTemp(path, holder), path);
    return true;
  } finally {
    await Deno.remove(mutex).catch(() => {});
  }
}

function describeHolder(h: LockHolder): string {
  return `${h.host}:${h.pid}${h.task ? ` (${h.task})` : ""} since ${h.since}`;
}

/**
 * Take the lock at `path` (see the module doc): held by this process, or the live holder's name.
 *
 * @example
 * ```ts
 * const r = await acquireLock("runs/ablate/_runs/0123abcd/run.lock", { task: "slurm 12_3" });
 * if (r.acquired) {
 *   try { console.log("training"); } finally { await r.lock.release(); }
 * } else console.log(`held by ${r.holder.host}:${r.holder.pid}`);
 * ```
 */
export async function acquireLock(path: string, o: LockOptions = {}): Promise<LockResult> {
  const holder = await selfHolder(o.task);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createLock(path, holder)) return { acquired: true, lock: heldLock(path, holder, undefined, o) };
    const cur = await readLock(path);
    if (!cur) continue; // released meanwhile
    const why = await staleReason(cur.holder, cur.heartbeat, o);
    if (why === null) return { acquired: false, holder: cur.holder };
    if (!(await takeOver(path, cur.text, holder))) continue;
    const line = `${new Date().toISOString()} lock ${path}: took over the stale lock of ${
      describeHolder(cur.holder)
    }: ${why}; taken by ${describeHolder(holder)}`;
    o.log?.(line);
    await Deno.writeTextFile(`${path}.takeovers.log`, line + "\n", { append: true });
    return { acquired: true, lock: heldLock(path, holder, cur.holder, o) };
  }
  const cur = await readLock(path);
  if (cur) return { acquired: false, holder: cur.holder };
  throw new Error(`${path}: could not take the lock after ${ATTEMPTS} attempts (contended)`);
}

function heldLock(
  path: string,
  holder: LockHolder,
  tookOver: LockHolder | undefined,
  o: LockOptions,
): HeldLock {
  const beat = setInterval(() => {
    const now = new Date();
    Deno.utime(path, now, now).catch(() => {});
  }, (o.heartbeatSeconds ?? 60) * 1000);
  Deno.unrefTimer(beat);
  const mine = JSON.stringify(holder) + "\n";
  return {
    path,
    holder,
    ...(tookOver ? { tookOver } : {}),
    release: async () => {
      clearInterval(beat);
      const text = await Deno.readTextFile(path).catch(() => null);
      if (text === mine) await Deno.remove(path).catch(() => {});
    },
  };
}
