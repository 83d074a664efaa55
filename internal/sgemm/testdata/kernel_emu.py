#!/usr/bin/env python3
"""Checks the compiled micro-kernels by emulating their machine code.

The AVX-512 kernel cannot run on a machine without AVX-512, so this script
takes the kernel's instructions as GNU objdump decodes them from a test binary
(an independent decoder of what the Go assembler emitted), emulates them on
float32 vectors, and compares the result with a float64 reference for many k,
alpha and beta, checking every memory access against the packed panels and the
C tile (C must not be read when beta is zero; nothing outside the tile may be
written). The AVX2 kernel, which the Go tests run on real hardware, goes
through the same emulator as a check of the emulator itself.

Usage (needs objdump and numpy):

    CGO_ENABLED=0 go test -c -o /tmp/sgemm.test ./internal/sgemm
    python3 internal/sgemm/testdata/kernel_emu.py /tmp/sgemm.test

Only the instructions the kernels use are emulated; any other stops the run.
"""
import re
import subprocess
import sys

import numpy as np

KERNELS = [
    # symbol, mr, nr
    ("kernel6x16AVX2FMA.abi0", 6, 16),
    ("kernel12x32AVX512.abi0", 12, 32),
]
WIDTH = {"xmm": 4, "ymm": 8, "zmm": 16}
GPR64 = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp"] + ["r%d" % i for i in range(8, 16)]
MASK64 = (1 << 64) - 1


def disassemble(binary, symbol):
    """Returns [(address, mnemonic, operands)] of the function named symbol."""
    nm = subprocess.run(["go", "tool", "nm", "-size", binary], capture_output=True, text=True)
    if nm.returncode != 0:  # no Go toolchain: fall back to binutils nm
        nm = subprocess.run(["nm", "-S", binary], capture_output=True, text=True, check=True)
    for line in nm.stdout.splitlines():
        f = line.split()
        if f[-1].endswith("." + symbol):
            if len(f) == 4 and f[2] == "T":  # go tool nm: addr size T name
                start, size = int(f[0], 16), int(f[1])
            else:  # nm -S: addr size t name (hex size)
                start, size = int(f[0], 16), int(f[1], 16)
            break
    else:
        sys.exit("symbol %s not found" % symbol)
    out = subprocess.run(
        ["objdump", "-d", "-M", "intel", "--no-show-raw-insn",
         "--start-address=%d" % start, "--stop-address=%d" % (start + size), binary],
        capture_output=True, text=True, check=True).stdout
    prog = []
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m:
            ops = re.sub(r"\s*<.*>$", "", m.group(3)).strip()
            prog.append((int(m.group(1), 16), m.group(2), ops))
    return prog


