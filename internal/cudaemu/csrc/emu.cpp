// emu.cpp: the CUDA driver API, cuBLAS and NVRTC entry points that compute/cuda binds
// (compute/cuda/lib.go), emulated on the CPU. See doc.go for what is and is not emulated.
// The kernels come from the module translation units that Build generates (one per .cu file,
// compiled through cuda_shim.h), which register themselves with gc_emu_register_module.
#include "emu.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#define GC_EXPORT extern "C" __attribute__((visibility("default")))

// CUresult (cuda.h).
enum : int {
	CUDA_SUCCESS = 0,
	CUDA_ERROR_INVALID_VALUE = 1,
	CUDA_ERROR_OUT_OF_MEMORY = 2,
	CUDA_ERROR_NOT_INITIALIZED = 3,
	CUDA_ERROR_INVALID_DEVICE = 101,
	CUDA_ERROR_INVALID_IMAGE = 200,
	CUDA_ERROR_INVALID_CONTEXT = 201,
	CUDA_ERROR_INVALID_HANDLE = 400,
	CUDA_ERROR_NOT_FOUND = 500,
	CUDA_ERROR_NOT_READY = 600,
	CUDA_ERROR_ILLEGAL_ADDRESS = 700,
	CUDA_ERROR_NOT_SUPPORTED = 801,
};

// cublasStatus_t (cublas_api.h).
enum : int {
	CUBLAS_STATUS_SUCCESS = 0,
	CUBLAS_STATUS_NOT_INITIALIZED = 1,
	CUBLAS_STATUS_ALLOC_FAILED = 3,
	CUBLAS_STATUS_INVALID_VALUE = 7,
	CUBLAS_STATUS_EXECUTION_FAILED = 13,
	CUBLAS_STATUS_NOT_SUPPORTED = 15,
};

// nvrtcResult (nvrtc.h).
enum : int {
	NVRTC_SUCCESS = 0,
	NVRTC_ERROR_INVALID_INPUT = 3,
	NVRTC_ERROR_INVALID_PROGRAM = 4,
	NVRTC_ERROR_INVALID_OPTION = 5,
	NVRTC_ERROR_COMPILATION = 6,
};

namespace {

// The emulated device: one device, compute capability 9.0, two multiprocessors (so that the
// backend's grids, 16 blocks per SM, stay small and its grid-stride loops take several turns).
constexpr int kMajor = 9, kMinor = 0, kSMs = 2;
constexpr size_t kTotalMem = size_t(8) << 30;
constexpr const char *kImageMagic = "gridcells-cudaemu image fnv1a64=";

std::mutex mu; // every entry point below runs under it: one launch at a time (cuda_shim.h)
bool initialised = false;

struct Context {
	int device;
};
Context primary{0};
thread_local Context *current = nullptr; // the driver's current context is per OS thread

// primaryRetains counts cuDevicePrimaryCtxRetain calls not yet released: the context is
// usable while it is above 0. Unlike the driver, the last release keeps what the context
// holds (allocations, streams, …), so that cudaemuLive shows what a program left behind.
int primaryRetains = 0;

// live counts the objects the entry points create and destroy, for cudaemuLive; atomic
// because cuBLASLt's descriptor functions run without the lock.
struct {
	std::atomic<long long> streams{0}, events{0}, modules{0}, blas{0}, ltHandles{0}, ltDescs{0}, ltLayouts{0}, ltPrefs{0};
} live;

// destroyCounted deletes a cuBLAS or cuBLASLt object and counts it out of live: what each of
// their destroy entry points does, but for the status it returns for a null one.
template <class T> int destroyCounted(T *p, std::atomic<long long> &count, int nullStatus) {
	if (!p) return nullStatus;
	delete p;
	count--;
	return CUBLAS_STATUS_SUCCESS;
}

// The test knobs (cudaemuFail, cudaemuMaxThreads), read and set under mu.
std::string failing;                        // the entry point that fails, "" for none
std::map<std::string, int> maxThreadsFor;   // kernel name → cuFuncGetAttribute's MAX_THREADS_PER_BLOCK

// fails reports whether the test asked entry point name to fail (cudaemuFail). The caller
// holds mu.
bool fails(const char *name) { return !failing.empty() && failing == name; }

// lazy reports whether streams are lazy (doc.go): GRIDCELLS_CUDAEMU_LAZY=1, read at the first
// call that asks. A lazy stream queues its operations, after checking their arguments and
// copying what the driver reads at the call, and runs them when the host must observe them.
bool lazy() {
	static const bool on = [] {
		const char *v = std::getenv("GRIDCELLS_CUDAEMU_LAZY");
		return v && std::strcmp(v, "1") == 0;
	}();
	return on;
}

// A stream's queue holds its operations not yet run, oldest first (lazy mode only).
struct Stream {
	int flags; // CU_STREAM_NON_BLOCKING (1) or 0, a stream that synchronizes with the NULL stream
	std::deque<std::function<void()>> queue;
};
Stream legacy{0, {}};          // the NULL stream (stream handle 0), legacy semantics
std::vector<Stream *> streams; // every created stream, in creation order

Stream *streamOf(Stream *s) { return s ? s : &legacy; }

// drain runs every operation queued on s.
void drain(Stream *s) {
	while (!s->queue.empty()) {
		std::function<void()> op = std::move(s->queue.front());
		s->queue.pop_front();
		op();
	}
}

// order keeps the NULL stream's legacy ordering before work is added to s: work on the NULL
// stream follows all work of the blocking streams, and their work follows the NULL stream's.
// Running that earlier work now is an order a GPU could have chosen too.
void order(Stream *s) {
	if (s == &legacy) {
		for (Stream *o : streams)
			if (o->flags == 0) drain(o);
	} else if (s->flags == 0) {
		drain(&legacy);
	}
}

// submit runs op at once, or in lazy mode queues it on stream s.
void submit(Stream *s, std::function<void()> op) {
	if (!lazy()) {
		op();
		return;
	}
	s = streamOf(s);
	order(s);
	s->queue.push_back(std::move(op));
}

// settle runs what is queued on s before the host touches memory in stream order with it
// (a copy from or to pageable memory).
void settle(Stream *s) {
	if (!lazy()) return;
	s = streamOf(s);
	order(s);
	drain(s);
}

// drainAll runs every stream's queue.
void drainAll() {
	drain(&legacy);
	for (Stream *s : streams) drain(s);
}

// allocations maps each live device allocation's start to its size, for the checks of
// copies, frees and cuBLAS operands: a cuMemFreeAsync removes the allocation when it is
// called (later work on the stream may not use it) and, in lazy mode, releases the memory
// when the stream reaches it (earlier work still may).
std::map<uintptr_t, size_t> allocations;

// hostAllocations maps each live pinned host allocation (cuMemAllocHost) to its size: in lazy
// mode a copy from or to one is queued, from or to any other host memory it is synchronous.
std::map<uintptr_t, size_t> hostAllocations;

void warn(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	std::fprintf(stderr, "cudaemu: ");
	std::vfprintf(stderr, fmt, ap);
	std::fprintf(stderr, "\n");
	va_end(ap);
}

// within reports whether [p, p+n) lies in one allocation of m.
bool within(const std::map<uintptr_t, size_t> &m, uintptr_t p, size_t n) {
	auto it = m.upper_bound(p);
	if (it == m.begin()) return false;
	--it;
	return p >= it->first && p - it->first <= it->second && n <= it->second - (p - it->first);
}

// inside reports whether [p, p+n) lies in one live device allocation.
bool inside(uintptr_t p, size_t n) { return within(allocations, p, n); }

// queuedCopy reports whether a copy from or to the n host bytes at p is queued on its stream
// (lazy mode, pinned memory) rather than synchronous.
bool queuedCopy(const void *p, size_t n) { return lazy() && within(hostAllocations, (uintptr_t)p, n); }

uint64_t fnv1a64(const char *s, size_t n) {
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct Module {
	uint64_t hash;
	const gc_emu_kernel *kernels;
};
std::vector<Module> &modules() {
	static std::vector<Module> m;
	return m;
}

struct Function {
	const gc_emu_kernel *kernel;
	int maxThreads; // cuFuncGetAttribute's MAX_THREADS_PER_BLOCK, which launches must respect
};

// LoadedModule is one cuModuleLoadData of a registered module: cuModuleUnload deletes it
// and the functions looked up in it.
struct LoadedModule {
	const Module *module;
	std::vector<Function *> functions;
};
std::set<LoadedModule *> loadedModules;
std::set<const Function *> liveFunctions; // of the loaded modules: others are invalid handles

} // namespace

void gc_emu_register_module(uint64_t source_hash, const gc_emu_kernel *kernels) {
	modules().push_back(Module{source_hash, kernels});
}

#define NEED_INIT()                                                                                                            \
	if (!initialised) return CUDA_ERROR_NOT_INITIALIZED
#define NEED_CONTEXT()                                                                                                         \
	NEED_INIT();                                                                                                               \
	if (!current || primaryRetains == 0) return CUDA_ERROR_INVALID_CONTEXT

// ---- CUDA driver API ----

GC_EXPORT int cuInit(unsigned int flags) {
	std::lock_guard<std::mutex> l(mu);
	if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
	initialised = true;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuDriverGetVersion(int *v) {
	if (!v) return CUDA_ERROR_INVALID_VALUE;
	*v = 13000;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuDeviceGetCount(int *n) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (!n) return CUDA_ERROR_INVALID_VALUE;
	*n = 1;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuDeviceGet(int *dev, int ordinal) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (!dev) return CUDA_ERROR_INVALID_VALUE;
	if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
	*dev = 0;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuDeviceGetName(char *name, int len, int dev) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	std::snprintf(name, len, "gridcells cudaemu (CPU emulation)");
	return CUDA_SUCCESS;
}

GC_EXPORT int cuDeviceGetAttribute(int *v, int attr, int dev) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (!v) return CUDA_ERROR_INVALID_VALUE;
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	switch (attr) {
	case 1: *v = 1024; return CUDA_SUCCESS; // MAX_THREADS_PER_BLOCK
	case 10: *v = 32; return CUDA_SUCCESS;  // WARP_SIZE
	case 16: *v = kSMs; return CUDA_SUCCESS; // MULTIPROCESSOR_COUNT
	case 75: *v = kMajor; return CUDA_SUCCESS; // COMPUTE_CAPABILITY_MAJOR
	case 76: *v = kMinor; return CUDA_SUCCESS; // COMPUTE_CAPABILITY_MINOR
	}
	return CUDA_ERROR_INVALID_VALUE;
}

GC_EXPORT int cuDeviceTotalMem_v2(size_t *bytes, int dev) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (!bytes) return CUDA_ERROR_INVALID_VALUE;
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	*bytes = kTotalMem;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuDevicePrimaryCtxRetain(Context **ctx, int dev) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (!ctx) return CUDA_ERROR_INVALID_VALUE;
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	*ctx = &primary;
	primaryRetains++;
	return CUDA_SUCCESS;
}

