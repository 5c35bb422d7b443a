package org.isthmus.kernels;

/** The elementwise arithmetic of {@link Backend#binary}. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV
}