class Machine:
    def __init__(self, regions):
        self.gpr = {r: 0 for r in GPR64}
        self.vec = {i: np.zeros(16, np.float32) for i in range(32)}
        self.zf = False
        self.mem = {}  # address of a 4-byte word -> bytes
        self.regions = regions  # name -> list of (lo, hi, readable, writable)
        self.reads, self.writes = set(), set()

    def region_ok(self, addr, size, write):
        for spans in self.regions.values():
            for lo, hi, r, w in spans:
                if lo <= addr and addr + size <= hi and (w if write else r):
                    return True
        return False

    def load(self, addr, size):
        if not self.region_ok(addr, size, False):
            raise RuntimeError("read of %d bytes at %#x outside the readable regions" % (size, addr))
        return b"".join(self.mem[a] for a in range(addr, addr + size, 4))

    def store(self, addr, data):
        if not self.region_ok(addr, len(data), True):
            raise RuntimeError("write of %d bytes at %#x outside the writable regions" % (len(data), addr))
        for i in range(0, len(data), 4):
            self.mem[addr + i] = data[i:i + 4]

    def addr(self, op):
        m = re.search(r"\[(.*)\]", op)
        total = 0
        for term in re.findall(r"[+-]?[^+-]+", m.group(1).replace(" ", "")):
            sign = -1 if term.startswith("-") else 1
            term = term.lstrip("+-")
            if "*" in term:
                reg, scale = term.split("*")
                total += sign * self.gpr[reg] * int(scale, 0)
            elif term in self.gpr:
                total += sign * self.gpr[term]
            else:
                total += sign * int(term, 0)
        return total & MASK64

    def vreg(self, op):
        m = re.fullmatch(r"([xyz]mm)(\d+)", op)
        return (WIDTH[m.group(1)], int(m.group(2))) if m else None

    def vsrc(self, op, width):
        v = self.vreg(op)
        if v:
            return self.vec[v[1]][:width].copy()
        return np.frombuffer(self.load(self.addr(op), 4 * width), np.float32).copy()

    def vset(self, op, value):
        width, i = self.vreg(op)
        r = np.zeros(16, np.float32)  # VEX and EVEX writes zero the bits above the operand width
        r[:width] = value
        self.vec[i] = r

    def gsrc(self, op):
        if "PTR" in op:
            size = 8 if "QWORD" in op else 4
            return int.from_bytes(self.load(self.addr(op), size), "little")
        if op in self.gpr:
            return self.gpr[op]
        r32 = re.fullmatch(r"(r\d+)d|e(ax|bx|cx|dx|si|di)", op)
        if r32:
            name = r32.group(1) or "r" + r32.group(2)
            return self.gpr[name] & 0xFFFFFFFF
        return int(op, 0)

    def gset(self, op, value):
        r32 = re.fullmatch(r"(r\d+)d|e(ax|bx|cx|dx|si|di)", op)
        if r32:
            self.gpr[r32.group(1) or "r" + r32.group(2)] = value & 0xFFFFFFFF  # 32-bit writes zero-extend
        else:
            self.gpr[op] = value & MASK64

    def run(self, prog, limit=10_000_000):
        index = {a: i for i, (a, _, _) in enumerate(prog)}
        pc, steps = 0, 0
        while True:
            steps += 1
            if steps > limit:
                raise RuntimeError("no ret after %d instructions" % limit)
            _, mn, ops = prog[pc]
            args = [o.strip() for o in re.split(r",(?![^\[]*\])", ops)] if ops else []
            pc += 1
            if mn == "ret":
                return
            if mn in ("je", "jne", "jmp"):
                if mn == "jmp" or (mn == "je") == self.zf:
                    pc = index[int(args[0], 16)]
                continue
            if mn == "mov":
                self.gset(args[0], self.gsrc(args[1]))
            elif mn in ("add", "and", "shl", "shr", "sub"):
                a, b = self.gsrc(args[0]), self.gsrc(args[1])
                bits = 32 if re.fullmatch(r"r\d+d|e..", args[0]) else 64
                mask = (1 << bits) - 1
                r = {"add": a + b, "and": a & b, "shl": a << b, "shr": a >> b, "sub": a - b}[mn] & mask
                self.gset(args[0], r)
                self.zf = r == 0
            elif mn == "dec":
                r = (self.gsrc(args[0]) - 1) & MASK64
                self.gset(args[0], r)
                self.zf = r == 0
            elif mn.startswith("prefetch"):
                pass  # a hint: may point anywhere, reads nothing
            elif mn == "vzeroupper":
                for i in range(16):
                    self.vec[i][4:] = 0
            elif mn in ("vpxord", "vxorps", "vpxor"):
                if args[1] != args[2]:
                    raise RuntimeError("only the zeroing idiom of %s is emulated" % mn)
                self.vset(args[0], 0)
            elif mn == "vbroadcastss":
                width = self.vreg(args[0])[0]
                self.vset(args[0], np.full(width, self.vsrc(args[1], 1)[0], np.float32))
            elif mn == "vmovups":
                if self.vreg(args[0]):
                    width = self.vreg(args[0])[0]
                    self.vset(args[0], self.vsrc(args[1], width))
                else:
                    width, i = self.vreg(args[1])
                    self.store(self.addr(args[0]), self.vec[i][:width].tobytes())
            elif mn == "vmulps":
                width = self.vreg(args[0])[0]
                self.vset(args[0], self.vsrc(args[1], width) * self.vsrc(args[2], width))
            elif mn == "vfmadd231ps":
                # dst += src1·src2 with one rounding: the float32 product is exact in float64.
                width = self.vreg(args[0])[0]
                d = self.vsrc(args[0], width).astype(np.float64)
                p = self.vsrc(args[1], width).astype(np.float64) * self.vsrc(args[2], width).astype(np.float64)
                self.vset(args[0], (d + p).astype(np.float32))
            else:
                raise RuntimeError("instruction not emulated: %s %s" % (mn, ops))


