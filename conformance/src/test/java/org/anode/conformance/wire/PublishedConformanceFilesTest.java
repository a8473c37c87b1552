package org.anode.conformance.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The conformance kit other implementations use (issue 16), docs/conformance/: the libanode
 * reference vectors and the golden packets as JSON Lines files, each with a JSON Schema. The
 * golden packet file is generated from {@link GoldenPacketsTest}'s table (whose bytes that test
 * checks against the draft), so the published file cannot drift from what is tested; regenerate
 * it with {@code -Danode.conformance.regenerate=true}. Every line of both files must satisfy its
 * schema.
 */
class PublishedConformanceFilesTest {
    private static final Path DIR = Path.of(System.getProperty("basedir", "."), "..", "docs", "conformance")
            .normalize();
    private static final HexFormat HEX = HexFormat.of();

    static String goldenPacketsJsonl() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (GoldenPacketsTest.Row r : GoldenPacketsTest.rows()) {
            sb.append("{\"kind\":\"packet\",\"name\":\"")
                    .append(r.name())
                    .append("\",\"message_type\":")
                    .append(Integer.parseInt(r.type(), 16))
                    .append(",\"flags\":")
                    .append(Integer.parseInt(r.flags(), 16))
                    .append(",\"sender\":\"")
                    .append(GoldenPacketsTest.A_FULL)
                    .append("\",\"recipient\":\"")
                    .append(GoldenPacketsTest.B_FULL)
                    .append("\",\"sender_peer_id\":1,\"recipient_peer_id\":2")
                    .append(",\"mac_key\":\"")
                    .append(GoldenPacketsTest.KEY)
                    .append("\",\"body\":\"")
                    .append(r.body())
                    .append("\",\"packet\":\"")
                    .append(HEX.formatHex(GoldenPacketsTest.expected(r)))
                    .append("\"}\n");
        }
        for (String[] bad : GoldenPacketsTest.rejections()) {
            sb.append("{\"kind\":\"invalid-packet\",\"packet\":\"")
                    .append(bad[0])
                    .append("\",\"reason\":\"")
                    .append(bad[2].replace("\\", "\\\\").replace("\"", "\\\""))
                    .append("\"}\n");
        }
        return sb.toString();
    }

    @Test
    void goldenPacketFileIsTheTestedTable() throws Exception {
        Path file = DIR.resolve("golden-packets.jsonl");
        String expected = goldenPacketsJsonl();
        if (Boolean.getBoolean("anode.conformance.regenerate")) {
            Files.writeString(file, expected, StandardCharsets.UTF_8);
        }
        assertEquals(
                expected,
                Files.readString(file, StandardCharsets.UTF_8),
                "docs/conformance/golden-packets.jsonl is stale: run this test with -Danode.conformance.regenerate=true");
    }

    @Test
    void referenceVectorFileIsTheTestedOne() throws IOException {
        try (InputStream in = PublishedConformanceFilesTest.class.getResourceAsStream("/libanode-reference.jsonl")) {
            assertArrayEquals(in.readAllBytes(), Files.readAllBytes(DIR.resolve("libanode-reference.jsonl")));
        }
    }

    @Test
    void everyLineSatisfiesItsSchema() throws IOException {
        assertEquals(106, checkAgainstSchema("libanode-reference"));
        assertEquals(15 + 6 + 27, checkAgainstSchema("golden-packets"));
    }

    @SuppressWarnings("unchecked")
    private static int checkAgainstSchema(String name) throws IOException {
        Map<String, Object> schema = (Map<String, Object>)
                MiniJson.parse(Files.readString(DIR.resolve(name + ".schema.json"), StandardCharsets.UTF_8));
        List<String> lines = Files.readAllLines(DIR.resolve(name + ".jsonl"), StandardCharsets.UTF_8);
        int n = 0;
        for (String line : lines) {
            n++;
            List<String> errors = MiniJson.validate(MiniJson.parse(line), schema, name + ".jsonl:" + n);
            assertTrue(errors.isEmpty(), String.join("\n", errors));
        }
        return n;
    }

    @Test
    void theValidatorRejectsWhatTheSchemaForbids() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> schema = (Map<String, Object>)
                MiniJson.parse(Files.readString(DIR.resolve("golden-packets.schema.json"), StandardCharsets.UTF_8));
        String ok = "{\"kind\":\"invalid-packet\",\"packet\":\"00\",\"reason\":\"r\"}";
        assertTrue(MiniJson.validate(MiniJson.parse(ok), schema, "ok").isEmpty());
        for (String bad : List.of(
                "{\"kind\":\"invalid-packet\",\"packet\":\"0\",\"reason\":\"odd hex\"}",
                "{\"kind\":\"invalid-packet\",\"packet\":\"00\"}",
                "{\"kind\":\"invalid-packet\",\"packet\":\"00\",\"reason\":\"r\",\"extra\":1}",
                "{\"kind\":\"other\",\"packet\":\"00\",\"reason\":\"r\"}",
                "{\"kind\":\"packet\",\"name\":\"x\"}")) {
            assertFalse(MiniJson.validate(MiniJson.parse(bad), schema, "bad").isEmpty(), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\":1,}"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\":1} x"));
    }
}
