/**
 * The Kubernetes manifest of an ablation plan (`DIR/ablate-job.yaml`): one Indexed Job
 * (`completionMode: Indexed`, `completions: N`, `parallelism: M`) whose pod of index I runs
 * `deno task ablate --run-index $JOB_COMPLETION_INDEX --out DIR` in the image's project folder, with
 * the output folder on a shared volume (a PersistentVolumeClaim mounted at DIR in every pod, so the
 * plan's paths hold there too). Apply with `kubectl apply -f DIR/ablate-job.yaml`.
 * @module
 */
import { stringify } from "yaml";
import { type ClusterPlan, runCommand } from "./cluster_plan.ts";

/** Flags of the manifest. */
export interface K8sOptions {
  /** Pods running at once (`parallelism`). */
  parallel: number;
  /** Container image holding this project (and Deno). */
  image: string;
  /** PersistentVolumeClaim of the shared output folder. */
  pvc: string;
  /** The project's folder in the image (default /app). */
  workdir?: string;
  /** CPU request/limit per pod (a Kubernetes quantity: "4", "500m"). */
  cpu?: string;
  /** Memory request/limit per pod ("16Gi"). */
  memory?: string;
  /** GPUs per pod (`nvidia.com/gpu` limit). */
  gpus?: number;
  /** Retries of a failed index (`backoffLimitPerIndex`, default 2). */
  retries?: number;
  name?: string;
  namespace?: string;
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Check the flags; errors say what was expected and what came. */
export function checkK8sOptions(o: K8sOptions): void {
  if (!Number.isInteger(o.parallel) || o.parallel < 1) {
    throw new RangeError(`--parallel: expected a positive integer, got ${o.parallel}`);
  }
  if (!o.image) throw new RangeError("--image: the container image holding this project is required for k8s");
  if (!o.pvc) {
    throw new RangeError("--pvc: the PersistentVolumeClaim of the shared output folder is required for k8s");
  }
  for (const [k, v] of [["cpu", o.cpu], ["memory", o.memory]] as const) {
    if (v !== undefined && !QUANTITY.test(v)) {
      throw new RangeError(`--${k}: expected a Kubernetes quantity such as 4, 500m or 16Gi, got "${v}"`);
    }
  }
  for (const [k, v] of [["gpus", o.gpus], ["retries", o.retries]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new RangeError(`--${k}: expected a non-negative integer, got ${v}`);
    }
  }
  for (const [k, v] of [["name", o.name], ["namespace", o.namespace], ["pvc", o.pvc]] as const) {
    if (v !== undefined && (!DNS_LABEL.test(v) || v.length > 63)) {
      throw new RangeError(
        `--${k}: expected a DNS label (lower-case letters, digits, '-'; <= 63), got "${v}"`,
      );
    }
  }
}

/** The Indexed Job of a plan, as a plain object. */
export function k8sJob(cp: ClusterPlan, o: K8sOptions): Record<string, unknown> {
  checkK8sOptions(o);
  const n = cp.runs.length;
  if (n < 1) throw new RangeError(`the plan has no runs: nothing to submit`);
  const labels = { "app.kubernetes.io/name": "yolov9-ablate", "yolov9-ts/preset": cp.session.preset };
  const amounts: Record<string, string> = {
    ...(o.cpu ? { cpu: o.cpu } : {}),
    ...(o.memory ? { memory: o.memory } : {}),
  };
  const limits = { ...amounts, ...(o.gpus ? { "nvidia.com/gpu": String(o.gpus) } : {}) };
  const command = runCommand('"$JOB_COMPLETION_INDEX"', cp.out);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: o.name ?? "yolov9-ablate", ...(o.namespace ? { namespace: o.namespace } : {}), labels },
    spec: {
      completionMode: "Indexed",
      completions: n,
      parallelism: Math.min(o.parallel, n),
      backoffLimitPerIndex: o.retries ?? 2,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          containers: [{
            name: "ablate",
            image: o.image,
            workingDir: o.workdir ?? "/app",
            command: ["sh", "-c", `YOLO_ABLATE_TASK="k8s $HOSTNAME" exec ${command}`],
            // The native backend uses the pod's CPUs (not every core of the node).
            ...(o.cpu && /^\d+$/.test(o.cpu) ? { env: [{ name: "YOLO_NATIVE_THREADS", value: o.cpu }] } : {}),
            ...(Object.keys(limits).length ? { resources: { requests: amounts, limits } } : {}),
            volumeMounts: [{ name: "ablate-out", mountPath: cp.out }],
          }],
          volumes: [{ name: "ablate-out", persistentVolumeClaim: { claimName: o.pvc } }],
        },
      },
    },
  };
}

/**
 * The text of `ablate-job.yaml` for a plan.
 *
 * @example
 * ```ts
 * import { readClusterPlan } from "./cluster_plan.ts";
 * const cp = await readClusterPlan("/mnt/ablate");
 * console.log(k8sManifest(cp, { parallel: 8, image: "ghcr.io/lab/yolov9-ts:1", pvc: "ablate-runs", gpus: 1 }));
 * ```
 */
export function k8sManifest(cp: ClusterPlan, o: K8sOptions): string {
  const head =
    `# yolov9-ts ablation, preset ${cp.session.preset}: ${cp.runs.length} runs (${cp.out}/plan.json), ` +
    `one per completion index.\n# Apply: kubectl apply -f ${cp.out}/ablate-job.yaml   ` +
    `Then: deno task ablate --collect --out ${cp.out}\n`;
  return head + stringify(k8sJob(cp, o), { lineWidth: 0, aliasDuplicateObjects: false });
}
