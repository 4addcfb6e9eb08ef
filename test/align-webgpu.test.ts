// Training on WebGPU computes what training on the CPU computes. CI has no GPU, but Debian's
// chromium ships SwiftShader, a Vulkan implementation on the CPU, with its own Vulkan loader;
// Dawn (inside onnxruntime-node's WebGPU provider) runs on it, so the real WebGPU kernels, copies
// and AdamW graph run here as they do on a GPU, only slower. Throughput is measured on a real GPU
// by test/bench/gpu/ (issue 4's note has the numbers).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DeviceComparison } from '../models/align/device-compare.ts';

const CHROMIUM_LIB = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;

describe.skipIf(!existsSync(SWIFTSHADER_ICD))("the step graph on WebGPU (Dawn on chromium's SwiftShader)", () => {
  it('gives the CPU gradients, AdamW steps and training run, with the bag rows updated on the host and in the graph', async () => {
    const repo = new URL('..', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/webgpu/compare-step.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        VK_ICD_FILENAMES: SWIFTSHADER_ICD,
        VK_DRIVER_FILES: SWIFTSHADER_ICD,
        LD_LIBRARY_PATH: [CHROMIUM_LIB, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      },
      maxBuffer: 1 << 20,
    });
    const { trained, auto, webgpu, results } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      trained: { device: string; history: { trainLoss: number | null; valLoss: number; r10: number }[] }[];
      auto: string;
      webgpu: string;
      results: (DeviceComparison & { bagUpdate: string })[];
    };
    // WebGPU works here, yet 'auto' trains on the CPU: WebGPU measured slower (models/space/device.ts).
    expect(webgpu).toBe('webgpu');
    expect(auto).toBe('cpu');
    expect(results.map((r) => r.bagUpdate)).toEqual(['host', 'graph']);
    for (const r of results) {
      expect(r.device).toBe('webgpu');
      expect(Object.keys(r.gradients).sort()).toEqual(['a.W', 'a.W1', 'a.W2', 'a.b', 'a.b1', 'b.E', 'logScale']);
      for (const [name, error] of [...Object.entries(r.gradients), ...Object.entries(r.parameters)]) {
        expect(error, `${r.bagUpdate}: ${name}`).toBeLessThan(1e-4);
      }
      expect(Math.abs(r.loss.device - r.loss.cpu)).toBeLessThan(1e-5);
      expect(r.lossGap).toBeLessThan(1e-5);
    }
    // The whole trainer, steps and validation, runs on WebGPU and follows the CPU's run epoch by epoch.
    const [onCpu, onGpu] = trained;
    expect([onCpu.device, onGpu.device]).toEqual(['cpu', 'webgpu']);
    expect(onGpu.history).toHaveLength(3);
    onGpu.history.forEach((epoch, i) => {
      expect(epoch.valLoss).toBeCloseTo(onCpu.history[i].valLoss, 4);
      // 32 validation pairs: summation order may move one pair across the top-10 boundary.
      expect(Math.abs(epoch.r10 - onCpu.history[i].r10)).toBeLessThanOrEqual(1 / 32 + 1e-9);
      if (i > 0) expect(epoch.trainLoss!).toBeCloseTo(onCpu.history[i].trainLoss!, 4);
    });
  }, 180_000);
});
