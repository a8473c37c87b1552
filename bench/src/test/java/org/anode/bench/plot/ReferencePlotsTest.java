package org.anode.bench.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * The SVG plots of docs/BENCHMARKS.md are exactly what the benchmark code renders (regenerate with
 * {@code java -cp bench/target/benchmarks.jar org.anode.bench.plot.ReferencePlots}), and every
 * plot is well-formed SVG with one bar per value.
 */
class ReferencePlotsTest {
    private static final Path DOCS = Path.of(System.getProperty("basedir", "."), "..", "docs", "benchmarks")
            .normalize();

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void committedPlotsAreTheRenderedOnes() throws Exception {
        assertEquals(
                ReferencePlots.throughput().toSvg(),
                Files.readString(DOCS.resolve("throughput.svg")),
                "docs/benchmarks/throughput.svg is stale: run ReferencePlots");
        assertEquals(
                ReferencePlots.rtt().toSvg(),
                Files.readString(DOCS.resolve("rtt.svg")),
                "docs/benchmarks/rtt.svg is stale: run ReferencePlots");
        String doc = Files.readString(DOCS.resolveSibling("BENCHMARKS.md"));
        assertTrue(
                doc.contains("](benchmarks/throughput.svg)") && doc.contains("](benchmarks/rtt.svg)"),
                "BENCHMARKS.md shows both plots");
    }

    @Test
    void plotsAreWellFormedSvgWithABarPerValue() throws Exception {
        Document d = parse(ReferencePlots.rtt().toSvg());
        assertEquals("svg", d.getDocumentElement().getLocalName());
        assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
        // 2 + 3 + 2 bars, and the background.
        assertEquals(
                8,
                d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").getLength());
        Document t = parse(ReferencePlots.throughput().toSvg());
        assertEquals(
                8,
                t.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").getLength());
    }

    @Test
    void missingValuesAreLeftOutAndTextIsEscaped() throws Exception {
        String svg = new BarChart("a < b & c", "us", null)
                .group("g", null, new BarChart.Bar("x", Double.NaN), new BarChart.Bar("y \"q\"", 3))
                .group("empty", null, new BarChart.Bar("z", Double.NaN))
                .toSvg();
        Document d = parse(svg);
        assertEquals(
                2,
                d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").getLength());
        assertFalse(svg.contains("empty"));
        assertTrue(svg.contains("a &lt; b &amp; c"));
    }

    @Test
    void scaleEndsOnARoundNumber() {
        assertEquals(5000, BarChart.niceCeiling(3933));
        assertEquals(20, BarChart.niceCeiling(19.2));
        assertEquals(1000, BarChart.niceCeiling(911));
        assertEquals(1, BarChart.niceCeiling(0));
        assertEquals("3,933", BarChart.number(3933));
        assertEquals("9.9", BarChart.number(9.9));
    }
}
