#!/usr/bin/env bash
# Regenerates tests/FaceService.Inference.Tests/Fixtures/dlib_landmarks.tsv: what dlib 19.24's shape_predictor gives
# on dev photos (../shared/data/faces) decoded by FaceService's decoder, for DlibShapePredictorParityTests.
# Rows: the first photo of each person and every group photo, with each box dlib's HOG detector finds there (kind
# "hog") and one box hanging over the top-left or bottom-right corner (kind "edge": feature pixels outside the image).
# Needs: models/build.sh run (for the .dat), apt-get install g++ pkg-config libdlib-dev. Usage: from any directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
predictor="$root/models/.cache/libdlib-data/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
fixture="$root/tests/FaceService.Inference.Tests/Fixtures/dlib_landmarks.tsv"
[[ -f "$predictor" ]] || { echo "generate-fixtures.sh: $predictor missing; run models/build.sh" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bash "$here/build.sh"
dotnet run -c Release --project "$root/src/FaceService.Bench" -- export-rgb --set faces --out "$work/rgb"
# The photos: the first of each person, and the group photos.
awk -F'\t' 'NR > 1 { person = $1; sub(/\/.*/, "", person); if (person == "_group" || !(person in seen)) print; seen[person] = 1 }' \
  "$work/rgb/index.tsv" > "$work/photos.tsv"
{ head -1 "$work/rgb/index.tsv"; grep -v '^_noface/' "$work/photos.tsv"; } > "$work/rgb/index.tsv.selected"
mv "$work/rgb/index.tsv.selected" "$work/rgb/index.tsv"
"$here/bin/dlib_reference" hog "$work/rgb" > "$work/hog.tsv"
{
  printf 'path\twidth\theight\trgb_sha256\tleft\ttop\tright\tbottom\tkind\n'
  awk -F'\t' -v OFS='\t' 'NR > 1 { print $1, $2, $3, $4, $5, $6, $7, $8, "hog" }' "$work/hog.tsv"
  awk -F'\t' -v OFS='\t' 'NR > 1 {
    side = int(($2 < $3 ? $2 : $3) / 2)
    if (NR % 2) print $1, $2, $3, $4, -int(side / 4), -int(side / 4), side - int(side / 4) - 1, side - int(side / 4) - 1, "edge"
    else print $1, $2, $3, $4, $2 - side + int(side / 4), $3 - side + int(side / 4), $2 + int(side / 4) - 1, $3 + int(side / 4) - 1, "edge"
  }' "$work/rgb/index.tsv"
} > "$work/requests.tsv"
"$here/bin/dlib_reference" landmarks "$predictor" "$work/rgb" "$work/requests.tsv" > "$fixture"
echo "wrote $fixture ($(($(wc -l < "$fixture") - 1)) rows)"
