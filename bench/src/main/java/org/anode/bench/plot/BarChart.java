package org.anode.bench.plot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small SVG writer for the benchmark figures people compare: horizontal bars, grouped by
 * measurement, one bar per implementation (Anode and its same-run baselines), each labelled with
 * its value, and the ratio to the first baseline written after the Anode bar. No dependencies, and
 * the output depends only on the data (fixed number formats, no timestamps), so a plot can be
 * regenerated and compared byte for byte.
 */
public final class BarChart {
    /** One bar. */
    public record Bar(String series, double value) {}

    /** A measurement: its bars, and the text of the Anode-to-baseline ratio (null: none). */
    public record Group(String label, List<Bar> bars, String ratio) {}

    private static final int WIDTH = 760;
    private static final int LEFT = 230;
    private static final int RIGHT = 150;
    private static final int BAR = 16;
    private static final int GAP = 4;
    private static final int GROUP_GAP = 18;
    private static final int TOP = 58;
    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#7f7f7f", "#2ca02c", "#9467bd"};

    private final String title;
    private final String unit;
    private final String note;
    private final List<Group> groups = new ArrayList<>();

    /**
     * A chart.
     *
     * @param title the title line
     * @param unit the unit of every value, shown on the axis and after each value
     * @param note a line under the title (the machine and run), or null
     */
    public BarChart(String title, String unit, String note) {
        this.title = title;
        this.unit = unit;
        this.note = note;
    }

    /**
     * Adds a measurement.
     *
     * @param label what is measured
     * @param ratio the ratio text written after the first bar (null: none)
     * @param bars the bars, Anode first; a NaN value (a phase that did not run) is left out
     * @return this chart
     */
    public BarChart group(String label, String ratio, Bar... bars) {
        List<Bar> kept = new ArrayList<>();
        for (Bar b : bars) {
            if (!Double.isNaN(b.value())) {
                kept.add(b);
            }
        }
        if (!kept.isEmpty()) {
            groups.add(new Group(label, List.copyOf(kept), ratio));
        }
        return this;
    }

    /** {@return the chart as a standalone SVG document} */
    public String toSvg() {
        double max = 0;
        List<String> series = new ArrayList<>();
        int bars = 0;
        for (Group g : groups) {
            for (Bar b : g.bars()) {
                max = Math.max(max, b.value());
                if (!series.contains(b.series())) {
                    series.add(b.series());
                }
                bars++;
            }
        }
        double scaleMax = niceCeiling(max);
        int plotW = WIDTH - LEFT - RIGHT;
        int height = TOP + bars * (BAR + GAP) + groups.size() * GROUP_GAP + 60;
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                        + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                WIDTH,
                height,
                WIDTH,
                height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
        s.append(text(10, 20, "font-size=\"15\" font-weight=\"bold\"", title));
        if (note != null) {
            s.append(text(10, 38, "fill=\"#555555\"", note));
        }
        int axisY = height - 40;
        // Grid lines and axis labels at fifths of the scale.
        for (int i = 0; i <= 5; i++) {
            double v = scaleMax * i / 5;
            int x = LEFT + (int) Math.round(plotW * (double) i / 5);
            s.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>%n",
                    x,
                    TOP - 6,
                    x,
                    axisY));
            s.append(text(x, axisY + 16, "text-anchor=\"middle\" fill=\"#555555\"", number(v)));
        }
        s.append(text(LEFT + plotW / 2, axisY + 32, "text-anchor=\"middle\" fill=\"#555555\"", unit));
        int y = TOP;
        for (Group g : groups) {
            int groupTop = y;
            for (int i = 0; i < g.bars().size(); i++) {
                Bar b = g.bars().get(i);
                int w = (int) Math.round(plotW * b.value() / scaleMax);
                String colour = COLOURS[series.indexOf(b.series()) % COLOURS.length];
                s.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s: %s %s</title></rect>%n",
                        LEFT,
                        y,
                        Math.max(w, 1),
                        BAR,
                        colour,
                        escape(b.series()),
                        number(b.value()),
                        escape(unit)));
                String label = b.series() + "  " + number(b.value());
                if (i == 0 && g.ratio() != null) {
                    label += "  (" + g.ratio() + ")";
                }
                s.append(text(LEFT + Math.max(w, 1) + 5, y + BAR - 4, "", label));
                y += BAR + GAP;
            }
            s.append(text(LEFT - 8, (groupTop + y - GAP) / 2 + 4, "text-anchor=\"end\"", g.label()));
            y += GROUP_GAP;
        }
        s.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>%n",
                LEFT,
                TOP - 6,
                LEFT,
                axisY));
        s.append("</svg>\n");
        return s.toString();
    }

    /**
     * Writes {@link #toSvg()} to {@code file}.
     *
     * @param file the SVG file
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.writeString(file, toSvg(), StandardCharsets.UTF_8);
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code v}. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%,.0f" : "%.1f", v);
    }

    private static String text(int x, int y, String attrs, String content) {
        return String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\"%s>%s</text>%n",
                x,
                y,
                attrs.isEmpty() ? "" : " " + attrs,
                escape(content));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
