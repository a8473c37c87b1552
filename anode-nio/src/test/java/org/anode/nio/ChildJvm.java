package org.anode.nio;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child JVM started with this test run's class path (plus, where built, the JDK 18+ resolver
 * classes): how the issue 15 acceptance tests run unmodified programs with nothing but JVM flags.
 * Standard output lines are queued; standard error is kept for failure messages.
 */
final class ChildJvm implements AutoCloseable {
    /** The flags that turn the system-wide provider on, exactly as the README gives them. */
    static final List<String> PROVIDER_FLAGS = List.of(
            "-Djava.nio.channels.spi.SelectorProvider=org.anode.nio.AnodeSystemSelectorProvider",
            "--add-exports",
            "java.base/sun.nio.ch=ALL-UNNAMED");

    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer stderr = new StringBuffer();

    private ChildJvm(Process process) {
        this.process = process;
        Thread out = new Thread(
                () -> pump(
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)),
                        true),
                "child-out");
        Thread err = new Thread(
                () -> pump(
                        new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)),
                        false),
                "child-err");
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
    }

    private void pump(BufferedReader r, boolean out) {
        try (r) {
            String l;
            while ((l = r.readLine()) != null) {
                if (out) {
                    lines.add(l);
                } else if (stderr.length() < 64_000) {
                    stderr.append(l).append('\n');
                }
            }
        } catch (IOException e) {
            // The child went away.
        }
    }

    /** The resolver classes built on JDK 18+ (surefire passes their directory), or null. */
    static Path resolverClasses() {
        String p = System.getProperty("anode.resolverClasses");
        if (p == null || Runtime.version().feature() < 18) {
            return null;
        }
        Path d = Path.of(p);
        return Files.isDirectory(d.resolve("org/anode/resolver")) ? d : null;
    }

    /**
     * Starts {@code java [jvmArgs] mainClass [args]} with {@code javaHome}'s launcher (null: this JVM's)
     * and this run's class path, preceded by {@code extraClassPath} entries.
     */
    static ChildJvm start(
            String javaHome, List<Path> extraClassPath, List<String> jvmArgs, Class<?> mainClass, String... args)
            throws IOException {
        return start(List.of(), javaHome, extraClassPath, jvmArgs, mainClass.getName(), args);
    }

    static ChildJvm start(
            List<String> prefix,
            String javaHome,
            List<Path> extraClassPath,
            List<String> jvmArgs,
            String mainClass,
            String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(javaHome != null ? javaHome : System.getProperty("java.home"), "bin", "java")
                .toString());
        StringBuilder cp = new StringBuilder();
        for (Path p : extraClassPath) {
            cp.append(p).append(File.pathSeparatorChar);
        }
        cp.append(System.getProperty("java.class.path"));
        cmd.add("-cp");
        cmd.add(cp.toString());
        cmd.add("-Xss512k");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmArgs);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        return new ChildJvm(pb.start());
    }

    /** Waits (bounded) for a standard-output line starting with {@code prefix}. */
    String awaitLine(String prefix, long seconds) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("no '" + prefix + "' line within " + seconds + " s; alive="
                        + process.isAlive() + "; stderr:\n" + stderr);
            }
            String l = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
            if (l == null && !process.isAlive() && lines.isEmpty()) {
                throw new TimeoutException(
                        "child exited " + process.exitValue() + " before '" + prefix + "'; stderr:\n" + stderr);
            }
        }
    }

    /** Waits (bounded) for the child to exit and returns its status. */
    int awaitExit(long seconds) throws InterruptedException, TimeoutException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new TimeoutException("child still running after " + seconds + " s; stderr:\n" + stderr);
        }
        return process.exitValue();
    }

    String stderr() {
        return stderr.toString();
    }

    /** Closes the child's standard input (servers then stop), then ends it if it lingers. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
