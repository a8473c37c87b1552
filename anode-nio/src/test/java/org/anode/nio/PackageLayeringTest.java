package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.anode.address.AnodeAddress;
import org.junit.jupiter.api.Test;

/**
 * Keeps the package dependencies of anode-provider and anode-nio pointing one way, in the layers
 * of docs/ARCHITECTURE.md: a package may use packages of lower layers, and packages of its own
 * layer as long as no cycle forms; never a package of a higher layer.
 *
 * <p>Dependencies are read twice, because each source misses something: from the compiled
 * classes' constant pools (every type a class uses, including ones it never names, such as the
 * return type of a call it chains) and from the main sources, comments and literals stripped
 * (imports and qualified names, including an unused import and a compile-time constant that
 * javac inlines, neither of which leaves a trace in the class file).
 *
 * <p>A package that is not in {@link #LAYERS} fails the test: a new package must be given its
 * place here (and in docs/ARCHITECTURE.md).
 */
class PackageLayeringTest {
    /** Top to bottom; names relative to {@code org.anode}. */
    static final List<List<String>> LAYERS = List.of(
            List.of("cli"),
            List.of("nio"),
            List.of("transport"),
            List.of("engine"),
            List.of("stream", "wire", "zone"),
            List.of("address", "crypto", "crypto.internal"),
            List.of("util"));

    /**
     * Cycles that are known and accepted. In anode-provider an {@code AnodeAddress} hands out its
     * {@code AnodePublicKey} and an {@code AnodeIdentity} its {@code AnodePrivateKey}, while the
     * JCA key classes carry their address and zone: both public APIs, so the two packages of the
     * provider's public surface stay one unit (docs/ARCHITECTURE.md). Any other cycle fails.
     */
    static final Set<Set<String>> ACCEPTED_CYCLES = Set.of(Set.of("address", "crypto"));

    private static final String PREFIX = "org/anode/";