// cuDevicePrimaryCtxRelease_v2 (cuda.h's cuDevicePrimaryCtxRelease) undoes one retain; after
// the last, the context is no longer usable (CUDA_ERROR_INVALID_CONTEXT), as the driver
// destroys it then.
GC_EXPORT int cuDevicePrimaryCtxRelease_v2(int dev) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	if (primaryRetains == 0) return CUDA_ERROR_INVALID_CONTEXT;
	if (--primaryRetains == 0 && lazy()) drainAll();
	return CUDA_SUCCESS;
}

GC_EXPORT int cuCtxSetCurrent(Context *ctx) {
	std::lock_guard<std::mutex> l(mu);
	NEED_INIT();
	if (ctx && (ctx != &primary || primaryRetains == 0)) return CUDA_ERROR_INVALID_CONTEXT;
	current = ctx;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuCtxSynchronize() {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	drainAll();
	return CUDA_SUCCESS;
}

GC_EXPORT int cuStreamCreate(Stream **s, unsigned int flags) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!s || flags > 1) return CUDA_ERROR_INVALID_VALUE;
	if (fails("cuStreamCreate")) return CUDA_ERROR_OUT_OF_MEMORY;
	*s = new Stream{(int)flags, {}};
	streams.push_back(*s);
	live.streams++;
	return CUDA_SUCCESS;
}

// cuStreamDestroy_v2 (cuda.h's cuStreamDestroy): the driver releases a stream once its queued
// work is done; here that work runs first.
GC_EXPORT int cuStreamDestroy_v2(Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	auto it = std::find(streams.begin(), streams.end(), s);
	if (!s || it == streams.end()) return CUDA_ERROR_INVALID_HANDLE;
	if (lazy()) {
		order(s);
		drain(s);
	}
	streams.erase(it);
	delete s;
	live.streams--;
	return CUDA_SUCCESS;
}

// By default streams run synchronously: every operation has finished when its call returns.
// In lazy mode cuStreamSynchronize runs the stream's queue.
GC_EXPORT int cuStreamSynchronize(Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (lazy()) drain(streamOf(s));
	return CUDA_SUCCESS;
}

GC_EXPORT int cuMemAllocAsync(uintptr_t *dptr, size_t n, Stream *) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!dptr || n == 0) return CUDA_ERROR_INVALID_VALUE;
	if (fails("cuMemAllocAsync")) return CUDA_ERROR_OUT_OF_MEMORY;
	size_t rounded = (n + 255) / 256 * 256;
	void *p = std::aligned_alloc(256, rounded);
	if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
	// Device memory starts undefined: all ones (NaN as float32 and float64), so that a read of
	// memory nothing wrote shows.
	std::memset(p, 0xff, rounded);
	allocations[(uintptr_t)p] = n;
	*dptr = (uintptr_t)p;
	return CUDA_SUCCESS;
}

// cuMemFreeAsync ends the allocation in stream order: later work may not use it, and the
// memory is released once the stream has run the work queued before.
GC_EXPORT int cuMemFreeAsync(uintptr_t p, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	auto it = allocations.find(p);
	if (it == allocations.end()) {
		warn("cuMemFreeAsync(%#lx): not the start of a live allocation", (unsigned long)p);
		return CUDA_ERROR_INVALID_VALUE;
	}
	allocations.erase(it);
	submit(s, [p] { std::free((void *)p); });
	return CUDA_SUCCESS;
}

GC_EXPORT int cuMemsetD32Async(uintptr_t p, unsigned int v, size_t n, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (p % 4 != 0 || n > SIZE_MAX / 4 || !inside(p, 4 * n)) {
		warn("cuMemsetD32Async(%#lx, %zu words): outside every allocation or misaligned", (unsigned long)p, n);
		return CUDA_ERROR_INVALID_VALUE;
	}
	submit(s, [p, v, n] {
		unsigned int *d = (unsigned int *)p;
		for (size_t i = 0; i < n; i++) d[i] = v;
	});
	return CUDA_SUCCESS;
}

