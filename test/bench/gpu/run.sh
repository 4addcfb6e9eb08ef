#!/usr/bin/env bash
# Runs on the device machine (see pack.sh): GPU training throughput and correctness, one go.
#   run.sh [bench|profile|costs|quick]
# bench: bench:train on cpu and webgpu, then the step bench's breakdown and a CPU comparison of
# gradients and 10 steps; profile: ONNX Runtime's per-operator profile of the step on each device;
# costs: the WebGPU provider's copy rate and host time per kernel (webgpu-costs.ts), and the
# image encoder's CNN on each device (cnn-devices.ts);
# quick: tiny runs, for a dry run here on SwiftShader (VK_ICD_FILENAMES set by hand).
set -uo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT" /tmp/rt
exec > >(tee "$OUT/log.txt") 2>&1
tar -C /tmp/rt -xJf .dev/pkg.tar.xz
# NVIDIA's Vulkan ICD is libGLX_nvidia.so.0, which needs glvnd's dispatch libraries as well.
if ! ldconfig -p | grep -q libGLdispatch.so.0 || ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .dev/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; fi
done
echo "== $(date -u +%FT%TZ) $(uname -m), $(nproc) cores; node $(/tmp/rt/node --version); Vulkan driver ${VK_ICD_FILENAMES:-none found}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 || true
cp "$ROOT/test/bench/gpu/profile-summary.mjs" /tmp/rt/
cd /tmp/rt
run() { echo "== $*"; timeout 200 ./node "$@" 2>&1 | grep -v -E 'VerifyEachNodeIsAssignedToAnEp|XDG_RUNTIME_DIR'; }
case "${1:-bench}" in
quick)
  run bench-train.mjs --pairs 512 --devices cpu,webgpu
  run align-bench.mjs --steps 1 --device webgpu --compare --profile "$OUT/webgpu"
  ./node profile-summary.mjs "$OUT"/webgpu_*.json
  exit 0 ;;
costs)
  run gpu-webgpu-costs.mjs
  run gpu-webgpu-costs.mjs --device cpu
  if [ -f image-cnn.onnx ]; then run gpu-cnn-devices.mjs image-cnn.onnx; run gpu-cnn-devices.mjs image-cnn.onnx --batch 64; fi
  exit 0 ;;
profile)
  for device in webgpu cpu; do
    run align-bench.mjs --steps 30 --device "$device" --profile "$OUT/$device"
    ./node profile-summary.mjs "$OUT/$device"_*.json
  done
  exit 0 ;;
esac
BENCH_JSON=$OUT/bench-train.json run bench-train.mjs --devices cpu,webgpu
run align-bench.mjs --steps 30 --device webgpu --compare
run align-bench.mjs --steps 30 --device webgpu --bag-update graph
run align-bench.mjs --steps 30 --device cpu
run align-bench.mjs --steps 30 --device cpu --threads 2
nvidia-smi --query-gpu=clocks.sm,utilization.gpu,memory.used --format=csv 2>&1 || true