    @Test
    void packageDependenciesFollowTheLayersWithoutCycles() throws Exception {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Path root : classRoots()) {
            readClasses(root, graph);
        }
        for (Path root : sourceRoots()) {
            readSources(root, graph);
        }
        // The scan must have seen the code it is meant to check: every declared package, and
        // dependencies known to exist, so that a broken scan cannot pass.
        for (List<String> layer : LAYERS) {
            for (String p : layer) {
                assertTrue(
                        graph.containsKey(p), "package org.anode." + p + " not found by the scan: " + graph.keySet());
            }
        }
        assertTrue(graph.get("nio").contains("engine"), "scan missed nio -> engine");
        assertTrue(graph.get("transport").contains("engine"), "scan missed transport -> engine");
        assertTrue(graph.get("engine").contains("wire"), "scan missed engine -> wire");
        List<String> violations = violations(graph);
        assertTrue(
                violations.isEmpty(),
                "package dependencies break the layering (docs/ARCHITECTURE.md):\n  " + String.join("\n  ", violations)
                        + "\ngraph: " + graph);
    }

    @Test
    void theCheckFlagsAnUpwardDependencyAndACycle() {
        Map<String, Set<String>> g = new TreeMap<>();
        g.put("nio", new TreeSet<>(Set.of("engine")));
        g.put("engine", new TreeSet<>(Set.of("wire")));
        g.put("wire", new TreeSet<>());
        assertEquals(List.of(), violations(g));

        g.get("engine").add("nio");
        List<String> up = violations(g);
        assertTrue(up.stream().anyMatch(v -> v.startsWith("engine -> nio")), up.toString());
        assertTrue(up.stream().anyMatch(v -> v.startsWith("cycle")), up.toString());

        g.get("engine").remove("nio");
        g.put("zone", new TreeSet<>(Set.of("wire")));
        g.get("wire").add("zone");
        List<String> sideways = violations(g);
        assertEquals(1, sideways.size(), sideways.toString());
        assertTrue(sideways.get(0).startsWith("cycle [wire, zone]"), sideways.toString());

        g.get("wire").remove("zone");
        g.put("relay", new TreeSet<>());
        assertEquals(List.of("org.anode.relay has no layer: add it to PackageLayeringTest.LAYERS"), violations(g));
    }

    @Test
    void theSourceScanSeesImportsAndQualifiedNamesButNotCommentsOrStrings() {
        Set<String> deps = new TreeSet<>();
        sourceDependencies("""
                package org.anode.engine;
                import org.anode.nio.AnodeNodeConfig;
                import static org.anode.wire.PacketFormat.FLAG_SENDER_FULL;
                import org.anode.zone.*;
                // org.anode.cli.AnodeCli in a comment
                /* org.anode.transport.UdpTransport in a block comment */
                /** {@link org.anode.stream.StreamConnection} in javadoc */
                class X {
                    String s = "org.anode.address.AnodeAddress in a string";
                    char c = '"';
                    int n = org.anode.crypto.internal.AesCmac.MIN_MANY;
                    String t = \"""
                            org.anode.crypto.AnodeProvider in a text block
                            \""";
                }
                """, deps);
        assertEquals(Set.of("nio", "wire", "zone", "crypto.internal"), deps);
    }

    /** Every rule broken by {@code graph}: unknown packages, upward edges, unaccepted cycles. */
    static List<String> violations(Map<String, Set<String>> graph) {
        Map<String, Integer> layer = new HashMap<>();
        for (int i = 0; i < LAYERS.size(); i++) {
            for (String p : LAYERS.get(i)) {
                layer.put(p, i);
            }
        }
        List<String> out = new ArrayList<>();
        Set<String> all = new TreeSet<>(graph.keySet());
        graph.values().forEach(all::addAll);
        for (String p : all) {
            if (!layer.containsKey(p)) {
                out.add("org.anode." + p + " has no layer: add it to PackageLayeringTest.LAYERS");
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        for (Map.Entry<String, Set<String>> e : graph.entrySet()) {
            for (String to : e.getValue()) {
                if (layer.get(to) < layer.get(e.getKey())) {
                    out.add(e.getKey() + " -> " + to + " points up (layer " + layer.get(e.getKey()) + " uses layer "
                            + layer.get(to) + ")");
                }
            }
        }
        for (Set<String> scc : stronglyConnected(graph)) {
            if (scc.size() > 1 && !ACCEPTED_CYCLES.contains(scc)) {
                out.add("cycle " + scc);
            }
        }
        return out;
    }

    /** Tarjan's strongly connected components, each as a sorted set. */
    static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String v : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(v)) {
                strongConnect(v, graph, index, low, stack, onStack, out, next);
            }
        }
        return out;
    }

    private static void strongConnect(
            String v,
            Map<String, Set<String>> graph,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            Set<String> onStack,
            List<Set<String>> out,
            int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                strongConnect(w, graph, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> scc = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                scc.add(w);
            } while (!w.equals(v));
            out.add(scc);
        }
    }

    // ------------------------------------------------------------------ class files

    /** Where the main classes of both modules are: a directory or a jar each. */
    private static List<Path> classRoots() throws URISyntaxException {
        return List.of(
                Path.of(AnodeNode.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI()),
                Path.of(AnodeAddress.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI()));
    }

    private static void readClasses(Path root, Map<String, Set<String>> graph) throws IOException {
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                    String name = root.relativize(f)
                            .toString()
                            .replace(f.getFileSystem().getSeparator(), "/");
                    try (InputStream in = Files.newInputStream(f)) {
                        readClass(name, in, graph);
                    }
                }
            }
        } else {
            try (ZipFile zip = new ZipFile(root.toFile())) {
                for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                    if (e.getName().endsWith(".class")) {
                        try (InputStream in = zip.getInputStream(e)) {
                            readClass(e.getName(), in, graph);
                        }
                    }
                }
            }
        }
    }

    private static void readClass(String path, InputStream in, Map<String, Set<String>> graph) throws IOException {
        if (!path.startsWith(PREFIX)) {
            return; // module-info, META-INF/versions
        }
        String from = packageOf(path.substring(PREFIX.length()));
        Set<String> deps = graph.computeIfAbsent(from, k -> new TreeSet<>());
        for (String utf8 : constantPoolStrings(new DataInputStream(in))) {
            // Class names, field and method descriptors and generic signatures all spell a type
            // as org/anode/<package>/<Type>.
            int i = -1;
            while ((i = utf8.indexOf(PREFIX, i + 1)) >= 0) {
                int end = i + PREFIX.length();
                while (end < utf8.length() && isNameChar(utf8.charAt(end))) {
                    end++;
                }
                String to = packageOf(utf8.substring(i + PREFIX.length(), end));
                if (!to.isEmpty() && !to.equals(from)) {
                    deps.add(to);
                }
            }
        }
    }

    private static boolean isNameChar(char c) {
        return Character.isJavaIdentifierPart(c) || c == '/';
    }

    /** {@code crypto/internal/AesCmac$1} to {@code crypto.internal}. */
    private static String packageOf(String relativeName) {
        int slash = relativeName.lastIndexOf('/');
        return slash < 0 ? "" : relativeName.substring(0, slash).replace('/', '.');
    }

    /** The CONSTANT_Utf8 entries of a class file (JVMS 4.4). */
    private static List<String> constantPoolStrings(DataInputStream in) throws IOException {
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        List<String> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> out.add(in.readUTF());
                case 7, 8, 16, 19, 20 -> in.skipNBytes(2);
                case 15 -> in.skipNBytes(3);
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                case 5, 6 -> {
                    in.skipNBytes(8);
                    i++; // long and double take two slots
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ sources

    /** The main sources of both modules (tests run with the module directory as working directory). */
    private static List<Path> sourceRoots() {
        List<Path> roots = List.of(Path.of("src/main/java"), Path.of("../anode-provider/src/main/java"));
        for (Path r : roots) {
            assertTrue(Files.isDirectory(r.resolve("org/anode")), "sources not found at " + r.toAbsolutePath());
        }
        return roots;
    }

    private static void readSources(Path root, Map<String, Set<String>> graph) throws IOException {
        Path base = root.resolve("org/anode");
        try (Stream<Path> files = Files.walk(base)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String rel = base.relativize(f.getParent())
                        .toString()
                        .replace(f.getFileSystem().getSeparator(), ".");
                Set<String> deps = graph.computeIfAbsent(rel, k -> new TreeSet<>());
                Set<String> found = new TreeSet<>();
                sourceDependencies(Files.readString(f, StandardCharsets.UTF_8), found);
                found.remove(rel);
                deps.addAll(found);
            }
        }
    }

    /** A qualified name of a type or member (or a wildcard import) in package org.anode.x.y. */
    private static final Pattern QUALIFIED =
            Pattern.compile("\\borg\\.anode((?:\\.[a-z_][a-z0-9_]*)+)\\.(?:[A-Z_$]|\\*)");

    /** Adds the org.anode packages (relative names) that {@code source}'s code names. */
    static void sourceDependencies(String source, Set<String> out) {
        Matcher m = QUALIFIED.matcher(codeOnly(source));
        while (m.find()) {
            out.add(m.group(1).substring(1));
        }
    }

    /** {@code source} with comments, string, text block and char literals blanked out. */
    static String codeOnly(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                int e = s.indexOf('\n', i);
                i = e < 0 ? n : e;
            } else if (s.startsWith("/*", i)) {
                int e = s.indexOf("*/", i + 2);
                i = e < 0 ? n : e + 2;
                b.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int e = s.indexOf("\"\"\"", i + 3);
                while (e > 0 && s.charAt(e - 1) == '\\') {
                    e = s.indexOf("\"\"\"", e + 1);
                }
                i = e < 0 ? n : e + 3;
                b.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(n, j + 1);
                b.append(c).append(c);
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }

    @Test
    void theCodeFilterKeepsCodeAroundLiterals() {
        String code = codeOnly("a(\"x\\\"y\", '\\'', /* c */ b) // d\nc");
        assertEquals("a(\"\", '',   b) \nc", code);
        assertFalse(codeOnly("\"org.anode.nio.X\"").contains("anode"));
    }
}
