#!/usr/bin/env node
// Runs the original face-api networks (tfjs CPU backend, pure JS float32) on the raw input tensors written by
// `FaceService.ModelBuilder parity-inputs` and writes the parity fixtures the xunit tests compare our ONNX models with.
//
// Usage: node generate-fixtures.js <inputs-dir> [fixtures-dir] [--backend cpu|wasm]
// The inputs come from C# so that both sides see bit-identical pixels (see README.md).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const { tf } = faceapi;

const DEFAULT_FIXTURES_DIR = path.join(__dirname, '..', 'FaceService.ModelBuilder.Tests', 'Parity', 'fixtures');
const MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

// face-api's own detector defaults (SsdMobilenetv1Options), so the fixture shows what face-api returns out of the box.
const DETECTOR_OPTIONS = { minConfidence: 0.5, maxResults: 100 };
// Raw anchors kept per detector input: enough to cover every detection plus the strongest near-misses.
const RAW_TOP_K = 32;

function parseArgs(argv) {
  const positional = [];
  let backend = 'cpu';
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--backend') {
      backend = argv[i + 1];
      i += 1;
    } else {
      positional.push(argv[i]);
    }
  }
  if (positional.length < 1 || positional.length > 2 || !['cpu', 'wasm'].includes(backend)) {
    throw new Error('usage: node generate-fixtures.js <inputs-dir> [fixtures-dir] [--backend cpu|wasm]');
  }
  return { inputsDir: positional[0], fixturesDir: positional[1] || DEFAULT_FIXTURES_DIR, backend };
}

// float32 values need 9 significant digits to round-trip exactly.
const f32 = (x) => Number(Math.fround(x).toPrecision(9));

// Indented JSON with each array of numbers on one line, so fixture diffs stay readable.
const toJson = (value) => JSON.stringify(value, null, 1)
  .replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, body) => `[${body.split(/,\s*/).join(', ')}]`);

function readInput(inputsDir, entry) {
  const bytes = fs.readFileSync(path.join(inputsDir, entry.file));
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== entry.sha256) {
    throw new Error(`${entry.file}: sha256 ${sha256} does not match the index (${entry.sha256})`);
  }
  const [height, width, channels] = entry.shape;
  if (bytes.length !== height * width * channels * 4) {
    throw new Error(`${entry.file}: ${bytes.length} bytes, expected float32 [${entry.shape}]`);
  }
  // Copy into an aligned buffer; the file is little-endian float32 HWC RGB, 0..255.
  const values = new Float32Array(bytes.length / 4);
  for (let i = 0; i < values.length; i += 1) values[i] = bytes.readFloatLE(i * 4);
  return { sha256, tensor: tf.tensor4d(values, [1, height, width, channels], 'float32') };
}

async function recognition(input) {
  const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input);
  return { descriptor: Array.from(descriptor, f32) };
}

async function landmarks(input) {
  const result = await faceapi.nets.faceLandmark68Net.detectLandmarks(input);
  // Positions are in input pixels (relative output times the 112 px side; the input is already square).
  return { landmarks: result.positions.flatMap((p) => [f32(p.x), f32(p.y)]) };
}

async function detector(input) {
  const detections = await faceapi.nets.ssdMobilenetv1.locateFaces(input, DETECTOR_OPTIONS);
  const raw = await faceapi.nets.ssdMobilenetv1.forward(input);
  const scores = raw.scores[0].dataSync();
  const boxes = raw.boxes[0].dataSync();
  raw.boxes.forEach((t) => t.dispose());
  raw.scores.forEach((t) => t.dispose());
  const top = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]).slice(0, RAW_TOP_K);
  return {
    anchorCount: scores.length,
    detections: detections.map((d) => ({
      score: f32(d.score),
      // Pixels of the input tensor: face-api clips the relative box to 0..1 and scales it by the input size.
      box: [d.box.x, d.box.y, d.box.width, d.box.height].map(f32),
    })),
    // Raw network output for the strongest anchors: sigmoid score and (ymin, xmin, ymax, xmax) relative to the input.
    topAnchors: top.map((i) => ({
      index: i,
      score: f32(scores[i]),
      box: Array.from(boxes.subarray(i * 4, i * 4 + 4), f32),
    })),
  };
}

const NETWORKS = {
  recognition: { net: () => faceapi.nets.faceRecognitionNet, run: recognition },
  landmarks: { net: () => faceapi.nets.faceLandmark68Net, run: landmarks },
  detector: { net: () => faceapi.nets.ssdMobilenetv1, run: detector },
};

async function main() {
  const { inputsDir, fixturesDir, backend } = parseArgs(process.argv.slice(2));
  await tf.setBackend(backend);
  await tf.ready();
  const index = JSON.parse(fs.readFileSync(path.join(inputsDir, 'inputs.json'), 'utf8'));
  fs.mkdirSync(fixturesDir, { recursive: true });

  for (const [network, { net, run }] of Object.entries(NETWORKS)) {
    const entries = index.inputs.filter((e) => e.network === network);
    if (entries.length === 0) throw new Error(`inputs.json has no ${network} inputs`);
    await net().loadFromDisk(MODEL_DIR);
    const results = [];
    for (const entry of entries) {
      const started = Date.now();
      const { sha256, tensor } = readInput(inputsDir, entry);
      const outputs = await run(tensor);
      tensor.dispose();
      results.push({ name: entry.name, shape: entry.shape, sha256, ...outputs });
      console.log(`${network} ${entry.name}: ${Date.now() - started} ms`);
    }
    const fixture = {
      generator: 'tests/parity/generate-fixtures.js',
      faceApi: faceapi.version,
      tfjs: tf.version_core,
      backend: tf.getBackend(),
      inputGenerator: index.generator,
      ...(network === 'detector' ? { options: { ...DETECTOR_OPTIONS, iouThreshold: 0.5 } } : {}),
      inputs: results,
    };
    const file = path.join(fixturesDir, `${network}.json`);
    fs.writeFileSync(file, `${toJson(fixture)}\n`);
    console.log(`wrote ${file}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
