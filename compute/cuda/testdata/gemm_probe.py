# cuBLAS through PyTorch on the step's matrix shapes: how fast can the per-step GEMMs be?
import torch, time, sys
def bench(f, n=50):
    for _ in range(5): f()
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(n): f()
    torch.cuda.synchronize(); return (time.perf_counter() - t) / n * 1e6
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for ng in (4096, 1024):
        h = torch.randn(200, ng, device="cuda"); W = torch.randn(ng, ng, device="cuda"); C = torch.randn(200, ng, device="cuda")
        nn = bench(lambda: torch.addmm(C, h, W))
        nt = bench(lambda: torch.addmm(C, h, W.t()))
        print(f"torch {'tf32' if tf32 else 'fp32'} Ng {ng}: 200x{ng}x{ng} addmm NN {nn:.1f} us, NT {nt:.1f} us ({2*200*ng*ng/nn/1e6:.0f} TFLOP/s NN)")
    for lanes in (32, 64):
        h = torch.randn(lanes, 200, 1024, device="cuda"); W = torch.randn(lanes, 1024, 1024, device="cuda"); C = torch.randn(lanes, 200, 1024, device="cuda")
        t = bench(lambda: torch.baddbmm(C, h, W))
        print(f"torch {'tf32' if tf32 else 'fp32'} bmm {lanes}x200x1024x1024: {t:.1f} us ({2*lanes*200*1024*1024/t/1e6:.0f} TFLOP/s)")
# Would splitting K help the single network's per-step product (64 output tiles of 128×128 on
# 132 SMs)? S partial products of K/S as one batched call, then their sum, against one product.
torch.backends.cuda.matmul.allow_tf32 = True
for ng in (4096, 1024):
    h = torch.randn(200, ng, device="cuda"); W = torch.randn(ng, ng, device="cuda"); C = torch.randn(200, ng, device="cuda")
    for s in (2, 4):
        hs = h.view(200, s, ng // s).transpose(0, 1).contiguous()   # s × 200 × K/s
        Ws = W.view(s, ng // s, ng)                                  # s × K/s × N
        part = bench(lambda: torch.bmm(hs, Ws))
        total = bench(lambda: torch.bmm(hs, Ws).sum(0).add_(C))
        print(f"torch tf32 Ng {ng}: split-K {s}: partial products {part:.1f} us, with their sum {total:.1f} us")
# cuBLASLt's own heuristic for the same shapes (PyTorch routes matmuls through it on request).
try:
    torch.backends.cuda.preferred_blas_library("cublaslt")
    for ng in (4096, 1024):
        h = torch.randn(200, ng, device="cuda"); W = torch.randn(ng, ng, device="cuda"); C = torch.randn(200, ng, device="cuda")
        print(f"torch tf32 cublaslt Ng {ng}: 200x{ng}x{ng} addmm NN {bench(lambda: torch.addmm(C, h, W)):.1f} us")
    h = torch.randn(32, 200, 1024, device="cuda"); W = torch.randn(32, 1024, 1024, device="cuda")
    print(f"torch tf32 cublaslt bmm 32x200x1024x1024: {bench(lambda: torch.bmm(h, W)):.1f} us")
except Exception as e:
    print(f"cublaslt: {e}")
