#!/usr/bin/env bash
# Packs what tests/gpu/run.sh needs on a GPU machine that has an NVIDIA GPU and a CUDA PyTorch but no .NET SDK:
#   bash tests/gpu/prepare.sh [OUT]      (on a machine with the .NET SDK; OUT defaults to tests/gpu/bundle)
# OUT/align    `align` published framework-dependent (no apphost), with this machine's CPU bridge (replaced on the GPU machine)
# OUT/dotnet   a private copy of this machine's .NET runtime (host + Microsoft.NETCore.App + Microsoft.AspNetCore.App), so the
#              bundle runs where no .NET is installed: together they are a self-contained `align`
# OUT/native   the bridge's sources, rebuilt there against PyTorch's torch/ folder
# OUT/tests    the tensor library's test assembly (its CUDA tests run there only when a .NET SDK is found)
# OUT/run.sh   the script to run there
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(mkdir -p "${1:-$here/bundle}" && cd "${1:-$here/bundle}" && pwd)"
rm -rf "$out/align" "$out/dotnet" "$out/native" "$out/tests"

dotnet publish "$root/src/Alignment.Cli" -c Release -o "$out/align" -p:UseAppHost=false
dotnet build "$root/tests/Alignment.Torch.Tests" -c Release -o "$out/tests"

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
mkdir -p "$out/dotnet/shared"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$out/dotnet/"
for fw in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
  [ -d "$dotnet_root/shared/$fw" ] && cp -a "$dotnet_root/shared/$fw" "$out/dotnet/shared/"
done

cp -a "$root/src/Alignment.Torch/native" "$out/native"
cp "$here/run.sh" "$out/run.sh"
echo "prepare: bundle in $out ($(du -sh "$out" | cut -f1)); copy it to the GPU machine and run: bash run.sh RESULTS_DIR"
