import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { RosettaError, createEncoder, parseDevice, type Device, type Encoder, type Modality } from '../../models/index.ts';
import {
  encodePairLines,
  ensureDefaultSpace,
  loadSpace,
  pairCounts,
  readCurrentVersion,
  readPairManifest,
  SKETCH_VARIANTS,
  setCurrentSpace,
  spacesDir,
  trainCollectionSpace,
  trainSpace,
  writeSpace,
  type LoadedSpace,
  type PairCorpus,
  type SpaceManifest,
  type TrainEvent,
} from '../../models/space/index.ts';
import { collectionDir } from './collection-dir.ts';
import { requireDirectory, requireManifest } from './input-paths.ts';
import type { CliContext } from './context.ts';

interface TrainFlags {
  manifest?: string;
  root?: string;
  db?: string;
  device?: string;
  default?: boolean;
  dim?: number;
  epochs?: number;
  seed?: number;
  batchSize?: number;
  lr?: number;
  patience?: number;
  mlp?: number | boolean;
  pseudoSketches?: number;
  sketchVariants?: number;
  warmStart: boolean;
  json?: boolean;
}

/**
 * `rosetta train [--manifest pairs.jsonl --root DIR] [--db DIR] [--default] [--device D] [--dim N]
 * [--epochs N] [--seed N] [--json]`: trains a space, writes it under `<models-dir>/spaces/` and
 * puts it in service; with --db the collection is re-projected into it first.
 *
 * @example
 * registerTrainCommand(program, context); // then: rosetta train --db data/collection --epochs 20
 */
export function registerTrainCommand(program: Command, context: CliContext): Command {
  return program
    .command('train')
    .description('train the coordinated space: from pair manifests, a collection (--db), or the built-in demo recipe (--default)')
    .option('--manifest <file>', 'JSONL pairs: {"path","modality","caption"} or {"sketch","image"} per line')
    .option('--root <dir>', "directory manifest paths are relative to (default: the manifest's directory)")
    .option('--db <dir>', 'train on this collection, then re-project it into the new space')
    .option('--default', 'train the default space from the demo data (and use it if no space is in service)')
    .option('--device <device>', 'cpu, webgpu, cuda or auto (default: the global --device, ROSETTA_DEVICE)')
    .option('--dim <n>', 'dimension of the space (default 256)', integer(2, 4096))
    .option('--epochs <n>', 'contrastive epochs at most (default 20)', integer(0, 10_000))
    .option('--seed <n>', 'seed of the split, the text bag and batch order (default 1)', integer(0, 2 ** 31))
    .option('--batch-size <n>', 'pairs per contrastive step (default 256, less for small sets)', integer(2, 65_536))
    .option('--lr <x>', 'AdamW learning rate (default 1e-3)', positiveNumber)
    .option('--patience <n>', 'epochs without better validation recall before stopping (default 5)', integer(1, 1000))
    .option('--mlp [hidden]', 'add a residual MLP of this width to the dense heads (default width: the space dim)', integer(1, 65_536))
    .option('--sketch-variants <n>', `with --manifest: drawn variants of each sketch for the contrastive stage (default ${SKETCH_VARIANTS}; 0 keeps the sketch head at the CCA)`, integer(0, 64))
    .option('--pseudo-sketches <n>', 'collection images to draw pseudo-sketches of (default 1000)', integer(0, 1_000_000))
    .option('--no-warm-start', 'with --db: start from this data alone, not from the default space')
    .option('--json', 'print progress and the summary as JSON lines on stdout')
    .action(async (flags: TrainFlags) => {
      await trainAction(flags, context);
    });
}

