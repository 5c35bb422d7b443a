package org.isthmus.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the backends on the class path and picks one.
 *
 * <p>Selection: the system property {@code isthmus.backend}, else the environment variable
 * {@code ISTHMUS_BACKEND}, else {@code auto}: the available backend of highest priority.
 * A backend asked for by name is that backend or an exception saying why it is unavailable,
 * never a silent substitute.
 */
public final class Backends {

    public static final String AUTO = "auto";
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private static final List<BackendProvider> PROVIDERS = discover();
    private static final Map<String, Loaded> LOADED = new ConcurrentHashMap<>();
    private static volatile boolean announced;

    private Backends() {
    }

    /** The backend of that name, or {@link BackendUnavailableException} with the reason. */
    public static Backend get(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        if (wanted.equals(AUTO)) {
            return auto();
        }
        for (BackendProvider provider : PROVIDERS) {
            if (provider.name().equals(wanted)) {
                return load(provider).backendOrThrow();
            }
        }
        throw new BackendUnavailableException(wanted, "no such backend; known: " + names() + " and " + AUTO);
    }

    /** The backend chosen by {@code -Disthmus.backend} / {@code ISTHMUS_BACKEND} (default {@code auto}). */
    public static Backend current() {
        Backend chosen = get(selection());
        if (!announced) {
            announced = true;
            LOG.log(System.Logger.Level.INFO, "Isthmus backend: " + chosen.description()
                    + " (isthmus.backend=" + selection() + ")");
        }
        return chosen;
    }

    /** Every backend found, each with its description or the reason it is unavailable. */
    public static List<BackendStatus> available() {
        List<BackendStatus> statuses = new ArrayList<>();
        for (BackendProvider provider : PROVIDERS) {
            Loaded loaded = load(provider);
            statuses.add(loaded.backend != null
                    ? new BackendStatus(provider.name(), true, loaded.backend.description())
                    : new BackendStatus(provider.name(), false, reason(loaded.failure)));
        }
        return statuses;
    }

    /** The same as {@link #available()} plus the current choice, as text for users and bug reports. */
    public static String describe() {
        StringBuilder text = new StringBuilder();
        String selection = selection();
        String chosen;
        try {
            chosen = get(selection).name();
        } catch (BackendUnavailableException e) {
            chosen = "none: " + e.getMessage();
        }
        text.append("Isthmus backends (isthmus.backend=").append(selection).append(" -> ").append(chosen).append(")\n");
        for (BackendStatus status : available()) {
            text.append(String.format(Locale.ROOT, "  %-8s %-12s %s%n", status.name(),
                    status.available() ? "available" : "unavailable", status.detail()));
        }
        text.append("  java ").append(Runtime.version()).append(", ").append(Parallelism.threads()).append(" thread(s)");
        return text.toString();
    }

    /** The raw selection: property, environment, or {@code auto}. */
    public static String selection() {
        String property = System.getProperty("isthmus.backend");
        if (property != null && !property.isBlank()) {
            return property.trim().toLowerCase(Locale.ROOT);
        }
        String environment = System.getenv("ISTHMUS_BACKEND");
        if (environment != null && !environment.isBlank()) {
            return environment.trim().toLowerCase(Locale.ROOT);
        }
        return AUTO;
    }

    private static Backend auto() {
        for (BackendProvider provider : PROVIDERS) {
            Loaded loaded = load(provider);
            if (loaded.backend != null) {
                return loaded.backend;
            }
        }
        throw new BackendUnavailableException(AUTO, "no backend could be loaded: " + available());
    }

    private static Loaded load(BackendProvider provider) {
        return LOADED.computeIfAbsent(provider.name(), name -> {
            try {
                return new Loaded(provider.load(), null);
            } catch (BackendUnavailableException e) {
                LOG.log(System.Logger.Level.DEBUG, e.getMessage(), e);
                return new Loaded(null, e);
            } catch (RuntimeException | LinkageError e) {
                return new Loaded(null, new BackendUnavailableException(name,
                        "loading failed with " + e, e));
            }
        });
    }

    private static String reason(BackendUnavailableException failure) {
        String prefix = "backend '" + failure.backend() + "' is unavailable: ";
        String message = failure.getMessage();
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    private static List<String> names() {
        return PROVIDERS.stream().map(BackendProvider::name).toList();
    }

    private static List<BackendProvider> discover() {
        List<BackendProvider> found = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(found::add);
        found.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return List.copyOf(found);
    }

    private record Loaded(Backend backend, BackendUnavailableException failure) {
        Backend backendOrThrow() {
            if (backend == null) {
                throw failure;
            }
            return backend;
        }
    }
}
