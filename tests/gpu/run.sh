#!/usr/bin/env bash
# GPU figures, on a host with an NVIDIA GPU: builds the bench against ONNX Runtime's CUDA package (-p:OnnxGpu=true,
# in artifacts/gpu so that the CPU build stays as it is) and prints, per device (CUDA, then TensorRT where it runs),
# the pipeline's stage table, the recognition net alone at batch 1/8/32/64 and the pipeline end to end at 1/4/16
# concurrent requests. Needs the NVIDIA driver, CUDA 12 and cuDNN 9 (TensorRT 10 for its rows), .NET 10, the models
# (models/build.sh) and ../shared/data beside the repository.
# Usage: bash tests/gpu/run.sh [seconds per end-to-end row, default 10]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds="${1:-10}"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || { echo "no NVIDIA GPU here: nothing to measure" >&2; exit 1; }
dotnet build src/FaceService.Bench -c Release -p:OnnxGpu=true --artifacts-path artifacts/gpu -v quiet -nologo
bench=(dotnet artifacts/gpu/bin/FaceService.Bench/release/FaceService.Bench.dll)

for device in cuda tensorrt; do
  echo "== Inference:Device=$device"
  # TensorRT builds its engines on the first run (minutes) and caches them in models/trt-engines.
  "${bench[@]}" pipeline --device "$device" --batches 1,8,32,64 --concurrency 1,4,16 --seconds "$seconds" --max-concurrent-runs 4 \
    || echo "== $device could not run on this host (see the message above)"
done
