/*
 * A fake CUDA runtime for running the cublas backend's GPU code paths on a machine without a GPU:
 * "device" memory is host memory that this library tracks, so that every copy and every cuBLAS
 * operand can be checked to lie inside one allocation of the right kind, and work runs synchronously.
 * FAKE_CUDA_DEVICES sets the GPU count (default 1); FAKE_CUDA_MEMORY the bytes of device memory
 * (default 1 GiB), beyond which cudaMalloc fails with cudaErrorMemoryAllocation.
 * Not a model of CUDA's numerics or timing: see run.sh.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SUCCESS = 0, INVALID_VALUE = 1, MEMORY_ALLOCATION = 2, INVALID_DEVICE = 101 };
enum { HOST_TO_DEVICE = 1, DEVICE_TO_HOST = 2 };

typedef struct { char *start; size_t size; int device; } block;
static block blocks[4096];
static int block_count;
static size_t device_bytes;
/* The runtime is thread-safe; so is the fake: one lock around the allocation table. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long env_long(const char *name, long fallback) {
    const char *value = getenv(name);
    return value ? atol(value) : fallback;
}

int cudaRuntimeGetVersion(int *v) { *v = 12040; return SUCCESS; }
int cudaDriverGetVersion(int *v) { *v = 12040; return SUCCESS; }
int cudaGetDeviceCount(int *count) { *count = (int) env_long("FAKE_CUDA_DEVICES", 1); return SUCCESS; }
int cudaSetDevice(int device) { return device >= 0 && device < env_long("FAKE_CUDA_DEVICES", 1) ? SUCCESS : INVALID_DEVICE; }

const char *cudaGetErrorName(int error) {
    switch (error) {
    case SUCCESS: return "cudaSuccess";
    case INVALID_VALUE: return "cudaErrorInvalidValue";
    case MEMORY_ALLOCATION: return "cudaErrorMemoryAllocation";
    case INVALID_DEVICE: return "cudaErrorInvalidDevice";
    default: return "cudaErrorUnknown";
    }
}

const char *cudaGetErrorString(int error) {
    return error == MEMORY_ALLOCATION ? "out of memory" : error == INVALID_VALUE ? "invalid argument" : "fake error";
}

static int allocate_locked(void **ptr, size_t size, int device) {
    if (device && device_bytes + size > (size_t) env_long("FAKE_CUDA_MEMORY", 1L << 30)) {
        return MEMORY_ALLOCATION;
    }
    if (block_count == 4096 || !(*ptr = malloc(size ? size : 1))) {
        return MEMORY_ALLOCATION;
    }
    memset(*ptr, 0xff, size); /* NaN everywhere: reading memory never written shows */
    blocks[block_count++] = (block) {*ptr, size, device};
    device_bytes += device ? size : 0;
    return SUCCESS;
}

static int release_locked(void *ptr, int device) {
    if (!ptr) {
        return SUCCESS;
    }
    for (int i = 0; i < block_count; i++) {
        if (blocks[i].start == ptr && blocks[i].device == device) {
            device_bytes -= device ? blocks[i].size : 0;
            free(ptr);
            blocks[i] = blocks[--block_count];
            return SUCCESS;
        }
    }
    return INVALID_VALUE;
}

/* 1 when [ptr, ptr + bytes) lies inside one device allocation; used by the fake cuBLAS too. */
int fake_cuda_is_device_range(const void *ptr, size_t bytes) {
    const char *p = ptr;
    int found = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < block_count && !found; i++) {
        found = blocks[i].device && p >= blocks[i].start && p + bytes <= blocks[i].start + blocks[i].size;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

static int allocate(void **ptr, size_t size, int device) {
    pthread_mutex_lock(&lock);
    int status = allocate_locked(ptr, size, device);
    pthread_mutex_unlock(&lock);
    return status;
}

static int release(void *ptr, int device) {
    pthread_mutex_lock(&lock);
    int status = release_locked(ptr, device);
    pthread_mutex_unlock(&lock);
    return status;
}

static int is_device_pointer(const void *ptr) {
    return fake_cuda_is_device_range(ptr, 1);
}

int cudaMalloc(void **ptr, size_t size) { return allocate(ptr, size, 1); }
int cudaFree(void *ptr) { return release(ptr, 1); }
int cudaMallocHost(void **ptr, size_t size) { return allocate(ptr, size, 0); }
int cudaFreeHost(void *ptr) { return release(ptr, 0); }

int cudaMemcpyAsync(void *dst, const void *src, size_t count, int kind, void *stream) {
    (void) stream;
    if (kind == HOST_TO_DEVICE && fake_cuda_is_device_range(dst, count) && !is_device_pointer(src)) {
        memcpy(dst, src, count);
        return SUCCESS;
    }
    if (kind == DEVICE_TO_HOST && fake_cuda_is_device_range(src, count) && !is_device_pointer(dst)) {
        memcpy(dst, src, count);
        return SUCCESS;
    }
    return INVALID_VALUE;
}

int cudaStreamCreate(void **stream) { *stream = malloc(1); return SUCCESS; }
int cudaStreamDestroy(void *stream) { free(stream); return SUCCESS; }
int cudaStreamSynchronize(void *stream) { (void) stream; return SUCCESS; }

int cudaEventCreate(void **event) { *event = calloc(1, sizeof(double)); return SUCCESS; }
int cudaEventDestroy(void *event) { free(event); return SUCCESS; }
int cudaEventSynchronize(void *event) { (void) event; return SUCCESS; }
int cudaEventRecord(void *event, void *stream) {
    struct timespec now;
    (void) stream;
    clock_gettime(CLOCK_MONOTONIC, &now);
    *(double *) event = now.tv_sec * 1e3 + now.tv_nsec / 1e6;
    return SUCCESS;
}
int cudaEventElapsedTime(float *ms, void *start, void *end) {
    *ms = (float) (*(double *) end - *(double *) start);
    return SUCCESS;
}