// The copies between host and device: in lazy mode one from or to pinned memory is queued
// and reads or writes the host memory when it runs; one from or to pageable memory runs the
// stream's queue and then copies, before it returns (the driver's synchronous behaviour for
// pageable memory).
GC_EXPORT int cuMemcpyHtoDAsync_v2(uintptr_t dst, const void *src, size_t n, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (n == 0) return CUDA_SUCCESS;
	if (!src || !inside(dst, n)) {
		warn("cuMemcpyHtoDAsync(%#lx, %zu bytes): outside every allocation", (unsigned long)dst, n);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (queuedCopy(src, n)) {
		submit(s, [dst, src, n] { std::memcpy((void *)dst, src, n); });
		return CUDA_SUCCESS;
	}
	settle(s);
	std::memcpy((void *)dst, src, n);
	return CUDA_SUCCESS;
}

GC_EXPORT int cuMemcpyDtoHAsync_v2(void *dst, uintptr_t src, size_t n, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (n == 0) return CUDA_SUCCESS;
	if (!dst || !inside(src, n)) {
		warn("cuMemcpyDtoHAsync(%#lx, %zu bytes): outside every allocation", (unsigned long)src, n);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (queuedCopy(dst, n)) {
		submit(s, [dst, src, n] { std::memcpy(dst, (const void *)src, n); });
		return CUDA_SUCCESS;
	}
	settle(s);
	std::memcpy(dst, (const void *)src, n);
	return CUDA_SUCCESS;
}

GC_EXPORT int cuMemAllocHost_v2(void **p, size_t n) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!p || n == 0) return CUDA_ERROR_INVALID_VALUE;
	if (fails("cuMemAllocHost_v2")) return CUDA_ERROR_OUT_OF_MEMORY;
	*p = std::aligned_alloc(256, (n + 255) / 256 * 256);
	if (!*p) return CUDA_ERROR_OUT_OF_MEMORY;
	hostAllocations[(uintptr_t)*p] = n;
	return CUDA_SUCCESS;
}

// cuMemFreeHost synchronizes the context, as the driver does, so that no queued copy uses the
// memory after it is freed.
GC_EXPORT int cuMemFreeHost(void *p) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (lazy()) drainAll();
	hostAllocations.erase((uintptr_t)p);
	std::free(p);
	return CUDA_SUCCESS;
}

// cuModuleLoadData accepts the images emulated NVRTC returns (CUBIN, or PTX with its NUL) for
// a source compiled into this library.
GC_EXPORT int cuModuleLoadData(LoadedModule **mod, const void *image) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!mod || !image) return CUDA_ERROR_INVALID_VALUE;
	if (fails("cuModuleLoadData")) return CUDA_ERROR_OUT_OF_MEMORY;
	const char *s = (const char *)image;
	size_t m = std::strlen(kImageMagic);
	if (std::strncmp(s, kImageMagic, m) != 0) return CUDA_ERROR_INVALID_IMAGE;
	uint64_t h = std::strtoull(s + m, nullptr, 16);
	for (const Module &md : modules())
		if (md.hash == h) {
			*mod = new LoadedModule{&md, {}};
			loadedModules.insert(*mod);
			live.modules++;
			return CUDA_SUCCESS;
		}
	return CUDA_ERROR_INVALID_IMAGE;
}

// cuModuleUnload deletes the module and its functions: a later launch of one of them fails
// with CUDA_ERROR_INVALID_HANDLE (launches already queued keep their kernel).
GC_EXPORT int cuModuleUnload(LoadedModule *mod) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!loadedModules.erase(mod)) return CUDA_ERROR_INVALID_HANDLE;
	for (Function *f : mod->functions) {
		liveFunctions.erase(f);
		delete f;
	}
	delete mod;
	live.modules--;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuModuleGetFunction(Function **fn, LoadedModule *mod, const char *name) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!fn || !name) return CUDA_ERROR_INVALID_VALUE;
	if (!mod || !loadedModules.count(mod)) return CUDA_ERROR_INVALID_HANDLE;
	if (fails("cuModuleGetFunction")) return CUDA_ERROR_NOT_FOUND;
	for (const gc_emu_kernel *k = mod->module->kernels; k->name; k++)
		if (std::strcmp(k->name, name) == 0) {
			// The driver's limit is the kernel's __launch_bounds__, else the device's 1024 (a
			// real kernel's registers may lower it); a test may set another (cudaemuMaxThreads).
			int max = k->max_threads > 0 ? std::min(k->max_threads, 1024) : 1024;
			if (auto it = maxThreadsFor.find(name); it != maxThreadsFor.end()) max = it->second;
			*fn = new Function{k, max};
			mod->functions.push_back(*fn);
			liveFunctions.insert(*fn);
			return CUDA_SUCCESS;
		}
	return CUDA_ERROR_NOT_FOUND;
}

// cuFuncGetAttribute answers CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK (0); the other
// attributes are not emulated (CUDA_ERROR_INVALID_VALUE).
GC_EXPORT int cuFuncGetAttribute(int *v, int attr, const Function *f) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!v) return CUDA_ERROR_INVALID_VALUE;
	if (!f || !liveFunctions.count(f)) return CUDA_ERROR_INVALID_HANDLE;
	if (fails("cuFuncGetAttribute")) return CUDA_ERROR_INVALID_VALUE;
	if (attr != 0) return CUDA_ERROR_INVALID_VALUE;
	*v = f->maxThreads;
	return CUDA_SUCCESS;
}

// cuLaunchKernel checks the launch shape as the driver does (at most 1024 threads per block,
// and at most the function's MAX_THREADS_PER_BLOCK, blockDim ≤ (1024, 1024, 64),
// gridDim.x < 2³¹, gridDim.y, .z ≤ 65535), copies the arguments
// and runs the grid before it returns, or in lazy mode queues it. Dynamic shared memory and
// the extra argument form are not emulated.
GC_EXPORT int cuLaunchKernel(const Function *f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                             unsigned int by, unsigned int bz, unsigned int shmem, Stream *s, void **params, void **extra) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!f || !liveFunctions.count(f)) return CUDA_ERROR_INVALID_HANDLE;
	if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gx > 0x7fffffffu || gy > 65535 || gz > 65535 ||
	    bx > 1024 || by > 1024 || bz > 64 || (unsigned long long)bx * by * bz > (unsigned long long)f->maxThreads) {
		warn("cuLaunchKernel %s: grid (%u,%u,%u) block (%u,%u,%u) out of range (at most %d threads per block)", f->kernel->name, gx,
		     gy, gz, bx, by, bz, f->maxThreads);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (extra) {
		warn("cuLaunchKernel %s: the extra argument form is not emulated", f->kernel->name);
		return CUDA_ERROR_NOT_SUPPORTED;
	}
	if (shmem != 0) {
		warn("cuLaunchKernel %s: dynamic shared memory is not emulated", f->kernel->name);
		return CUDA_ERROR_NOT_SUPPORTED;
	}
	if (f->kernel->nargs > 0 && !params) return CUDA_ERROR_INVALID_VALUE;
	submit(s, f->kernel->bind(dim3{gx, gy, gz}, dim3{bx, by, bz}, params));
	return CUDA_SUCCESS;
}

