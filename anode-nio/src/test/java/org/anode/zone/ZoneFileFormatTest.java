package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Zone file syntax, DECISIONS 10 (draft 2.1). */
class ZoneFileFormatTest {

    private static Map<String, String> read(String s) throws ZoneFileException {
        return ZoneFileFormat.read(s);
    }

    private static Map<String, String> map(String... kv) {
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void lfCrAndCrlfAllEndLines() throws Exception {
        Map<String, String> expected = map("a", "1", "b", "2", "c", "3");
        assertEquals(expected, read("a=1\nb=2\nc=3\n"));
        assertEquals(expected, read("a=1\rb=2\rc=3"));
        assertEquals(expected, read("a=1\r\nb=2\r\nc=3\r\n"));
        assertEquals(expected, read("a=1\r\nb=2\rc=3\n"));
        assertEquals(expected, read("\n\r\n\ra=1\n\n\nb=2\r\r\rc=3\n\n"));
    }

    @Test
    void commentsOnlyAtTheVeryStartOfALine() throws Exception {
        assertEquals(map("a", "1"), read("; comment = not an entry\na=1\n;another"));
        // After a blank the ';' is part of the key (the reference checks only the first char).
        assertEquals(map(";k", "v"), read("  ;k=v"));
        // ';' inside a value or key is ordinary.
        assertEquals(map("k;", "v;w"), read("k;=v;w"));
        // An escaped line break continues the comment, as it continues any line.
        assertEquals(map("b", "2"), read(";c \\\nstill comment=x\nb=2"));
    }

    @Test
    void firstEqualsSplits() throws Exception {
        assertEquals(map("k", "a=b=c"), read("k=a=b=c"));
        assertEquals(map("k", "=x"), read("k==x"));
        assertEquals(map("k", ""), read("k="));
        assertEquals(map("k", ""), read("k=   \t"));
    }

    @Test
    void unescapedBlanksAreTrimmed() throws Exception {
        assertEquals(map("key", "some value"), read(" \t key \t=\t some value \t \n"));
        assertEquals(map("a b", "c  d"), read("a b=c  d"));
        // Only spaces and tabs are trimmed.
        assertEquals(map("\u000bk", "v\u000c"), read("\u000bk=v\u000c"));
    }

    @Test
    void blankLinesAreIgnored() throws Exception {
        assertEquals(map("a", "1"), read("\n   \n\t\t\na=1\n \t \n"));
        assertEquals(Map.of(), read(""));
        assertEquals(Map.of(), read(" \n\t\r\n"));
    }

    @Test
    void laterDuplicateWinsAndKeepsFirstPosition() throws Exception {
        Map<String, String> m = read("a=1\nb=2\na=3\n");
        assertEquals(map("a", "3", "b", "2"), m);
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()));
    }

    @Test
    void keysAreCaseSensitive() throws Exception {
        assertEquals(map("n", "x", "N", "y"), read("n=x\nN=y"));
    }

    @Test
    void backslashEscapesEveryCharacter() throws Exception {
        assertEquals(map("a=b", "c"), read("a\\=b=c"));
        assertEquals(map("k", "back\\slash"), read("k=back\\\\slash"));
        assertEquals(map("k\\", "v"), read("k\\\\=v"));
        assertEquals(map("k", "x"), read("k=\\x"));
        assertEquals(map("k", "line1\nline2"), read("k=line1\\\nline2"));
        assertEquals(map("k", "line1\rline2"), read("k=line1\\\rline2"));
        assertEquals(map("k", "line1\r\nline2"), read("k=line1\\\r\\\nline2"));
        // An escaped CR followed by a bare LF: the LF still ends the line.
        assertEquals(map("k", "v\r", "x", "y"), read("k=v\\\r\nx=y"));
        assertEquals(map(";k", "v"), read("\\;k=v"));
        assertEquals(map("k", " v "), read("k=\\ v\\ "));
        assertEquals(map("k", "\t v \t"), read("k= \\\t v \\\t "));
        assertEquals(map(" k", "v"), read("\\ k=v"));
        assertEquals(map("k", "=v"), read("k=\\=v"));
        assertEquals(
                map("\u00e9\u4e2d\ud83d\ude00", "\u00fc"),
                read("\u00e9\u4e2d" + "\\" + "\ud83d\ude00=" + "\\" + "\u00fc"));
    }

    @Test
    void continuationLineStartingWithSemicolonIsNotAComment() throws Exception {
        assertEquals(map("k", "a\n;b"), read("k=a\\\n;b"));
        assertEquals(map("k", "a\n;b"), ZoneFileFormat.read(ZoneFileFormat.write(map("k", "a\n;b"))));
    }

    @Test
    void lineWithoutEqualsIsRejectedWithItsLine() {
        ZoneFileException e = assertThrows(ZoneFileException.class, () -> read("a=1\r\n\r\njunk\n"));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith("line 3: "), e.getMessage());
        assertTrue(e.getMessage().contains("junk"), e.getMessage());
        // An escaped '=' does not split.
        assertEquals(
                1, assertThrows(ZoneFileException.class, () -> read("a\\=b")).line());
    }

    @Test
    void lineNumbersCountEscapedBreaks() {
        ZoneFileException e = assertThrows(ZoneFileException.class, () -> read("a=1\\\n2\\\r\nbad\n"));
        assertEquals(3, e.line());
        e = assertThrows(ZoneFileException.class, () -> read("a=1\rb=2\r\nc=3\n\nbad"));
        assertEquals(5, e.line());
    }

    @Test
    void emptyKeyIsRejected() {
        assertEquals(
                2, assertThrows(ZoneFileException.class, () -> read("a=1\n=v")).line());
        assertThrows(ZoneFileException.class, () -> read("  \t=v"));
    }

    @Test
    void danglingBackslashIsRejected() {
        ZoneFileException e = assertThrows(ZoneFileException.class, () -> read("a=1\nb=2\\"));
        assertEquals(2, e.line());
        assertThrows(ZoneFileException.class, () -> read(";comment\\"));
    }

    @Test
    void unpairedSurrogatesAreRejected() {
        assertThrows(ZoneFileException.class, () -> read("a=\ud800"));
        assertThrows(ZoneFileException.class, () -> read("a=\udc00x"));
        assertThrows(ZoneFileException.class, () -> read("a=\ud800" + "\\" + "\udc00"));
        assertThrows(IllegalArgumentException.class, () -> ZoneFileFormat.write(map("a", "\ud800")));
        assertThrows(IllegalArgumentException.class, () -> ZoneFileFormat.write(map("", "v")));
    }

    @Test
    void bytesAreStrictUtf8() throws Exception {
        ZoneFileLimits l = ZoneFileLimits.DEFAULT;
        assertEquals("k=\u00e9", ZoneFileFormat.decode("k=\u00e9".getBytes(StandardCharsets.UTF_8), l));
        assertEquals(
                "k=v", ZoneFileFormat.decode(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, 'k', '=', 'v'}, l));
        ZoneFileException e = assertThrows(
                ZoneFileException.class,
                () -> ZoneFileFormat.decode(new byte[] {'a', '=', '1', '\n', 'b', '=', (byte) 0xc3}, l));
        assertEquals(2, e.line());
        assertThrows(ZoneFileException.class, () -> ZoneFileFormat.decode(new byte[] {(byte) 0xff}, l));
    }

    @Test
    void limitsAreEnforced() throws Exception {
        ZoneFileLimits small = new ZoneFileLimits(64, 3, 4, 8);
        assertEquals(3, ZoneFileFormat.read("a=1\nb=2\nc=3\na=4", small).size());
        assertTrue(assertThrows(ZoneFileException.class, () -> ZoneFileFormat.read("a=1\nb=2\nc=3\nd=4", small))
                .getMessage()
                .contains("line 4"));
        assertThrows(ZoneFileException.class, () -> ZoneFileFormat.read("abcde=1", small));
        assertEquals(1, ZoneFileFormat.read("abcd=12345678   ", small).size());
        assertThrows(ZoneFileException.class, () -> ZoneFileFormat.read("a=123456789", small));
        assertThrows(ZoneFileException.class, () -> ZoneFileFormat.read("a=1;" + " ".repeat(64), small));
        assertThrows(ZoneFileException.class, () -> ZoneFileFormat.decode(new byte[65], small));
        assertThrows(IllegalArgumentException.class, () -> new ZoneFileLimits(0, 1, 1, 1));
    }

    @Test
    void writerEscapesWhatTheReaderWouldChange() throws Exception {
        Map<String, String> m = map(
                ";semi", "v",
                "a=b", "c=d",
                " lead", "trail ",
                "back\\slash", "\\",
                "cr\rlf\n", "\r\n",
                "tab\t", "\t",
                "\u00e9\u4e2d", "\ud83d\ude00",
                "x", "");
        String text = ZoneFileFormat.write(m);
        assertEquals(m, ZoneFileFormat.read(text));
        assertEquals("\\;semi=v\na\\=b=c\\=d\n", ZoneFileFormat.write(map(";semi", "v", "a=b", "c=d")));
        assertEquals("\\ \\ k\\ =\\ v w\\ \n", ZoneFileFormat.write(map("  k ", " v w ")));
    }
}
