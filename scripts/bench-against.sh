#!/usr/bin/env bash
# End-to-end throughput of this tree against an earlier commit, fairly: the same photos, the same machine, the same
# minutes (runs alternate old, new, old, new), each tree's own `bench pipeline` (which embeds every face through
# IFacePipeline with its own defaults). Photos: ../shared/data/faces beside the repository, split into LFW-size
# (longer side <= 250 px) and larger photos (the group photos with them), listed in temporary folders (never copied).
# Usage: bash scripts/bench-against.sh <commit> [seconds per row, default 10]
# Example (issue 19's baseline, the defaults before it): bash scripts/bench-against.sh 85eb0d8
# Prints each run's output, then faces/s one request at a time and 4 in flight (micro-batching on) and new/old ratios.
# Needs the models built in this tree (models/build.sh); the old tree uses the same model files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMIT="${1:?usage: bench-against.sh <commit> [seconds]}"
SECONDS_PER_ROW="${2:-10}"
PHOTOS="$(cd "$ROOT/../shared/data/faces" && pwd)"
WORK="$(mktemp -d /tmp/faceservice-bench-against-XXXXXX)"
trap 'git -C "$ROOT" worktree remove --force "$WORK/old" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

git -C "$ROOT" worktree add --detach --force "$WORK/old" "$COMMIT" >/dev/null
for model in "$ROOT"/models/*.onnx "$ROOT"/models/*.bin; do ln -sf "$model" "$WORK/old/models/"; done
dotnet build -c Release "$WORK/old/src/FaceService.Bench" -v q -nologo >/dev/null
dotnet build -c Release "$ROOT/src/FaceService.Bench" -v q -nologo >/dev/null

# Photo lists by size, from the manifest's person folders and group photos.
for sizes in lfw larger; do mkdir -p "$WORK/$sizes"; printf 'path\tperson\n' > "$WORK/$sizes/manifest.tsv"; done
tail -n +2 "$PHOTOS/manifest.tsv" | while IFS=$'\t' read -r path person; do
    [[ "$person" == _* && "$person" != _group ]] && continue
    # file(1) says "…, 500x332, …" for a JPEG (after its density, also WxH) and "…, 640 x 480, …" for a PNG.
    read -r width height < <(file -L "$PHOTOS/$path" | sed 's/.*: //' | grep -oE '[0-9]+ ?x ?[0-9]+' | tail -1 | tr -d ' ' | tr x ' ')
    [[ -n "${height:-}" ]] || { echo "no size for $path" >&2; exit 1; }
    sizes=$([[ $(( width > height ? width : height )) -le 250 ]] && echo lfw || echo larger)
    mkdir -p "$WORK/$sizes/$(dirname "$path")"
    ln -s "$PHOTOS/$path" "$WORK/$sizes/$path"
    printf '%s\t%s\n' "$path" "$person" >> "$WORK/$sizes/manifest.tsv"
done

ARGS=(pipeline --concurrency 1,4 --batches 1 --seconds "$SECONDS_PER_ROW" --batch-seconds 1 --groups true)
run() { # tree label sizes
    echo "### $2 $3"
    (cd "$1" && dotnet "$1/src/FaceService.Bench/bin/Release/net10.0/FaceService.Bench.dll" "${ARGS[@]}" --photos "$WORK/$3")
}
{
    for sizes in lfw larger; do
        for round in 1 2; do
            run "$WORK/old" "old($COMMIT)" "$sizes"
            run "$ROOT" new "$sizes"
        done
    done
} | tee "$WORK/runs.txt"

# The end-to-end rows with micro-batching on: "on (max 16, wait 0 ms)  <conc> <images> <faces> <images/s> <faces/s> ...".
echo
echo "faces/s, micro-batching on (each run of the alternation):"
awk '/^### /{label=$2; sizes=$3} /^on \(max/{print sizes, label, "conc", $7, $11}' "$WORK/runs.txt" | sort -s -k1,1 -k4,4n |
    awk '{key=$1" conc "$4; if ($2 ~ /^new/) {n[key]+=$5; nc[key]++; nl[key]=nl[key]" "$5} else {o[key]+=$5; oc[key]++; ol[key]=ol[key]" "$5}}
         END {for (k in n) printf "%-18s old%s  new%s  ratio of means %.2fx\n", k, ol[k], nl[k], (n[k]/nc[k])/(o[k]/oc[k])}' | sort