// Events: an event completes when its stream reaches the latest cuEventRecord of it, and
// takes the host's clock then; the time between two events is the time of the operations run
// between them. By default that is when cuEventRecord is called (the operations before it
// have run). In lazy mode cuEventSynchronize runs the recording stream up to the record, and
// cuEventElapsedTime of an event recorded but not complete fails with CUDA_ERROR_NOT_READY,
// as the driver's does.
struct Event {
	uint64_t recorded = 0, completed = 0; // the latest record's number, and the latest that ran
	Stream *stream = nullptr;             // the stream of the latest record
	int queued = 0;                       // records not yet run
	bool destroyed = false;               // destroyed with records queued: the last frees it
	std::chrono::steady_clock::time_point at;
};

GC_EXPORT int cuEventCreate(Event **e, unsigned int flags) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!e || flags > 0xf) return CUDA_ERROR_INVALID_VALUE;
	if (fails("cuEventCreate")) return CUDA_ERROR_OUT_OF_MEMORY;
	*e = new Event{};
	live.events++;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuEventRecord(Event *e, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!e) return CUDA_ERROR_INVALID_HANDLE;
	uint64_t id = ++e->recorded;
	e->stream = streamOf(s);
	e->queued++;
	submit(s, [e, id] {
		if (id > e->completed) {
			e->completed = id;
			e->at = std::chrono::steady_clock::now();
		}
		if (--e->queued == 0 && e->destroyed) delete e;
	});
	return CUDA_SUCCESS;
}

GC_EXPORT int cuEventSynchronize(Event *e) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!e) return CUDA_ERROR_INVALID_HANDLE;
	// The record is on e->stream's queue: run it up to there.
	while (e->completed < e->recorded && !e->stream->queue.empty()) {
		std::function<void()> op = std::move(e->stream->queue.front());
		e->stream->queue.pop_front();
		op();
	}
	return CUDA_SUCCESS;
}

