package org.isthmus.nn;

import java.util.function.UnaryOperator;
import org.isthmus.tensor.Tensor;

/** A parameter-free elementwise layer: ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax. */
public final class Activation extends Module {

    private final String name;
    private final UnaryOperator<Tensor> function;

    private Activation(String name, UnaryOperator<Tensor> function) {
        this.name = name;
        this.function = function;
    }

    public static Activation relu() {
        return new Activation("ReLU", Tensor::relu);
    }

    public static Activation leakyRelu(float slope) {
        return new Activation("LeakyReLU(" + slope + ")", x -> x.leakyRelu(slope));
    }

    /** GELU, tanh form. */
    public static Activation gelu() {
        return new Activation("GELU", Tensor::gelu);
    }

    public static Activation sigmoid() {
        return new Activation("Sigmoid", Tensor::sigmoid);
    }

    public static Activation tanh() {
        return new Activation("Tanh", Tensor::tanh);
    }

    public static Activation softmax(int dim) {
        return new Activation("Softmax(" + dim + ")", x -> x.softmax(dim));
    }

    @Override
    public Tensor forward(Tensor input) {
        return function.apply(input);
    }

    @Override
    public String toString() {
        return name;
    }
}
