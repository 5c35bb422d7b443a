package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
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
 * sgemm, C = A·B with every transpose case, on an Isthmus backend or on OpenBLAS, with heap
 * operands ({@code MemorySegment.ofArray(float[])}) as tensors hold them. The result is checked
 * once per trial against the scalar reference, so a wrong kernel cannot post a time.
 *
 * <p>Threads: Isthmus kernels use {@code -Disthmus.threads} (read once per JVM), and OpenBLAS is
 * set to the same count. The score is the average time per call; {@link GemmReport} turns it
 * into GFLOP/s = 2·m·n·k / seconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class GemmBenchmark {

    static final String OPENBLAS = "openblas";

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final long SEED = 20_250_925L;
    /** Up to 512³ multiply-adds all of C is checked; above, a sample, so that setup stays short. */
    private static final long FULL_CHECK_VOLUME = 512L * 512 * 512;
    private static final int RANDOM_CHECKED_ENTRIES = 1024;

    /** "openblas", or any name {@link Backends#get(String)} knows ("vector", "scalar", ...). */
    @Param({"vector", OPENBLAS})
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
        a = randomMatrix(transA ? k : m, lda, random);
        b = randomMatrix(transB ? n : k, ldb, random);
        c = MemorySegment.ofArray(new float[Math.multiplyExact(m, n)]);
        multiply = bind(implementation);
        verify();
    }

    @Benchmark
    public MemorySegment sgemm() {
        multiply.run();
        return c;
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
        if (name.equals(OPENBLAS)) {
            OpenBlas blas = OpenBlas.load();
            int threads = Parallelism.threads();
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

    private static MemorySegment randomMatrix(int rows, int ld, SplittableRandom random) {
        float[] values = new float[Math.multiplyExact(rows, ld)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return MemorySegment.ofArray(values);
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
