#!/usr/bin/env bash
# Runs on a machine with an NVIDIA GPU and a CUDA PyTorch (python3 -c "import torch" works), no .NET SDK needed:
#   bash run.sh RESULTS_DIR               (from the bundle that tests/gpu/prepare.sh made)
# 1. builds the native bridge against that PyTorch's torch/ folder (CUDA, and NCCL when the nvidia-nccl package's
#    nccl.h is found), with cmake and g++;
# 2. `align doctor --json` (CUDA built in / available / devices) and `align bench torch --device cuda --json`;
# 3. the tensor library's CUDA tests (CudaTests, NnCudaTests) when a .NET SDK is on PATH, else records that they were skipped;
# 4. a one-GPU NCCL run: a process group of one rank over NCCL and DDP's Reducer over CUDA parameters, timed
#    (`align bench ddp --case allreduce` with ALIGN_DIST_BACKEND=nccl);
# 5. `align bench train --json` as the trainers run it (they train on the CPU; there is no device option yet).
# Every step's output goes to RESULTS_DIR (one file each, plus summary.txt); a failing step is recorded and the rest run.
set -uo pipefail
if [ $# -ne 1 ]; then echo "usage: bash run.sh RESULTS_DIR" >&2; exit 2; fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="$(mkdir -p "$1" && cd "$1" && pwd)"
summary="$results/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
step() {  # step NAME OUTFILE COMMAND...
  local name="$1" file="$2"; shift 2
  local start=$SECONDS
  if "$@" > "$results/$file" 2> "$results/$file.stderr"; then note "ok    $name ($((SECONDS - start)) s) -> $file"
  else note "FAIL  $name (exit $?, $((SECONDS - start)) s) -> $file, $file.stderr"; fi
}

torch_dir="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')" || { note "FAIL  no PyTorch for python3"; exit 1; }
note "torch $(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())')"
nccl_include="$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "include"))' 2>/dev/null || true)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$summary" 2>/dev/null || true

build="$here/build"
step "bridge build against $torch_dir" bridge-build.txt \
  env ALIGN_LIBTORCH="$torch_dir" ALIGN_NCCL_INCLUDE="$nccl_include" \
  bash -c "cmake -S '$here/native' -B '$build' -DCMAKE_BUILD_TYPE=Release && cmake --build '$build' -j \"\$(nproc)\""
if [ ! -f "$build/libaligntorch.so" ]; then note "FAIL  no bridge; stopping"; exit 1; fi
cp "$build/libaligntorch.so" "$here/align/libaligntorch.so"
cp "$build/libaligntorch.so" "$here/tests/libaligntorch.so"

export DOTNET_ROOT="$here/dotnet"
align=("$DOTNET_ROOT/dotnet" "$here/align/align.dll")
step "align doctor" doctor.json "${align[@]}" doctor --json
step "align bench torch on CUDA" bench-torch-cuda.json "${align[@]}" bench torch --device cuda --json

if command -v dotnet >/dev/null 2>&1 && [ -n "$(dotnet --list-sdks 2>/dev/null)" ]; then
  step "CUDA tests" cuda-tests.txt dotnet test "$here/tests/Alignment.Torch.Tests.dll" --filter "FullyQualifiedName~Cuda"
else
  note "skip  CUDA tests: no .NET SDK on this machine (dotnet test needs one)"
fi

step "one-GPU NCCL: process group + DDP Reducer on CUDA" nccl-one-gpu.json env ALIGN_DIST_BACKEND=nccl "${align[@]}" bench ddp --case allreduce --json
step "align bench train (trainers on CPU)" bench-train.json "${align[@]}" bench train --json
note "results in $results"
