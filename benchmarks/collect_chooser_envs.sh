#!/bin/sh
# Collect the chooser's fitting data in every environment this machine can produce (see
# benchmarks/collect_chooser_data.py): ISA avx512/avx2, OpenBLAS native/Haswell kernels, 1/2 threads,
# float32/float64. Usage: sh benchmarks/collect_chooser_envs.sh OUTDIR [ROUNDS]
# Each environment takes 1-4 minutes on 2 cores.
out=${1:-benchmarks/fit_data/chooser}
rounds=${2:-5}
mkdir -p "$out"
for threads in 1 2; do
  for dtype in float32 float64; do
    for isa in avx512 avx2; do
      for blas in native haswell; do
        name="${isa}_${blas}_t${threads}_${dtype}"
        [ -f "$out/$name.json" ] && continue
        if [ "$blas" = haswell ]; then
          set -- env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Haswell
        else
          set -- env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
        fi
        "$@" CNNKERN_ISA=$isa python benchmarks/collect_chooser_data.py --threads "$threads" \
          --dtype "$dtype" --rounds "$rounds" --out "$out/$name.json" 2> "$out/$name.log" || exit 1
        echo "$name: $(tail -1 "$out/$name.log")"
      done
    done
  done
done
