package org.isthmus.ffi.cublas;

import org.isthmus.kernels.BackendProvider;
import org.isthmus.kernels.BackendUnavailableException;
import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.KernelSet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Predicate;

/**
 * The CPU kernels the GPU backends use for everything cuBLAS does not run. Found through the
 * providers themselves rather than {@code Backends.get}, which is busy loading the GPU backend when
 * this runs; a provider loaded here makes its own instance of its backend (the libraries behind it
 * still load once per JVM).
 */
record CpuKernels(String name, KernelSet kernels) {

    /** The highest-priority provider that {@code eligible} accepts and that loads here. */
    static CpuKernels best(Predicate<BackendProvider> eligible) {
        List<BackendProvider> providers = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, CpuKernels.class.getClassLoader()).forEach(providers::add);
        providers.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        List<String> reasons = new ArrayList<>();
        for (BackendProvider provider : providers) {
            if (!eligible.test(provider)) {
                continue;
            }
            try {
                if (provider.load() instanceof CheckedBackend backend) {
                    return new CpuKernels(backend.name(), backend.kernels());
                }
            } catch (BackendUnavailableException e) {
                reasons.add(e.getMessage());
            } catch (RuntimeException | LinkageError e) {
                // As Backends does: a provider that fails to load is unavailable, not fatal to the GPU backend.
                reasons.add(provider.name() + ": loading failed with " + e);
            }
        }
        throw new IllegalStateException("no CPU backend loads for the GPU backends: " + reasons);
    }

    /** vector, or scalar when the Vector API is not resolved: what {@code cublas} runs besides sgemm. */
    static CpuKernels vectorOrScalar() {
        return best(provider -> provider.name().equals("vector") || provider.name().equals("scalar"));
    }

    /** What {@code auto} would pick without the GPU: the best provider ranked below {@code priority}, cuBLAS aside. */
    static CpuKernels bestBelow(int priority) {
        return best(provider -> provider.priority() < priority && !provider.name().equals(CublasBackend.NAME));
    }
}