async function trainAction(flags: TrainFlags, context: CliContext): Promise<void> {
  const config = context.config();
  const device = parseDevice(flags.device ?? config.device) as Device;
  if (flags.default && (flags.manifest || flags.db)) throw new RosettaError('INVALID_ARGUMENT', '--default trains from the demo recipe; leave out --manifest and --db');
  if (!flags.default && !flags.manifest && !flags.db) throw new RosettaError('INVALID_ARGUMENT', 'give --manifest FILE, --db DIR or --default');
  if (flags.root && !flags.manifest) throw new RosettaError('INVALID_ARGUMENT', '--root needs --manifest');
  if (flags.sketchVariants !== undefined && !flags.manifest) throw new RosettaError('INVALID_ARGUMENT', '--sketch-variants needs --manifest (the default recipe fixes its own)');
  if (flags.manifest) requireManifest('--manifest', flags.manifest);
  if (flags.root) requireDirectory('--root', flags.root);
  const out = printer(flags.json === true);
  const train = {
    ...(flags.dim !== undefined ? { dim: flags.dim } : {}),
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
    ...(flags.patience !== undefined ? { patience: flags.patience } : {}),
    ...(flags.mlp !== undefined && flags.mlp !== false ? { hidden: flags.mlp === true ? (flags.dim ?? 256) : flags.mlp } : {}),
  };
  const settings = { ...config, device };
  const featureCacheDir = path.join(config.cacheDir, 'features');
  const defaults = { modelsDir: config.modelsDir, cacheDir: config.cacheDir, device, encoders: config.encoders, onProgress: out.event };

  if (flags.default) {
    const space = await ensureDefaultSpace({ ...defaults, force: true, train });
    const current = await readCurrentVersion(config.modelsDir);
    out.summary(space, current === space.manifest.version);
    if (current !== space.manifest.version) out.note(`not put in service: ${current} is; to use this one, run rosetta models use ${space.manifest.version}`);
    return;
  }

  const encoders: Partial<Record<Modality, Encoder>> = {};
  const encoder = async (m: Modality): Promise<Encoder> => (encoders[m] ??= await createEncoder(m, settings));
  try {
    let manifestPairs: { corpus: PairCorpus; skipped: number; droppedPairs: number; ms: number } | undefined;
    if (flags.manifest) {
      const file = path.resolve(flags.manifest);
      const lines = await readPairManifest(file);
      const needs = new Set<Modality>(lines.flatMap((l): Modality[] => ('sketch' in l ? ['sketch', 'image'] : [l.modality])));
      const pairEncoders = { text: await encoder('text'), ...Object.fromEntries(await Promise.all([...needs].map(async (m) => [m, await encoder(m)]))) };
      const root = flags.root ? path.resolve(flags.root) : path.dirname(file);
      const { corpus, report } = await encodePairLines(lines, {
        root,
        encoders: pairEncoders,
        cacheDir: featureCacheDir,
        onProgress: out.event,
        sketchVariants: flags.sketchVariants ?? SKETCH_VARIANTS,
      });
      out.skipped(report.skipped);
      const counts = pairCounts(corpus);
      if (!flags.db && counts['image-text'] + counts['sketch-text'] + counts['audio-text'] === 0) {
        // Stage 1 needs captions to pivot on; say which of this manifest's lines it lost and why.
        const first = report.skipped[0];
        throw new RosettaError(
          'INVALID_ARGUMENT',
          `${file} gave no caption pair to train on: ${lines.length} lines, ${report.skipped.length} files skipped` +
            (first ? ` (the first: ${first.path}, ${first.code}: ${first.message})` : '') +
            '; the space needs lines {"path", "modality", "caption"} whose files exist under --root',
        );
      }
      manifestPairs = { corpus, skipped: report.skipped.length, droppedPairs: report.droppedPairs, ms: report.ms };
    }
    if (flags.db) {
      const warmStart: LoadedSpace | null = flags.warmStart ? await ensureDefaultSpace(defaults) : null;
      const store = await context.openStore(collectionDir(flags.db, config, 'existing'));
      try {
        const { space } = await trainCollectionSpace({
          ...train,
          device,
          store,
          modelsDir: config.modelsDir,
          encoders: { text: await encoder('text'), sketch: await encoder('sketch') },
          ...(flags.pseudoSketches !== undefined ? { pseudoSketches: flags.pseudoSketches } : {}),
          featureCacheDir,
          warmStart,
          ...(manifestPairs ? { extra: manifestPairs } : {}),
          onProgress: out.event,
        });
        out.summary(space, true);
      } finally {
        await store.close();
      }
      return;
    }
    const m = manifestPairs!;
    const { model, draft } = await trainSpace(m.corpus, {
      ...train,
      device,
      source: `manifest:${path.basename(flags.manifest!)}`,
      encodeReport: { skipped: m.skipped, droppedPairs: m.droppedPairs, ms: m.ms },
      onProgress: out.event,
    });
    const space = await writeSpace(config.modelsDir, model, draft);
    const lacking = await headsInServiceLacking(config.modelsDir, space);
    if (lacking) {
      out.summary(space, false);
      out.note(
        `not put in service: it has no ${lacking.modalities.join(' or ')} head, which ${lacking.version} (in service) has, so collections ` +
          `with ${lacking.modalities.join(' or ')} items could not use it; to use it anyway, run rosetta models use ${space.manifest.version}`,
      );
      return;
    }
    await setCurrentSpace(config.modelsDir, space.manifest.version);
    out.summary(space, true);
  } finally {
    await Promise.allSettled(Object.values(encoders).map((e) => e.close()));
  }
}

