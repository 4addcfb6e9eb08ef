// Summarises ONNX Runtime profiles (Chrome trace JSON, from SessionOptions.profile): per run, the
// time of each operator type on each provider, and the copies between providers. Plain JS, no
// dependencies, so it runs on the device machine beside the bundled benches.
//   node profile-summary.mjs FILE.json [...]
import { readFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const events = JSON.parse(readFileSync(file, 'utf8'));
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000);
  const byOp = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const key = `${e.args.op_name} on ${e.args.provider.replace('ExecutionProvider', '')}`;
    const row = byOp.get(key) ?? { ms: 0, nodes: new Set() };
    row.ms += e.dur / 1000;
    row.nodes.add(e.name);
    byOp.set(key, row);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const n = Math.max(runs.length, 1);
  const kernelMs = [...byOp.values()].reduce((sum, r) => sum + r.ms, 0) / n;
  console.log(`${file}: ${runs.length} runs, median run ${sorted[sorted.length >> 1]?.toFixed(2)} ms; kernels' host time ${kernelMs.toFixed(2)} ms per run`);
  for (const [key, row] of [...byOp].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`  ${(row.ms / n).toFixed(3).padStart(8)} ms/run  ${String(row.nodes.size).padStart(3)} nodes  ${key}`);
  }
}