def check(prog, name, mr, nr, k, alpha, beta, rng):
    ldc = nr + 5
    A, B, C, SP = 0x10000, 0x100000, 0x200000, 0x1000
    a = rng.uniform(-1, 1, (k, mr)).astype(np.float32)
    b = rng.uniform(-1, 1, (k, nr)).astype(np.float32)
    c0 = rng.uniform(-1, 1, (mr, ldc)).astype(np.float32)
    if beta == 0:
        c0[:] = np.nan
    c_rows = [(C + 4 * i * ldc, C + 4 * i * ldc + 4 * nr, beta != 0, True) for i in range(mr)]
    m = Machine({
        "stack": [(SP, SP + 64, True, False)],
        "A": [(A, A + a.nbytes, True, False)],
        "B": [(B, B + b.nbytes, True, False)],
        "C": c_rows,
    })
    args = (k.to_bytes(8, "little") + A.to_bytes(8, "little") + B.to_bytes(8, "little") +
            C.to_bytes(8, "little") + ldc.to_bytes(8, "little") +
            np.float32(alpha).tobytes() + np.float32(beta).tobytes())
    for i in range(0, len(args), 4):
        m.mem[SP + 8 + i] = args[i:i + 4]
    for base, arr in ((A, a), (B, b), (C, c0)):
        raw = arr.tobytes()
        for i in range(0, len(raw), 4):
            m.mem[base + i] = raw[i:i + 4]
    m.gpr["rsp"] = SP
    m.run(prog)
    got = np.frombuffer(b"".join(m.mem[C + i] for i in range(0, c0.nbytes, 4)), np.float32).reshape(mr, ldc)
    prod = a.astype(np.float64).T @ b.astype(np.float64)
    want = alpha * prod
    mag = abs(alpha) * (np.abs(a.astype(np.float64)).T @ np.abs(b.astype(np.float64)))
    if beta != 0:
        want += beta * c0[:, :nr].astype(np.float64)
        mag += np.abs(beta * c0[:, :nr].astype(np.float64))
    tol = 2 * 2.0 ** -23 * (k + 2) * mag  # the bound of sgemm_test.go (tolFactor, float32Eps)
    err = np.abs(got[:, :nr].astype(np.float64) - want)
    if not (err <= tol).all():
        i, j = np.unravel_index(np.argmax(err - tol), err.shape)
        raise RuntimeError("%s k=%d alpha=%g beta=%g: C[%d,%d] = %g, want %g" % (name, k, alpha, beta, i, j, got[i, j], want[i, j]))
    if not np.array_equal(got[:, nr:].view(np.uint32), c0[:, nr:].view(np.uint32)):
        raise RuntimeError("%s: padding of C changed" % name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rng = np.random.default_rng(1)
    for symbol, mr, nr in KERNELS:
        prog = disassemble(sys.argv[1], symbol)
        n = 0
        for k in (1, 2, 3, 4, 5, 7, 8, 9, 13, 64, 259):
            for alpha, beta in ((1, 0), (-0.5, 1.5), (2, 1), (0.75, -0.0), (1, -1)):
                check(prog, symbol, mr, nr, k, alpha, beta, rng)
                n += 1
        print("ok  %s (%d×%d): %d instructions, %d cases" % (symbol, mr, nr, len(prog), n))


if __name__ == "__main__":
    main()
