package org.isthmus.optim;

import java.util.List;

/**
 * Changes the learning rate of every parameter group once per {@link #step()} (usually per epoch), from
 * the rates the groups had when the scheduler was made.
 */
public final class LrScheduler {

    /** The learning rate after {@code step} steps, from the group's base rate. */
    @FunctionalInterface
    private interface Rule {
        double rate(double base, long step);
    }

    private final Optimizer optimizer;
    private final double[] baseRates;
    private final Rule rule;
    private long steps;

    private LrScheduler(Optimizer optimizer, Rule rule) {
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        this.baseRates = groups.stream().mapToDouble(ParamGroup::learningRate).toArray();
        this.rule = rule;
        apply();
    }

    /** lr·gamma^⌊t/stepSize⌋ (PyTorch's StepLR). */
    public static LrScheduler step(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("step schedule: stepSize must be >= 1, got " + stepSize);
        }
        return new LrScheduler(optimizer, (base, t) -> base * Math.pow(gamma, t / stepSize));
    }

    /** etaMin + (lr − etaMin)·(1 + cos(π·t/tMax))/2 (PyTorch's CosineAnnealingLR, without restarts). */
    public static LrScheduler cosine(Optimizer optimizer, int tMax, double etaMin) {
        if (tMax < 1) {
            throw new IllegalArgumentException("cosine schedule: tMax must be >= 1, got " + tMax);
        }
        return new LrScheduler(optimizer, (base, t) ->
                etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * Math.min(t, tMax) / tMax)) / 2);
    }

    /** lr·min(1, (t + 1)/warmupSteps): a linear ramp to the base rate. */
    public static LrScheduler linearWarmup(Optimizer optimizer, int warmupSteps) {
        if (warmupSteps < 1) {
            throw new IllegalArgumentException("linear warm-up: warmupSteps must be >= 1, got " + warmupSteps);
        }
        return new LrScheduler(optimizer, (base, t) -> base * Math.min(1.0, (t + 1.0) / warmupSteps));
    }

    /** Advances the schedule by one step and sets the new rates. */
    public void step() {
        steps++;
        apply();
    }

    private void apply() {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).setLearningRate(rule.rate(baseRates[g], steps));
        }
    }
}
