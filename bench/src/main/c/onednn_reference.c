/*
 * The C side of the oneDNN bar: dnnl_sgemm and the forward convolution called from C the way the
 * Isthmus oneDNN backend calls them through FFM (row-major sgemm; convolution with NCHW data and
 * weights in oneDNN's own layout, reordered once outside the timed loop), timed on this machine so
 * that the Java/C ratio in bench/NOTES.md is a same-machine ratio. Medians of repeated calls. Also
 * one 4×4×4 sgemm, plain and inside the signal mask the backend sets around every oneDNN call: what
 * a downcall costs before Java adds anything.
 *
 *   bench/onednn-bar.sh       # builds this against the dnnl artifact and alternates it with OneDnnBar
 */
#include <oneapi/dnnl/dnnl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) { \
    fprintf(stderr, "%s failed: %d\n", #call, (int) s_); exit(1); } } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static float *random_floats(size_t n) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++) p[i] = (float) rand() / RAND_MAX * 2 - 1;
    return p;
}

/* Median seconds per call over `samples` samples of calls lasting at least ~0.2 s each. */
#define TIME(seconds, body) do { \
    double times_[7]; int reps_ = 1; \
    for (;;) { double t0_ = now(); for (int r_ = 0; r_ < reps_; r_++) { body; } \
               double dt_ = now() - t0_; if (dt_ > 0.2) break; reps_ *= 2; } \
    for (int s_ = 0; s_ < 7; s_++) { double t0_ = now(); for (int r_ = 0; r_ < reps_; r_++) { body; } \
               times_[s_] = (now() - t0_) / reps_; } \
    qsort(times_, 7, sizeof(double), compare); (seconds) = times_[3]; } while (0)

static void sgemm(long m, long n, long k) {
    float *a = random_floats(m * k), *b = random_floats(k * n), *c = random_floats(m * n);
    double s;
    TIME(s, CHECK(dnnl_sgemm('N', 'N', m, n, k, 1.f, a, k, b, n, 0.f, c, n)));
    printf("sgemm %ldx%ldx%ld NN: %.1f GFLOP/s\n", m, n, k, 2.0 * m * n * k / s * 1e-9);
    free(a); free(b); free(c);
}

static dnnl_memory_t memory(const_dnnl_memory_desc_t md, dnnl_engine_t engine, void *data) {
    dnnl_memory_t mem;
    CHECK(dnnl_memory_create(&mem, md, engine, data));
    return mem;
}

static void conv(dnnl_engine_t engine, dnnl_stream_t stream, long n, long c, long h, long w, long k, long r, long pad) {
    long oh = h + 2 * pad - r + 1, ow = w + 2 * pad - r + 1;
    dnnl_dims_t src_dims = {n, c, h, w}, wei_dims = {k, c, r, r}, bias_dims = {k}, dst_dims = {n, k, oh, ow};
    dnnl_dims_t strides = {1, 1}, dilates = {0, 0}, padding = {pad, pad};
    dnnl_memory_desc_t src_md, wei_any, wei_plain, bias_md, dst_md;
    CHECK(dnnl_memory_desc_create_with_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_abcd));
    CHECK(dnnl_memory_desc_create_with_tag(&wei_any, 4, wei_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_create_with_tag(&wei_plain, 4, wei_dims, dnnl_f32, dnnl_abcd));
    CHECK(dnnl_memory_desc_create_with_tag(&bias_md, 1, bias_dims, dnnl_f32, dnnl_a));
    CHECK(dnnl_memory_desc_create_with_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_abcd));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_convolution_forward_primitive_desc_create(&pd, engine, dnnl_forward_training, dnnl_convolution_direct,
            src_md, wei_any, bias_md, dst_md, strides, dilates, padding, padding, NULL));
    const char *impl;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    dnnl_primitive_t prim;
    CHECK(dnnl_primitive_create(&prim, pd));
    const_dnnl_memory_desc_t wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    float *x = random_floats(n * c * h * w), *wt = random_floats(k * c * r * r), *bias = random_floats(k);
    float *y = random_floats(n * k * oh * ow);
    void *wt_blocked = aligned_alloc(64, (dnnl_memory_desc_get_size(wei_md) + 63) / 64 * 64);
    dnnl_memory_t wt_plain_mem = memory(wei_plain, engine, wt), wt_mem = memory(wei_md, engine, wt_blocked);
    dnnl_primitive_desc_t rpd;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, wei_plain, engine, wei_md, engine, NULL));
    dnnl_primitive_t reorder;
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[] = {{DNNL_ARG_FROM, wt_plain_mem}, {DNNL_ARG_TO, wt_mem}};
    CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs));
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, memory(src_md, engine, x)}, {DNNL_ARG_WEIGHTS, wt_mem},
                              {DNNL_ARG_BIAS, memory(bias_md, engine, bias)}, {DNNL_ARG_DST, memory(dst_md, engine, y)}};
    double s, s_reorder;
    TIME(s, CHECK(dnnl_primitive_execute(prim, stream, 4, args)));
    TIME(s_reorder, CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs)));
    double flops = 2.0 * n * k * oh * ow * c * r * r;
    printf("conv N=%ld,C=%ld,%ldx%ld,K=%ld,%ldx%ld,p%ld: %.1f GFLOP/s (%s; weight reorder %.1f us)\n",
           n, c, h, w, k, r, r, pad, flops / s * 1e-9, impl, s_reorder * 1e6);
}

/*
 * A 4×4×4 sgemm, plain and between the block and restore of every asynchronous signal that the
 * Isthmus backend (AsyncSignals) makes around each oneDNN call.
 */
static void downcall(void) {
    float *a = random_floats(16), *b = random_floats(16), *c = random_floats(16);
    sigset_t asynchronous, old;
    sigfillset(&asynchronous);
    int synchronous[] = {SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS};
    for (int i = 0; i < 6; i++) sigdelset(&asynchronous, synchronous[i]);
    double plain, masked;
    TIME(plain, CHECK(dnnl_sgemm('N', 'N', 4, 4, 4, 1.f, a, 4, b, 4, 0.f, c, 4)));
    TIME(masked, pthread_sigmask(SIG_BLOCK, &asynchronous, &old);
         CHECK(dnnl_sgemm('N', 'N', 4, 4, 4, 1.f, a, 4, b, 4, 0.f, c, 4));
         pthread_sigmask(SIG_SETMASK, &old, NULL));
    printf("sgemm 4x4x4 NN: %.2f us a call (inside the signal mask: %.2f us)\n", plain * 1e6, masked * 1e6);
    free(a); free(b); free(c);
}

int main(void) {
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d, cpu runtime %u\n", v->major, v->minor, v->patch, v->cpu_runtime);
    sgemm(512, 512, 512);
    sgemm(1024, 1024, 1024);
    sgemm(2048, 2048, 2048);
    sgemm(128, 256, 784);
    downcall();
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    conv(engine, stream, 64, 1, 28, 28, 32, 3, 1);
    conv(engine, stream, 64, 32, 14, 14, 64, 3, 1);
    conv(engine, stream, 32, 64, 56, 56, 64, 3, 1);
    return 0;
}
