#!/bin/bash
# Issue 4's check on a machine with a CUDA GPU and idle CPU cores (first run on an H200 machine in
# session 23: 5 minutes; the CPU steps alone take 6.5 minutes on the 2-core machine). It
# tests the torch-cuda target (tests/test_profiler.py is parametrised over every available target),
# profiles nb201 and fbnet on torch-cuda and on ort-cpu, fits and scores every latency predictor on
# both, and re-measures 30 networks per space on both targets for the noise ceiling. Results go to
# benchmarks/results/*_device_check*; a tarball of them,
# the profiles and the logs to $OUT (default ./device_out). Where nothing can be installed from a
# registry, put an xgboost wheel in .whl/ first.
#
#     OUT=/tmp/dev bash benchmarks/device_check.sh
#     CUDA_ONLY=1 OUT=/tmp/dev bash benchmarks/device_check.sh    # the torch-cuda steps alone (~3 min)
set -u
OUT=${OUT:-$PWD/device_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
T0=$(date +%s)
stamp() { echo "=== $(( $(date +%s) - T0 ))s $*"; }
save() { tar czf $OUT/res.tar.gz benchmarks/results/*device_check* /tmp/prof /tmp/logs 2>/dev/null; }
mkdir -p /tmp/logs /tmp/prof
stamp setup
[ -d .whl ] && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl >/tmp/logs/pip.log 2>&1
python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/site . >>/tmp/logs/pip.log 2>&1 || { tail -20 /tmp/logs/pip.log; }
export PYTHONPATH=/tmp/site PATH=/tmp/site/bin:$PATH
cd /tmp && python3 -c "import hwnas, xgboost, onnxruntime, torch, pandas; print(hwnas.__file__, pandas.__version__, xgboost.__version__, onnxruntime.__version__, torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU')"; cd - >/dev/null
(nproc; lscpu | head -20; nvidia-smi; cat /proc/loadavg) > /tmp/logs/machine.txt 2>&1
python3 -c "from hwnas.profiler import list_targets; print(list_targets())"
stamp pytest
python3 -m pytest -q -p no:cacheprovider tests/test_profiler.py 2>&1 | tail -5 | tee /tmp/logs/pytest.txt
stamp torch-cuda profile; save
for s in nb201 fbnet; do
  hwnas profile --space $s --target torch-cuda --networks 100 --out /tmp/prof/$s-torch-cuda-t1-b1 --no-progress --json > /tmp/logs/prof_cuda_$s.json 2>&1; tail -c 300 /tmp/logs/prof_cuda_$s.json
done
stamp lp cuda
python3 benchmarks/latency_profile.py --spaces nb201 fbnet --root /tmp/prof --target torch-cuda --name latency_profile_torch_cuda_device_check --predictors lut xgb ensemble fewshot gnn > /tmp/logs/lp_cuda.txt 2>&1; tail -16 /tmp/logs/lp_cuda.txt | cut -c1-200
stamp repeat cuda; save
python3 benchmarks/latency_repeatability.py --spaces nb201 fbnet --root /tmp/prof --target torch-cuda --networks 30 --name latency_repeatability_torch_cuda_device_check > /tmp/logs/rep_cuda.txt 2>&1; tail -12 /tmp/logs/rep_cuda.txt | cut -c1-250
[ "${CUDA_ONLY:-0}" = 1 ] && { stamp done; save; exit 0; }
stamp ort profile; save; cat /proc/loadavg
python3 benchmarks/profile_budget.py --spaces nb201 fbnet --root /tmp/prof --no-progress --name profile_budget_device_check > /tmp/logs/pb.txt 2>&1; tail -3 /tmp/logs/pb.txt | cut -c1-400
stamp lp ort; save
python3 benchmarks/latency_profile.py --spaces nb201 fbnet --root /tmp/prof --name latency_profile_device_check --predictors lut xgb ensemble fewshot gnn > /tmp/logs/lp_ort.txt 2>&1; tail -16 /tmp/logs/lp_ort.txt | cut -c1-200
stamp repeat; save; cat /proc/loadavg
python3 benchmarks/latency_repeatability.py --spaces nb201 fbnet --root /tmp/prof --networks 30 --name latency_repeatability_device_check > /tmp/logs/rep.txt 2>&1; tail -12 /tmp/logs/rep.txt | cut -c1-250
stamp done; save
