#!/usr/bin/env bash
# Packs what the GPU training check needs into .dev/ (git-ignored), for the workplace's device
# machine: it has a GPU and a Vulkan driver but no Node.js and no npm registry. So this carries
# Node itself, onnxruntime-node's JS and native library, the Vulkan loader and glvnd (Debian's
# debs; NVIDIA's Vulkan driver needs both), and our benches bundled by esbuild into single files.
# Run `run.sh` there.
#   test/bench/gpu/pack.sh && device run: bash test/bench/gpu/run.sh  (carry .dev)
set -euo pipefail
cd "$(dirname "$0")/../../.."
rm -rf .dev && mkdir -p .dev/pkg/node_modules/onnxruntime-node
grep -qx '/.dev/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info && echo '/.dev/' >>.git/info/exclude; }

# The @audio/* decoders load lazily, only for audio files. sharp is imported by the encoders
# that the space module re-exports, but training never calls it: an alias keeps its native
# library out of the bundle, and fails loudly if anything did call it.
cat >.dev/no-sharp.mjs <<'JS'
export default function sharp() { throw new Error('sharp is not carried to the GPU machine'); }
JS
for entry in test/bench/train.ts models/align/bench.ts test/bench/gpu/webgpu-costs.ts test/bench/gpu/cnn-devices.ts; do
  name=$(basename "$(dirname "$entry")")-$(basename "$entry" .ts)
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --external:onnxruntime-node --external:@audio/* --alias:sharp=./.dev/no-sharp.mjs \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile=".dev/pkg/$name.mjs"
done

ort=node_modules/onnxruntime-node
cp -r node_modules/onnxruntime-common .dev/pkg/node_modules/
cp -r "$ort/dist" "$ort/package.json" .dev/pkg/node_modules/onnxruntime-node/
mkdir -p .dev/pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
cp "$ort"/bin/napi-v6/linux/x64/* .dev/pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
cp "$(command -v node)" .dev/pkg/node
# The image encoder's CNN, as converted on first use (the newest in the cache), for cnn-devices.
cnn=$(ls -t models/cache/image-*.onnx 2>/dev/null | head -1 || true)
if [ -n "$cnn" ]; then cp "$cnn" .dev/pkg/image-cnn.onnx; fi
(cd .dev && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 >/dev/null 2>&1)
tar -C .dev/pkg -cf - . | xz -T0 -6 >.dev/pkg.tar.xz
rm -rf .dev/pkg
du -sh .dev/*