static int eventElapsed(float *ms, Event *a, Event *b) {
	std::lock_guard<std::mutex> l(mu);
	NEED_CONTEXT();
	if (!ms) return CUDA_ERROR_INVALID_VALUE;
	if (!a || !b || !a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;
	if (a->completed < a->recorded || b->completed < b->recorded) return CUDA_ERROR_NOT_READY;
	*ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
	return CUDA_SUCCESS;
}

GC_EXPORT int cuEventElapsedTime(float *ms, Event *a, Event *b) { return eventElapsed(ms, a, b); }
GC_EXPORT int cuEventElapsedTime_v2(float *ms, Event *a, Event *b) { return eventElapsed(ms, a, b); }

GC_EXPORT int cuEventDestroy_v2(Event *e) {
	std::lock_guard<std::mutex> l(mu);
	if (!e) return CUDA_ERROR_INVALID_HANDLE;
	if (e->queued > 0) e->destroyed = true;
	else delete e;
	live.events--;
	return CUDA_SUCCESS;
}

GC_EXPORT int cuGetErrorName(int r, const char **s) {
	if (!s) return CUDA_ERROR_INVALID_VALUE;
	switch (r) {
#define N(c)                                                                                                                   \
	case c: *s = #c; return CUDA_SUCCESS;
		N(CUDA_SUCCESS)
		N(CUDA_ERROR_INVALID_VALUE)
		N(CUDA_ERROR_OUT_OF_MEMORY)
		N(CUDA_ERROR_NOT_INITIALIZED)
		N(CUDA_ERROR_INVALID_DEVICE)
		N(CUDA_ERROR_INVALID_IMAGE)
		N(CUDA_ERROR_INVALID_CONTEXT)
		N(CUDA_ERROR_INVALID_HANDLE)
		N(CUDA_ERROR_NOT_FOUND)
		N(CUDA_ERROR_NOT_READY)
		N(CUDA_ERROR_ILLEGAL_ADDRESS)
		N(CUDA_ERROR_NOT_SUPPORTED)
#undef N
	}
	*s = nullptr;
	return CUDA_ERROR_INVALID_VALUE;
}

// ---- Test hooks: not CUDA entry points (doc.go) ----

// cudaemuLive writes up to n counts of what is live, in this order: device allocations,
// pinned host allocations, streams, events, loaded modules, cuBLAS handles, cuBLASLt
// handles, matmul descriptors, matrix layouts and matmul preferences, and primary context
// retains; it returns how many counts there are (11).
GC_EXPORT int cudaemuLive(long long *out, int n) {
	std::lock_guard<std::mutex> l(mu);
	const long long v[] = {(long long)allocations.size(), (long long)hostAllocations.size(), live.streams, live.events,
	                       live.modules, live.blas, live.ltHandles, live.ltDescs, live.ltLayouts, live.ltPrefs,
	                       primaryRetains};
	const int count = sizeof v / sizeof v[0];
	for (int i = 0; i < n && i < count; i++) out[i] = v[i];
	return count;
}

// cudaemuFail makes every later call of the named entry point fail (those that create
// something: cuStreamCreate, cuMemAllocAsync, cuMemAllocHost_v2, cuModuleLoadData,
// cuModuleGetFunction, cuFuncGetAttribute, cuEventCreate, cublasCreate_v2,
// cublasSetStream_v2, cublasLtCreate), until it is called with "" or NULL.
GC_EXPORT void cudaemuFail(const char *name) {
	std::lock_guard<std::mutex> l(mu);
	failing = name ? name : "";
}

// cudaemuMaxThreads makes cuModuleGetFunction give the named kernel a MAX_THREADS_PER_BLOCK
// of max (cuFuncGetAttribute reports it and cuLaunchKernel enforces it); max ≤ 0 restores
// the default. Functions looked up before keep theirs.
GC_EXPORT void cudaemuMaxThreads(const char *kernel, int max) {
	std::lock_guard<std::mutex> l(mu);
	if (max > 0) maxThreadsFor[kernel] = max;
	else maxThreadsFor.erase(kernel);
}

// ---- cuBLAS ----

namespace {

struct Blas {
	Stream *stream = nullptr;
	int mode = 0;
};

// tf32 rounds x to TF32: 10 explicit mantissa bits, to nearest, ties to even; Inf and NaN pass.
float tf32(float x) {
	uint32_t u;
	std::memcpy(&u, &x, 4);
	if ((u & 0x7f800000u) != 0x7f800000u) {
		u += 0xfffu + ((u >> 13) & 1u);
		u &= ~0x1fffu;
	}
	std::memcpy(&x, &u, 4);
	return x;
}

// operandInside checks that a column-major rows×cols operand with leading dimension ld lies in
// one device allocation.
bool operandInside(const float *p, int rows, int cols, int ld) {
	if (rows == 0 || cols == 0) return true;
	size_t last = (size_t)(cols - 1) * ld + (rows - 1);
	return inside((uintptr_t)p, 4 * (last + 1));
}

// Gemm is a checked (batched) product, column-major, with alpha and beta read: C = alpha·op(A)·
// op(B) + beta·C for each batch b of A + b·sa, B + b·sb, C + b·sc, m×n C, k the inner dimension.
struct Gemm {
	bool t32;
	int ta, tb, m, n, k;
	float alpha, beta;
	const float *A;
	int lda;
	const float *B;
	int ldb;
	float *C;
	int ldc;
	long long sa, sb, sc;
	int batch;
};

// gemmRun computes g as cublasSgemm does: sums in double rounded once to float32, and beta = 0
// does not read C.
void gemmRun(const Gemm &g) {
	int k = g.k;
	double al = g.alpha, be = g.beta;
	bool readAB = al != 0 && k > 0;
	std::vector<double> pa, pb;
	for (int b = 0; b < g.batch; b++) {
		const float *Ab = g.A + b * g.sa, *Bb = g.B + b * g.sb;
		float *Cb = g.C + b * g.sc;
		// Rows of op(A) and columns of op(B), contiguous (and rounded to TF32 when asked), so
		// that each entry of C is one contiguous dot product. A product of two float32 values is
		// exact in double.
		if (readAB) {
			pa.resize((size_t)g.m * k);
			pb.resize((size_t)g.n * k);
			for (int i = 0; i < g.m; i++)
				for (int p = 0; p < k; p++) {
					float a = g.ta == 0 ? Ab[(size_t)p * g.lda + i] : Ab[(size_t)i * g.lda + p];
					pa[(size_t)i * k + p] = g.t32 ? tf32(a) : a;
				}
			for (int j = 0; j < g.n; j++)
				for (int p = 0; p < k; p++) {
					float bv = g.tb == 0 ? Bb[(size_t)j * g.ldb + p] : Bb[(size_t)p * g.ldb + j];
					pb[(size_t)j * k + p] = g.t32 ? tf32(bv) : bv;
				}
		}
		for (int j = 0; j < g.n; j++)
			for (int i = 0; i < g.m; i++) {
				double s = 0;
				if (readAB) {
					const double *ra = &pa[(size_t)i * k], *cb = &pb[(size_t)j * k];
					for (int p = 0; p < k; p++) s += ra[p] * cb[p];
				}
				float &c = Cb[(size_t)j * g.ldc + i];
				double v = al * s;
				if (be != 0) v += be * c;
				c = (float)v;
			}
	}
}

// sgemm checks C = alpha·op(A)·op(B) + beta·C, column-major, as cublasSgemm (m×n C, k the inner
// dimension, alpha and beta host pointers, read now) and submits it to stream s. Every batch's
// operands are checked against the device allocations before any is computed.
int sgemm(Stream *s, bool t32, int ta, int tb, int m, int n, int k, const float *alpha, const float *A, int lda,
          const float *B, int ldb, const float *beta, float *C, int ldc, long long sa, long long sb, long long sc, int batch,
          const char *name) {
	// cublas_api.h: CUBLAS_OP_N 0, CUBLAS_OP_T 1, CUBLAS_OP_C 2 (= T for real types).
	if (ta < 0 || ta > 2 || tb < 0 || tb > 2 || m < 0 || n < 0 || k < 0 || batch < 0 || !alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
	int ar = ta == 0 ? m : k, ac = ta == 0 ? k : m, br = tb == 0 ? k : n, bc = tb == 0 ? n : k;
	if (lda < std::max(1, ar) || ldb < std::max(1, br) || ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
	if (m == 0 || n == 0 || batch == 0 || ((*alpha == 0 || k == 0) && *beta == 1)) return CUBLAS_STATUS_SUCCESS;
	Gemm g{t32, ta, tb, m, n, k, *alpha, *beta, A, lda, B, ldb, C, ldc, sa, sb, sc, batch};
	bool readAB = g.alpha != 0 && k > 0;
	for (int b = 0; b < batch; b++) {
		const float *Ab = A + b * sa, *Bb = B + b * sb;
		float *Cb = C + b * sc;
		if ((readAB && (!operandInside(Ab, ar, ac, lda) || !operandInside(Bb, br, bc, ldb))) || !operandInside(Cb, m, n, ldc)) {
			warn("%s: batch %d: an operand (m %d n %d k %d, lda %d ldb %d ldc %d) is outside every device allocation", name, b,
			     m, n, k, lda, ldb, ldc);
			return CUBLAS_STATUS_EXECUTION_FAILED;
		}
	}
	submit(s, [g] { gemmRun(g); });
	return CUBLAS_STATUS_SUCCESS;
}

} // namespace

// tf32Mode reports whether h multiplies in TF32 (CUBLAS_TF32_TENSOR_OP_MATH).
bool tf32Mode(const Blas *h) { return (h->mode & 0xf) == 3; }

GC_EXPORT int cublasCreate_v2(Blas **h) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_INVALID_VALUE;
	if (!initialised || !current) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (fails("cublasCreate_v2")) return CUBLAS_STATUS_ALLOC_FAILED;
	*h = new Blas{};
	live.blas++;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasDestroy_v2(Blas *h) {
	std::lock_guard<std::mutex> l(mu);
	return destroyCounted(h, live.blas, CUBLAS_STATUS_NOT_INITIALIZED);
}

GC_EXPORT int cublasSetStream_v2(Blas *h, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (fails("cublasSetStream_v2")) return CUBLAS_STATUS_INVALID_VALUE;
	h->stream = s;
	return CUBLAS_STATUS_SUCCESS;
}

// cublasMath_t: DEFAULT 0, TENSOR_OP 1 (deprecated), PEDANTIC 2, TF32_TENSOR_OP 3, optionally
// with CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION (16).
GC_EXPORT int cublasSetMathMode(Blas *h, int mode) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if ((mode & ~16) < 0 || (mode & ~16) > 3) return CUBLAS_STATUS_INVALID_VALUE;
	h->mode = mode;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasGetVersion_v2(Blas *h, int *v) {
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (!v) return CUBLAS_STATUS_INVALID_VALUE;
	*v = 130000;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasSgemm_v2(Blas *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *A, int lda,
                             const float *B, int ldb, const float *beta, float *C, int ldc) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	return sgemm(h->stream, tf32Mode(h), ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, 0, 0, 0, 1, "cublasSgemm");
}

GC_EXPORT int cublasSgemmStridedBatched(Blas *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *A,
                                        int lda, long long sa, const float *B, int ldb, long long sb, const float *beta,
                                        float *C, int ldc, long long sc, int batch) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	return sgemm(h->stream, tf32Mode(h), ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, sa, sb, sc, batch,
	             "cublasSgemmStridedBatched");
}

// ---- cuBLASLt: the matrix-product subset the backend uses (cublasLt.h) ----
//
// Descriptors keep the attributes the backend sets; the heuristic offers up to three
// algorithms (which one does not change results here); a matmul checks that the layouts agree with the
// operation and computes it as sgemm does, in TF32 for CUBLAS_COMPUTE_32F_FAST_TF32.

namespace {

struct LtHandle {};

struct LtDesc {
	int compute = 0, scale = 0, ta = 0, tb = 0;
};

struct LtLayout {
	int type = 0;
	uint64_t rows = 0, cols = 0;
	int64_t ld = 0;
	int32_t batch = 1;
	int64_t stride = 0;
};

struct LtPref {
	uint64_t workspace = 0;
	uint32_t minAlign[4] = {256, 256, 256, 256}; // MIN_ALIGNMENT_{A,B,C,D}_BYTES, cuBLASLt's default
};

struct LtHeuristic {
	uint64_t algo[8];
	size_t workspaceSize;
	int state;
	float waves;
	int reserved[4];
};

enum { CUDA_R_32F = 0, COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77 };

// ltAlgoMagic marks an emulated algorithm's first opaque word: ltAlgoMagic + its id.
constexpr uint64_t ltAlgoMagic = 0x636d6c74;

// setAttr copies an attribute of size n into v, which must have that size.
template <typename T> int setAttr(T *v, const void *buf, size_t n) {
	if (!buf || n != sizeof(T)) return CUBLAS_STATUS_INVALID_VALUE;
	std::memcpy(v, buf, n);
	return CUBLAS_STATUS_SUCCESS;
}

// ltShape derives m, n, k of a matmul from its layouts, or returns false when they disagree.
bool ltShape(const LtDesc *d, const LtLayout *a, const LtLayout *b, const LtLayout *c, int *m, int *n, int *k) {
	if (a->type != CUDA_R_32F || b->type != CUDA_R_32F || c->type != CUDA_R_32F) return false;
	uint64_t am = d->ta ? a->cols : a->rows, ak = d->ta ? a->rows : a->cols;
	uint64_t bk = d->tb ? b->cols : b->rows, bn = d->tb ? b->rows : b->cols;
	if (am != c->rows || bn != c->cols || ak != bk) return false;
	if (a->batch != c->batch || b->batch != c->batch) return false;
	*m = (int)c->rows;
	*n = (int)c->cols;
	*k = (int)ak;
	return true;
}

} // namespace

GC_EXPORT int cublasLtCreate(LtHandle **h) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_INVALID_VALUE;
	if (!initialised || !current) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (fails("cublasLtCreate")) return CUBLAS_STATUS_ALLOC_FAILED;
	*h = new LtHandle{};
	live.ltHandles++;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtDestroy(LtHandle *h) { return destroyCounted(h, live.ltHandles, CUBLAS_STATUS_NOT_INITIALIZED); }

GC_EXPORT int cublasLtMatmulDescCreate(LtDesc **d, int compute, int scale) {
	if (!d || (compute != COMPUTE_32F && compute != COMPUTE_32F_FAST_TF32) || scale != CUDA_R_32F) return CUBLAS_STATUS_INVALID_VALUE;
	*d = new LtDesc{compute, scale, 0, 0};
	live.ltDescs++;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatmulDescDestroy(LtDesc *d) { return destroyCounted(d, live.ltDescs, CUBLAS_STATUS_INVALID_VALUE); }

// cublasLtMatmulDescAttributes_t: COMPUTE_TYPE 0, SCALE_TYPE 1, TRANSA 3, TRANSB 4 (int32).
GC_EXPORT int cublasLtMatmulDescSetAttribute(LtDesc *d, int attr, const void *buf, size_t n) {
	if (!d) return CUBLAS_STATUS_INVALID_VALUE;
	int32_t v;
	if (int st = setAttr(&v, buf, n); st != CUBLAS_STATUS_SUCCESS) return st;
	switch (attr) {
	case 0: d->compute = v; break;
	case 1: d->scale = v; break;
	case 3:
	case 4:
		if (v < 0 || v > 2) return CUBLAS_STATUS_INVALID_VALUE;
		(attr == 3 ? d->ta : d->tb) = v;
		break;
	default: return CUBLAS_STATUS_INVALID_VALUE;
	}
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatrixLayoutCreate(LtLayout **p, int type, uint64_t rows, uint64_t cols, int64_t ld) {
	if (!p || type != CUDA_R_32F || ld < (int64_t)std::max<uint64_t>(1, rows)) return CUBLAS_STATUS_INVALID_VALUE;
	*p = new LtLayout{type, rows, cols, ld, 1, 0};
	live.ltLayouts++;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatrixLayoutDestroy(LtLayout *p) { return destroyCounted(p, live.ltLayouts, CUBLAS_STATUS_INVALID_VALUE); }

// cublasLtMatrixLayoutAttribute_t: BATCH_COUNT 5 (int32), STRIDED_BATCH_OFFSET 6 (int64).
GC_EXPORT int cublasLtMatrixLayoutSetAttribute(LtLayout *p, int attr, const void *buf, size_t n) {
	if (!p) return CUBLAS_STATUS_INVALID_VALUE;
	switch (attr) {
	case 5: return setAttr(&p->batch, buf, n);
	case 6: return setAttr(&p->stride, buf, n);
	}
	return CUBLAS_STATUS_INVALID_VALUE;
}

GC_EXPORT int cublasLtMatmulPreferenceCreate(LtPref **p) {
	if (!p) return CUBLAS_STATUS_INVALID_VALUE;
	*p = new LtPref{};
	live.ltPrefs++;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatmulPreferenceDestroy(LtPref *p) { return destroyCounted(p, live.ltPrefs, CUBLAS_STATUS_INVALID_VALUE); }

// cublasLtMatmulPreferenceAttributes_t: MAX_WORKSPACE_BYTES 1 (uint64), MIN_ALIGNMENT_A,
// B, C, D_BYTES 5–8 (uint32).
GC_EXPORT int cublasLtMatmulPreferenceSetAttribute(LtPref *p, int attr, const void *buf, size_t n) {
	if (!p) return CUBLAS_STATUS_INVALID_VALUE;
	if (attr == 1) return setAttr(&p->workspace, buf, n);
	if (attr >= 5 && attr <= 8) return setAttr(&p->minAlign[attr - 5], buf, n);
	return CUBLAS_STATUS_INVALID_VALUE;
}

// ltAlignWord is the opaque word of an emulated heuristic algorithm that holds the operand
// alignment it requires, as a real one may: the smallest of the preference's minimum
// alignments, which the caller vouches for. The enumerated algorithms require none (0).
constexpr int ltAlignWord = 6;

GC_EXPORT int cublasLtMatmulAlgoGetHeuristic(LtHandle *h, LtDesc *d, LtLayout *a, LtLayout *b, LtLayout *c, LtLayout *dl,
                                             LtPref *p, int requested, LtHeuristic *results, int *found) {
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (!d || !a || !b || !c || !dl || !p || requested < 1 || !results || !found) return CUBLAS_STATUS_INVALID_VALUE;
	int m, n, k;
	if (!ltShape(d, a, b, c, &m, &n, &k) || dl->rows != c->rows || dl->cols != c->cols) return CUBLAS_STATUS_INVALID_VALUE;
	// Up to three algorithms, all the same computation here, so that a caller that chooses
	// among several is exercised.
	int offered = std::min(requested, 3);
	for (int i = 0; i < offered; i++) {
		std::memset(&results[i], 0, sizeof(LtHeuristic));
		results[i].algo[0] = ltAlgoMagic + i;
		results[i].algo[ltAlignWord] = *std::min_element(p->minAlign, p->minAlign + 4);
		results[i].waves = 1;
	}
	*found = offered;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatmul(LtHandle *h, LtDesc *d, const float *alpha, const float *A, LtLayout *la, const float *B,
                             LtLayout *lb, const float *beta, const float *C, LtLayout *lc, float *D, LtLayout *ld,
                             const LtHeuristic *algo, void *ws, size_t wsSize, Stream *s) {
	std::lock_guard<std::mutex> l(mu);
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (!d || !la || !lb || !lc || !ld || !algo) return CUBLAS_STATUS_INVALID_VALUE;
	int m, n, k;
	if (!ltShape(d, la, lb, lc, &m, &n, &k)) return CUBLAS_STATUS_INVALID_VALUE;
	// The backend computes in place (D = C, one layout); a separate D is not emulated.
	if (C != D || lc->ld != ld->ld || lc->rows != ld->rows || lc->cols != ld->cols || lc->stride != ld->stride)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (wsSize > 0 && !ws) return CUBLAS_STATUS_INVALID_VALUE;
	// A heuristic algorithm chosen under the default 256-byte preference runs only on
	// operands (and batch strides) that aligned, like cuBLASLt's kernels that assume it.
	if (uint64_t need = algo->algo[ltAlignWord]; need > 1) {
		auto aligned = [need](const void *ptr, int64_t stride, int32_t batch) {
			return reinterpret_cast<uintptr_t>(ptr) % need == 0 && (batch <= 1 || (uint64_t)(stride * 4) % need == 0);
		};
		if (!aligned(A, la->stride, la->batch) || !aligned(B, lb->stride, lb->batch) || !aligned(C, lc->stride, lc->batch))
			return CUBLAS_STATUS_NOT_SUPPORTED;
	}
	return sgemm(s, d->compute == COMPUTE_32F_FAST_TF32, d->ta, d->tb, m, n, k, alpha, A, (int)la->ld, B, (int)lb->ld, beta, D,
	             (int)lc->ld, la->stride, lb->stride, lc->stride, lc->batch, "cublasLtMatmul");
}

// The algorithm enumeration that GRIDCELLS_CUBLASLT=search uses (cublasLt.h): two algorithm
// ids, each with a few tiles and, for id 1, stages, configured in the algorithm's opaque
// words (word 0 the id; config attribute a, 1 to 8, in the 32-bit half (a − 1) % 2 of word
// 1 + (a − 1) / 2: the algorithm is 8 words; word 7 the compute type it was made for), which any matmul accepts
// since every emulated algorithm computes the same product. The heuristic's algorithms have
// word 0 = ltAlgoMagic + i, so their id reads as i.

namespace {

constexpr int ltAlgoIDs = 2;

// ltCaps returns the capability array attr (6 TILE_IDS, 13 STAGES_IDS) of algorithm id.
std::vector<uint32_t> ltCaps(int id, int attr) {
	if (attr == 6) return id == 0 ? std::vector<uint32_t>{19, 20} : std::vector<uint32_t>{20, 23, 24};
	if (attr == 13) return id == 0 ? std::vector<uint32_t>{} : std::vector<uint32_t>{1, 2};
	return {};
}

} // namespace

GC_EXPORT int cublasLtMatmulAlgoGetIds(LtHandle *h, int compute, int scale, int ta, int tb, int tc, int td, int requested,
                                       int *ids, int *found) {
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if ((compute != COMPUTE_32F && compute != COMPUTE_32F_FAST_TF32) || scale != CUDA_R_32F || ta != CUDA_R_32F ||
	    tb != CUDA_R_32F || tc != CUDA_R_32F || td != CUDA_R_32F || requested < 1 || !ids || !found)
		return CUBLAS_STATUS_INVALID_VALUE;
	int n = std::min(requested, ltAlgoIDs);
	for (int i = 0; i < n; i++) ids[i] = i;
	*found = n;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatmulAlgoInit(LtHandle *h, int compute, int scale, int ta, int tb, int tc, int td, int id,
                                     uint64_t *algo) {
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if ((compute != COMPUTE_32F && compute != COMPUTE_32F_FAST_TF32) || scale != CUDA_R_32F || ta != CUDA_R_32F ||
	    tb != CUDA_R_32F || tc != CUDA_R_32F || td != CUDA_R_32F || !algo)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (id < 0 || id >= ltAlgoIDs) return CUBLAS_STATUS_NOT_SUPPORTED;
	std::memset(algo, 0, 8 * sizeof(uint64_t));
	algo[0] = ltAlgoMagic + id;
	algo[7] = (uint64_t)compute; // for its numerical implementation flags
	return CUBLAS_STATUS_SUCCESS;
}

// cublasLtMatmulAlgoCapGetAttribute answers TILE_IDS (6) and STAGES_IDS (13) as arrays of
// uint32 (sizeWritten the array's bytes, also when buf is too small to hold it, as a size
// query), SPLITK_SUPPORT (0) as int32 0, MIN_ALIGNMENT_A–D_BYTES (16–19) as uint32 4 and
// NUMERICAL_IMPL_FLAGS (15) as uint64: algorithm 0
// is FMA with float32 inputs, algorithm 1 under TF32 compute tensor-core (HMMA) with TF32
// inputs, FMA otherwise; float32 accumulation for both.
GC_EXPORT int cublasLtMatmulAlgoCapGetAttribute(const uint64_t *algo, int attr, void *buf, size_t n, size_t *written) {
	if (!algo) return CUBLAS_STATUS_INVALID_VALUE;
	int id = (int)(algo[0] - ltAlgoMagic);
	if (attr == 15) {
		const uint64_t fma = 0x01, hmma = 0x02, acc32 = 0x02ull << 8, in32 = 0x08ull << 16, inTF32 = 0x04ull << 16;
		uint64_t flags = id == 1 && algo[7] == COMPUTE_32F_FAST_TF32 ? hmma | acc32 | inTF32 : fma | acc32 | in32;
		if (written) *written = 8;
		if (!buf || n < 8) return n == 0 && written ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
		std::memcpy(buf, &flags, 8);
		return CUBLAS_STATUS_SUCCESS;
	}
	if (attr == 0 || (attr >= 16 && attr <= 19)) {
		// SPLITK_SUPPORT: none; MIN_ALIGNMENT_A–D_BYTES: 4, a float (the enumerated
		// algorithms run on any operands, see ltAlignWord).
		if (written) *written = 4;
		if (!buf || n < 4) return n == 0 && written ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
		*(uint32_t *)buf = attr == 0 ? 0 : 4;
		return CUBLAS_STATUS_SUCCESS;
	}
	if (attr != 6 && attr != 13) return CUBLAS_STATUS_INVALID_VALUE;
	std::vector<uint32_t> v = ltCaps(id, attr);
	size_t bytes = v.size() * sizeof(uint32_t);
	if (written) *written = bytes;
	if (n == 0 && written) return CUBLAS_STATUS_SUCCESS; // the size query
	if (!buf || n < bytes) return CUBLAS_STATUS_INVALID_VALUE;
	if (bytes > 0) std::memcpy(buf, v.data(), bytes);
	return CUBLAS_STATUS_SUCCESS;
}

// ltConfigSlot is where config attribute attr (1 to 8) of an emulated algorithm is kept.
static uint32_t *ltConfigSlot(uint64_t *algo, int attr) {
	return reinterpret_cast<uint32_t *>(&algo[1 + (attr - 1) / 2]) + (attr - 1) % 2;
}

// Config attributes 1 to 6 are uint32, 7 and 8 (inner shape, cluster shape) uint16; 0, the
// id, is read-only.
static size_t ltConfigSize(int attr) { return attr == 7 || attr == 8 ? 2 : 4; }

GC_EXPORT int cublasLtMatmulAlgoConfigSetAttribute(uint64_t *algo, int attr, const void *buf, size_t n) {
	if (!algo || attr < 1 || attr > 8 || !buf || n != ltConfigSize(attr)) return CUBLAS_STATUS_INVALID_VALUE;
	uint64_t v = n == 2 ? *(const uint16_t *)buf : *(const uint32_t *)buf;
	int id = (int)(algo[0] - ltAlgoMagic);
	auto allowed = [&](int capAttr) {
		std::vector<uint32_t> caps = ltCaps(id, capAttr);
		return v == 0 || std::find(caps.begin(), caps.end(), (uint32_t)v) != caps.end();
	};
	if ((attr == 1 && !allowed(6)) || (attr == 6 && !allowed(13))) return CUBLAS_STATUS_INVALID_VALUE;
	*ltConfigSlot(algo, attr) = (uint32_t)v;
	return CUBLAS_STATUS_SUCCESS;
}

GC_EXPORT int cublasLtMatmulAlgoConfigGetAttribute(const uint64_t *algo, int attr, void *buf, size_t n, size_t *written) {
	if (!algo || attr < 0 || attr > 8 || !buf) return CUBLAS_STATUS_INVALID_VALUE;
	size_t size = ltConfigSize(attr);
	if (n < size) return CUBLAS_STATUS_INVALID_VALUE;
	uint64_t v = attr == 0 ? algo[0] - ltAlgoMagic : *ltConfigSlot(const_cast<uint64_t *>(algo), attr);
	if (size == 2) *(uint16_t *)buf = (uint16_t)v;
	else *(uint32_t *)buf = (uint32_t)v;
	if (written) *written = size;
	return CUBLAS_STATUS_SUCCESS;
}

// cublasLtMatmulAlgoCheck accepts every configured algorithm of a well-formed product.
GC_EXPORT int cublasLtMatmulAlgoCheck(LtHandle *h, LtDesc *d, LtLayout *a, LtLayout *b, LtLayout *c, LtLayout *dl,
                                      const uint64_t *algo, LtHeuristic *result) {
	if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (!d || !a || !b || !c || !dl || !algo || !result) return CUBLAS_STATUS_INVALID_VALUE;
	int m, n, k;
	if (!ltShape(d, a, b, c, &m, &n, &k) || dl->rows != c->rows || dl->cols != c->cols) return CUBLAS_STATUS_INVALID_VALUE;
	std::memset(result, 0, sizeof(LtHeuristic));
	std::memcpy(result->algo, algo, sizeof(result->algo));
	result->waves = 1;
	return CUBLAS_STATUS_SUCCESS;
}

// ---- NVRTC ----

namespace {

struct Program {
	std::string source, log, image;
	bool compiled = false, ptx = false;
};

} // namespace

GC_EXPORT int nvrtcVersion(int *major, int *minor) {
	if (!major || !minor) return NVRTC_ERROR_INVALID_INPUT;
	*major = 13;
	*minor = 0;
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcCreateProgram(Program **prog, const char *src, const char *, int nheaders, const char *const *headers,
                                 const char *const *names) {
	if (!prog || !src || nheaders < 0 || (nheaders > 0 && (!headers || !names))) return NVRTC_ERROR_INVALID_INPUT;
	if (nheaders > 0) return NVRTC_ERROR_INVALID_INPUT; // headers are not emulated
	*prog = new Program{src, "", "", false, false};
	return NVRTC_SUCCESS;
}

// nvrtcCompileProgram "compiles" a source compiled into this library: the image names it by
// hash. --gpu-architecture=sm_XY asks for a CUBIN, compute_XY for PTX.
GC_EXPORT int nvrtcCompileProgram(Program *p, int nopts, const char *const *opts) {
	if (!p) return NVRTC_ERROR_INVALID_PROGRAM;
	if (nopts < 0 || (nopts > 0 && !opts)) return NVRTC_ERROR_INVALID_INPUT;
	bool ptx = true;
	for (int i = 0; i < nopts; i++) {
		std::string o = opts[i] ? opts[i] : "";
		if (o.rfind("--gpu-architecture=sm_", 0) == 0) ptx = false;
		else if (o.rfind("--gpu-architecture=compute_", 0) == 0) ptx = true;
		else if (o.rfind("--gpu-architecture=", 0) == 0 || o.empty()) {
			p->log = "cudaemu: unknown option " + o;
			return NVRTC_ERROR_INVALID_OPTION;
		}
	}
	uint64_t h = fnv1a64(p->source.data(), p->source.size());
	bool known = false;
	{
		std::lock_guard<std::mutex> l(mu);
		for (const Module &m : modules()) known = known || m.hash == h;
	}
	char hex[17];
	std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
	if (!known) {
		p->log = std::string("cudaemu: this source (fnv1a64 ") + hex +
		         ") was not compiled into the emulator; rebuild it (cudaemu.Build) from the current sources";
		return NVRTC_ERROR_COMPILATION;
	}
	p->image = std::string(kImageMagic) + hex + (ptx ? " ptx\n" : " cubin\n");
	p->ptx = ptx;
	p->compiled = true;
	p->log.clear();
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcGetProgramLogSize(Program *p, size_t *n) {
	if (!p) return NVRTC_ERROR_INVALID_PROGRAM;
	if (!n) return NVRTC_ERROR_INVALID_INPUT;
	*n = p->log.size() + 1;
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcGetProgramLog(Program *p, char *log) {
	if (!p) return NVRTC_ERROR_INVALID_PROGRAM;
	if (!log) return NVRTC_ERROR_INVALID_INPUT;
	std::memcpy(log, p->log.c_str(), p->log.size() + 1);
	return NVRTC_SUCCESS;
}

// A CUBIN is the image's bytes; PTX is a C string, its size counting the NUL. A program
// compiled for the other form has size 0, as NVRTC's.
GC_EXPORT int nvrtcGetCUBINSize(Program *p, size_t *n) {
	if (!p) return NVRTC_ERROR_INVALID_PROGRAM;
	if (!n) return NVRTC_ERROR_INVALID_INPUT;
	if (!p->compiled) return NVRTC_ERROR_INVALID_PROGRAM;
	*n = p->ptx ? 0 : p->image.size();
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcGetCUBIN(Program *p, char *out) {
	if (!p || !p->compiled) return NVRTC_ERROR_INVALID_PROGRAM;
	if (!out) return NVRTC_ERROR_INVALID_INPUT;
	if (!p->ptx) std::memcpy(out, p->image.data(), p->image.size());
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcGetPTXSize(Program *p, size_t *n) {
	if (!p) return NVRTC_ERROR_INVALID_PROGRAM;
	if (!n) return NVRTC_ERROR_INVALID_INPUT;
	if (!p->compiled) return NVRTC_ERROR_INVALID_PROGRAM;
	*n = p->image.size() + 1;
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcGetPTX(Program *p, char *out) {
	if (!p || !p->compiled) return NVRTC_ERROR_INVALID_PROGRAM;
	if (!out) return NVRTC_ERROR_INVALID_INPUT;
	std::memcpy(out, p->image.c_str(), p->image.size() + 1);
	return NVRTC_SUCCESS;
}

GC_EXPORT int nvrtcDestroyProgram(Program **p) {
	if (!p || !*p) return NVRTC_ERROR_INVALID_PROGRAM;
	delete *p;
	*p = nullptr;
	return NVRTC_SUCCESS;
}

GC_EXPORT const char *nvrtcGetErrorString(int r) {
	switch (r) {
	case NVRTC_SUCCESS: return "NVRTC_SUCCESS";
	case 1: return "NVRTC_ERROR_OUT_OF_MEMORY";
	case 2: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
	case NVRTC_ERROR_INVALID_INPUT: return "NVRTC_ERROR_INVALID_INPUT";
	case NVRTC_ERROR_INVALID_PROGRAM: return "NVRTC_ERROR_INVALID_PROGRAM";
	case NVRTC_ERROR_INVALID_OPTION: return "NVRTC_ERROR_INVALID_OPTION";
	case NVRTC_ERROR_COMPILATION: return "NVRTC_ERROR_COMPILATION";
	}
	return "NVRTC_ERROR unknown";
}
