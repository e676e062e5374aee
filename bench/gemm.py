"""The machine's fp32 GEMM peak: GFLOP/s of a large sgemm in torch (OpenBLAS) on N threads.

    /usr/bin/python3 bench/gemm.py THREADS
"""
import json
import sys
import time

import torch

threads = int(sys.argv[1])
torch.set_num_threads(threads)
n = 2048
a, b = torch.randn(n, n), torch.randn(n, n)
a @ b  # warm-up: thread pool and BLAS buffers
best = 0.0
for _ in range(5):
    t = time.perf_counter()
    a @ b
    best = max(best, 2 * n**3 / (time.perf_counter() - t) / 1e9)
print(json.dumps({"threads": threads, "gflops": best}))
