package org.isthmus.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.isthmus.tensor.Storage;
import org.isthmus.tensor.Tensor;

/**
 * Checkpoints in Hugging Face's <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, float32 only: an 8-byte little-endian header length N, N bytes of JSON
 * {@code {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}}}
 * padded with spaces to a multiple of 8, then the raw little-endian elements, offsets counted from the
 * end of the header.
 *
 * <p>Writing lays the tensors out in name order, back to back, into a temporary file in the target's
 * folder, forces it to disk and renames it over the target (atomically where the file system can), so
 * a crash leaves the old checkpoint or the new one, never half of one. Reading checks everything the
 * reference implementation checks and refuses any fault with a {@link FileFormatException} naming the
 * file, the tensor and the fault; no tensor is returned from a file that fails.
 */
public final class Safetensors {

    /** The header key that holds string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Headers above this size are refused, as the reference implementation does, before reading them. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    private static final ValueLayout.OfFloat LITTLE_ENDIAN_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements moved per read or write call. */
    private static final int CHUNK_FLOATS = 1 << 18;

    private Safetensors() {
    }

    /** Writes the tensors (no metadata). */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes the tensors and string metadata (e.g. epoch, model name) atomically to file. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        TreeMap<String, Tensor> byName = new TreeMap<>(tensors);
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA_KEY);
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> entry : byName.entrySet()) {
            String name = entry.getKey();
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
            }
            Tensor tensor = entry.getValue();
            long bytes = tensor.numel() * Float.BYTES;
            ObjectNode info = header.putObject(name);
            info.put("dtype", "F32");
            ArrayNode shape = info.putArray("shape");
            for (int size : tensor.shape()) {
                shape.add(size);
            }
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        prefix.flip();

        Path target = file.toAbsolutePath();
        Path temporary = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                writeFully(out, prefix);
                ByteBuffer chunk = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES);
                MemorySegment chunkSegment = MemorySegment.ofBuffer(chunk);
                for (Tensor tensor : byName.values()) {
                    writeElements(out, tensor, chunk, chunkSegment);
                }
                out.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** The tensors in file, in the order of their data, each a fresh contiguous heap tensor. */
    public static LinkedHashMap<String, Tensor> read(Path file) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, in);
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES);
            MemorySegment chunkSegment = MemorySegment.ofBuffer(chunk);
            for (Entry entry : header.entries()) {
                float[] values = new float[Math.toIntExact(entry.numel())];
                long position = header.dataStart() + entry.begin();
                for (int done = 0; done < values.length; ) {
                    int count = Math.min(CHUNK_FLOATS, values.length - done);
                    chunk.clear().limit(count * Float.BYTES);
                    while (chunk.hasRemaining()) {
                        int read = in.read(chunk, position + chunk.position());
                        if (read < 0) {
                            throw refused(file, "the file ended inside tensor '" + entry.name() + "'");
                        }
                    }
                    MemorySegment.copy(chunkSegment, LITTLE_ENDIAN_FLOAT, 0, values, done, count);
                    position += (long) count * Float.BYTES;
                    done += count;
                }
                tensors.put(entry.name(), Tensor.of(Storage.wrap(values), entry.shape()));
            }
            return tensors;
        }
    }

    /** The string metadata of file (empty when it has none), after checking the whole header. */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, in).metadata();
        }
    }

    private record Entry(String name, int[] shape, long begin, long end) {
        long numel() {
            return (end - begin) / Float.BYTES;
        }
    }

    private record Header(long dataStart, List<Entry> entries, Map<String, String> metadata) {
    }

    private static Header readHeader(Path file, FileChannel in) throws IOException {
        long fileSize = in.size();
        if (fileSize < 8) {
            throw refused(file, "the file holds " + fileSize + " bytes, fewer than the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, in, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
            throw refused(file, "the header length " + Long.toUnsignedString(headerLength)
                    + " does not fit the file (" + fileSize + " bytes; at most " + MAX_HEADER_BYTES + " of header)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(file, in, headerBytes, 8);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(headerBytes.flip()).toString();
        } catch (CharacterCodingException e) {
            throw refused(file, "the header is not valid UTF-8", e);
        }
        if (!text.startsWith("{")) {
            throw refused(file, "the header does not start with '{'");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw refused(file, "the header is not well-formed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw refused(file, "the header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, node, metadata);
            } else {
                entries.add(readEntry(file, name, node, dataLength));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        for (Entry entry : entries) {
            if (entry.begin() != expectedBegin) {
                throw refused(file, "tensor '" + entry.name() + "' starts at byte " + entry.begin()
                        + " of the data but the tensors before it end at " + expectedBegin
                        + (entry.begin() < expectedBegin ? " (overlap)" : " (gap)"));
            }
            expectedBegin = entry.end();
        }
        if (expectedBegin != dataLength) {
            throw refused(file, "the tensors cover " + expectedBegin + " bytes of data but the file holds "
                    + dataLength + " after the header");
        }
        return new Header(dataStart, entries, metadata);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata) throws FileFormatException {
        if (!node.isObject()) {
            throw refused(file, METADATA_KEY + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw refused(file, METADATA_KEY + "." + field.getKey() + " is not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataLength) throws FileFormatException {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw refused(file, where + " is not a JSON object");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw refused(file, where + " has no dtype string");
        }
        if (!dtype.textValue().equals("F32")) {
            throw refused(file, where + " has dtype " + dtype.textValue() + "; only F32 is supported");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw refused(file, where + " has no shape array");
        }
        int[] shape = new int[shapeNode.size()];
        long numel = 1;
        for (int d = 0; d < shape.length; d++) {
            JsonNode size = shapeNode.get(d);
            if (!size.canConvertToInt() || !size.isIntegralNumber() || size.intValue() < 0) {
                throw refused(file, where + " has shape " + shapeNode
                        + ": sizes must be whole numbers in [0, 2^31)");
            }
            shape[d] = size.intValue();
            // Capped at 2^31 (more than a heap tensor holds) so the product cannot overflow; a 0 size still gives 0.
            numel = Math.min(numel, 1L << 31) * shape[d];
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).canConvertToLong() || !offsets.get(1).isIntegralNumber()) {
            throw refused(file, where + " has data_offsets " + offsets + "; expected [begin, end]");
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        if (begin < 0 || end < begin || end > dataLength) {
            throw refused(file, where + " has data_offsets [" + begin + ", " + end
                    + "] outside the data (" + dataLength + " bytes)");
        }
        if (numel > Integer.MAX_VALUE - 8 || numel * Float.BYTES != end - begin) {
            throw refused(file, where + " has shape " + Arrays.toString(shape) + " (" + numel
                    + " F32 elements) but data_offsets [" + begin + ", " + end + "] hold " + (end - begin) + " bytes");
        }
        return new Entry(name, shape, begin, end);
    }

    private static FileFormatException refused(Path file, String problem) {
        return new FileFormatException(file.toString(), problem);
    }

    private static FileFormatException refused(Path file, String problem, Throwable cause) {
        return new FileFormatException(file.toString(), problem, cause);
    }

    private static void writeElements(FileChannel out, Tensor tensor, ByteBuffer chunk, MemorySegment chunkSegment)
            throws IOException {
        Tensor contiguous = tensor.detach().contiguous();
        MemorySegment source = contiguous.storage().segment();
        long first = contiguous.offset();
        long total = contiguous.numel();
        for (long done = 0; done < total; ) {
            int count = (int) Math.min(CHUNK_FLOATS, total - done);
            MemorySegment.copy(source, ValueLayout.JAVA_FLOAT_UNALIGNED, (first + done) * Float.BYTES,
                    chunkSegment, LITTLE_ENDIAN_FLOAT, 0, count);
            chunk.clear().limit(count * Float.BYTES);
            writeFully(out, chunk);
            done += count;
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static void readFully(Path file, FileChannel in, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                throw refused(file, "the file ended at byte " + (position + buffer.position())
                        + " while reading the header");
            }
        }
    }
}
