package org.anode.conformance.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What the build publishes (issue 16): the BOM lists exactly the library modules at the build's
 * version, the test-only and benchmark modules are never installed or deployed, and every
 * published pom carries the licence, url, scm and developers a public repository requires.
 * The BOM has no parent (so it leaks no test dependencies into an importing build), so nothing
 * but this test keeps its version in step with the parent's.
 */
class PublishedArtifactsTest {
    private static final Path ROOT =
            Path.of(System.getProperty("basedir", "."), "..").normalize();

    private static Document pom(String module) throws Exception {
        Path p = module.isEmpty()
                ? ROOT.resolve("pom.xml")
                : ROOT.resolve(module).resolve("pom.xml");
        assertTrue(Files.isRegularFile(p), p + " exists");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(p.toFile());
    }

    private static Element child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    private static String text(Element e, String... path) {
        Element cur = e;
        for (String name : path) {
            cur = child(cur, name);
            if (cur == null) {
                return null;
            }
        }
        return cur.getTextContent().strip();
    }

    @Test
    void bomListsTheLibraryModulesAtTheBuildVersion() throws Exception {
        Element bom = pom("anode-bom").getDocumentElement();
        String expected = System.getProperty("anode.expected.version");
        assertNotNull(expected, "run by Maven, which sets anode.expected.version");
        assertEquals(expected, text(bom, "version"));
        assertEquals(expected, text(pom("").getDocumentElement(), "version"));
        assertEquals("pom", text(bom, "packaging"));
        assertEquals(null, child(bom, "parent"), "the BOM must not inherit the parent's dependencyManagement");
        List<String> managed = new ArrayList<>();
        NodeList deps =
                child(child(bom, "dependencyManagement"), "dependencies").getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertEquals("org.anode", text(d, "groupId"));
            assertEquals("${project.version}", text(d, "version"));
            managed.add(text(d, "artifactId"));
        }
        assertEquals(List.of("anode-provider", "anode-nio"), managed);
    }

    @Test
    void testAndBenchmarkModulesAreNotPublished() throws Exception {
        for (String m : List.of("conformance", "bench")) {
            Element p = pom(m).getDocumentElement();
            assertEquals("true", text(p, "properties", "maven.deploy.skip"), m);
            assertEquals("true", text(p, "properties", "maven.install.skip"), m);
        }
        for (String m : List.of("", "anode-bom", "anode-provider", "anode-nio")) {
            Element p = pom(m).getDocumentElement();
            Element props = child(p, "properties");
            assertTrue(props == null || child(props, "maven.deploy.skip") == null, m + " is published");
        }
    }

    @Test
    void publishedPomsCarryLicenceAndProjectMetadata() throws Exception {
        for (String m : List.of("", "anode-bom")) {
            Element p = pom(m).getDocumentElement();
            assertEquals("Apache-2.0", text(p, "licenses", "license", "name"), m);
            assertNotNull(text(p, "url"), m);
            assertNotNull(text(p, "scm", "url"), m);
            assertNotNull(text(p, "scm", "connection"), m);
            assertNotNull(text(p, "developers", "developer", "name"), m);
        }
        assertTrue(Files.readString(ROOT.resolve("LICENSE")).contains("Apache License"));
        assertTrue(Files.readString(ROOT.resolve("LICENSE")).contains("Version 2.0, January 2004"));
        assertTrue(Files.readString(ROOT.resolve("NOTICE")).contains("Apache License, Version 2.0"));
    }
}