type AnyEvent = { stage: string };

/** Progress lines (stderr, or JSON lines on stdout) and the final summary. */
function printer(json: boolean) {
  const stdout = (line: string) => process.stdout.write(`${line}\n`);
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  let lastEncode = '';
  return {
    event(e: AnyEvent): void {
      if (e.stage === 'step') return;
      const x = e as unknown as Record<string, unknown>;
      // Encoding reports every batch: show each modality's first, every 256th and last.
      const sparse = (e.stage === 'encode' || e.stage === 'demo') && x.done !== x.total && Number(x.done) % 256 !== 0;
      if (json) {
        if (!sparse) stdout(JSON.stringify({ event: e.stage, ...flattenEpoch(e) }));
        return;
      }
      const line = progressLine(e);
      if (line === undefined) return;
      if (e.stage === 'encode') {
        if (x.modality === lastEncode && sparse) return;
        lastEncode = String(x.modality);
      }
      stderr(line);
    },
    skipped(list: { path: string; code: string; message: string }[]): void {
      if (list.length === 0) return;
      if (json) stdout(JSON.stringify({ event: 'skipped', count: list.length, files: list.slice(0, 100) }));
      else {
        stderr(`skipped ${list.length} files:`);
        for (const s of list.slice(0, 10)) stderr(`  ${s.path}: ${s.code}: ${s.message}`);
        if (list.length > 10) stderr(`  ... and ${list.length - 10} more`);
      }
    },
    summary(space: LoadedSpace, inService: boolean): void {
      const m = space.manifest;
      if (json) {
        const training = { bestEpoch: m.training.bestEpoch, stoppedEarly: m.training.stoppedEarly };
        stdout(JSON.stringify({ event: 'summary', version: m.version, dir: space.dir, current: inService, dim: m.dim, device: m.device, data: m.data, recall: m.recall, emergent: m.emergent, training, timings: m.timings }));
      } else stdout(summaryText(space, inService));
    },
    /** Why the space is not in service, and what to run; a JSON line with --json. */
    note(message: string): void {
      if (json) stdout(JSON.stringify({ event: 'note', message }));
      else stderr(`rosetta: ${message}`);
    },
  };
}

/**
 * The modalities the space in service has heads for and `space` lacks, or undefined when it
 * lacks none (or none is in service). A space trained on images only, put in service over one
 * with audio, would leave every collection with sounds unable to open.
 */
async function headsInServiceLacking(modelsDir: string, space: LoadedSpace): Promise<{ version: string; modalities: string[] } | undefined> {
  const version = await readCurrentVersion(modelsDir);
  if (!version || version === space.manifest.version) return undefined;
  let current: LoadedSpace;
  try {
    current = await loadSpace(path.join(spacesDir(modelsDir), version));
  } catch {
    return undefined; // a broken space in service is no reason to keep a new one out
  }
  const modalities = Object.keys(current.manifest.heads).filter((m) => !(m in space.manifest.heads));
  return modalities.length > 0 ? { version, modalities } : undefined;
}

function flattenEpoch(e: AnyEvent): Record<string, unknown> {
  if (e.stage !== 'epoch') {
    const { stage: _s, ...rest } = e as unknown as Record<string, unknown>;
    return rest;
  }
  const { record, epochs } = e as Extract<TrainEvent, { stage: 'epoch' }>;
  return {
    epoch: record.epoch,
    epochs,
    trainLoss: record.trainLoss,
    valLoss: record.valLoss,
    valR10: Object.fromEntries(Object.entries(record.valRecall).map(([s, r]) => [s, round((r.aToB.r10 + r.bToA.r10) / 2)])),
    seconds: round(record.seconds),
  };
}

/**
 * @example progressLine({ stage: 'epoch', epochs: 20, record }) // 'epoch  3/20  train loss 0.555  val loss 2.782  val R@10 image-text 0.74 ...  (1.8 s)'
 */
