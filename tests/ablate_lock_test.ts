// The run lock of a cluster ablation (lib/ablate/lock.ts): atomic creation naming its holder, a live
// holder respected, stale holders (dead pid, reused pid, silent other host) taken over and logged, and
// one winner among processes racing for the same stale lock.
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { acquireLock, processStart } from "../lib/ablate/lock.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const dec = new TextDecoder();

async function deadPid(): Promise<number> {
  const p = new Deno.Command("true").spawn();
  await p.status;
  return p.pid;
}

const holderText = (o: Record<string, unknown>) =>
  JSON.stringify({ host: Deno.hostname(), since: "2026-01-01T00:00:00.000Z", ...o });

Deno.test("run lock: atomic, names its holder, respects a live holder, takes over stale ones (logged)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ablate_lock_" });
  const path = `${dir}/run.lock`;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const a = await acquireLock(path, { task: "slurm 7_1", log });
  ok(a.acquired);
  const held = JSON.parse(await Deno.readTextFile(path));
  equal(held.pid, Deno.pid);
  equal(held.host, Deno.hostname());
  equal(held.task, "slurm 7_1");
  equal(held.pidStart, await processStart(Deno.pid));
  const b = await acquireLock(path, { log });
  ok(!b.acquired && b.holder.pid === Deno.pid, "a live holder keeps its lock");
  await a.lock.release();
  await rejects(Deno.stat(path), Deno.errors.NotFound);

  // Stale: a dead pid on this host; this pid with another start time (a reused pid); another host's
  // old heartbeat. Alive: another host's fresh heartbeat.
  const dead = await deadPid();
  const cases: [string, string, RegExp | null][] = [
    ["dead pid", holderText({ pid: dead }), new RegExp(`process ${dead} on .* has exited`)],
    ["reused pid", holderText({ pid: Deno.pid, pidStart: "1" }), /now belongs to another process/],
    ["old heartbeat", holderText({ host: "node-17", pid: 1 }), /no heartbeat for \d+ s \(limit 600 s\)/],
    ["fresh heartbeat", holderText({ host: "node-17", pid: 1 }), null],
  ];
  for (const [what, text, why] of cases) {
    lines.length = 0;
    await Deno.remove(`${path}.takeovers.log`).catch(() => {});
    await Deno.writeTextFile(path, text);
    if (what === "old heartbeat") {
      await Deno.utime(path, new Date(Date.now() - 3600e3), new Date(Date.now() - 3600e3));
    }
    const r = await acquireLock(path, { log });
    if (!why) {
      ok(!r.acquired && r.holder.host === "node-17", what);
      equal(await Deno.readTextFile(path), text, `${what}: the lock is left as it was`);
      continue;
    }
    ok(r.acquired, what);
    deepEqual(r.lock.tookOver, JSON.parse(text), what);
    equal(lines.length, 1, what);
    match(lines[0], why, what);
    equal((await Deno.readTextFile(`${path}.takeovers.log`)).trim(), lines[0], `${what}: takeover logged`);
    equal(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid, what);
    await r.lock.release();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("run lock: of 4 processes racing for one stale lock exactly one wins, one takeover logged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ablate_lock_race_" });
  const path = `${dir}/run.lock`;
  await Deno.writeTextFile(path, holderText({ pid: await deadPid() }));
  const code = `import { acquireLock } from "${root}/lib/ablate/lock.ts";
    const go = Number(Deno.args[0]);
    await new Promise((r) => setTimeout(r, go - Date.now()));
    const r = await acquireLock(${JSON.stringify(path)});
    console.log(r.acquired ? "acquired" : "held");
    await Deno.writeTextFile(${JSON.stringify(dir)} + "/tried." + Deno.pid, "");
    // The winner holds the lock until every process has tried (a late start under load must not find it free).
    const tried = () => [...Deno.readDirSync(${JSON.stringify(dir)})].filter((e) => e.name.startsWith("tried.")).length;
    for (let i = 0; r.acquired && tried() < 4 && i < 600; i++) await new Promise((r) => setTimeout(r, 100));
    if (r.acquired) await r.lock.release();`;
  await Deno.writeTextFile(`${dir}/race.ts`, code);
  const go = String(Date.now() + 4000); // every process starts its attempt at the same instant
  const outs = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Deno.Command(Deno.execPath(), { args: ["run", "-A", `${dir}/race.ts`, go], stdout: "piped" })
          .output(),
    ),
  );
  const said = outs.map((o) => dec.decode(o.stdout).trim()).sort();
  deepEqual(said, ["acquired", "held", "held", "held"]);
  equal((await Deno.readTextFile(`${path}.takeovers.log`)).trim().split("\n").length, 1);
  await Deno.remove(dir, { recursive: true });
});
