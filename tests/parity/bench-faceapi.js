#!/usr/bin/env node
// Times @vladmandic/face-api doing what our enroll does (decode -> SSD MobileNetV1 -> 68 landmarks -> descriptor) on a
// folder of JPEG photos, so `docs/BENCHMARKS.md` can put it side by side with our pipeline on the same photos.
//
// Usage: node bench-faceapi.js <photos-dir> [--backend wasm|cpu] [--warmup N] [--shard i/n] [--out result.json]
// Photos are found recursively (*.jpg, *.jpeg), sorted by relative path; --shard i/n takes every n-th from the i-th
// (0-based), so that n processes (one per core: tfjs-wasm runs on one thread) share one list (`bench compare`). Decoding uses jpeg-js (pure JS; Node has no
// canvas here), and it is inside the per-image time like our Skia decode is inside ours.
'use strict';

const fs = require('fs');
const path = require('path');
const jpeg = require('jpeg-js');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const { tf } = faceapi;
const MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
// The same detector settings as our InferenceOptions defaults (DetectorScoreThreshold 0.5, MaxFacesPerImage 100,
// 512 px input, which face-api's SSD always uses).
const DETECTOR_OPTIONS = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });

function parseArgs(argv) {
  const args = { backend: 'wasm', warmup: 3, out: null, photosDir: null, shard: 0, shards: 1 };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--backend') args.backend = argv[(i += 1)];
    else if (a === '--warmup') args.warmup = Number(argv[(i += 1)]);
    else if (a === '--out') args.out = argv[(i += 1)];
    else if (a === '--shard') [args.shard, args.shards] = argv[(i += 1)].split('/').map(Number);
    else if (!args.photosDir) args.photosDir = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!args.photosDir || !['wasm', 'cpu'].includes(args.backend) || !(args.warmup >= 0)
      || !(args.shards >= 1 && args.shard >= 0 && args.shard < args.shards)) {
    throw new Error('usage: node bench-faceapi.js <photos-dir> [--backend wasm|cpu] [--warmup N] [--shard i/n] [--out result.json]');
  }
  return args;
}

function listPhotos(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.jpe?g$/i.test(entry.name)) found.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return found.sort();
}

// RGBA from jpeg-js -> int32 HWC RGB tensor, the input face-api's NetInput accepts for a tensor.
function decode(bytes) {
  const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  return tf.tensor3d(data, [height, width, 3], 'int32');
}

async function enroll(bytes) {
  const image = decode(bytes);
  try {
    const faces = await faceapi.detectAllFaces(image, DETECTOR_OPTIONS).withFaceLandmarks().withFaceDescriptors();
    return faces.map((f) => ({
      score: f.detection.score,
      box: [f.detection.box.x, f.detection.box.y, f.detection.box.width, f.detection.box.height],
      descriptor: Array.from(f.descriptor),
    }));
  } finally {
    image.dispose();
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  await tf.setBackend(args.backend);
  await tf.ready();
  const flags = args.backend === 'wasm'
    ? {
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    }
    : {};
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);

  const photos = listPhotos(args.photosDir).filter((_, i) => i % args.shards === args.shard);
  if (photos.length === 0) throw new Error(`no JPEG photos under ${args.photosDir}`);
  const bytes = photos.map((p) => fs.readFileSync(path.join(args.photosDir, p)));

  // Warm-up on real photos (kernels compile and buffers grow on first use of each shape).
  for (let i = 0; i < args.warmup; i += 1) await enroll(bytes[i % bytes.length]);

  const results = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < photos.length; i += 1) {
    const t0 = process.hrtime.bigint();
    const faces = await enroll(bytes[i]);
    results.push({ photo: photos[i], ms: Number(process.hrtime.bigint() - t0) / 1e6, faces });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  const faceCount = results.reduce((n, r) => n + r.faces.length, 0);
  const summary = {
    faceApi: faceapi.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    ...flags,
    node: process.version,
    images: photos.length,
    faces: faceCount,
    seconds,
    imagesPerSecond: photos.length / seconds,
    facesPerSecond: faceCount / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
  console.log(JSON.stringify(summary));
  if (args.out) fs.writeFileSync(args.out, `${JSON.stringify({ ...summary, photos: results })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