export function progressLine(e: AnyEvent): string | undefined {
  const x = e as unknown as Record<string, unknown>;
  switch (e.stage) {
    case 'demo':
      return x.done === x.total ? `demo data: ${String(x.step)} ${String(x.done)}/${String(x.total)}` : undefined;
    case 'encode':
      return `encode ${String(x.modality)} ${String(x.done)}/${String(x.total)}`;
    case 'cached':
      return `default space ${String(x.version)} (cached)`;
    case 'pairs':
      return `pairs: ${Object.entries(x.counts as Record<string, number>).map(([s, n]) => `${s} ${n}`).join(', ')}`;
    case 'split': {
      const tr = x.train as Record<string, number>;
      const va = x.val as Record<string, number>;
      return `split: ${Object.keys(tr).filter((s) => tr[s] + va[s] > 0).map((s) => `${s} ${tr[s]} train / ${va[s]} val`).join(', ')}`;
    }
    case 'stage1':
      return `stage 1 (CCA): d=${String(x.dim)} in ${(Number(x.ms) / 1000).toFixed(1)} s`;
    case 'init':
      return `stage 2 starts from ${String(x.from)}${x.reason ? ` (not a warm start: ${String(x.reason)})` : ''}`;
    case 'epoch': {
      const { record, epochs } = e as Extract<TrainEvent, { stage: 'epoch' }>;
      const r10 = Object.entries(record.valRecall).map(([s, r]) => `${s} ${((r.aToB.r10 + r.bToA.r10) / 2).toFixed(2)}`).join(' ');
      const train = record.trainLoss === null ? '  -   ' : record.trainLoss.toFixed(3);
      return `epoch ${String(record.epoch).padStart(2)}/${epochs}  train loss ${train}  val loss ${record.valLoss.toFixed(3)}  val R@10 ${r10}  (${record.seconds.toFixed(1)} s)`;
    }
    case 'evaluate':
      return `evaluated in ${(Number(x.ms) / 1000).toFixed(1)} s`;
    case 'written':
      return `wrote space ${String(x.version)}`;
    case 'reprojected':
      return `re-projected the collection: ${String(x.vectors)} vectors (${String(x.skipped)} items not placed)`;
    case 'current':
      return `in service: ${String(x.version)}${x.previous ? ` (was ${String(x.previous)})` : ''}`;
    default:
      return undefined;
  }
}

const systemsOrder = [
  ['unaligned', 'unaligned'],
  ['cca', 'CCA'],
  ['start', 'warm start'],
  ['contrastive', 'CCA+contrastive'],
] as const;

/**
 * The final table: validation Recall@1/5/10 per task and system.
 *
 * @example summaryText(space, true).split('\n')[0] // 'space 20261128T080649Z-46804b34 (d=256, cpu, best epoch 10 of 13) in service'
 */
export function summaryText(space: LoadedSpace, inService: boolean): string {
  const m: SpaceManifest = space.manifest;
  const cols = systemsOrder.filter(([key]) => Object.values(m.recall).some((r) => r.systems[key]));
  const fmt = (r: { r1: number; r5: number; r10: number } | undefined) => (r ? `${r.r1.toFixed(2)}/${r.r5.toFixed(2)}/${r.r10.toFixed(2)}` : '-');
  const lines = [
    `space ${m.version} (d=${m.dim}, ${m.device}, best epoch ${m.training.bestEpoch} of ${m.training.history.length - 1})${inService ? ' in service' : ''}`,
    `  ${space.dir}`,
    `  pairs: ${Object.entries(m.data.pairs).map(([s, p]) => `${s} ${p.train}+${p.val}`).join(', ')} (train+val); ${m.data.skipped} files skipped`,
    `  time: ${Object.entries(m.timings).map(([k, v]) => `${k.replace(/Ms$/, '')} ${(v / 1000).toFixed(1)} s`).join(', ')}`,
    '',
    'validation Recall@1/5/10',
    ['task'.padEnd(14), ...cols.map(([, label]) => label.padEnd(16))].join(' '),
  ];
  for (const [task, r] of Object.entries(m.recall)) {
    lines.push([`${task}`.padEnd(14), ...cols.map(([key]) => fmt(r.systems[key]).padEnd(16))].join(' ') + ` (${r.queries} queries, ${r.candidates} candidates)`);
  }
  if (m.emergent) {
    const e = m.emergent;
    lines.push(
      '',
      `emergent ${e.task} through the text pivot (no audio-image pairs; ${e.queries} sounds, ${e.pool} images; chance ${fmt(e.chance)}):`,
      ['', ...cols.filter(([key]) => e.systems[key]).map(([key, label]) => `${label} ${fmt(e.systems[key])}`)].join('  '),
    );
  }
  return lines.join('\n');
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number');
  return n;
}
