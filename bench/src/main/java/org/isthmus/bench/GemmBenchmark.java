package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import dev.ludovic.netlib.blas.JavaBLAS;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Parallelism;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * sgemm, C = A·B with every transpose case, on an Isthmus backend or on a peer, with heap
 * operands ({@code MemorySegment.ofArray(float[])}) as tensors hold them. The peers, each on the
 * same {@code float[]} arrays, without copies:
 * <ul>
 * <li>{@value #OPENBLAS}: OpenBLAS's {@code cblas_sgemm} through FFM ({@link OpenBlas});</li>
 * <li>{@value #NETLIB}: {@code dev.ludovic.netlib:blas}'s Vector API implementation
 *     ({@code VectorBLAS}), column-major, so row-major C = op(A)·op(B) is asked as
 *     Cᵀ = op(B)ᵀ·op(A)ᵀ;</li>
 * <li>{@value #EJML}: EJML's {@code CommonOps_FDRM.mult}/{@code multTransA}/{@code multTransB}/
 *     {@code multTransAB} on {@code FMatrixRMaj} wrapping the arrays ({@code CommonOps_MT_FDRM}
 *     on more than one thread);</li>
 * <li>{@value #JAVA_LOOP}: a plain i-k-j loop, one thread: the floor.</li>
 * </ul>
 * The result is checked once per trial against the scalar reference, so a wrong kernel cannot
 * post a time.
 *
 * <p>Threads: Isthmus kernels use {@code -Disthmus.threads} (read once per JVM); OpenBLAS and
 * EJML are set to the same count; netlib's Java BLAS and the loop run on one thread. The score
 * is the average time per call; {@link BenchReport} turns it into GFLOP/s = 2·m·n·k / seconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class GemmBenchmark implements ReportedBenchmark {

    static final String OPENBLAS = "openblas";
    static final String NETLIB = "netlib";
    static final String EJML = "ejml";
    static final String JAVA_LOOP = "javaloop";
    private static final String NETLIB_VECTOR_CLASS = "dev.ludovic.netlib.blas.VectorBLAS";

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final long SEED = 20_250_925L;
    /** Up to 512³ multiply-adds all of C is checked; above, a sample, so that setup stays short. */
    private static final long FULL_CHECK_VOLUME = 512L * 512 * 512;
    private static final int RANDOM_CHECKED_ENTRIES = 1024;
    /** From this many FLOPs a call (2048³ multiply-adds) on, the report leaves out the slow peers. */
    private static final double SLOW_PEER_FLOPS = 2.0 * 2048 * 2048 * 2048;

    /** A peer ("openblas", "netlib", "ejml", "javaloop") or any name {@link Backends#get(String)} knows. */
    @Param({"vector", OPENBLAS, NETLIB, EJML, JAVA_LOOP})
    public String implementation;

    /** "n" for n×n×n, or "m x n x k" written {@code MxNxK}. */
    @Param({"128", "256", "512", "1024", "2048", "1280", "1312", "128x256x784", "128x10x256"})
    public String shape;

    /** N or T for A, then for B: "NT" is A·Bᵀ. */
    @Param({"NN"})
    public String transpose;

    private Shape dims;
    private boolean transA;
    private boolean transB;
    private int lda;
    private int ldb;
    private float[] aValues;
    private float[] bValues;
    private float[] cValues;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private Runnable multiply;

    @Setup(Level.Trial)
    public void setUp() {
        dims = Shape.parse(shape);
        transA = transposed(transpose, 0);
        transB = transposed(transpose, 1);
        int m = dims.m();
        int n = dims.n();
        int k = dims.k();
        lda = transA ? m : k;
        ldb = transB ? k : n;
        SplittableRandom random = new SplittableRandom(SEED);
        aValues = randomMatrix(transA ? k : m, lda, random);
        bValues = randomMatrix(transB ? n : k, ldb, random);
        cValues = new float[Math.multiplyExact(m, n)];
        a = MemorySegment.ofArray(aValues);
        b = MemorySegment.ofArray(bValues);
        c = MemorySegment.ofArray(cValues);
        multiply = bind(implementation);
        verify();
    }

    @Benchmark
    public MemorySegment sgemm() {
        multiply.run();
        return c;
    }

    @Override
    public Work work(String method) {
        return Work.flops(Shape.parse(shape).flops());
    }

    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("shape", List.of("1024", "128x256x784"), "transpose", List.of("NN"));
    }

    /** netlib's Java BLAS and the loop, and the scalar backend if asked for, run on one thread. */
    @Override
    public Set<String> oneThreadImplementations() {
        return Set.of("scalar", NETLIB, JAVA_LOOP);
    }

    /** EJML and the loop at 2048³: 7 s a call at their 2–4 GFLOP/s, a minute a run, for the figure 1312³ gave. */
    @Override
    public Optional<String> skipReason(String method, Map<String, String> params) {
        boolean slowPeer = params.get("implementation").equals(EJML) || params.get("implementation").equals(JAVA_LOOP);
        return slowPeer && Shape.parse(params.get("shape")).flops() >= SLOW_PEER_FLOPS
                ? Optional.of(EJML + " and " + JAVA_LOOP + " at m·n·k >= 2048³ (seconds a call)")
                : Optional.empty();
    }

    /** The call to time, bound to the implementation with every argument fixed. */
    private Runnable bind(String name) {
        boolean ta = transA;
        boolean tb = transB;
        int m = dims.m();
        int n = dims.n();
        int k = dims.k();
        int leadingA = lda;
        int leadingB = ldb;
        MemorySegment left = a;
        MemorySegment right = b;
        MemorySegment out = c;
        float[] leftValues = aValues;
        float[] rightValues = bValues;
        float[] outValues = cValues;
        int threads = Parallelism.threads();
        switch (name) {
            case NETLIB -> {
                JavaBLAS blas = JavaBLAS.getInstance();
                // VectorBLAS is package-private: known by name. Anything else is its scalar fallback.
                if (!blas.getClass().getName().equals(NETLIB_VECTOR_CLASS)) {
                    throw new IllegalStateException("netlib's Vector API BLAS is unavailable (got "
                            + blas.getClass().getName() + "): is jdk.incubator.vector missing from this JVM?");
                }
                String opA = ta ? "T" : "N";
                String opB = tb ? "T" : "N";
                // Column-major: the row-major product C = op(A)·op(B) is Cᵀ = op(B)ᵀ·op(A)ᵀ, n×m with ldc = n.
                return () -> blas.sgemm(opB, opA, n, m, k, 1f, rightValues, 0, leadingB, leftValues, 0, leadingA,
                        0f, outValues, 0, n);
            }
            case EJML -> {
                FMatrixRMaj storedA = FMatrixRMaj.wrap(ta ? k : m, leadingA, leftValues);
                FMatrixRMaj storedB = FMatrixRMaj.wrap(tb ? n : k, leadingB, rightValues);
                FMatrixRMaj result = FMatrixRMaj.wrap(m, n, outValues);
                if (threads > 1) {
                    EjmlConcurrency.setMaxThreads(threads);
                }
                EjmlProduct product = ejmlProduct(ta, tb, threads > 1);
                return () -> product.multiply(storedA, storedB, result);
            }
            case JAVA_LOOP -> {
                return () -> javaLoop(ta, tb, m, n, k, leftValues, leadingA, rightValues, leadingB, outValues);
            }
            default -> {
                // an Isthmus backend or OpenBLAS, below
            }
        }
        if (name.equals(OPENBLAS)) {
            OpenBlas blas = OpenBlas.load();
            blas.setThreads(threads);
            if (blas.threads() != threads) {
                throw new IllegalStateException("OpenBLAS runs " + blas.threads() + " thread(s), not the "
                        + threads + " asked for; its build caps them: " + blas.config());
            }
            return () -> blas.sgemm(ta, tb, m, n, k, 1f, left, 0, leadingA, right, 0, leadingB, 0f, out, 0, n);
        }
        Backend backend = Backends.get(name);
        return () -> backend.sgemm(ta, tb, m, n, k, 1f, left, 0, leadingA, right, 0, leadingB, 0f, out, 0, n);
    }

    /** EJML's product for the transpose case: {@code CommonOps_MT_FDRM} (its own thread pool) or the one-thread ops. */
    private static EjmlProduct ejmlProduct(boolean transA, boolean transB, boolean concurrent) {
        if (concurrent) {
            return transA ? (transB ? CommonOps_MT_FDRM::multTransAB : CommonOps_MT_FDRM::multTransA)
                    : (transB ? CommonOps_MT_FDRM::multTransB : CommonOps_MT_FDRM::mult);
        }
        return transA ? (transB ? CommonOps_FDRM::multTransAB : CommonOps_FDRM::multTransA)
                : (transB ? CommonOps_FDRM::multTransB : CommonOps_FDRM::mult);
    }

    /** c = op(a)·op(b), one of EJML's {@code mult*} ops. */
    @FunctionalInterface
    private interface EjmlProduct {
        void multiply(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c);
    }

    /**
     * The floor: C = op(A)·op(B) as a plain i-k-j loop, what one writes without a library. With
     * B untransposed the inner loop runs along rows of B and C, which C2 vectorizes by itself.
     */
    private static void javaLoop(boolean transA, boolean transB, int m, int n, int k, float[] a, int lda,
                                 float[] b, int ldb, float[] c) {
        for (int i = 0; i < m; i++) {
            int cRow = i * n;
            Arrays.fill(c, cRow, cRow + n, 0f);
            for (int p = 0; p < k; p++) {
                float aip = transA ? a[p * lda + i] : a[i * lda + p];
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += aip * b[j * ldb + p];
                    }
                } else {
                    int bRow = p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += aip * b[bRow + j];
                    }
                }
            }
        }
    }

    /**
     * Runs the call once on a C full of NaN (beta = 0 must ignore it) and compares each checked
     * entry with the scalar reference: |C − C_ref| / (|A|·|B|) must stay within 8·(ε/2)·√k, the
     * bound of the kernels' own tests (GemmCase). Rounding on random data stays orders of magnitude
     * below it; one wrong entry does not, and per entry it cannot hide among the correct ones.
     */
    private void verify() {
        int m = dims.m();
        int n = dims.n();
        int k = dims.k();
        c.fill((byte) 0xFF); // every float NaN
        multiply.run();
        Backend reference = Backends.get("scalar");
        MemorySegment absA = absolute(a);
        MemorySegment absB = absolute(b);
        MemorySegment entryOut = MemorySegment.ofArray(new float[1]);
        double tolerance = 8 * (Math.ulp(1f) / 2) * Math.sqrt(k);
        long[] entries = checkedEntries(m, n, k);
        for (long entry : entries) {
            int i = (int) (entry / n);
            int j = (int) (entry % n);
            float got = c.getAtIndex(FLOAT, entry);
            double want = referenceEntry(reference, a, b, entryOut, i, j);
            double scale = referenceEntry(reference, absA, absB, entryOut, i, j);
            double error = Math.abs(got - want) / Math.max(scale, Double.MIN_NORMAL);
            if (!(error <= tolerance)) { // also catches NaN and infinities
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s is wrong: C[%d,%d] = %s, reference %s, relative error %.3g > %.3g (checking %d entries)",
                        label(), i, j, got, want, error, tolerance, entries.length));
            }
        }
    }

    private String label() {
        return implementation + " sgemm " + shape + " " + transpose;
    }

    /** Entry (i, j) of op(A)·op(B) by the reference, as a 1×1×k product at the right offsets. */
    private double referenceEntry(Backend reference, MemorySegment left, MemorySegment right, MemorySegment out,
                                  int i, int j) {
        long aOffset = transA ? i : (long) i * lda;
        long bOffset = transB ? (long) j * ldb : j;
        reference.sgemm(transA, transB, 1, 1, dims.k(), 1f, left, aOffset, lda, right, bOffset, ldb, 0f, out, 0, 1);
        return out.getAtIndex(FLOAT, 0);
    }

    /**
     * Flat indices into C: all of it for small shapes; otherwise the first and last rows and
     * columns (where the kernels' edge tiles land) and a random sample of the interior.
     */
    private static long[] checkedEntries(int m, int n, int k) {
        if ((long) m * n * k <= FULL_CHECK_VOLUME) {
            return LongStream.range(0, (long) m * n).toArray();
        }
        LongStream.Builder entries = LongStream.builder();
        for (int j = 0; j < n; j++) {
            entries.add(j);
            entries.add((long) (m - 1) * n + j);
        }
        for (int i = 0; i < m; i++) {
            entries.add((long) i * n);
            entries.add((long) i * n + n - 1);
        }
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int s = 0; s < RANDOM_CHECKED_ENTRIES; s++) {
            entries.add(random.nextLong((long) m * n));
        }
        return entries.build().toArray();
    }

    private static float[] randomMatrix(int rows, int ld, SplittableRandom random) {
        float[] values = new float[Math.multiplyExact(rows, ld)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    private static MemorySegment absolute(MemorySegment source) {
        float[] values = source.toArray(FLOAT);
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.abs(values[i]);
        }
        return MemorySegment.ofArray(values);
    }

    private static boolean transposed(String transpose, int operand) {
        String cases = transpose.toUpperCase(Locale.ROOT);
        if (!cases.matches("[NT]{2}")) {
            throw new IllegalArgumentException("transpose must be NN, NT, TN or TT, got '" + transpose + "'");
        }
        return cases.charAt(operand) == 'T';
    }

    /** An m×n×k product: op(A) is m×k, op(B) k×n. */
    public record Shape(int m, int n, int k) {

        public Shape {
            if (m < 1 || n < 1 || k < 1) {
                throw new IllegalArgumentException("sizes must be >= 1, got " + m + "x" + n + "x" + k);
            }
        }

        /** "n" for n×n×n, or "MxNxK". */
        public static Shape parse(String text) {
            String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length == 1) {
                    int size = Integer.parseInt(parts[0].trim());
                    return new Shape(size, size, size);
                }
                if (parts.length == 3) {
                    return new Shape(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                            Integer.parseInt(parts[2].trim()));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape must be n or MxNxK, got '" + text + "'", e);
            }
            throw new IllegalArgumentException("shape must be n or MxNxK, got '" + text + "'");
        }

        /** Floating-point operations of one product: a multiply and an add per term. */
        public double flops() {
            return 2.0 * m * n * k;
        }

        @Override
        public String toString() {
            return m + "x" + n + "x" + k;
        }
    }
}
