package org.isthmus.data;

import org.isthmus.tensor.Tensor;

/** One input and its class index. */
public record Example(Tensor input, int label) {
}
