package org.isthmus.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.isthmus.tensor.Storage;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips, the bytes on disk against the format's description, and every refusal on read. */
class SafetensorsTest {

    @TempDir
    Path folder;

    private static final float[] SPECIAL = {
        -0.0f, 0.0f, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc12345), Float.intBitsToFloat(0x7f800001),
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE, 1.5f, Float.NaN,
    };

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    private static Map<String, Tensor> sample() {
        long seed = System.nanoTime();
        System.out.println("SafetensorsTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layer2.weight", Tensor.randn(random, 5, 7));
        tensors.put("layer1.bias", Tensor.fromArray(SPECIAL, SPECIAL.length));
        tensors.put("scale", Tensor.scalar(-0.0f));
        tensors.put("empty", Tensor.zeros(0, 3));
        // A transposed view: written in its logical row-major order, not its storage order.
        tensors.put("transposed", Tensor.randn(random, 3, 300_001).transpose(0, 1));
        Tensor offHeap = Tensor.of(Storage.allocateNative(Arena.ofAuto(), 6), 2, 3);
        offHeap.copy_(Tensor.randn(random, 2, 3));
        tensors.put("native", offHeap);
        return tensors;
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Map<String, Tensor> tensors = sample();
        Path file = folder.resolve("model.safetensors");
        Safetensors.write(file, tensors, Map.of("epoch", "3", "model", "mlp"));
        LinkedHashMap<String, Tensor> loaded = Safetensors.read(file);
        assertEquals(List.of("empty", "layer1.bias", "layer2.weight", "native", "scale", "transposed"), List.copyOf(loaded.keySet()),
                "laid out (and read back) in name order");
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            Tensor back = loaded.get(entry.getKey());
            assertArrayEquals(entry.getValue().shape(), back.shape(), entry.getKey());
            assertArrayEquals(bits(entry.getValue().toArray()), bits(back.toArray()), entry.getKey());
        }
        assertEquals(Map.of("epoch", "3", "model", "mlp"), Safetensors.readMetadata(file));
        try (Stream<Path> files = Files.list(folder)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void overwritesAnExistingCheckpoint() throws IOException {
        Path file = folder.resolve("ckpt.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.fromArray(new float[] {1, 2}, 2)));
        Safetensors.write(file, Map.of("w", Tensor.fromArray(new float[] {3}, 1)));
        assertArrayEquals(new float[] {3}, Safetensors.read(file).get("w").toArray());
        assertEquals(Map.of(), Safetensors.readMetadata(file));
    }

    @Test
    void bytesOnDiskFollowTheFormat() throws IOException {
        Path file = folder.resolve("layout.safetensors");
        Safetensors.write(file, Map.of(
                "b", Tensor.fromArray(new float[] {1, -0.0f, 3, 4, 5, 6}, 2, 3),
                "a", Tensor.fromArray(new float[] {Float.intBitsToFloat(0x7fc00001)}, 1)), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong();
        assertEquals(0, headerLength % 8, "header padded to a multiple of 8");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"), header);
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is trailing spaces");
        assertTrue(json.endsWith("}"), json);
        JsonNode tree = new ObjectMapper().readTree(header);
        assertEquals("v", tree.get("__metadata__").get("k").textValue());
        assertEquals("F32", tree.get("a").get("dtype").textValue());
        assertEquals("[1]", tree.get("a").get("shape").toString());
        assertEquals("[0,4]", tree.get("a").get("data_offsets").toString());
        assertEquals("[2,3]", tree.get("b").get("shape").toString());
        assertEquals("[4,28]", tree.get("b").get("data_offsets").toString());
        assertEquals(8 + headerLength + 28, bytes.length);
        buffer.position((int) (8 + headerLength));
        assertEquals(0x7fc00001, buffer.getInt(), "little-endian raw bits of a");
        assertEquals(1f, buffer.getFloat());
        assertEquals(0x80000000, buffer.getInt(), "-0.0 keeps its sign");
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        Path file = folder.resolve("cut.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.fromArray(new float[] {1, 2, 3, 4}, 4)));
        long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size - 4);
        }
        FileFormatException error = assertThrows(FileFormatException.class, () -> Safetensors.read(file));
        assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
        assertTrue(error.getMessage().contains("'w'") && error.getMessage().contains("outside the data"), error.getMessage());

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(20);
        }
        error = assertThrows(FileFormatException.class, () -> Safetensors.read(file));
        assertTrue(error.getMessage().contains("header length"), error.getMessage());

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(5);
        }
        error = assertThrows(FileFormatException.class, () -> Safetensors.read(file));
        assertTrue(error.getMessage().contains("fewer than the 8-byte header length"), error.getMessage());
    }

    @Test
    void corruptedHeaderIsRefused() throws IOException {
        Path file = folder.resolve("bad.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.fromArray(new float[] {1, 2}, 2)));
        byte[] bytes = Files.readAllBytes(file);
        String header = new String(bytes, 8, bytes.length - 8 - 8, StandardCharsets.UTF_8);
        int colon = header.indexOf(':');
        bytes[8 + colon] = ';';
        Files.write(file, bytes);
        FileFormatException error = assertThrows(FileFormatException.class, () -> Safetensors.read(file));
        assertTrue(error.getMessage().contains("not well-formed JSON"), error.getMessage());

        FileFormatException trailing = assertThrows(FileFormatException.class, () -> Safetensors.read(
                handMade("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} {}", new byte[4])));
        assertTrue(trailing.getMessage().contains("not well-formed JSON"), trailing.getMessage());
        FileFormatException notObject = assertThrows(FileFormatException.class, () -> Safetensors.read(handMade("[1, 2]", new byte[0])));
        assertTrue(notObject.getMessage().contains("start with '{'"), notObject.getMessage());
        byte[] latin1 = "{\"caf\u00e9\":{}}".getBytes(StandardCharsets.ISO_8859_1);
        FileFormatException utf8 = assertThrows(FileFormatException.class,
                () -> Safetensors.read(handMade(new String(latin1, StandardCharsets.ISO_8859_1), new byte[0], StandardCharsets.ISO_8859_1)));
        assertTrue(utf8.getMessage().contains("not valid UTF-8"), utf8.getMessage());
    }

    @Test
    void wrongDtypeIsRefusedByName() throws IOException {
        Path file = handMade("{\"half\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]);
        FileFormatException error = assertThrows(FileFormatException.class, () -> Safetensors.read(file));
        assertTrue(error.getMessage().contains("'half'") && error.getMessage().contains("F16"), error.getMessage());
        assertEquals(file.toString(), error.source());
    }

    @Test
    void inconsistentOffsetsAreRefused() throws IOException {
        String shapeMismatch = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertRefused(shapeMismatch, 8, "hold 8 bytes");
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRefused(overlap, 12, "(overlap)");
        String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertRefused(gap, 8, "(gap)");
        String trailingData = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertRefused(trailingData, 8, "cover 4 bytes");
        String negative = "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        assertRefused(negative, 4, "sizes must be whole numbers");
        String badMetadata = "{\"__metadata__\":{\"epoch\":3}}";
        assertRefused(badMetadata, 0, "__metadata__.epoch is not a string");
        String duplicate = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertRefused(duplicate, 4, "not well-formed JSON");
    }

    private void assertRefused(String header, int dataBytes, String expected) throws IOException {
        Path file = handMade(header, new byte[dataBytes]);
        FileFormatException error = assertThrows(FileFormatException.class, () -> Safetensors.read(file), header);
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }

    private Path handMade(String header, byte[] data) throws IOException {
        return handMade(header, data, StandardCharsets.UTF_8);
    }

    private Path handMade(String header, byte[] data, Charset charset) throws IOException {
        byte[] json = header.getBytes(charset);
        ByteBuffer buffer = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(json.length).put(json).put(data);
        Path file = Files.createTempFile(folder, "hand", ".safetensors");
        Files.write(file, buffer.array());
        return file;
    }
}
