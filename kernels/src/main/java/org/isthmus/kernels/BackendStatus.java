package org.isthmus.kernels;

/**
 * What {@link Backends#available()} reports for one backend.
 *
 * @param detail the backend's description when available, otherwise the reason it is not
 */
public record BackendStatus(String name, boolean available, String detail) {
}
