package org.isthmus.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode automatic differentiation: the switches (gradient recording, anomaly detection) and
 * the engine that runs a graph backwards.
 */
public final class Autograd {

    private static final ThreadLocal<boolean[]> GRAD_ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private static volatile boolean detectAnomaly;

    private Autograd() {
    }

    /** A scope, for try-with-resources, in which this thread records no graph; the previous mode returns on close. */
    public static Scope noGrad() {
        return setGradEnabled(false);
    }

    /** A scope in which this thread records the graph again (inside a {@link #noGrad()} scope). */
    public static Scope enableGrad() {
        return setGradEnabled(true);
    }

    /** Whether operations on this thread record the graph. */
    public static boolean isGradEnabled() {
        return GRAD_ENABLED.get()[0];
    }

    /**
     * Anomaly detection (off by default, it costs a scan of every result): while on, the first
     * operation whose forward result or whose gradient holds NaN or ±Inf throws, naming itself.
     */
    public static void setDetectAnomaly(boolean enabled) {
        detectAnomaly = enabled;
    }

    public static boolean isDetectingAnomaly() {
        return detectAnomaly;
    }

    /** Restores the previous mode when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private static Scope setGradEnabled(boolean enabled) {
        boolean[] flag = GRAD_ENABLED.get();
        boolean previous = flag[0];
        flag[0] = enabled;
        return () -> flag[0] = previous;
    }

    /**
     * Attaches the backward function to a fresh result when the graph is being recorded and an input
     * requires a gradient; checks the result for anomalies when asked to.
     */
    static Tensor record(String op, Tensor output, Tensor[] inputs, Node.Backward backward) {
        if (detectAnomaly) {
            checkFinite(output, "the forward pass of '" + op + "'");
        }
        if (isGradEnabled()) {
            for (Tensor input : inputs) {
                if (input != null && input.requiresGrad()) {
                    output.setGradFn(new Node(op, inputs, backward));
                    break;
                }
            }
        }
        return output;
    }

    /** Runs the graph ending at root backwards from gradient, accumulating into every leaf's grad(). */
    static void backward(Tensor root, Tensor gradient, boolean retainGraph) {
        Node rootNode = root.gradFn();
        Set<Storage> adopted = Collections.newSetFromMap(new IdentityHashMap<>());
        adopted.add(gradient.storage());
        if (rootNode == null) {
            accumulate(root, gradient, adopted);
            return;
        }
        List<Node> order = topologicalOrder(rootNode);
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        pending.put(rootNode, gradient);
        try (Scope ignored = noGrad()) {
            for (Node node : order) {
                Tensor gradOutput = pending.remove(node);
                if (gradOutput == null) {
                    continue;
                }
                if (node.retainedOutput != null) {
                    node.retainedOutput.setGrad(gradOutput.clone());
                }
                Tensor[] gradInputs = node.backward(gradOutput);
                if (!retainGraph) {
                    node.release();
                }
                forbidSharedStorages(gradInputs, adopted);
                for (int i = 0; i < node.inputs.length; i++) {
                    Tensor input = node.inputs[i];
                    Tensor g = i < gradInputs.length ? gradInputs[i] : null;
                    if (input == null || g == null || !input.requiresGrad()) {
                        continue;
                    }
                    if (!java.util.Arrays.equals(g.shape(), input.shape())) {
                        throw new IllegalStateException("the backward pass of '" + node.op + "' returned a gradient of shape "
                                + Shapes.format(g.shape()) + " for its input " + i + " of shape " + Shapes.format(input.shape()));
                    }
                    if (detectAnomaly) {
                        checkFinite(g, "the backward pass of '" + node.op + "' (gradient of input " + i + ")");
                    }
                    Node producer = input.gradFn();
                    if (producer == null) {
                        accumulate(input, g, adopted);
                    } else {
                        Tensor sum = pending.get(producer);
                        pending.put(producer, sum == null ? g : sum.add(g));
                    }
                }
            }
        }
    }

    /** A storage behind two of one node's gradients may not become a leaf's gradient: the other may be read later. */
    private static void forbidSharedStorages(Tensor[] gradients, Set<Storage> adopted) {
        Set<Storage> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor g : gradients) {
            if (g != null && !seen.add(g.storage())) {
                adopted.add(g.storage());
            }
        }
    }

    /**
     * Adds g to the leaf's gradient. A first gradient that owns its whole storage, which no other
     * leaf has adopted and which is not the caller's gradient (in {@code adopted} from the start), becomes
     * the leaf's gradient as it is; any other is copied, so that a later in-place accumulation can
     * never write into a tensor someone else holds.
     */
    private static void accumulate(Tensor leaf, Tensor g, Set<Storage> adopted) {
        if (!leaf.requiresGrad()) {
            return;
        }
        try (Scope ignored = noGrad()) {
            Tensor current = leaf.grad();
            if (current != null) {
                current.add_(g);
            } else if (g.isContiguous() && g.offset() == 0 && g.numel() == g.storage().size()
                    && adopted.add(g.storage())) {
                leaf.setGrad(g.view(g.shape()));
            } else {
                leaf.setGrad(g.clone());
            }
        }
    }

    /** The nodes reachable from root, each after every node that feeds a gradient into it. */
    private static List<Node> topologicalOrder(Node root) {
        List<Node> postOrder = new ArrayList<>();
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node node = (Node) frame[0];
            int next = (Integer) frame[1];
            if (next < node.inputs.length) {
                frame[1] = next + 1;
                Tensor input = node.inputs[next];
                Node child = input == null ? null : input.gradFn();
                if (child != null && visited.add(child)) {
                    stack.push(new Object[] {child, 0});
                }
            } else {
                stack.pop();
                postOrder.add(node);
            }
        }
        Collections.reverse(postOrder);
        return postOrder;
    }

    private static void checkFinite(Tensor t, String where) {
        Tensor c = t.contiguous();
        long n = c.numel();
        for (long i = 0; i < n; i++) {
            float v = c.storage().get(c.offset() + i);
            if (!Float.isFinite(v)) {
                throw new ArithmeticException("anomaly: " + where + " produced " + v + " at flat index " + i
                        + " of a tensor of shape " + Shapes.format(t.shape()));
            }
        }
    }
}
