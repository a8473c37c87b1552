package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.cli.NetCommandsTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anode node --console}'s {@code fresh-ping} (draft 4.2.2, 4.2.4): a throw-away node with a
 * new identity in the console's process pings an address over the zone relay, on loopback.
 */
@Timeout(120)
class NodeConsoleFreshPingTest {
    private static final Pattern ANSWER =
            Pattern.compile("replies=(\\d+) nat=\\S+/\\S+ switched=(-|\\d+\\.\\d{3}) mode=(-|\\d) ready=(-|\\d+\\.\\d)"
                    + " rtts=((?:[dr]:\\d+\\.\\d{3},?)*)");

    @Test
    void freshPingAnswersFromANewNodeEachTime(@TempDir Path dir) throws Exception {
        Path zoneFile = dir.resolve("zone.txt");
        Run relay = NetCommandsTest.zoneRelay(dir, zoneFile);
        relay.awaitOut(Pattern.compile("http (http://\\S+/z)"));
        String zoneArg = NetCommandsTest.ZONE + "=" + zoneFile;
        Run target = new Run(NetCommandsTest.zoneNode(dir, "b.id", zoneArg));
        String b = target.awaitOut(NetCommandsTest.ADDRESS);
        PipedOutputStream commands = new PipedOutputStream();
        Run console = new Run(
                new PipedInputStream(commands, 65536),
                NetCommandsTest.concat(NetCommandsTest.zoneNode(dir, "a.id", zoneArg), new String[] {"--console"}));
        String a = console.awaitOut(NetCommandsTest.ADDRESS);

        // The target registers with the relay asynchronously: retry until it is found.
        String first = null;
        for (int i = 0; i < 40 && first == null; i++) {
            String ans = ask(console, commands, "f" + i, "fresh-ping " + b + " 3 20");
            if (ans.startsWith("ok ")) {
                first = ans.substring(3);
            } else {
                Thread.sleep(100);
            }
        }
        assertTrue(first != null, console.out());
        Matcher m = ANSWER.matcher(first);
        assertTrue(m.matches(), first);
        assertEquals("3", m.group(1), first);
        assertEquals("-", m.group(4), "no waiting without 'settled': " + first);
        assertEquals(3, m.group(5).split(",").length, first);

        // The console's own node is not the one that pinged: it has no path to the target.
        assertEquals("ok none", ask(console, commands, "p", "path " + b));
        assertNotEquals(a, b);

        // Usage errors are answered, not fatal.
        assertTrue(ask(console, commands, "e1", "fresh-ping " + b + " 0 10").startsWith("err "));
        assertTrue(ask(console, commands, "e2", "fresh-ping " + b + " 3").startsWith("err "));
        assertTrue(ask(console, commands, "e3", "fresh-ping " + b + " 3 x").startsWith("err "));
        assertTrue(
                ask(console, commands, "e4", "fresh-ping " + b + " 3 10 later").startsWith("err "));
        // And the console still works afterwards. 'settled': the relay answers NETID, so the new
        // node knows its public endpoint before it pings, and says how long that took.
        String settled = ask(console, commands, "g", "fresh-ping " + b + " 1 1 settled");
        Matcher s = ANSWER.matcher(settled.substring(3));
        assertTrue(settled.startsWith("ok ") && s.matches(), settled);
        assertNotEquals("-", s.group(4), settled);

        commands.close();
        assertEquals(0, console.stop(), console.err());
        assertEquals(0, target.stop(), target.err());
        assertEquals(0, relay.stop(), relay.err());
    }

    /** Sends {@code ID COMMAND} and awaits its answer line: {@code ok ...} or {@code err ...}. */
    private static String ask(Run console, PipedOutputStream commands, String id, String command)
            throws IOException, InterruptedException {
        commands.write((id + " " + command + "\n").getBytes(StandardCharsets.UTF_8));
        commands.flush();
        return console.awaitOut(Pattern.compile("(?m)^" + id + " ((?:ok|err) .*)$"));
    }
}
